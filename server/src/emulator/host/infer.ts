/**
 * A host model inferred from the rules when no host description exists:
 * the interfaces the rules name, bridge subnets from Docker-style
 * MASQUERADE rules, addresses rules pin to the host in INPUT/OUTPUT,
 * containers behind DNAT targets, and the ports Docker publishes (its DNAT
 * rules in nat DOCKER). Every inferred fact is listed in `assumed`, so
 * traces can say what they took for granted.
 */
import type { RuleSpec } from '../../lang/iptables/ast';
import type { PortRange } from '../../lang/iptables/extensions/matches/ports';
import type { LoadedRule, Ruleset } from '../../lang/iptables/ruleset';
import { RuleCommand } from '../../lang/iptables/ruleLine';
import { RuleModels } from '../../lang/iptables/ruleModels';
import { SlotMap } from '../../lang/iptables/slotMap';
import { FastShape } from '../../lang/iptables/fastRuleLine';
import { describePublished, listenerClash, publishedListener, type PublishedPort } from './docker';
import { connectedRoutes } from './file';
import type { HostModel, Iface, Listener, Peer, Route } from './model';

const BRIDGE_NAME = /^(docker\d+|br-[0-9a-f]+|virbr\d+|cni\d*|docker_gwbridge|lxcbr\d+|cbr\d+)$/;

