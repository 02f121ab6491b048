/**
 * A packet is ESTABLISHED only once its connection's answer has passed conntrack tracked, and an
 * ICMP error RELATED only when the packet it quotes was tracked. When raw rules NOTRACK every answer
 * a packet can have, the kernel never gives it that state: the answers leave the entry unanswered,
 * so a TCP client's ACKs are INVALID and a UDP or ping answer NEW (checked in the kernel:
 * test/kernel/notrackAnswers.kernel.test.ts). `must`, the packets surely reaching a rule, keeps
 * ESTABLISHED and RELATED only for packets some tracked answer can exist for; `may` is left alone.
 *
 * Where an answer meets conntrack follows from the way a packet passes the host: to a packet
 * arriving on I and delivered, the host answers from OUTPUT out of I (routing taken as symmetric);
 * to one forwarded out of J, the answer arrives on J; to one the host sends out of O, the answer
 * arrives on some interface, or, sent out of lo, is sent by the host out of lo.
 *
 * The untracked packets are over-estimated by every NOTRACK (or CT --notrack) rule's conditions,
 * marks ignored (earlier raw rules may set them): more is taken out of `must`, never too little.
 */
import type { EmuRule, EmuRuleset } from '../../emulator/compile';
import { ctValues, Field, NO_IFACE, type Box, type Space } from '../space/fields';
import { range, single, subtract, type IntSet } from '../space/intSet';
import { assign, fullBox, intersectSets, NONE, subtractSets, unionSets, where, type PacketSet } from '../space/packetSet';
import { untracksPackets } from '../space/build';
import { ruleMatch } from '../space/ruleMatch';
import type { CtTemplates } from './ctTemplates';
import { icmpErrors } from './icmpTypes';

/** Per place a packet meets conntrack or is routed: the packets of `must` to drop there. */
export interface NeverAnswered {
  /** At PREROUTING's conntrack (answered from OUTPUT if delivered, on the way out if forwarded). */
  readonly prerouting: PacketSet;
  /** Entering INPUT: answered from OUTPUT. */
  readonly input: PacketSet;
  /** Entering FORWARD: answered on the way out. */
  readonly forward: PacketSet;
  /** At OUTPUT's conntrack. */
  readonly output: PacketSet;
  /**
   * Arriving on lo, in any state: sent by the host, such a packet may have been NOTRACKed on its way
   * out, and keeps that (it meets conntrack only in OUTPUT). One a packet socket writes onto lo skips
   * OUTPUT and is looked up on arrival: real, but left out of `must`.
   */
  readonly looped: PacketSet;
}

const NOTHING: NeverAnswered = { prerouting: NONE, input: NONE, forward: NONE, output: NONE, looped: NONE };

/**
 * Packets of `must` in states conntrack gives them only with a tracked answer, where no answer can be
 * tracked. A CT zone counts as well: an answer looked up in another zone than its connection's finds
 * nothing (checked in the kernel: test/kernel/ctTemplates.kernel.test.ts), so where a zone rule may
 * put a packet or its answers in a zone, `must` keeps no such state (not asking whether both ways
 * get the same zone).
 */
export function neverAnswered(rs: EmuRuleset, space: Space, natBinds: boolean, templates: CtTemplates): NeverAnswered {
  if ((!space.untracks && !templates.zoned.length) || !rs.conntrackActive) return NOTHING;
  const zoned = atRawHooks(space, templates.zoned, natBinds);
  const untracked = atRawHooks(space, untrackingRules(rs), false);
  // Answers that may miss their connection: untracked, or looked up in a zone. Whole packets only: with
  // conntrack running, fragments are put together before raw (a later fragment's "ports" are no ports).
  const tracked = subtractSets(where(space, Field.Frag, single(0)), unionSets(untracked, zoned));
  const lo = single(space.ifaces.indexOf('lo'));
  const loopedOut = intersectSets(intersectSets(untracked, where(space, Field.Iif, single(NO_IFACE))), where(space, Field.Oif, lo));
  const looped = assign(assign(loopedOut, Field.Iif, lo), Field.Oif, single(NO_IFACE));
  // The connection's tuple is the answer's turned round; a NAT binding may change it, then only the protocol is known.
  const est = answerable(space, tracked, natBinds ? [Field.Proto] : [Field.Src, Field.Dst, Field.Proto, Field.Sport, Field.Dport]);
  // An error goes to the sender of the packet it quotes: that packet's source is the error's destination.
  const rel = answerable(space, tracked, natBinds ? [] : [Field.Src]);
  const inState = where(space, Field.Ct, ctValues(['ESTABLISHED']));
  const errors = intersectSets(where(space, Field.Ct, ctValues(['RELATED'])), icmpErrors(space));
  const { real, none } = ifaceSets(space);
  // A packet that may be in a zone itself: as its raw hook saw it (in on an interface, or out), at any place after.
  const zonedIn = assign(intersectSets(zoned, where(space, Field.Oif, none)), Field.Oif, range(0, space.max[Field.Oif]!));
  const zonedOut = intersectSets(zoned, where(space, Field.Iif, none));
  // Each as packets have it there (in on an interface, out on one, or both), so that `must` meets no box it cannot hold.
  const never = (pick: (a: Answerable) => PacketSet, iif: IntSet, oif: IntSet, ownZone: PacketSet): PacketSet => {
    const at = intersectSets(where(space, Field.Iif, iif), where(space, Field.Oif, oif));
    const unanswered = unionSets(subtractSets(inState, pick(est)), subtractSets(errors, pick(rel)));
    return intersectSets(unionSets(unanswered, intersectSets(unionSets(inState, errors), ownZone)), at);
  };
  return {
    prerouting: never((a) => a.prerouting, real, none, zonedIn),
    input: never((a) => a.input, real, none, zonedIn),
    forward: never((a) => a.forward, real, real, zonedIn),
    output: never((a) => a.output, none, real, zonedOut),
    looped,
  };
}

