/**
 * The packets a rule's conditions accept, as two packet sets: `upper` holds
 * every packet that may match, `lower` only packets that surely match. They
 * are equal when every condition is modelled exactly; a condition we cannot
 * decide from the rules alone (an ipset's members, a rate limit, a u32
 * expression, the socket's owner) leaves `lower` short of `upper` and is
 * named in `conditions`, so answers can say "reachable only if …".
 */
import type { CompiledMatch, EmuRule } from '../../emulator/compile';
import type { ConnmarkMatch } from '../../lang/iptables/extensions/matches/connmark';
import type { ConntrackMatch } from '../../lang/iptables/extensions/matches/conntrack';
import type { IcmpMatch } from '../../lang/iptables/extensions/matches/icmp';
import type { IprangeMatch } from '../../lang/iptables/extensions/matches/iprange';
import type { LengthMatch } from '../../lang/iptables/extensions/matches/length';
import type { MarkMatch } from '../../lang/iptables/extensions/matches/mark';
import type { MultiportMatch } from '../../lang/iptables/extensions/matches/multiport';
import type { PkttypeMatch } from '../../lang/iptables/extensions/matches/pkttype';
import type { StateMatch } from '../../lang/iptables/extensions/matches/state';
import type { TcpMatch } from '../../lang/iptables/extensions/matches/tcp';
import type { TtlMatch } from '../../lang/iptables/extensions/matches/ttl';
import type { UdpMatch } from '../../lang/iptables/extensions/matches/udp';
import type { AddrtypeMatch } from '../../lang/iptables/extensions/matches/addrtype';
import { ctValues, Field, PKT_TYPES, type Space } from './fields';
import { Conjunction, exact } from './conjunction';
import { EMPTY, fromRanges, intersect, isEmptySet, masked, range, single, subtract, type IntSet } from './intSet';
import { all, fullBox, intersectSets, kept, NONE, subtractSets, unionSets, where, type PacketSet } from './packetSet';
import { impossibleTcp, someOddFlags } from './impossibleTcp';

export interface RuleMatch {
  readonly upper: PacketSet;
  readonly lower: PacketSet;
  /** Why lower < upper (conditionText() puts each in words). */
  readonly conditions: readonly Condition[];
}

/**
 * A condition the analysis cannot decide: words, or a match whose text is written when read (a
 * kube dump's 40,000 statistic matches: writing each reads its rule's line again, and only hover
 * and findings on that rule read it).
 */
export type Condition = string | { readonly text: string };

export function conditionText(c: Condition): string {
  return typeof c === 'string' ? c : c.text;
}

/** What the analysis knows about the host's addresses (for addrtype). */
export interface AddressFacts {
  /** Addresses addrtype calls LOCAL (the three sets are disjoint, multicast aside). */
  readonly local: IntSet;
  /** BROADCAST: 0.0.0.0/8, 255.255.255.255 and the directed broadcasts that are not LOCAL. */
  readonly broadcast: IntSet;
  /** Destinations routing delivers to INPUT. */
  readonly delivered: IntSet;
  /** The host's interface addresses themselves (127.0.0.1, not the rest of 127/8): a martian source from outside (martians.ts). */
  readonly own: IntSet;
  /** False when guessed from the rules (no host description): then they only pick example packets, never exclude any. */
  readonly exact?: boolean;
}

const MULTICAST = range(0xe0000000, 0xefffffff);

const unknownMatch = (space: Space, why: Condition): RuleMatch => ({ upper: all(space), lower: NONE, conditions: [why] });

const NO_CONDITIONS: readonly string[] = [];

function notIn(space: Space, f: Field, values: IntSet): IntSet {
  return subtract(range(0, space.max[f]!), values);
}

function sel(space: Space, f: Field, values: IntSet, invert = false): PacketSet {
  return where(space, f, invert ? notIn(space, f, values) : values);
}

/** A contiguous netmask as a range of addresses; undefined for odd masks like 255.0.255.0. */
function netRange(addr: number, mask: number): IntSet | undefined {
  const inv = (~mask) >>> 0;
  if (((inv + 1) & inv) !== 0) return undefined;
  return range(addr >>> 0, (addr | inv) >>> 0);
}

/**
 * The packets whose fields lie in the given sets (others free): the box the intersection of
 * one `where` per field gives, built at once (NONE when a set leaves no value).
 */
function boxWhere(space: Space, fields: ReadonlyArray<readonly [Field, IntSet]>): PacketSet {
  const b = fullBox(space).slice();
  for (const [f, values] of fields) {
    const v = intersect(b[f]!, values);
    if (isEmptySet(v)) return NONE;
    b[f] = v;
  }
  return [b];
}

function portsOf(r: readonly [number, number]): IntSet {
  return range(r[0], r[1]);
}


function markSet(space: Space, f: Field.Mark | Field.Connmark, mask: number, value: number): IntSet | undefined {
  const bits = f === Field.Mark ? space.mark : space.connmark;
  if (!bits.modelled) return undefined;
  // Bits outside the modelled ones are never tested; a value with such a bit set under the mask can never match.
  if ((((value >>> 0) & ~bits.expand(bits.max)) >>> 0) & (mask >>> 0)) return EMPTY;
  return masked(bits.compress(mask), bits.compress(value & mask), bits.bits.length);
}