function addrText(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export interface InferHints {
  /** Interfaces the conversation mentions (e.g. --in eth0). */
  readonly ifaces?: readonly string[];
  /** Addresses the conversation sends to, arriving on an interface. */
  readonly localAddr?: { readonly addr: number; readonly iface: string };
}

/** A published port seen in Docker's `-A DOCKER [-d HOSTIP] [! -i BRIDGE] -p tcp -m tcp --dport H -j DNAT --to-destination C:P`. */
interface DockerDnat {
  readonly port: PublishedPort;
  /** `! -i BRIDGE`: Docker writes it only with the userland proxy on; hairpin mode (proxy off) leaves it out. */
  readonly proxy: boolean;
}

function dockerDnat(s: RuleSpec, to: { addr: number; port?: number }): DockerDnat | undefined {
  const proto = s.proto && !s.proto.invert ? s.proto.text : undefined;
  const m = s.matches.find((x) => x.name === proto);
  const dport = (m?.data as { dport?: PortRange; dportInvert?: boolean } | undefined);
  if ((proto !== 'tcp' && proto !== 'udp') || !dport?.dport || dport.dportInvert || dport.dport[0] !== dport.dport[1]) return undefined;
  const d = s.dst && !s.dst.invert && s.dst.v4.length === 1 && s.dst.v4[0]!.prefix === 32 ? s.dst.v4[0]!.addr : 0;
  const hostPort = dport.dport[0];
  return { port: { proto, hostIp: d, hostPort, containerAddr: to.addr, containerPort: to.port ?? hostPort }, proxy: !!s.inIface?.invert };
}

type Dnat = NonNullable<RuleHints['dnat']>;

/** What one rule tells about the host (see inferHost). */
interface RuleHints {
  readonly ifaces: readonly string[];
  /** Docker: -s SUBNET ! -o BRIDGE -j MASQUERADE. */
  readonly bridgeNet?: { readonly iface: string; readonly net: { addr: number; prefix: number } };
  /** -A INPUT -i IF -d ADDR/32. */
  readonly hostAddr?: { readonly iface: string; readonly addr: number };
  readonly dnat?: { addr: number; port?: number; proto: number };
  readonly published?: DockerDnat;
}

function hintsOfSpec(s: RuleSpec, table: string, chain: string): RuleHints {
  const ifaces: string[] = [];
  for (const i of [s.inIface, s.outIface]) if (i && !i.wildcard && i.name) ifaces.push(i.name);
  let bridgeNet: RuleHints['bridgeNet'];
  if (table === 'nat' && s.target?.kind === 'extension' && s.target.use.name === 'MASQUERADE' && s.outIface?.invert && s.src?.v4.length === 1 && !s.src.invert) {
    const net = s.src.v4[0]!;
    if (net.prefix > 0 && net.prefix < 31) bridgeNet = { iface: s.outIface.name, net: { addr: net.addr, prefix: net.prefix } };
  }
  let hostAddr: RuleHints['hostAddr'];
  if (chain === 'INPUT' && s.dst?.v4.length === 1 && s.dst.v4[0]!.prefix === 32 && !s.dst.invert && s.inIface && !s.inIface.wildcard && !s.inIface.invert) {
    hostAddr = { iface: s.inIface.name, addr: s.dst.v4[0]!.addr };
  }
  let dnat: RuleHints['dnat'];
  let published: DockerDnat | undefined;
  if (s.target?.kind === 'extension' && s.target.use.name === 'DNAT') {
    const d = s.target.use.data as { addrs?: { min: { family: string; v4?: number } }; ports?: { min: number } };
    const a = d.addrs?.min;
    if (a?.family === 'ipv4' && a.v4 !== undefined) dnat = { addr: a.v4, ...(d.ports ? { port: d.ports.min } : {}), proto: s.proto?.num ?? 6 };
    published = table === 'nat' && chain === 'DOCKER' && a?.family === 'ipv4' && a.v4 !== undefined ? dockerDnat(s, { addr: a.v4, ...(d.ports ? { port: d.ports.min } : {}) }) : undefined;
  }
  return { ifaces, ...(bridgeNet ? { bridgeNet } : {}), ...(hostAddr ? { hostAddr } : {}), ...(dnat ? { dnat } : {}), ...(published ? { published } : {}) };
}

/**
 * A rule line's hints, kept on its shape (what a line yields wherever it is): after lines are added
 * or removed, the rules below are new objects, and reading their models again would parse each.
 */
const hintsByShape = new WeakMap<object, { readonly table: string; readonly chain: string; readonly hints: RuleHints }>();

/**
 * Every hint comes from an interface (-i, -o) or a DNAT or MASQUERADE target. A fast line spells
 * them as words of their own; without one of these it has no hints, and its model need not be
 * read (most of a kube dump's rules). Any other line, or any doubt (a comment quoting them), reads it.
 */
const MAY_HINT = /\s-[io]\s|\s-j\s+(?:DNAT|MASQUERADE)/;
const NO_HINTS: RuleHints = { ifaces: [] };

function hintsOf(r: LoadedRule, table: string, chain: string, models: RuleModels): RuleHints {
  const shape = r.command instanceof RuleCommand ? r.command.shape : undefined;
  if (shape instanceof FastShape && !MAY_HINT.test(shape.text)) return NO_HINTS;
  const known = shape ? hintsByShape.get(shape) : undefined;
  if (known && known.table === table && known.chain === chain) return known.hints;
  const hints = hintsOfSpec(r.specFrom(models), table, chain);
  if (shape) hintsByShape.set(shape, { table, chain, hints });
  return hints;
}

/**
 * The hints of a chain's rules that have some, in rule order, kept per rules array: a reparse
 * keeps the chains it did not touch (and their arrays), so the host inferred after an edit reads
 * the hints of the edited chains' rules only (a kube dump: 60,000 chains, 170,000 rules).
 */
const hintsByRules = new WeakMap<readonly LoadedRule[], { readonly table: string; readonly chain: string; readonly hints: readonly RuleHints[] }>();
const NONE: readonly RuleHints[] = [];
/** Chains whose rules' hints were read (not found kept) so far in this process: tests read it. */
let chainsRead = 0;
export function hintChainsRead(): number {
  return chainsRead;
}

function chainHints(rules: readonly LoadedRule[], table: string, chain: string, models: RuleModels): readonly RuleHints[] {
  const known = hintsByRules.get(rules);
  if (known && known.table === table && known.chain === chain) return known.hints;
  chainsRead++;
  let hints: RuleHints[] | undefined;
  for (const r of rules) {
    const h = hintsOf(r, table, chain, models);
    if (h !== NO_HINTS) (hints ??= []).push(h);
  }
  hintsByRules.set(rules, { table, chain, hints: hints ?? NONE });
  return hints ?? NONE;
}

/**
 * Keeps the hints of a rule whose model the compile has just read (compile.ts) on its shape, as
 * hintsOf() would: the host inferred right after a compile (an analysis without a host description)
 * then reads no rule's model a second time (a kube dump's 50,000 DNAT rules: ~0.15 s). Rules with
 * no interface and no DNAT or MASQUERADE have no hints to keep.
 */
export function noteHints(r: LoadedRule, spec: RuleSpec, table: string, chain: string): void {
  const t = spec.target;
  if (!spec.inIface && !spec.outIface && !(t?.kind === 'extension' && (t.use.name === 'DNAT' || t.use.name === 'MASQUERADE'))) return;
  const shape = r.command instanceof RuleCommand ? r.command.shape : undefined;
  if (!(shape instanceof FastShape)) return;
  const known = hintsByShape.get(shape);
  if (known && known.table === table && known.chain === chain) return;
  hintsByShape.set(shape, { table, chain, hints: hintsOfSpec(spec, table, chain) });
}

/**
 * Whether two rulesets, one made from the other by a reparse, imply the same host addresses (what
 * addressFacts reads of inferHost's model): their tables alike, and each chain whose object differs
 * (SlotMap.changed, a pointer comparison per chain) with the same interface, bridge subnet and host
 * address hints in the same order. A kube dump's edited DNAT line has none: its analysis then does
 * not read the hints of 60,000 chains again (~10 ms per edit).
 */
export function sameAddressHints(a: Ruleset, b: Ruleset): boolean {
  if (a.tables.size !== b.tables.size) return false;
  // (A reparse that shares chain maps keeps the tables' order; checked all the same, it costs nothing.)
  const before = [...a.tables.keys()];
  if ([...b.tables.keys()].some((n, i) => before[i] !== n)) return false;
  const models = new RuleModels();
  for (const tb of b.tables.values()) {
    const ta = a.tables.get(tb.name)!;
    if (ta.chains === tb.chains) continue;
    const changed = SlotMap.changed(ta.chains, tb.chains);
    if (!changed) return false;
    for (let k = 0; k < changed.names.length; k++) {
      const n = changed.names[k]!;
      const ca = changed.was[k]!;
      const cb = changed.now[k]!;
      // The same lines, moved (lines added or removed above them): the same hints, not read again (30,000 chains).
      if (sameShapes(ca.rules, cb.rules)) continue;
      if (!sameAddressPart(chainHints(ca.rules, ta.name, n, models), chainHints(cb.rules, tb.name, n, models))) return false;
    }
  }
  return true;
}

/** Whether two chains' rules are rule by rule the same line's text (hints come from a line's text, its table and chain). */
function sameShapes(a: readonly LoadedRule[], b: readonly LoadedRule[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!.command;
    const y = b[i]!.command;
    if (!(x instanceof RuleCommand) || !(y instanceof RuleCommand) || x.shape !== y.shape) return false;
  }
  return true;
}

/**
 * The hints that decide interfaces and their addresses (not DNAT targets or published ports), in order:
 * those of rules that name an interface (a bridge subnet or a host address comes with its interface).
 */
function sameAddressPart(x: readonly RuleHints[], y: readonly RuleHints[]): boolean {
  if (x === y) return true;
  // (Read in place: after a line added, every chain below is compared, 30,000 in a kube dump.)
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < x.length && !x[i]!.ifaces.length) i++;
    while (j < y.length && !y[j]!.ifaces.length) j++;
    if (i === x.length || j === y.length) return i === x.length && j === y.length;
    const a = x[i++]!;
    const b = y[j++]!;
    if (a.ifaces.length !== b.ifaces.length || a.ifaces.some((n, k) => b.ifaces[k] !== n)) return false;
    if (a.bridgeNet?.iface !== b.bridgeNet?.iface || a.bridgeNet?.net.addr !== b.bridgeNet?.net.addr || a.bridgeNet?.net.prefix !== b.bridgeNet?.net.prefix) return false;
    if (a.hostAddr?.iface !== b.hostAddr?.iface || a.hostAddr?.addr !== b.hostAddr?.addr) return false;
  }
}