/** The packets, as each place sees them, that some tracked answer can exist for. */
interface Answerable {
  readonly prerouting: PacketSet;
  readonly input: PacketSet;
  readonly forward: PacketSet;
  readonly output: PacketSet;
}

function answerable(space: Space, tracked: PacketSet, keep: readonly Field[]): Answerable {
  const { real, none, lo, loExact } = ifaceSets(space);
  const sent = intersectSets(intersectSets(tracked, where(space, Field.Iif, none)), where(space, Field.Oif, real));
  // Answers arriving: on lo only what the host sent, which met conntrack in OUTPUT.
  const arrivingOn = loExact ? subtract(real, single(lo)) : real;
  const arrived = intersectSets(intersectSets(tracked, where(space, Field.Oif, none)), where(space, Field.Iif, arrivingOn));
  // Turned round: in on the interface the host answers out of (iif none, oif I becomes iif I, oif none).
  const byHost = turned(space, sent, keep);
  const fromOut = turned(space, arrived, keep); // iif none, oif J: J is where the packet was forwarded or sent out
  const forward = assign(fromOut, Field.Iif, real);
  const prerouting = unionSets(byHost, assign(forward, Field.Oif, none));
  const viaLo = loExact ? intersectSets(sent, where(space, Field.Oif, single(lo))) : intersectSets(sent, where(space, Field.Oif, real));
  const overLo = assign(assign(turned(space, viaLo, keep), Field.Iif, none), Field.Oif, loExact ? single(lo) : real);
  const sentOut = assign(fromOut, Field.Oif, loExact ? subtract(real, single(lo)) : real);
  return { prerouting, input: byHost, forward, output: unionSets(sentOut, overLo) };
}

/**
 * The interface sets both read: every real interface, none (0), lo's index and whether that entry is lo
 * itself (a space names lo always; the check keeps a wildcard's entry from being taken for it).
 */
function ifaceSets(space: Space): { real: IntSet; none: IntSet; lo: number; loExact: boolean } {
  const lo = space.ifaces.indexOf('lo');
  return { real: range(1, space.max[Field.Iif]!), none: single(NO_IFACE), lo, loExact: space.ifaces.names[lo] === 'lo' };
}

/** The packets whose answers are in `s`: addresses, ports and interfaces swapped, only `keep` (and the interfaces) read. */
function turned(space: Space, s: PacketSet, keep: readonly Field[]): PacketSet {
  const out: Box[] = [];
  for (const b of s) {
    const c: IntSet[] = fullBox(space).slice();
    for (const f of keep) {
      const to = SWAP[f] ?? f;
      c[to] = b[f]!;
    }
    c[Field.Iif] = b[Field.Oif]!;
    c[Field.Oif] = b[Field.Iif]!;
    out.push(c);
  }
  return unionSets(NONE, out);
}

const SWAP: Partial<Record<Field, Field>> = { [Field.Src]: Field.Dst, [Field.Dst]: Field.Src, [Field.Sport]: Field.Dport, [Field.Dport]: Field.Sport };

/** The raw table's NOTRACK (and CT --notrack) rules, each with its chain. */
function untrackingRules(rs: EmuRuleset): Array<{ chain: string; rule: EmuRule }> {
  const out: Array<{ chain: string; rule: EmuRule }> = [];
  for (const [chain, c] of rs.tables.get('raw')?.chains ?? []) for (const rule of c.rules) if (untracksPackets(rule)) out.push({ chain, rule });
  return out;
}

/**
 * Every packet the rules may match, at the raw hook each one's chain hangs on (either, for a user
 * chain), marks ignored (earlier raw rules may set them); and addresses and ports with `rewritten`
 * (a NAT binding changes them before the places read it).
 */
function atRawHooks(space: Space, rules: ReadonlyArray<{ readonly chain: string; readonly rule: EmuRule }>, rewritten: boolean): PacketSet {
  const none = single(NO_IFACE);
  const shapes: Record<string, PacketSet> = { PREROUTING: where(space, Field.Oif, none), OUTPUT: where(space, Field.Iif, none) };
  const free = [Field.Mark, Field.Connmark, ...(rewritten ? [Field.Src, Field.Dst, Field.Sport, Field.Dport] : [])];
  let u: PacketSet = NONE;
  for (const { chain, rule } of rules) {
    let m = free.reduce((acc, f) => assign(acc, f, range(0, space.max[f]!)), ruleMatch(space, rule).upper);
    const shape = shapes[chain];
    if (shape) m = intersectSets(m, shape);
    u = unionSets(u, m);
  }
  return u;
}
