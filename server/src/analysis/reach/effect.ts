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
import { rejectReplyPackets } from './rejectReplies';

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

const GOES_ON = new Set(['LOG', 'NFLOG', 'ULOG', 'TRACE', 'CHECKSUM', 'CLASSIFY', 'TOS', 'DSCP', 'ECN', 'SET', 'AUDIT', 'IDLETIMER', 'LED', 'SECMARK', 'CONNSECMARK', 'RATEEST', 'TEE', 'HMARK', 'TCPOPTSTRIP', 'NETMAP_NONE']);
const ENDS = new Set(['REJECT', 'NFQUEUE', 'QUEUE', 'TPROXY', 'SYNPROXY', 'DROP']);

const UNTRACKED = single(CT_STATES.indexOf('UNTRACKED'));
/** What matches see on a packet with a CT template. */
const NEW = single(CT_STATES.indexOf('NEW'));
/** Before conntrack, INVALID stands for "no entry yet". */
const NO_ENTRY = single(CT_STATES.indexOf('INVALID'));
const NO_CONN = [CT_STATES.indexOf('INVALID'), CT_STATES.indexOf('UNTRACKED')];

/**
 * The effects without data, shared: every rule's effect is made once per analysis, and a closure made
 * inside effectOf would keep effectOf's whole context (every variable any of its closures reads) alive
 * for each of a kube dump's 50,000 DNAT rules. The rewrites are made by the small functions below.
 */
const CONTINUE: Effect = { kind: 'continue' };
const ACCEPT: Effect = { kind: 'accept' };
const RETURN: Effect = { kind: 'return' };
const DROP: Effect = { kind: 'drop' };

/** Per space, made once: packets without an output interface, and the indices of every interface. */
const oifSets = new WeakMap<Space, { readonly none: PacketSet; readonly anyOif: IntSet }>();
function outputInterfaces(space: Space): { readonly none: PacketSet; readonly anyOif: IntSet } {
  let s = oifSets.get(space);
  if (!s) oifSets.set(space, (s = { none: where(space, Field.Oif, single(NO_IFACE)), anyOif: range(1, space.max[Field.Oif]!) }));
  return s;
}

/**
 * A new destination at OUTPUT is routed again (ip_route_me_harder): packets with an output
 * interface may leave through any; `must` keeps only those without one (PREROUTING).
 */
function rerouted(space: Space, g: Flow): Flow {
  const { none, anyOif } = outputInterfaces(space);
  const withOif = subtractSets(g.may, none);
  return {
    may: withOif.length ? unionSets(g.may, assign(withOif, Field.Oif, anyOif)) : g.may,
    must: intersectSets(g.must, none),
  };
}

/** A field set to a value the rules do not give: anything may follow, nothing surely does. */
function anyValue(fields: readonly Field[], space: Space, reroute = false): (f: Flow) => Flow {
  const values = fields.map((fd) => range(0, space.max[fd]!));
  return (f) => {
    const g = { may: fields.reduce((s, fd, i) => assign(s, fd, values[i]!), f.may), must: NONE };
    return reroute ? rerouted(space, g) : g;
  };
}

/** A set with its mark (or connection mark) field's bits of `mask` replaced by `value`'s. */
function markSet(field: Field.Mark | Field.Connmark, mask: number, value: number): (s: PacketSet) => PacketSet {
  // One value function per rule: mapField keeps its images.
  const set = (v: number): number => ((v & ~mask) ^ value) >>> 0;
  return (s) => mapField(s, field, set);
}

/** MARK: both bounds exactly. */
function markRewrite(mask: number, value: number): (f: Flow) => Flow {
  const g = markSet(Field.Mark, mask, value);
  return (f) => ({ may: g(f.may), must: g(f.must) });
}

/** Only packets with a connection carry a connection mark to change. */
function connmarkRewrite(space: Space, mask: number, value: number): (f: Flow) => Flow {
  const g = markSet(Field.Connmark, mask, value);
  const noConn = where(space, Field.Ct, fromRanges(NO_CONN.map((i) => [i, i] as [number, number])));
  const h = (s: PacketSet): PacketSet => unionSets(intersectSets(s, noConn), g(subtractSets(s, noConn)));
  return (f) => ({ may: h(f.may), must: h(f.must) });
}

/**
 * NOTRACK (`state` UNTRACKED) and CT's template (`state` NEW: until conntrack, matches see the
 * template, a connection in state NEW) go only on a packet without an entry, and the first one stays:
 * a later CT or NOTRACK leaves a packet that has either alone (checked in the kernel:
 * test/kernel/ctTemplates.kernel.test.ts). One looped back through lo keeps the entry it got in
 * OUTPUT (netstack ignores NOTRACK for it; the kernel too unless it was INVALID), and so may a
 * REJECT's reply at OUTPUT: one to a packet without a connection is INVALID with a bare conntrack
 * word that NOTRACK leaves alone (rejectReplies.ts).
 */
function attachRewrite(space: Space, state: IntSet): (f: Flow) => Flow {
  const noEntry = where(space, Field.Ct, NO_ENTRY);
  const kept = unionSets(where(space, Field.Iif, single(space.ifaces.indexOf('lo'))), rejectReplyPackets(space));
  return (f) => {
    const mayFresh = intersectSets(f.may, noEntry);
    const mustFresh = intersectSets(f.must, noEntry);
    return {
      may: unionSets(unionSets(subtractSets(f.may, noEntry), assign(mayFresh, Field.Ct, state)), intersectSets(mayFresh, kept)),
      must: unionSets(subtractSets(f.must, noEntry), assign(mustFresh, Field.Ct, state)),
    };
  };
}

