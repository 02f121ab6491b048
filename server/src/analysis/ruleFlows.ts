/**
 * What one rule really matches, for hover: per hook, where its packets come
 * from (the hook's base chain or the jump sites), which packets they are,
 * what the rule does to them (for NAT the rewrite, and that replies are
 * rewritten back), which packets its conditions accept but never get there
 * (and the earlier rules that take them), and one example packet.
 */
import type { EmuRule } from '../emulator/compile';
import type { Hook } from '../lang/iptables/extension';
import type { NatTarget } from '../lang/iptables/extensions/targets/NAT';
import type { Reachability } from './reachability';
import { isEmpty, intersectSets, NONE, subtractSets, withoutEqualBoxes, type PacketSet } from './space/packetSet';
import { ctValues, Field, type Box } from './space/fields';
import { has, overlaps, single, within } from './space/intSet';
import { noEntryYet, RENDER_SCAN, renderSet } from './space/render';
import { witnessOf, witnessText, type Witness } from './space/witness';
import { conditionText } from './space/ruleMatch';
import { linesByRule, rulesAtLine } from './lineIndex';
import { martianKinds, MULTICAST, onlyLoopbackFromOutside, onlyRoutingDrops, routedAt } from './reach/martians';

export interface FlowRow {
  readonly hook: Hook;
  /** "INPUT" or "INPUT → line 10 (-j SSH)". */
  readonly path: string;
  readonly packets: string;
  /** Reached only if undecidable conditions hold (their words). */
  readonly onlyIf?: readonly string[];
}

export interface RuleFlows {
  readonly table: string;
  readonly chain: string;
  readonly rows: readonly FlowRow[];
  readonly does: string;
  readonly neverHere?: { readonly packets: string; readonly takenBy: readonly number[] };
  /** Packets its conditions accept that routing drops as martians before the hooks its chain is entered at (`before`: "INPUT"), and their kinds in words. */
  readonly martians?: { readonly packets: string; readonly kinds: readonly string[]; readonly before: string };
  readonly example?: { readonly hook: Hook; readonly witness: Witness; readonly text: string };
  readonly unreachable: boolean;
}

