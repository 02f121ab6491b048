/**
 * Who serves a Docker published port: docker-proxy (a listener that
 * forwards), a DNAT rule of the nat table (and which hooks reach it), both,
 * or nothing. With the proxy on and the PREROUTING jump in place, other
 * hosts' connections are DNATed before any socket sees them and the proxy
 * only takes what the rules leave (the host's own connections to loopback);
 * without that jump the proxy takes them all. Pure.
 */
import { chainEntries } from '../analysis/chainEntries';
import type { Listener } from '../emulator/host/model';
import type { NatTarget } from '../lang/iptables/extensions/targets/NAT';
import type { LoadedRule, Ruleset } from '../lang/iptables/ruleset';

export type ServedBy = 'dnat' | 'docker-proxy' | 'dnat+docker-proxy' | 'nothing';

export interface PublishedDnat {
  /** 1-based line of the rule in its file. */
  readonly line: number;
  readonly chain: string;
  /** The hooks whose nat chain leads into the rule's chain. */
  readonly hooks: readonly string[];
}

export interface PublishedService {
  readonly proxy: boolean;
  readonly dnat?: PublishedDnat;
  readonly servedBy: ServedBy;
  /** The same in a sentence. */
  readonly words: string;
}

function dportRange(r: LoadedRule): { min: number; max: number } | undefined {
  for (const m of r.spec.matches) {
    for (const o of m.options) {
      if ((o.name !== 'dport' && o.name !== 'destination-port') || o.invert || !o.arg) continue;
      const [a, b] = o.arg.split(':');
      const min = Number(a);
      const max = b === undefined ? min : Number(b);
      if (Number.isInteger(min) && Number.isInteger(max)) return { min, max };
    }
  }
  return undefined;
}

function isDnatFor(r: LoadedRule, l: Listener): boolean {
  const t = r.spec.target;
  if (t?.kind !== 'extension' || t.use.name !== 'DNAT' || !l.publishes) return false;
  if ((r.facts.protoText ?? '').toLowerCase() !== l.proto) return false;
  const ports = dportRange(r);
  if (!ports || l.port < ports.min || l.port > ports.max) return false;
  const d = t.use.data as NatTarget | undefined;
  const to = d?.addrs?.min;
  if (to?.family !== 'ipv4' || to.v4 !== l.publishes.addr) return false;
  return !d?.ports || d.ports.min === l.publishes.port;
}

/** The first DNAT rule of the nat table that sends this published port to its container. */
export function publishedDnat(rs: Ruleset | undefined, l: Listener): PublishedDnat | undefined {
  const nat = rs?.tables.get('nat');
  if (!nat) return undefined;
  for (const chain of nat.chains.values()) {
    const r = chain.rules.find((x) => isDnatFor(x, l));
    if (!r) continue;
    const hooks = [...(chainEntries(nat).get(chain.name)?.hooks ?? [])];
    return { line: r.command.line + 1, chain: chain.name, hooks };
  }
  return undefined;
}

export function publishedService(rs: Ruleset | undefined, l: Listener): PublishedService {
  const proxy = !!l.forwardTo;
  const dnat = publishedDnat(rs, l);
  const fromOutside = !!dnat?.hooks.includes('PREROUTING');
  const rule = dnat ? `the DNAT rule on line ${dnat.line}` : '';
  const reached = dnat ? `nat ${dnat.chain}, reached from ${dnat.hooks.length ? dnat.hooks.join(' and ') : 'no hook'}` : '';
  const only = dnat ? `${rule} (nat ${dnat.chain}) is reached from ${dnat.hooks.length ? `${dnat.hooks.join(' and ')} only` : 'no hook'}` : '';
  if (proxy && fromOutside) {
    return { proxy, dnat: dnat!, servedBy: 'dnat+docker-proxy', words: `${rule} (${reached}) for connections from other hosts and containers; docker-proxy for what the rules leave to it, such as this host's own connections to 127.0.0.1` };
  }
  if (proxy) return { proxy, ...(dnat ? { dnat } : {}), servedBy: 'docker-proxy', words: dnat ? `docker-proxy: ${only}, so other hosts' connections end at the proxy` : 'docker-proxy (no DNAT rule for this port)' };
  if (fromOutside) return { proxy, dnat: dnat!, servedBy: 'dnat', words: `${rule} (${reached}); dockerd only reserves the port` };
  return { proxy, ...(dnat ? { dnat } : {}), servedBy: 'nothing', words: dnat ? `nothing for other hosts: ${only} and dockerd only reserves the port` : 'nothing: dockerd only reserves the port and no DNAT rule sends it on' };
}