/** A length 4 bytes longer (one function: mapField keeps its images). */
const GROW_BY_MSS_OPTION = (v: number): number => v + 4;

/**
 * TCPMSS adds a 4-byte MSS option to a TCP segment that has none and carries no data (xt_TCPMSS.c;
 * emulator targets/tcpmss.ts). Options are not modelled here, so a first fragment of 40 to 76 bytes
 * (IPv4's 20 and a TCP header of up to 56: a 60-byte one gets none) may leave 4 bytes longer: `may`
 * keeps both lengths, `must` neither. Every SYN a Linux stack sends has the option already.
 */
function mssRewrite(space: Space): (f: Flow) => Flow {
  const tcp = intersectSets(where(space, Field.Proto, single(6)), where(space, Field.Frag, single(0)));
  const roomy = intersectSets(tcp, where(space, Field.Length, range(40, 76)));
  return (f) => {
    const could = intersectSets(f.may, roomy);
    return { may: could.length ? unionSets(f.may, mapField(could, Field.Length, GROW_BY_MSS_OPTION)) : f.may, must: subtractSets(f.must, roomy) };
  };
}

/** DNAT or SNAT to known addresses and ports (either may be absent: kept as they are); DNAT reroutes. */
function natRewrite(space: Space, dnat: boolean, addrs: IntSet | undefined, ports: IntSet | undefined): (f: Flow) => Flow {
  const addrField = dnat ? Field.Dst : Field.Src;
  const portField = dnat ? Field.Dport : Field.Sport;
  const g = (s: PacketSet): PacketSet => {
    const out = addrs ? assign(s, addrField, addrs) : s;
    return ports ? assign(out, portField, ports) : out;
  };
  return (f) => {
    const h = { may: g(f.may), must: g(f.must) };
    return dnat ? rerouted(space, h) : h;
  };
}

export function effectOf(space: Space, r: EmuRule, table: string): Effect {
  const t = r.target;
  if (t.kind === 'none') return CONTINUE;
  if (t.kind === 'verdict') return t.verdict === 'ACCEPT' ? ACCEPT : t.verdict === 'RETURN' ? RETURN : DROP;
  // (The compiled jump is the effect as it is: 120,000 jumps in a kube dump.)
  if (t.kind === 'jump') return t;
  const d = t.data;
  switch (t.name) {
    case 'MARK': {
      const m = d as MarkTarget;
      if (!space.mark.modelled) return { kind: 'continue', rewrite: anyValue([Field.Mark], space) };
      return { kind: 'continue', rewrite: markRewrite(space.mark.compress(m.mask), space.mark.compress(m.value)) };
    }
    case 'CONNMARK': {
      const c = d as ConnmarkTarget;
      if (c.mode === 'save') return { kind: 'continue', rewrite: anyValue([Field.Connmark], space) };
      if (c.mode === 'restore') return { kind: 'continue', rewrite: anyValue([Field.Mark], space) };
      if (!space.connmark.modelled) return { kind: 'continue', rewrite: anyValue([Field.Connmark], space) };
      return { kind: 'continue', rewrite: connmarkRewrite(space, space.connmark.compress(c.ctmask), space.connmark.compress(c.ctmark)) };
    }
    case 'CT':
    case 'NOTRACK': {
      const c = d as CtTarget;
      if (!c.notrack && t.name !== 'NOTRACK') return { kind: 'continue', rewrite: attachRewrite(space, NEW) };
      return { kind: 'continue', rewrite: attachRewrite(space, UNTRACKED) };
    }
    case 'DNAT':
    case 'SNAT':
      return table === 'nat' ? natEffect(space, t.name === 'DNAT', d as NatTarget) : { kind: 'unknown', name: t.name };
    case 'MASQUERADE':
      return { kind: 'nat', rewrite: anyValue([Field.Src, Field.Sport], space) };
    case 'REDIRECT':
      return { kind: 'nat', rewrite: anyValue([Field.Dst, Field.Dport], space, true) };
    case 'NETMAP':
      return { kind: 'nat', rewrite: anyValue([Field.Src, Field.Dst], space, true) };
    case 'TTL':
      return { kind: 'continue', rewrite: anyValue([Field.Ttl], space) };
    case 'TCPMSS':
      return { kind: 'continue', rewrite: mssRewrite(space) };
    default:
      if (ENDS.has(t.name)) return DROP;
      if (GOES_ON.has(t.name)) return CONTINUE;
      return { kind: 'unknown', name: t.name };
  }
}

function natEffect(space: Space, dnat: boolean, n: NatTarget): Effect {
  const a = n.addrs;
  const addrField = dnat ? Field.Dst : Field.Src;
  const portField = dnat ? Field.Dport : Field.Sport;
  // Another family's addresses, or ports kept from a base (--to-ports with a base): any value.
  if ((a && (a.min.family !== 'ipv4' || a.max.family !== 'ipv4')) || n.ports?.base) return { kind: 'nat', rewrite: anyValue([addrField, portField], space, dnat) };
  const addrs = a && a.min.family === 'ipv4' && a.max.family === 'ipv4' ? range(a.min.v4, a.max.v4) : undefined;
  const ports = n.ports ? range(n.ports.min, n.ports.max) : undefined;
  return { kind: 'nat', rewrite: natRewrite(space, dnat, addrs, ports) };
}