function matchSet(space: Space, m: CompiledMatch, addrs: AddressFacts | undefined): RuleMatch {
  const d = m.data;
  switch (m.name) {
    case 'comment':
      return exact(all(space));
    case 'tcp':
    case 'udp': {
      const t = d as TcpMatch | UdpMatch;
      const fields: Array<[Field, IntSet]> = [
        [Field.Proto, single(m.name === 'tcp' ? 6 : 17)],
        [Field.Frag, single(0)],
        [Field.Sport, selValues(space, Field.Sport, portsOf(t.sport), t.sportInvert)],
        [Field.Dport, selValues(space, Field.Dport, portsOf(t.dport), t.dportInvert)],
      ];
      const flags = (t as TcpMatch).flags;
      const flagSet = flags ? tcpFlagValues(flags) : undefined;
      if (flagSet) fields.push([Field.TcpFlags, flagSet]);
      let s = boxWhere(space, fields);
      // Packets with flags conntrack refuses exist only INVALID or UNTRACKED, SYN-ACKs never NEW or RELATED.
      if (flagSet && someOddFlags(flagSet)) s = subtractSets(s, impossibleTcp(space));
      const option = (t as TcpMatch).option;
      return option ? { upper: s, lower: NONE, conditions: [`TCP option ${option.kind} ${option.invert ? 'absent' : 'present'}`] } : exact(s);
    }
    case 'multiport': {
      const t = d as MultiportMatch;
      const ports = fromRanges(t.ports);
      const base = sel(space, Field.Frag, single(0));
      const hit = t.field === 'source' ? sel(space, Field.Sport, ports)
        : t.field === 'destination' ? sel(space, Field.Dport, ports)
        : unionSets(sel(space, Field.Sport, ports), sel(space, Field.Dport, ports));
      return exact(intersectSets(base, t.invert ? subtractSets(all(space), hit) : hit));
    }
    case 'icmp': {
      const t = d as IcmpMatch;
      const codes = t.type === 0xff ? range(0, 65535) : range(t.type * 256 + t.codes[0], t.type * 256 + Math.min(t.codes[1], 255));
      return exact(boxWhere(space, [[Field.Proto, single(1)], [Field.Frag, single(0)], [Field.Icmp, selValues(space, Field.Icmp, codes, t.invert)]]));
    }
    case 'state': {
      const t = d as StateMatch;
      return exact(sel(space, Field.Ct, ctValues(t.states), t.invert));
    }
    case 'conntrack': {
      const t = d as ConntrackMatch;
      const virtual = t.state?.states.some((s) => s === 'SNAT' || s === 'DNAT');
      const others = t.proto || t.origSrc || t.origDst || t.replSrc || t.replDst || t.origSrcPort || t.origDstPort || t.replSrcPort || t.replDstPort || t.status || t.expire || (t as { direction?: string }).direction;
      let upper = all(space);
      let lower = all(space);
      const conditions: string[] = [];
      if (t.state) {
        const real = ctValues(t.state.states);
        if (!virtual) upper = lower = sel(space, Field.Ct, real, t.state.invert);
        else {
          conditions.push('the connection was NATed (--ctstate SNAT/DNAT)');
          upper = t.state.invert ? sel(space, Field.Ct, real, true) : all(space);
          lower = t.state.invert ? NONE : sel(space, Field.Ct, real);
        }
      }
      if (others) {
        // Without a connection (INVALID, UNTRACKED) only the state test counts: with none, such a
        // packet never matches (conntrack_mt). With one, only the other tests are undecided.
        const untracked = sel(space, Field.Ct, ctValues(['INVALID', 'UNTRACKED']));
        if (!t.state) {
          upper = subtractSets(upper, untracked);
          lower = NONE;
        } else lower = intersectSets(lower, untracked);
        conditions.push('the connection matches the --ct* tuple, status or expiry tests');
      }
      return { upper, lower, conditions };
    }
    case 'mark':
    case 'connmark': {
      const t = d as MarkMatch | ConnmarkMatch;
      const f = m.name === 'mark' ? Field.Mark : Field.Connmark;
      const vals = markSet(space, f, t.mask, t.value);
      if (!vals) return unknownMatch(space, `${m.name} ${t.invert ? '!' : ''}0x${(t.value >>> 0).toString(16)}/0x${(t.mask >>> 0).toString(16)} (too many mark bits in use to model)`);
      let s = sel(space, f, vals, t.invert);
      // connmark never matches a packet without a connection.
      if (f === Field.Connmark) s = subtractSets(s, sel(space, Field.Ct, ctValues(['INVALID', 'UNTRACKED'])));
      return exact(s);
    }
    case 'length': {
      const t = d as LengthMatch;
      return exact(sel(space, Field.Length, range(t.range[0], Math.min(t.range[1], 65535)), t.invert));
    }
    case 'ttl': {
      const t = d as TtlMatch;
      const v = t.value;
      const vals = t.op === 'eq' ? single(v) : t.op === 'ne' ? notIn(space, Field.Ttl, single(v)) : t.op === 'lt' ? range(0, v - 1) : range(v + 1, 255);
      return exact(sel(space, Field.Ttl, vals));
    }
    case 'pkttype': {
      const t = d as PkttypeMatch;
      const i = (PKT_TYPES as readonly string[]).indexOf(t.type);
      return exact(sel(space, Field.PktType, i < 0 ? EMPTY : single(i), t.invert));
    }
    case 'iprange': {
      const t = d as IprangeMatch;
      let s = all(space);
      for (const [r, f] of [[t.src, Field.Src], [t.dst, Field.Dst]] as const) {
        if (!r) continue;
        if (typeof r.from !== 'number' || typeof r.to !== 'number') return exact(NONE);
        s = intersectSets(s, sel(space, f, range(r.from, r.to), r.invert));
      }
      return exact(s);
    }
    case 'addrtype': {
      const t = d as AddrtypeMatch;
      if (!addrs || t.limitIface) return unknownMatch(space, 'the address types (addrtype) of this host');
      let s = all(space);
      for (const [c, f] of [[t.src, Field.Src], [t.dst, Field.Dst]] as const) {
        if (!c) continue;
        let vals: IntSet = EMPTY;
        for (const ty of c.types) {
          const add = ty === 'LOCAL' ? addrs.local
            : ty === 'BROADCAST' ? addrs.broadcast
            : ty === 'MULTICAST' ? MULTICAST
            : ty === 'UNICAST' ? subtract(subtract(subtract(range(0, 0xffffffff), addrs.local), MULTICAST), addrs.broadcast)
            : undefined;
          if (add === undefined) return unknownMatch(space, `addrtype ${ty} (route types this analysis does not model)`);
          vals = fromRanges([...pairs(vals), ...pairs(add)]);
        }
        s = intersectSets(s, sel(space, f, vals, c.invert));
      }
      return addrs.exact === false ? { upper: all(space), lower: s, conditions: ['address types as guessed from the rules (no host description)'] } : exact(s);
    }
    default:
      return unknownMatch(space, m);
  }
}

