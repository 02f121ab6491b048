/**
 * What a rule's target does to the packets it matches, for the analysis:
 * end the table's walk (accept, drop), return, jump or go to a chain, or go
 * on — possibly rewritten (MARK, CONNMARK, NOTRACK, NAT). Rewrites that
 * depend on what the rules do not say (MASQUERADE's address, CONNMARK
 * --restore-mark) keep every value as possible in `may` and nothing in
 * `must`.
 */
import type { EmuRule } from '../../emulator/compile';
import type { ConnmarkTarget } from '../../lang/iptables/extensions/targets/CONNMARK';
import type { CtTarget } from '../../lang/iptables/extensions/targets/CT';
import type { MarkTarget } from '../../lang/iptables/extensions/targets/MARK';
import type { NatTarget } from '../../lang/iptables/extensions/targets/NAT';
import { CT_STATES, Field, NO_IFACE, type Space } from '../space/fields';
import { fromRanges, range, single, type IntSet } from '../space/intSet';
import { assign, intersectSets, mapField, NONE, subtractSets, unionSets, where, type PacketSet } from '../space/packetSet';
import type { Flow } from './flow';

export type Effect =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'return' }
  | { readonly kind: 'jump'; readonly chain: string; readonly goto: boolean }
  | { readonly kind: 'continue'; readonly rewrite?: (f: Flow) => Flow }
  /** A NAT target: the packets are accepted for this table, rewritten. */
  | { readonly kind: 'nat'; readonly rewrite: (f: Flow) => Flow }
  /** A target we do not model: it may end the walk or not. */
  | { readonly kind: 'unknown'; readonly name: string };

const GOES_ON = new Set(['LOG', 'NFLOG', 'ULOG', 'TRACE', 'CHECKSUM', 'CLASSIFY', 'TCPMSS', 'TOS', 'DSCP', 'ECN', 'SET', 'AUDIT', 'IDLETIMER', 'LED', 'SECMARK', 'CONNSECMARK', 'RATEEST', 'TEE', 'HMARK', 'TCPOPTSTRIP', 'NETMAP_NONE']);
const ENDS = new Set(['REJECT', 'NFQUEUE', 'QUEUE', 'TPROXY', 'SYNPROXY', 'DROP']);

const UNTRACKED = single(CT_STATES.indexOf('UNTRACKED'));
/** Before conntrack, INVALID stands for "no entry yet". */
const NO_ENTRY = single(CT_STATES.indexOf('INVALID'));
const NO_CONN = [CT_STATES.indexOf('INVALID'), CT_STATES.indexOf('UNTRACKED')];

/**
 * A new destination at OUTPUT is routed again (ip_route_me_harder): packets with an output
 * interface may leave through any; `must` keeps only those without one (PREROUTING).
 */
const rerouted = (space: Space, rw: (f: Flow) => Flow): ((f: Flow) => Flow) => {
  const { none, anyOif } = outputInterfaces(space);
  return (f) => {
    const g = rw(f);
    const withOif = subtractSets(g.may, none);
    return {
      may: withOif.length ? unionSets(g.may, assign(withOif, Field.Oif, anyOif)) : g.may,
      must: intersectSets(g.must, none),
    };
  };
};

/** Per space, made once: packets without an output interface, and the indices of every interface. */
const oifSets = new WeakMap<Space, { readonly none: PacketSet; readonly anyOif: IntSet }>();
function outputInterfaces(space: Space): { readonly none: PacketSet; readonly anyOif: IntSet } {
  let s = oifSets.get(space);
  if (!s) oifSets.set(space, (s = { none: where(space, Field.Oif, single(NO_IFACE)), anyOif: range(1, space.max[Field.Oif]!) }));
  return s;
}

/** Both bounds rewritten exactly. */
const exactly = (g: (s: PacketSet) => PacketSet) => (f: Flow): Flow => ({ may: g(f.may), must: g(f.must) });
/** A field set to a value the rules do not give: anything may follow, nothing surely does. */
const anyValue = (fields: readonly Field[], space: Space): ((f: Flow) => Flow) => {
  const values = fields.map((fd) => range(0, space.max[fd]!));
  return (f) => ({ may: fields.reduce((s, fd, i) => assign(s, fd, values[i]!), f.may), must: NONE });
};