export function inferHost(rs: Ruleset, hints: InferHints = {}, name = 'host'): HostModel {
  const assumed: string[] = [];
  const names = new Set<string>(hints.ifaces ?? []);
  const bridgeNets = new Map<string, { addr: number; prefix: number }>();
  const hostAddrs = new Map<string, number>();
  const published: DockerDnat[] = [];
  const models = new RuleModels();
  let dnats = 0;
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      for (const h of chainHints(c.rules, t.name, c.name, models)) {
        for (const i of h.ifaces) names.add(i);
        if (h.bridgeNet) bridgeNets.set(h.bridgeNet.iface, h.bridgeNet.net);
        // -A INPUT -i IF -d ADDR/32: traffic to the host on IF (the first such rule).
        if (h.hostAddr && !hostAddrs.has(h.hostAddr.iface)) hostAddrs.set(h.hostAddr.iface, h.hostAddr.addr);
        if (h.dnat) dnats++;
        if (h.published) published.push(h.published);
      }
    }
  }
  // The DNAT targets in rule order, listed on a second pass when first asked for (a traced address, a
  // bridge to put containers behind): a kube dump has 50,000 and no bridge.
  let dnatRead: Dnat[] | undefined;
  const dnat = (): Dnat[] => {
    if (dnatRead) return dnatRead;
    dnatRead = [];
    if (dnats) for (const t of rs.tables.values()) for (const c of t.chains.values()) for (const h of chainHints(c.rules, t.name, c.name, models)) if (h.dnat) dnatRead.push(h.dnat);
    return dnatRead;
  };
  if (names.size === 0) names.add('eth0');
  const ifaces = new Map<string, Iface>();
  ifaces.set('lo', { name: 'lo', kind: 'loopback', up: true, addrs: [{ addr: 0x7f000001, prefix: 8 }], mtu: 65536, routeLocalnet: false, rpFilter: 0 });
  let uplink: string | undefined;
  for (const n of [...names].sort()) {
    if (n === 'lo') continue;
    const isBridge = BRIDGE_NAME.test(n);
    let addrs: Array<{ addr: number; prefix: number }> = [];
    const net = bridgeNets.get(n) ?? (n === 'docker0' ? { addr: 0xac110000, prefix: 16 } : undefined);
    if (isBridge && net) {
      addrs = [{ addr: (net.addr + 1) >>> 0, prefix: net.prefix }];
      assumed.push(`${n} is a bridge with address ${addrText(addrs[0]!.addr)}/${net.prefix}${bridgeNets.has(n) ? ' (from the MASQUERADE rule for its subnet)' : ' (Docker\'s default)'}`);
    } else if (hostAddrs.has(n)) {
      addrs = [{ addr: hostAddrs.get(n)!, prefix: 24 }];
      assumed.push(`${n} has address ${addrText(hostAddrs.get(n)!)}/24 (a rule in INPUT pins it)`);
    } else if (hints.localAddr?.iface === n && !dnat().some((d) => d.addr === hints.localAddr!.addr)) {
      // (A DNAT target is a container, not this host.)
      addrs = [{ addr: hints.localAddr.addr, prefix: 24 }];
      assumed.push(`${n} has address ${addrText(hints.localAddr.addr)}/24 (the traced packet is addressed to it)`);
    } else {
      assumed.push(`${n} exists${isBridge ? ' (a bridge)' : ''}; its address is unknown`);
    }
    if (!isBridge && !uplink) uplink = n;
    ifaces.set(n, { name: n, kind: isBridge ? 'bridge' : 'ethernet', up: true, addrs, mtu: 1500, routeLocalnet: false, rpFilter: 0 });
  }
  const routes: Route[] = connectedRoutes(ifaces.values());
  if (uplink) {
    routes.push({ dst: 0, prefix: 0, dev: uplink, metric: 0, origin: 'default' });
    assumed.push(`the default route leaves through ${uplink}`);
  }
  const peers: Peer[] = [];
  const listeners: Listener[] = [];
  // (Read once, not per DNAT rule: a kube dump has 50,000.)
  const bridges = [...ifaces.values()].filter((i) => i.kind === 'bridge');
  const behind = new Set<number>();
  for (const d of bridges.length ? dnat() : []) {
    const br = bridges.find((i) => i.addrs.some((a) => ((a.addr ^ d.addr) >>> 0) >>> (32 - a.prefix) === 0));
    if (!br || behind.has(d.addr)) continue;
    behind.add(d.addr);
    const port = `veth${peers.length}`;
    peers.push({ name: `container ${addrText(d.addr)}`, addr: d.addr, via: br.name, port, kind: 'container', inferred: true });
    assumed.push(`a container ${addrText(d.addr)} sits behind ${br.name} (a DNAT rule sends traffic to it)`);
  }
  for (const { port: p, proxy } of published) {
    const l = publishedListener(p, proxy);
    if (!behind.has(p.containerAddr) || listenerClash(listeners, l)) continue;
    listeners.push(l);
    assumed.push(`${describePublished(p, proxy)} (inferred from the DNAT rule in nat DOCKER; ${proxy ? "Docker's default userland proxy" : 'the rule has no "! -i" for the bridge, so Docker runs without the userland proxy (hairpin mode)'})`);
  }
  return {
    name,
    ifaces,
    routes,
    sysctls: { ipForward: true, bridgeNfCallIptables: true, tcpLoose: true },
    listeners,
    peers,
    ...(published.length ? { userlandProxy: published[0]!.proxy } : {}),
    assumed: [...assumed, 'net.ipv4.ip_forward = 1', 'net.bridge.bridge-nf-call-iptables = 1'],
  };
}