function* pairs(s: IntSet): Generator<[number, number]> {
  for (let i = 0; i < s.length; i += 2) yield [s[i]!, s[i + 1]!];
}

/** The values of field f a selection leaves (as `sel`: inverted, then within the field's range). */
function selValues(space: Space, f: Field, values: IntSet, invert = false): IntSet {
  return intersect(invert ? notIn(space, f, values) : values, range(0, space.max[f]!));
}

/** The flag bytes `--tcp-flags MASK COMP` (or `--syn`) accepts. */
export function tcpFlagValues(flags: NonNullable<TcpMatch['flags']>): IntSet {
  const vals: Array<[number, number]> = [];
  for (let v = 0; v < 256; v++) if (((v & flags.mask) === flags.cmp) !== flags.invert) vals.push([v, v]);
  return fromRanges(vals);
}

/** The rule's conditions: header (addresses, interfaces, protocol, fragment) and every match. */
export function ruleMatch(space: Space, r: EmuRule, addrs?: AddressFacts): RuleMatch {
  const acc = new Conjunction(space);
  // Most rules have none: one shared empty list for them.
  let conditions: readonly Condition[] | undefined;
  for (const [nm, f] of [[r.src, Field.Src], [r.dst, Field.Dst]] as const) {
    if (!nm) continue;
    const vals = netRange(nm.addr, nm.mask);
    if (vals) acc.narrow(f, selValues(space, f, vals, nm.invert));
    else acc.and(unknownMatch(space, `${nm.text} (a non-contiguous netmask)`));
  }
  for (const [im, f] of [[r.iif, Field.Iif], [r.oif, Field.Oif]] as const) {
    if (!im) continue;
    const idx = space.ifaces.matching(im.name, im.prefix);
    const vals = fromRanges(idx.map((i) => [i, i] as [number, number]));
    // The kernel compares the empty name when there is no interface: "! -i eth0" matches in OUTPUT, "-i +" matches everything.
    acc.narrow(f, selValues(space, f, vals, im.invert));
  }
  if (r.proto && r.proto.num !== 0) acc.narrow(Field.Proto, selValues(space, Field.Proto, single(r.proto.num), r.proto.invert));
  else if (r.proto && r.proto.invert) acc.and(exact(NONE));
  if (r.frag) acc.narrow(Field.Frag, selValues(space, Field.Frag, single(1), r.frag.invert));
  for (const m of r.matches) {
    const ms = matchSet(space, m, addrs);
    acc.and(ms);
    // The first match's own list when it is the only one with conditions (most such rules).
    if (ms.conditions.length) conditions = conditions ? [...conditions, ...ms.conditions] : ms.conditions;
    if (acc.empty) break;
  }
  const v = acc.value();
  const upper = kept(v.upper);
  return { upper, lower: v.lower === v.upper ? upper : kept(v.lower), conditions: conditions ?? NO_CONDITIONS };
}