export function effectOf(space: Space, r: EmuRule, table: string): Effect {
  const t = r.target;
  if (t.kind === 'none') return { kind: 'continue' };
  if (t.kind === 'verdict') return t.verdict === 'ACCEPT' ? { kind: 'accept' } : t.verdict === 'RETURN' ? { kind: 'return' } : { kind: 'drop' };
  if (t.kind === 'jump') return { kind: 'jump', chain: t.chain, goto: t.goto };
  const d = t.data;
  switch (t.name) {
    case 'MARK': {
      const m = d as MarkTarget;
      if (!space.mark.modelled) return { kind: 'continue', rewrite: anyValue([Field.Mark], space) };
      const cm = space.mark.compress(m.mask);
      const cv = space.mark.compress(m.value);
      // One value function per rule: mapField keeps its images.
      const set = (v: number): number => ((v & ~cm) ^ cv) >>> 0;
      return { kind: 'continue', rewrite: exactly((s) => mapField(s, Field.Mark, set)) };
    }
    case 'CONNMARK': {
      const c = d as ConnmarkTarget;
      if (c.mode === 'save') return { kind: 'continue', rewrite: anyValue([Field.Connmark], space) };
      if (c.mode === 'restore') return { kind: 'continue', rewrite: anyValue([Field.Mark], space) };
      if (!space.connmark.modelled) return { kind: 'continue', rewrite: anyValue([Field.Connmark], space) };
      const cm = space.connmark.compress(c.ctmask);
      const cv = space.connmark.compress(c.ctmark);
      const set = (v: number): number => ((v & ~cm) ^ cv) >>> 0;
      // Only packets with a connection carry a connection mark to change.
      const noConn = where(space, Field.Ct, fromRanges(NO_CONN.map((i) => [i, i] as [number, number])));
      return {
        kind: 'continue',
        rewrite: exactly((s) => unionSets(intersectSets(s, noConn), mapField(subtractSets(s, noConn), Field.Connmark, set))),
      };
    }
    case 'CT':
    case 'NOTRACK': {
      const c = d as CtTarget;
      if (!c.notrack && t.name !== 'NOTRACK') return { kind: 'continue' };
      // Only a packet without an entry becomes untracked. One looped back through lo keeps the
      // entry it got in OUTPUT (netstack ignores NOTRACK for it; the kernel too unless it was INVALID).
      const noEntry = where(space, Field.Ct, NO_ENTRY);
      const lo = where(space, Field.Iif, single(space.ifaces.indexOf('lo')));
      return {
        kind: 'continue',
        rewrite: (f) => {
          const mayFresh = intersectSets(f.may, noEntry);
          const mustFresh = intersectSets(f.must, noEntry);
          return {
            may: unionSets(unionSets(subtractSets(f.may, noEntry), assign(mayFresh, Field.Ct, UNTRACKED)), intersectSets(mayFresh, lo)),
            must: unionSets(subtractSets(f.must, noEntry), assign(mustFresh, Field.Ct, UNTRACKED)),
          };
        },
      };
    }
    case 'DNAT':
    case 'SNAT': {
      if (table !== 'nat') return { kind: 'unknown', name: t.name };
      const n = d as NatTarget;
      const a = n.addrs;
      const addrField = t.name === 'DNAT' ? Field.Dst : Field.Src;
      const portField = t.name === 'DNAT' ? Field.Dport : Field.Sport;
      const route = (rw: (f: Flow) => Flow) => (t.name === 'DNAT' ? rerouted(space, rw) : rw);
      if (a && (a.min.family !== 'ipv4' || a.max.family !== 'ipv4')) return { kind: 'nat', rewrite: route(anyValue([addrField, portField], space)) };
      const addrs = a && a.min.family === 'ipv4' && a.max.family === 'ipv4' ? range(a.min.v4, a.max.v4) : undefined;
      const ports = n.ports && !n.ports.base ? range(n.ports.min, n.ports.max) : undefined;
      if (n.ports?.base) return { kind: 'nat', rewrite: route(anyValue([addrField, portField], space)) };
      return {
        kind: 'nat',
        rewrite: route(exactly((s) => {
          let out = addrs ? assign(s, addrField, addrs) : s;
          if (ports) out = assign(out, portField, ports);
          return out;
        })),
      };
    }
    case 'MASQUERADE':
      return { kind: 'nat', rewrite: anyValue([Field.Src, Field.Sport], space) };
    case 'REDIRECT':
      return { kind: 'nat', rewrite: rerouted(space, anyValue([Field.Dst, Field.Dport], space)) };
    case 'NETMAP':
      return { kind: 'nat', rewrite: rerouted(space, anyValue([Field.Src, Field.Dst], space)) };
    case 'TTL':
      return { kind: 'continue', rewrite: anyValue([Field.Ttl], space) };
    default:
      if (ENDS.has(t.name)) return { kind: 'drop' };
      if (GOES_ON.has(t.name)) return { kind: 'continue' };
      return { kind: 'unknown', name: t.name };
  }
}