function ip4(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

function doesText(rule: EmuRule, table: string): string {
  const t = rule.target;
  if (t.kind === 'none') return 'counts them and lets them go on';
  if (t.kind === 'verdict') return t.verdict === 'ACCEPT' ? `accepts them (the ${table} table lets them through)` : t.verdict === 'DROP' ? 'drops them' : t.verdict === 'RETURN' ? 'returns them to the calling chain' : 'queues them to user space';
  if (t.kind === 'jump') return `${t.goto ? 'goes' : 'jumps'} to ${t.chain}${t.goto ? ' (no return here)' : ''}`;
  if (t.name === 'DNAT' || t.name === 'SNAT') {
    const d = t.data as NatTarget;
    const a = d.addrs?.min.family === 'ipv4' && d.addrs.max.family === 'ipv4' ? (d.addrs.min.v4 === d.addrs.max.v4 ? ip4(d.addrs.min.v4) : `${ip4(d.addrs.min.v4)}-${ip4(d.addrs.max.v4)}`) : undefined;
    const p = d.ports ? (d.ports.min === d.ports.max ? `${d.ports.min}` : `${d.ports.min}-${d.ports.max}`) : undefined;
    const what = t.name === 'DNAT' ? 'destination' : 'source';
    return `rewrites the ${what} to ${[a, p && `port ${p}`].filter(Boolean).join(', ') || 'the same address'} for the whole connection; replies are rewritten back`;
  }
  if (t.name === 'MASQUERADE') return "rewrites the source to the outgoing interface's address for the whole connection; replies are rewritten back";
  if (t.name === 'REDIRECT') return "rewrites the destination to this host's address on the incoming interface; replies are rewritten back";
  if (t.name === 'REJECT') return 'drops them and answers with an error';
  return `applies ${t.name}`;
}

/** Jump sites named in a row's path; more are counted. */
const PATH_SITES = 4;
/** From this many jump sites on, their lines are read from a map of every rule's line (lowestOfMany) instead of looked up one by one. */
const MANY_SITES = 256;

/**
 * How packets get into the chain at a hook: the hook itself, or the lines that jump to it (sending packets
 * in at that hook). `done`: the lines named for the hooks before (KUBE-MARK-MASQ's 60,000 sites are the
 * same at PREROUTING and OUTPUT: named once).
 */
function pathAt(sites: ReadonlyMap<Hook, ReadonlyArray<EmuRule | string>>, reach: Reachability, hook: Hook, done: Map<ReadonlyArray<EmuRule | string>, string>): string {
  const at = sites.get(hook) ?? [];
  if (at.includes(`hook ${hook}`)) return hook;
  let named: string | undefined;
  for (const [other, text] of done) if (sameSites(other, at)) named = text;
  if (named === undefined) {
    const { lowest, jumps } = at.length >= MANY_SITES ? lowestOfMany(reach, at) : lowestOfFew(reach, at);
    named = `${lowest.map((l) => `line ${l}`).join(' or ')}${jumps > PATH_SITES ? ` or ${jumps - PATH_SITES} more` : ''}`;
    done.set(at, named);
  }
  return `${hook} → ${named}`;
}

function sameSites(a: ReadonlyArray<EmuRule | string>, b: ReadonlyArray<EmuRule | string>): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The lowest PATH_SITES lines of a hook's sites, ascending, and how many jump sites there are. */
interface SiteLines {
  readonly lowest: number[];
  readonly jumps: number;
}

/** Keeps `line` in `lowest` if it is among the PATH_SITES lowest: the lines kept as they come, not every line sorted. */
function keepLowest(lowest: number[], l: number): void {
  if (lowest.length === PATH_SITES && l >= lowest[PATH_SITES - 1]!) return;
  let i = Math.min(lowest.length, PATH_SITES - 1);
  for (; i > 0 && lowest[i - 1]! > l; i--) lowest[i] = lowest[i - 1]!;
  lowest[i] = l;
}

// (The only name a hook's list holds is its own "hook X": the rest are jumping rules.)
function lowestOfFew(reach: Reachability, at: ReadonlyArray<EmuRule | string>): SiteLines {
  const lowest: number[] = [];
  let jumps = 0;
  for (const s of at) {
    if (typeof s === 'string') continue;
    jumps++;
    keepLowest(lowest, reach.lineOf(s) + 1);
  }
  return { lowest, jumps };
}

/**
 * lowestOfFew for many sites (KUBE-MARK-MASQ has 60,000 at a hook, and a lineOf each cost ~100 ms):
 * their own lines on an analysis compiled afresh, else read from the line index's map of every rule's
 * line (made once per index); a site it does not hold (a rule object of another compile) is looked up
 * as before. One pass, no list of the sites' lines made.
 */
function lowestOfMany(reach: Reachability, at: ReadonlyArray<EmuRule | string>): SiteLines {
  const lowest: number[] = [];
  let jumps = 0;
  // Compiled from the parse analysed, every site is at its own line: no map to make.
  const known = reach.compiledAfresh ? undefined : linesByRule(reach.lineIndex());
  for (let i = 0; i < at.length; i++) {
    const s = at[i]!;
    if (typeof s === 'string') continue;
    jumps++;
    keepLowest(lowest, (known ? (known.get(s) ?? reach.lineOf(s)) : s.ref.line) + 1);
  }
  return { lowest, jumps };
}

/** Each hook's hit set of the line's kernel rules that holds packets, joined. */
function hitSetsOf(reach: Reachability, ks: ReturnType<typeof rulesAtLine>): PacketSet[] {
  const out: PacketSet[] = [];
  for (const k of ks) for (const f of reach.reach(k.rule, k.table, k.chain).hits.values()) if (!isEmpty(f.may)) out.push(f.may);
  return out;
}

/** The packets the rule's conditions accept at its chain's entry that never get to it (its hits: the sets hitSetsOf gives). */
function lostOnTheWay(reach: Reachability, rule: EmuRule, table: string, chain: string, hitSets: readonly PacketSet[]): PacketSet {
  // (Boxes pushed, not arrays spread: a rule may be reached from 60,000 jump sites.)
  const allHits: Box[] = [];
  for (const s of hitSets) for (const b of s) allHits.push(b);
  const entry = reach.entryBoxes(table, chain);
  const facts = reach.facts(rule, table, chain);
  // An entering box equal to one of the hits leaves nothing: left out before intersecting and subtracting.
  // By content, not by object: an analysis after an edit holds the same boxes as a fresh one, not the same objects.
  return subtractSets(intersectSets(withoutEqualBoxes(entry, allHits), facts.match.upper), allHits);
}

/**
 * The boxes of the lost packets that routing drops whole as martians, when every packet entering the chain
 * was routed first (INPUT; FORWARD without bridged frames: the walks keep martians, and no earlier rule
 * takes them there, routing does), the other boxes, and the hooks.
 */
function routingDropped(reach: Reachability, table: string, chain: string, lost: PacketSet): { dropped: PacketSet; rest: PacketSet; hooks: readonly Hook[] } {
  const hooks = reach.rec.entryHooks(table, chain);
  const routing = reach.rec.routing;
  if (isEmpty(lost) || !routedAt(routing, hooks)) return { dropped: NONE, rest: lost, hooks };
  const dropped = lost.filter((b) => onlyRoutingDrops(routing, [b]));
  return dropped.length ? { dropped, rest: lost.filter((b) => !dropped.includes(b)), hooks } : { dropped: NONE, rest: lost, hooks };
}

const NOT_TAKING = new Set(['LOG', 'NFLOG', 'ULOG', 'TRACE']);

/**
 * The lines (up to 8) of the earlier rules of the chain that take or change some of the packets lost on
 * the way: whose conditions meet them and that some of them really get to (a rule whose conditions
 * meet them but that an earlier one stands in front of takes none).
 */
function takersOfLost(reach: Reachability, rule: EmuRule, table: string, chain: string, lost: PacketSet): number[] {
  const lines = new Set<number>();
  for (const e of reach.emu.tables.get(table)!.chains.get(chain)!.rules) {
    if (e.ref.index >= rule.ref.index || lines.size === 8) break;
    if (e.target.kind === 'none' || (e.target.kind === 'ext' && NOT_TAKING.has(e.target.name))) continue;
    const meets = intersectSets(lost, reach.facts(e, table, chain).match.upper);
    if (isEmpty(meets)) continue;
    let got = false;
    for (const f of reach.reach(e, table, chain).hits.values()) if (!isEmpty(intersectSets(meets, f.may))) got = true;
    if (got) lines.add(reach.lineOf(e) + 1);
  }
  return [...lines];
}

/**
 * Flows already worked out, per analysis and line. The editor asks for a hover again each time the
 * pointer moves to another word of the same rule, and an analysis never changes once made (the next
 * version's is another object), so the answer stays true for as long as the analysis lives.
 */
const said = new WeakMap<Reachability, Map<number, RuleFlows | undefined>>();

/** What hover says of the rule at a line (0-based): its flows per hook, what it does, what never gets there, an example. */
export function ruleFlows(reach: Reachability, line: number): RuleFlows | undefined {
  let byLine = said.get(reach);
  if (!byLine) said.set(reach, (byLine = new Map()));
  if (byLine.has(line)) return byLine.get(line);
  const f = flowsAt(reach, line);
  byLine.set(line, f);
  return f;
}

const ROUTE_LOCALNET = 'route_localnet is on for the input interface (else routing drops a loopback address from outside as a martian)';
const GROUP_MEMBER = 'the host is a member of the multicast group (a process joined it; else routing drops the packet)';
const ANSWERS_TRACKED = "an answer of their connection passed conntrack tracked (the NOTRACK rules here may untrack every answer: a packet is ESTABLISHED, and an ICMP error RELATED to it, only after one)";
const ANSWERS_IN_ZONE = "an answer of their connection passed conntrack tracked and in the connection's zone (the NOTRACK or CT --zone rules here may keep every answer from it: a packet is ESTABLISHED, and an ICMP error RELATED to it, only after one)";
const HELPER = 'a conntrack helper expects their connection (RELATED, other than ICMP errors; no rule here assigns one with CT --helper)';

const CONNMARK_WRITTEN = 'a rule gave their connection that connmark on an earlier packet (a connection starts with none: a NEW packet has one only in a flow still unanswered)';
const CONNMARK_OUTSIDE = 'something outside these rules gave their connection that connmark (a connection starts with none, and no rule here writes one)';

const MARK_OUTSIDE = 'something outside these rules marked them (tc or another nft table on arrival; over lo, the sending process: SO_MARK): a packet received has mark 0';

/** Why no packet arriving surely gets here: each with a mark no rule gave it (pipeline.ts `arriving`). */
function markNeeds(reach: Reachability, hook: Hook, may: PacketSet): string[] {
  if (hook === 'OUTPUT' || hook === 'POSTROUTING' || !reach.space.mark.modelled || !may.length) return [];
  return may.every((b) => !has(b[Field.Mark]!, 0)) ? [MARK_OUTSIDE] : [];
}

/**
 * Why no packet of `may` surely exists: each box ESTABLISHED or RELATED (reach/trackedAnswers.ts,
 * pipeline.ts `unexpected`), or tracked with a connmark (reach/connmarks.ts).
 */
function stateNeeds(reach: Reachability, may: PacketSet): string[] {
  if (!may.length) return [];
  const tracked = ctValues(['NEW', 'ESTABLISHED', 'RELATED']);
  if (reach.space.connmark.modelled && may.every((b) => within(b[Field.Ct]!, tracked) && !has(b[Field.Connmark]!, 0))) {
    return [reach.conntrack.writesConnmark() ? CONNMARK_WRITTEN : CONNMARK_OUTSIDE];
  }
  const est = ctValues(['ESTABLISHED', 'RELATED']);
  if (!may.every((b) => within(b[Field.Ct]!, est))) return [];
  const related = ctValues(['RELATED']);
  const icmp = single(1);
  const helped = (b: Box): boolean => overlaps(b[Field.Ct]!, related) && !within(b[Field.Proto]!, icmp);
  const zones = reach.conntrack.zones;
  const needs = (reach.space.untracks || zones) && may.some((b) => !helped(b) || overlaps(b[Field.Ct]!, ctValues(['ESTABLISHED']))) ? [zones ? ANSWERS_IN_ZONE : ANSWERS_TRACKED] : [];
  if (may.some(helped)) needs.push(HELPER);
  return needs;
}

function flowsAt(reach: Reachability, line: number): RuleFlows | undefined {
  const ks = rulesAtLine(reach.lineIndex(), line);
  if (!ks.length) return undefined;
  const { table, chain, rule } = ks[0]!;
  const rows: FlowRow[] = [];
  let example: RuleFlows['example'];
  const conditions = new Set<string>();
  // (Every kernel rule of a line is in one chain.)
  const sites = reach.sitesByHook(table, chain);
  const quiet = noEntryYet(table, reach.emu.conntrackActive);
  const paths = new Map<ReadonlyArray<EmuRule | string>, string>();
  for (const k of ks) {
    for (const c of reach.facts(k.rule, k.table, k.chain).match.conditions) conditions.add(conditionText(c));
    // Words and an example need a hit set's first boxes only: its pieces are not joined for them.
    for (const [hook, h] of reach.hitHeads(k.rule, RENDER_SCAN)) {
      if (!h.mayCount) continue;
      // No packet surely gets here: because of undecided matches, or (all of its packets loopback addresses
      // from outside, without a host description) because route_localnet may be on or off.
      const localnet = !h.mustCount && h.may.length === h.mayCount && onlyLoopbackFromOutside(reach.space, h.may) ? [ROUTE_LOCALNET] : [];
      // (With a host description: a multicast group other than all-hosts is delivered only to a member.)
      const member = !h.mustCount && hook === 'INPUT' && h.may.length === h.mayCount && h.may.every((b) => within(b[Field.Dst]!, MULTICAST)) ? [GROUP_MEMBER] : [];
      const states = !h.mustCount && h.may.length === h.mayCount && !conditions.size ? [...stateNeeds(reach, h.may), ...markNeeds(reach, hook, h.may)] : [];
      const onlyIf = h.mustCount ? [] : [...conditions, ...localnet, ...member, ...states];
      rows.push({ hook, path: pathAt(sites.byHook, reach, hook, paths), packets: renderSet(reach.space, h.may, 3, h.mayCount, quiet), ...(onlyIf.length ? { onlyIf } : {}) });
      if (!example && h.mustCount) {
        const w = witnessOf(reach.space, h.must);
        if (w) example = { hook, witness: w, text: witnessText(w) };
      }
    }
  }
  // Packets its conditions accept at the chain's entry that never get to it. None for a chain's first
  // rule when every walk got to it: its hits are then the entering packets it accepts (counted, not
  // compared: KUBE-MARK-MASQ's one rule is hit by the 140,000 boxes 60,000 jump sites send in).
  const lost = reach.walksReachFirstRule(rule, sites.live) ? NONE : lostOnTheWay(reach, rule, table, chain, hitSetsOf(reach, ks));
  const { dropped, rest, hooks } = routingDropped(reach, table, chain, lost);
  let neverHere: RuleFlows['neverHere'];
  if (!isEmpty(rest)) {
    neverHere = { packets: renderSet(reach.space, rest, 2, undefined, quiet), takenBy: takersOfLost(reach, rule, table, chain, rest) };
  }
  const martians = isEmpty(dropped) ? undefined : { packets: renderSet(reach.space, dropped, 2, undefined, quiet), kinds: martianKinds(reach.space, dropped, reach.rec.routing.own), before: hooks.join(' and ') };
  return { table, chain, rows, does: doesText(rule, table), ...(neverHere ? { neverHere } : {}), ...(martians ? { martians } : {}), ...(example ? { example } : {}), unreachable: rows.length === 0 };
}
