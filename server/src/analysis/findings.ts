/**
 * Diagnostics from reachability: rules no packet reaches (and the earlier
 * rules that take their packets: the fewest that cover them, always one
 * with a different action when there is one), rules whose conditions can
 * never hold together or never where their chain is reached, chains no
 * packet enters, and redundant rules. Each says why, with related
 * information and quick fixes where the fix is clear.
 */
import type { EmuRule } from '../emulator/compile';
import type { Diagnostic, QuickFix, RelatedInfo } from '../lang/diagnostic';
import { span } from '../lang/diagnostic';
import type { Hook } from '../lang/iptables/extension';
import type { LoadedChain, LoadedTable, Ruleset } from '../lang/iptables/ruleset';
import type { Reachability } from './reachability';
import { coarsen, intersectSets, isEmpty, NONE, overlapsSet, overlapVolume, subtractSets, unionSets, volume, where, type PacketSet } from './space/packetSet';
import { ruleMatch, tcpFlagValues } from './space/ruleMatch';
import { oddFlagsNote } from './space/impossibleTcp';
import type { TcpMatch } from '../lang/iptables/extensions/matches/tcp';
import { CT_STATES, ctValues, Field, type Space } from './space/fields';
import { single } from './space/intSet';
import { noEntryYet, renderSet } from './space/render';
import type { Effect } from './reach/effect';
import { witnessOf, witnessText } from './space/witness';
import { explainedOnce, ExplainReads } from './explainMemo';
import { TakersIndex } from './takersIndex';
import { scanChains, type KRule } from './chainScan';
import { droppedBefore, type Dropper } from './droppedBefore';
import { martianKinds, martians, MULTICAST, onlyMartians, onlyRoutingDrops, routedAt } from './reach/martians';
import { icmpNeverNew, icmpStatesNever } from './reach/pipeline';

/** Why an ICMP packet in some state never exists (pipeline.ts icmpStatesNever). */
const ICMP_STATES_NOTE = 'conntrack gives the state NEW only to ICMP requests (echo, timestamp, information, address mask), ESTABLISHED only to requests and their replies, RELATED only to errors; any ICMP packet may be INVALID';

export interface FindingOptions {
  /** The document's lines, for quick fixes that move a rule. */
  readonly lineText?: (line: number) => string | undefined;
  /** How large the sets an explanation works on may grow (EXPLAIN_BUDGET; tests make it small). */
  readonly budget?: ExplainBudget;
}

/**
 * How large the sets an explanation works on may grow before it settles for less: it then names
 * fewer rules, or ranks them by an estimate, never names a wrong one. A ruleset of bridge-port
 * chains whose matches the analysis cannot decide (openstack's physdev and mac tests) gave a jump
 * 8,952 boxes and its chain 191,176, and rules 4,000 boxes each way to rank: findings ran for minutes.
 */
export interface ExplainBudget {
  /** Past this many boxes a jump's packets are not followed through its chain: all are taken as sent back, so the jump is not named as taking them. */
  readonly followBoxes: number;
  /** Up to this many pairs of boxes, the packets two sets share (to rank a cover's rules by) are measured exactly. */
  readonly exactPairs: number;
  /** Beyond, both sets are widened to this many boxes (coarsen): an over-estimate, used for the ranking only. */
  readonly coarseBoxes: number;
}

export const EXPLAIN_BUDGET: ExplainBudget = { followBoxes: 8192, exactPairs: 1_000_000, coarseBoxes: 64 };

function action(e: Effect): string {
  switch (e.kind) {
    case 'accept': return 'ACCEPT';
    case 'drop': return 'DROP';
    case 'return': return 'RETURN';
    case 'jump': return `${e.goto ? 'goto' : 'jump to'} ${e.chain}`;
    case 'nat': return 'NAT';
    default: return e.kind;
  }
}

const terminal = (e: Effect): boolean => e.kind === 'accept' || e.kind === 'drop' || e.kind === 'return' || e.kind === 'nat' || (e.kind === 'jump' && e.goto);

function ruleText(k: KRule, lineText?: (line: number) => string | undefined): string {
  const t = lineText?.(k.line)?.trim();
  return t && t.length <= 120 ? t : `rule ${k.rule.ref.index + 1} of ${k.table} ${k.chain}`;
}

function deleteFix(line: number): QuickFix {
  return { title: 'Delete this rule', edits: [{ span: span(line, 0, 0, line + 1), newText: '' }] };
}

/** The entry flow of a chain: what its jump sites (or its hook) send in, over all hooks. */
function chainEntry(reach: Reachability, table: string, chain: string): PacketSet {
  let s: PacketSet = [];
  for (const f of reach.entries(table, chain).values()) s = [...s, ...f.may];
  return s;
}

export function reachFindings(rs: Ruleset, reach: Reachability, opts: FindingOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  // Rule by rule only where it matters: chains with a rule no packet reaches (explain() reads
  // their earlier rules) and built-in chains (redundant()). A kube-proxy dump has 170,000
  // rules in 60,000 chains, nearly all reached (chainScan.ts).
  const scan = scanChains(rs, reach);
  const chains = scan.chainRules();
  const deadRules: KRule[] = [];
  for (const ks of chains.values()) for (const k of ks) if (k.dead && k.line >= 0) deadRules.push(k);
  /** Per table walked, its user chains no packet enters. */
  const notEntered = scan.unentered();
  const byLine = deadByLine(reach, deadRules);
  // Chains no packet enters: one finding on the chain, none on its rules.
  const silent = new Set<string>();
  for (const t of rs.tables.values()) {
    const notIn = notEntered.get(t.name);
    // (Every chain of a walked table entered: none to report, and no need to read every rule's jump.)
    if (notIn && !notIn.size) continue;
    const jumped = jumpedTo(t);
    for (const c of t.chains.values()) {
      if (c.builtin || c.absent) continue;
      if (!jumped.has(c.name)) continue; // no jump at all: the `unused-chain` lint says so
      if (notIn ? !notIn.has(c.name) : reach.entered(t.name, c.name)) continue;
      silent.add(`${t.name}/${c.name}`);
      if (c.declSpan) out.push({ code: 'unreached-chain', severity: 'warning', message: `No packet ever enters ${c.name}: every rule that jumps to it is itself unreachable.`, span: c.declSpan });
    }
  }
  for (const [line, k] of byLine) {
    if (silent.has(`${k.table}/${k.chain}`)) continue;
    const rules = chains.get(`${k.table}/${k.chain}`) ?? [];
    // (Explanations are kept for the usual budget only: the memo does not know of another.)
    const d = opts.budget && opts.budget !== EXPLAIN_BUDGET
      ? explain(k, reach, rules, opts, new ExplainReads(), opts.budget)
      : explainedOnce(reach, k, opts.lineText, (reads, lineText) => explain(k, reach, rules, { ...opts, lineText }, reads, EXPLAIN_BUDGET));
    if (!d) continue;
    // Rules a container engine writes and rewrites itself: worth knowing, not worth a warning.
    const managed = isManaged(k.rule, k.chain);
    out.push(managed && d.severity === 'warning'
      ? { ...d, severity: 'hint', message: `${d.message} (A rule Docker or Kubernetes writes and manages: harmless, and edits to it are overwritten.)`, span: k.loaded?.command.span ?? span(line, 0, 0) }
      : { ...d, span: k.loaded?.command.span ?? span(line, 0, 0) });
  }
  out.push(...redundant(reach, chains, opts));
  return out;
}

/**
 * The first dead rule of each line all of whose kernel rules no packet reaches ("-s a,b" makes
 * one per address; an over-long line's pieces are commands of their own), lines in the order
 * their first rule comes table by table, chain by chain.
 */
function deadByLine(reach: Reachability, deadRules: readonly KRule[]): Map<number, KRule> {
  const dead = new Map<number, { first: KRule; count: number }>();
  for (const k of deadRules) {
    const d = dead.get(k.line);
    if (d) d.count++;
    else dead.set(k.line, { first: k, count: 1 });
  }
  const out = new Map<number, KRule>();
  if (!dead.size) return out;
  // How many kernel rules each of those lines made (the parse's rules: their lines are today's). A line's
  // kernel rules all stand in the one chain it adds to (a rename moves them together), so only the
  // dead rules' chains are read: after a dead line was added, reading all 170,000 took ~10 ms.
  const total = new Map<number, number>();
  const read = new Set<LoadedChain>();
  for (const d of dead.values()) {
    const c = reach.rs.tables.get(d.first.table)?.chains.get(d.first.chain);
    if (!c || read.has(c)) continue;
    read.add(c);
    for (const r of c.rules) {
      const line = r.command.line;
      if (dead.has(line)) total.set(line, (total.get(line) ?? 0) + 1);
    }
  }
  for (const [line, d] of dead) if (total.get(line) === d.count) out.set(line, d.first);
  return out;
}

/** The chains of a table some rule of another chain jumps or goes to. */
function jumpedTo(t: LoadedTable): Set<string> {
  const out = new Set<string>();
  for (const c of t.chains.values()) {
    for (const r of c.rules) {
      const to = r.facts.jumpTo;
      if (to && to !== c.name) out.add(to);
    }
  }
  return out;
}

type Draft = Omit<Diagnostic, 'span'>;

/** How many later rules the redundancy check follows a rule's packets through. */
const REDUNDANT_LOOKAHEAD = 64;

const MANAGED_CHAIN = /^(DOCKER|KUBE-|CNI-|cali-|flannel|FLANNEL)/;
const MANAGED_IFACE = /^(docker\d*|docker_gwbridge|br-[0-9a-f]{12})$/;

/**
 * A rule a container engine writes: in its own chains, or in a built-in chain with only its
 * bridges' interfaces and a conntrack state as conditions (Docker's FORWARD and POSTROUTING
 * rules). A user's rule that also names a port or protocol is the user's.
 */
function isManaged(r: EmuRule, chain: string): boolean {
  if (MANAGED_CHAIN.test(chain)) return true;
  const ifaces = [r.iif?.name, r.oif?.name].filter((n): n is string => n !== undefined);
  if (!ifaces.length || !ifaces.every((n) => MANAGED_IFACE.test(n))) return false;
  return !r.proto && !r.dst && r.matches.every((m) => m.name === 'conntrack' || m.name === 'comment');
}

/** Why no packet reaches k. It reads other chains only through `reads`, lines only through opts.lineText (explainMemo.ts keeps it). */
function explain(k: KRule, reach: Reachability, chainRules: readonly KRule[], opts: FindingOptions, reads: ExplainReads, budget: ExplainBudget): Draft | undefined {
  const space = reach.space;
  const facts = reach.facts(k.rule, k.table, k.chain);
  const line = k.line;
  const fixes = [deleteFix(line)];
  // Other rules' lines, noted in `reads` (a kept explanation whose rules moved is made again).
  const at = (e: KRule): number => reads.line(reach, e.rule);
  const flagsNote = tcpFlagsNote(k.rule);
  // 1. Conditions that exclude each other.
  if (isEmpty(facts.match.upper)) {
    const parts = partsOf(k.rule);
    let clash = 'its conditions';
    outer: for (let i = 0; i < parts.length; i++) {
      for (let j = i; j < parts.length; j++) {
        const a = ruleMatch(space, parts[i]!.rule, reach.rec.addrs).upper;
        const b = ruleMatch(space, parts[j]!.rule, reach.rec.addrs).upper;
        if (isEmpty(intersectSets(a, b))) {
          clash = i === j ? `\`${parts[i]!.text}\`` : `\`${parts[i]!.text}\` and \`${parts[j]!.text}\``;
          break outer;
        }
      }
    }
    const why = flagsNote && /state/.test(clash) ? ` (${flagsNote})` : '';
    return { code: 'impossible-match', severity: 'warning', message: `This rule can never match: ${clash} cannot hold for the same packet${why}.`, fixes };
  }
  // 2. Conditions that never hold where the chain is reached.
  const entry = chainEntry(reach, k.table, k.chain);
  if (isEmpty(entry)) return undefined; // chain never entered: reported on the chain or by unused-chain
  const target = intersectSets(entry, facts.match.upper);
  // The hooks whose packets enter the chain (some do: the entry holds packets).
  const entryHooks = reach.rec.entryHooks(k.table, k.chain);
  if (isEmpty(target)) {
    const hooks = entryHooks;
    const culprit = partsOf(k.rule).find((p) => isEmpty(intersectSets(entry, ruleMatch(space, p.rule, reach.rec.addrs).upper)));
    const why = culprit ? `\`${culprit.text}\` never holds for packets in ${k.table} ${k.chain}` : `its conditions never hold for packets in ${k.table} ${k.chain}`;
    const note = k.table === 'nat' && /state/.test(culprit?.text ?? '') ? ' (nat chains see only the first packet of each connection: conntrack state NEW)'
      : culprit?.text === '-f' ? (reach.emu.conntrackActive ? ' (conntrack runs, so the kernel reassembles fragments before any table sees them)' : ' (fragments are reassembled before local delivery: INPUT sees whole datagrams)')
      : !culprit && !isEmpty(facts.match.upper) && isEmpty(subtractSets(facts.match.upper, icmpStatesNever(space))) ? ` (${ICMP_STATES_NOTE})`
      : (!culprit || culprit.rule.matches.some((m) => m.name === 'tcp')) && flagsNote ? ` (${flagsNote})`
      : hooks.length && hooks.every((h) => h === 'INPUT' || h === 'FORWARD') && onlyMartians(space, facts.match.upper) ? ' (routing drops such packets as martians: a multicast or broadcast source, the address 0.0.0.0, a loopback address from another interface than lo without route_localnet)'
      : '';
    const builtin = reach.emu.tables.get(k.table)?.chains.get(k.chain)?.builtin;
    const where = hooks.length && !builtin ? `, which packets reach only from ${hooks.join(', ')}` : '';
    // Rules of earlier tables that drop packets its conditions accept (when nothing above says why).
    const droppers = note ? [] : droppersOf(reach, k, hooks, facts.match.upper, reads);
    const lines = droppers.map((d) => reads.line(reach, d.rule));
    const earlierDrops = droppers.length ? ` Earlier, ${droppers.map((d, i) => `line ${lines[i]! + 1} (${d.table} ${d.chain}: ${d.target})`).join(', ')} ${droppers.length === 1 ? 'drops' : 'drop'} packets it would match.` : '';
    const related: RelatedInfo[] = droppers.map((d, i) => ({ span: span(lines[i]!, 0, 0), role: 'takes', message: `drops ${words(reach, d.table, d.drops)} at ${d.hook} (${d.target})` }));
    return { code: 'unreachable-rule', severity: 'warning', message: `No packet reaches this rule: ${why}${where}${note}.${earlierDrops} ${describeEntry(reach, entry, k.table)}`, fixes, ...(related.length ? { related } : {}) };
  }
  // 2b. Packets routing drops as martians before INPUT or FORWARD (the walks keep them: reach/martians.ts).
  if (routedAt(reach.rec.routing, entryHooks) && onlyRoutingDrops(reach.rec.routing, target)) {
    const kinds = martianKinds(space, target, reach.rec.routing.own);
    const at = entryHooks.join(' and ');
    return { code: 'unreachable-rule', severity: 'warning', message: `No packet reaches this rule: the packets its conditions accept at ${at} have ${kinds.join(' or ')}, and routing drops such packets as martians before ${at}.`, fixes };
  }
  // 3. Shadowed: which earlier rules take the packets it would match.
  // In a long chain, only the earlier rules whose sure match may meet the target (takersIndex.ts).
  const candidates = chainRules.length > INDEX_FROM ? takersOf(reach, chainRules).near(target) : chainRules;
  const earlier = candidates.filter((e) => e.rule.ref.index < k.rule.ref.index);
  /**
   * Per rule, the packets its conditions share with the target (the cover is made of these), and those
   * that really get to it (`got`): made only for the rules an explanation names or looks into, as the
   * intersection with what arrives at the rule runs to tens of thousands of boxes on bridge-port
   * chains the analysis cannot decide (openstack's physdev and mac tests).
   */
  const takes = new Map<KRule, PacketSet>();
  const arrived = new Map<KRule, PacketSet>();
  const gotMade = new Map<KRule, PacketSet>();
  const got = (e: KRule): PacketSet => {
    let g = gotMade.get(e);
    if (!g) gotMade.set(e, (g = intersectSets(takes.get(e)!, arrived.get(e)!)));
    return g;
  };
  /** volume(got(e)), without making it when it is not made yet. */
  const gotVolume = (e: KRule): number => {
    const g = gotMade.get(e);
    return g ? volume(g) : sharedVolume(takes.get(e)!, arrived.get(e)!, budget);
  };
  const drop = (e: KRule): void => {
    takes.delete(e);
    arrived.delete(e);
    gotMade.delete(e);
  };
  for (const e of earlier) {
    const ef = reach.facts(e.rule, e.table, e.chain);
    if (!terminal(ef.effect) && ef.effect.kind !== 'jump') continue;
    const t = intersectSets(target, ef.match.lower);
    if (isEmpty(t)) continue;
    // Only rules some of those packets get to: another earlier rule may take them all first, and naming
    // this one would say it handles packets it never sees, perhaps with an action none of them meets
    // (Batfish's FilterLineReachability: lines that really terminate some, ranked by their overlap).
    const a = arrivedAt(reach, e);
    if (!overlapsSet(t, a)) continue;
    takes.set(e, t);
    arrived.set(e, a);
  }
  // A jump does not take the packets its chain sends back: they go on to the next rule. Looked at only
  // for a jump about to be chosen (its sets shrink, so until then they bound what it takes): reading the
  // called chain's record ties the kept explanation to it, and KUBE-MARK-MASQ's is made anew each edit.
  const checked = new Set<KRule>();
  /** Whether `e` may be chosen as it stands: not a jump still to look into (else it is looked into, and dropped if it takes none). */
  const settled = (e: KRule): boolean => {
    if (checked.has(e)) return true;
    checked.add(e);
    // Packets of a jump too many to follow through its chain are all taken as sent back (sentBack): not made then.
    if (sendsBack(reach, e) && !gotMade.has(e)) {
      const small = intersectSets(takes.get(e)!, arrived.get(e)!, budget.followBoxes);
      if (!small) {
        drop(e);
        return false;
      }
      gotMade.set(e, small);
    }
    const was = got(e);
    const back = sentBack(reach, e, was, reads, budget);
    if (isEmpty(back)) return true;
    // (All of them, often: no subtraction then, which on thousands of boxes costs seconds.)
    const g = back === was ? NONE : subtractSets(was, back);
    if (isEmpty(g)) drop(e);
    else {
      takes.set(e, subtractSets(takes.get(e)!, back));
      gotMade.set(e, g);
    }
    return false;
  };
  let remaining: PacketSet = target;
  const cover: KRule[] = [];
  while (!isEmpty(remaining) && cover.length < 12) {
    let best: KRule | undefined;
    let bestV = 0;
    for (const [e, t] of takes) {
      if (cover.includes(e)) continue;
      const v = sharedVolume(remaining, t, budget);
      if (v > bestV) [best, bestV] = [e, v];
    }
    if (!best) break;
    if (!settled(best)) continue;
    cover.push(best);
    remaining = subtractSets(remaining, takes.get(best)!);
  }
  // None takes any: earlier rules rewrote the packets on the way (the target is read at the chain's entry).
  if (!cover.length) return changedOnTheWay(reach, target, earlier, fixes, at);
  // Drop members the others already cover.
  const covered = subtractSets(target, remaining);
  for (let i = cover.length - 1; i >= 0 && cover.length > 1; i--) {
    const others = cover.filter((_, j) => j !== i).reduce<PacketSet>((s, e) => unionSets(s, takes.get(e)!), []);
    if (isEmpty(subtractSets(covered, others))) cover.splice(i, 1);
  }
  const mine = action(facts.effect);
  // The example comes from the rules that cover it, first in the chain, not from one of another action
  // added below only to be named (a packet "in lo" from 14.203.15.117 when line 6 is `-i lo -j ACCEPT`
  // and a REJECT of that source covers the rule: the REJECT's packet is the one a reader expects).
  const exampleFrom = cover.reduce((a, b) => (b.rule.ref.index < a.rule.ref.index ? b : a));
  if (cover.every((e) => action(reach.facts(e.rule, e.table, e.chain).effect) === mine)) {
    // The one of a different action that really takes the most of them.
    let other: KRule | undefined;
    let otherV = 0;
    for (;;) {
      other = undefined;
      otherV = 0;
      for (const e of takes.keys()) {
        if (cover.includes(e) || action(reach.facts(e.rule, e.table, e.chain).effect) === mine) continue;
        const v = gotVolume(e);
        if (v > otherV) [other, otherV] = [e, v];
      }
      if (!other || settled(other)) break;
    }
    if (other) cover.push(other);
  }
  cover.sort((a, b) => a.rule.ref.index - b.rule.ref.index);
  const example = exampleAt(reach, exampleFrom, got(exampleFrom), at(exampleFrom), 'takes');
  const related: RelatedInfo[] = cover.map((e) => {
    const line = at(e);
    return { span: e.loaded?.command.span ?? span(line, 0, 0), role: 'takes', message: `takes ${words(reach, k.table, got(e))} (${targetName(reach, e)}${insideJump(reach, e, got(e), reads)})` };
  });
  if (cover.length === 1 && takesAll(reach, cover[0]!, entry, reads, budget)) {
    const b = cover[0]!;
    return { code: 'rule-after-terminal', severity: 'warning', message: `No packet reaches this rule: \`${ruleText(b, opts.lineText)}\` (line ${at(b) + 1}) takes every packet that gets this far in ${k.chain}.`, related, fixes: [...fixes, ...moveFix(k, at(b), opts)], ...(example ? { example } : {}) };
  }
  const names = cover.map((e) => `line ${at(e) + 1} (${targetName(reach, e)})`);
  // What no earlier rule takes: martians routing drops first (`! -s 0.0.0.0/1` behind DROPs of every /4 above 128.0.0.0 but
  // 224.0.0.0/4), or packets earlier jumps and rewrites send elsewhere.
  const routed = !isEmpty(remaining) && routedAt(reach.rec.routing, entryHooks) && onlyRoutingDrops(reach.rec.routing, remaining);
  const leftover = isEmpty(remaining) ? '' : routed ? ` that routing lets through (it drops the others as martians: ${martianKinds(space, remaining, reach.rec.routing.own).join(', ')})` : ' together with earlier jumps and rewrites';
  const icmpNote = noNewIcmp(space, reach.facts(k.rule, k.table, k.chain).match.upper) ? ' (none of them is NEW: conntrack calls an ICMP packet NEW only when it is a request; an error is RELATED to the connection it is about, or INVALID)'
    : flagsNote ? ` (${flagsNote})` : '';
  const message = cover.length === 1
    ? `No packet reaches this rule: \`${ruleText(cover[0]!, opts.lineText)}\` (line ${at(cover[0]!) + 1}) already takes every packet it would match${leftover}${icmpNote}.`
    : `No packet reaches this rule: the earlier rules at ${names.join(', ')} together take every packet it would match${leftover}${icmpNote}.`;
  return { code: 'unreachable-rule', severity: 'warning', message: example ? `${message} For example, ${example.text}.` : message, related, fixes: cover.length === 1 ? [...fixes, ...moveFix(k, at(cover[0]!), opts)] : fixes, ...(example ? { example } : {}) };
}

/**
 * Why a rule's TCP flags test finds no packet in some states, when it accepts only flags conntrack
 * refuses (a NULL or XMAS scan rule) or those and SYN-ACKs (space/impossibleTcp.ts).
 */
function tcpFlagsNote(r: EmuRule): string | undefined {
  for (const m of r.matches) {
    const flags = m.name === 'tcp' ? (m.data as TcpMatch).flags : undefined;
    if (flags) return oddFlagsNote(tcpFlagValues(flags));
  }
  return undefined;
}

/**
 * Whether a rule's conditions accept only ICMP, and of it in state NEW only packets conntrack never
 * calls NEW (no request): ufw's `-p icmp --icmp-type destination-unreachable -j ACCEPT` after its
 * RELATED,ESTABLISHED ACCEPT and INVALID DROP.
 */
function noNewIcmp(space: Space, upper: PacketSet): boolean {
  const icmp = where(space, Field.Proto, single(1));
  const asNew = intersectSets(upper, where(space, Field.Ct, single(CT_STATES.indexOf('NEW'))));
  return !isEmpty(asNew) && isEmpty(subtractSets(upper, icmp)) && isEmpty(subtractSets(asNew, icmpNeverNew(space)));
}

/** droppedBefore for each hook the chain is entered at, each rule once, up to three. */
function droppersOf(reach: Reachability, k: KRule, hooks: readonly Hook[], accepts: PacketSet, reads: ExplainReads): Dropper[] {
  const out: Dropper[] = [];
  for (const hook of hooks) {
    for (const d of droppedBefore(reach, hook, k.table, accepts, reads)) if (out.length < 3 && !out.some((o) => o.rule === d.rule)) out.push(d);
  }
  return out;
}

/** Whether a rule takes every packet entering its chain: it has no condition they do not meet, and (a jump) its chain sends none back. */
function takesAll(reach: Reachability, b: KRule, entry: PacketSet, reads: ExplainReads, budget: ExplainBudget): boolean {
  const f = reach.facts(b.rule, b.table, b.chain);
  if (f.match.upper.length !== 1 || !isEmpty(subtractSets(entry, f.match.lower))) return false;
  // (Its hits are then every packet that gets to it.)
  return isEmpty(sentBack(reach, b, arrivedAt(reach, b), reads, budget));
}

/**
 * Of packets a jump takes (some of its hits), those its chain sends back to the next rule: all but those
 * a rule inside accepts, drops or rewrites for NAT, through the chains it jumps to in turn. A jump to an
 * empty chain (ufw's logging chains) sends every packet back. None for a rule that is not a jump, or a
 * goto (what its chain returns goes to this chain's caller).
 */
function sentBack(reach: Reachability, e: KRule, taken: PacketSet, reads: ExplainReads, budget: ExplainBudget): PacketSet {
  const eff = reach.facts(e.rule, e.table, e.chain).effect;
  if (eff.kind !== 'jump' || eff.goto) return NONE;
  // (A rule's arrivals, from takesAll, are not bounded as settled bounds its hits.)
  if (taken.length > budget.followBoxes) return taken;
  const decided = decidedInside(reach, e.table, eff.chain, taken, reads, 0, budget);
  if (decided.length > budget.followBoxes) return taken;
  return isEmpty(decided) ? taken : subtractSets(taken, decided);
}

/** Whether rule e is a jump whose chain may send packets back to the rule after it (not a goto). */
function sendsBack(reach: Reachability, e: KRule): boolean {
  const eff = reach.facts(e.rule, e.table, e.chain).effect;
  return eff.kind === 'jump' && !eff.goto;
}

/**
 * How much of the packets a and b share, to rank the rules of a cover by: exact (overlapVolume) up to
 * the budget's pairs of boxes; beyond, an over-estimate from both sets widened (coarsen). Only the
 * ranking is estimated: what the cover takes is subtracted exactly.
 */
function sharedVolume(a: PacketSet, b: PacketSet, budget: ExplainBudget): number {
  if (a.length * b.length <= budget.exactPairs) return overlapVolume(a, b);
  return overlapVolume(coarsen(a, budget.coarseBoxes), coarsen(b, budget.coarseBoxes));
}

/** Chains deeper than this are not looked into (iptables refuses loops; its own limit is far deeper than rulesets go). */
const DECIDED_DEPTH = 16;

/**
 * Of `among`, the packets the chain (and the chains it jumps or goes to) decides. A packet's way through
 * a chain depends on the packet alone, so a rule's hits from every site, met with `among`, are the ones
 * from this site. A packet rewritten on the way (MARK) is no longer among them: not counted, so a jump
 * is never said to take what it may send back.
 */
function decidedInside(reach: Reachability, table: string, chain: string, among: PacketSet, reads: ExplainReads, depth: number, budget: ExplainBudget): PacketSet {
  const called = reach.emu.tables.get(table)?.chains.get(chain);
  reads.chains.push({ name: chain, chain: called });
  const deciding = (e: Effect): boolean => e.kind === 'accept' || e.kind === 'drop' || e.kind === 'nat';
  const rules = (called?.rules ?? []).filter((r) => {
    const eff = reach.facts(r, table, chain).effect;
    return deciding(eff) || eff.kind === 'jump';
  });
  // A chain that only marks, logs or returns (KUBE-MARK-MASQ) sends everything back, whatever its walks
  // found: its record, made anew by most edits of a kube dump, is not read.
  if (!rules.length) return NONE;
  reads.records.push({ name: chain, record: reach.rec.existing(table, chain) });
  let out: PacketSet = NONE;
  for (const r of rules) {
    const f = reach.facts(r, table, chain);
    const eff = f.effect;
    const decides = deciding(eff);
    // (Conditions first: a rule whose conditions miss them all has none of them among its hits.)
    if (isEmpty(intersectSets(among, f.match.upper))) continue;
    const got = intersectSets(among, arrivedAt(reach, { rule: r, table, chain }));
    if (isEmpty(got)) continue;
    const d = decides ? got : eff.kind === 'jump' && depth < DECIDED_DEPTH ? decidedInside(reach, table, eff.chain, got, reads, depth + 1, budget) : NONE;
    if (!isEmpty(d)) out = isEmpty(out) ? d : unionSets(out, d);
    // (Too large to subtract: the caller takes the whole jump as sending its packets back.)
    if (out.length > budget.followBoxes) return out;
  }
  return out;
}

/** The packets that may get to a rule (its hits at every hook), or (`surely`) those that surely do. */
function arrivedAt(reach: Reachability, e: Pick<KRule, 'rule' | 'table' | 'chain'>, surely = false): PacketSet {
  let s: PacketSet = NONE;
  for (const f of reach.reach(e.rule, e.table, e.chain).hits.values()) {
    const part = surely ? f.must : f.may;
    s = isEmpty(s) ? part : unionSets(s, part);
  }
  return s;
}

/** Said of an example that only may get to the rule it names (no packet of `among` surely does). */
const IF_LET_THROUGH = ', if the earlier rules whose conditions the analysis leaves undecided let it through';

/**
 * An example of `among` that surely gets to rule e, and what happens to it there ("takes it first"), or
 * one that only may, said so. Undefined when `among` is empty.
 */
function exampleAt(reach: Reachability, e: KRule, among: PacketSet, line: number, what: string): { text: string; packet: Record<string, string | number | boolean> } | undefined {
  const sure = witnessOf(reach.space, intersectSets(among, arrivedAt(reach, e, true)));
  const w = sure ?? witnessOf(reach.space, among);
  return w ? { text: `${witnessText(w)} would match it, but line ${line + 1} ${what} it first${sure ? '' : IF_LET_THROUGH}`, packet: { ...w } } : undefined;
}

/**
 * What a rule's target is called: its extension's name (MARK, REJECT, DNAT), or its verdict. Rules are
 * compared by action() (REJECT and DROP alike end a packet's way), but named by what the file says.
 */
function targetName(reach: Reachability, e: Pick<KRule, 'rule' | 'table' | 'chain'>): string {
  const t = e.rule.target;
  return t.kind === 'ext' ? t.name : action(reach.facts(e.rule, e.table, e.chain).effect);
}

/**
 * A rule no packet reaches although no earlier rule takes any of the packets it would match as they
 * enter the chain: rules before it rewrote them (MARK, CONNMARK, ...) so that none still matches.
 */
function changedOnTheWay(reach: Reachability, target: PacketSet, earlier: readonly KRule[], fixes: QuickFix[], at: (e: KRule) => number): Draft {
  const changers: Array<{ e: KRule; met: PacketSet }> = [];
  for (const e of earlier) {
    const eff = reach.facts(e.rule, e.table, e.chain).effect;
    if (eff.kind !== 'continue' || !eff.rewrite) continue;
    const met = intersectSets(target, arrivedAt(reach, e));
    if (!isEmpty(met)) changers.push({ e, met });
    if (changers.length === 3) break;
  }
  if (!changers.length) return { code: 'unreachable-rule', severity: 'warning', message: 'No packet reaches this rule: earlier rules of its chain take or change every packet it would match before it gets here.', fixes };
  const names = changers.map(({ e }) => `line ${at(e) + 1} (${targetName(reach, e)})`);
  const related: RelatedInfo[] = changers.map(({ e, met }) => ({ span: e.loaded?.command.span ?? span(at(e), 0, 0), role: 'changes', message: `changes ${words(reach, e.table, met)} (${targetName(reach, e)})` }));
  const example = exampleAt(reach, changers[0]!.e, changers[0]!.met, at(changers[0]!.e), 'changes');
  const message = `No packet reaches this rule: the packets it would match are rewritten on the way (${names.join(', ')}), and none that gets this far still matches it.`;
  return { code: 'unreachable-rule', severity: 'warning', message: example ? `${message} For example, ${example.text}.` : message, related, fixes, ...(example ? { example } : {}) };
}

/** Chains longer than this find the rules that take a dead rule's packets through an index. */
const INDEX_FROM = 64;
const takers = new WeakMap<readonly KRule[], TakersIndex<KRule>>();

/** A chain's rules indexed by where their sure match lies (one index per chain per findings run). */
function takersOf(reach: Reachability, chainRules: readonly KRule[]): TakersIndex<KRule> {
  let t = takers.get(chainRules);
  if (!t) takers.set(chainRules, (t = new TakersIndex(chainRules, (e) => reach.facts(e.rule, e.table, e.chain).match.lower)));
  return t;
}

/**
 * For a jump that takes the packets: the rules of the called chain that some of them really get to and
 * that decide them (", where line 30 accepts them"). A rule the called chain's earlier rules keep them
 * from is not named, though its conditions may match them.
 */
function insideJump(reach: Reachability, e: KRule, taken: PacketSet, reads: ExplainReads): string {
  const eff = reach.facts(e.rule, e.table, e.chain).effect;
  if (eff.kind !== 'jump') return '';
  const called = reach.emu.tables.get(e.table)?.chains.get(eff.chain);
  reads.chains.push({ name: eff.chain, chain: called });
  reads.records.push({ name: eff.chain, record: reach.rec.existing(e.table, eff.chain) });
  const deciders: EmuRule[] = [];
  for (const r of called?.rules ?? []) {
    if (deciders.length === 3) break;
    const f = reach.facts(r, e.table, eff.chain);
    if (!terminal(f.effect) || isEmpty(intersectSets(taken, f.match.upper))) continue;
    // A packet's way through the called chain depends on the packet alone, so what reaches r from any
    // jump site and is among `taken` reaches it from this one.
    if (!isEmpty(intersectSets(taken, arrivedAt(reach, { rule: r, table: e.table, chain: eff.chain })))) deciders.push(r);
  }
  return deciders.length ? `; in ${eff.chain}, ${deciders.map((r) => `line ${reads.line(reach, r) + 1} (${targetName(reach, { rule: r, table: e.table, chain: eff.chain })})`).join(', ')} decides them` : '';
}

/** Moving rule k (its line k.line) above the rule at line `above`. */
function moveFix(k: KRule, above: number, opts: FindingOptions): QuickFix[] {
  const text = opts.lineText?.(k.line);
  if (text === undefined || above >= k.line) return [];
  return [{ title: `Move this rule above line ${above + 1}`, edits: [
    { span: span(above, 0, 0), newText: `${text}\n` },
    { span: span(k.line, 0, 0, k.line + 1), newText: '' },
  ] }];
}

function describeEntry(reach: Reachability, entry: PacketSet, table: string): string {
  return `Packets arriving here: ${words(reach, table, entry)}.`;
}

/** A set in a few words, as packets in that table have it (INVALID unsaid where nothing has an entry yet). */
function words(reach: Reachability, table: string, s: PacketSet): string {
  return renderSet(reach.space, s, 2, undefined, noEntryYet(table, reach.emu.conntrackActive));
}

/** The rule's header pieces and matches one by one, each as a rule of its own (to find which conflict). */
function partsOf(r: EmuRule): Array<{ text: string; rule: EmuRule }> {
  const bare: EmuRule = { ...r, src: undefined, dst: undefined, iif: undefined, oif: undefined, proto: undefined, frag: undefined, matches: [] };
  const out: Array<{ text: string; rule: EmuRule }> = [];
  if (r.src) out.push({ text: r.src.text, rule: { ...bare, src: r.src } });
  if (r.dst) out.push({ text: r.dst.text, rule: { ...bare, dst: r.dst } });
  if (r.iif) out.push({ text: r.iif.text, rule: { ...bare, iif: r.iif } });
  if (r.oif) out.push({ text: r.oif.text, rule: { ...bare, oif: r.oif } });
  if (r.proto) out.push({ text: r.proto.text, rule: { ...bare, proto: r.proto } });
  if (r.frag) out.push({ text: r.frag.invert ? '! -f' : '-f', rule: { ...bare, frag: r.frag } });
  for (const m of r.matches) out.push({ text: m.text, rule: { ...bare, matches: [m] } });
  return out;
}

/** Matches that change state when a packet meets them: a rule with one is no rule to pass silently. */
const STATEFUL_MATCHES = new Set(['limit', 'hashlimit', 'recent', 'statistic', 'quota']);

/** How many lines hold rules that make the namespace track connections, counted up to two. */
function linesTracking(rs: Ruleset): number {
  const lines = new Set<number>();
  for (const t of rs.tables.values()) {
    if (!t.committed) continue;
    for (const c of t.chains.values()) {
      if (c.absent) continue;
      for (const r of c.rules) if (r.facts.conntrack && lines.add(r.command.line).size > 1) return 2;
    }
  }
  return lines.size;
}

/**
 * A terminal ACCEPT or DROP rule whose packets, were it removed, would meet
 * the same verdict later in the same chain (or its policy): a hint with a
 * quick fix. Only exact rules in built-in chains, and only when nothing in
 * between jumps, returns, rewrites, logs or counts those packets, and not
 * the one line that turns connection tracking on.
 */
function redundant(reach: Reachability, chains: ReadonlyMap<string, KRule[]>, _opts: FindingOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  let outside: PacketSet | undefined;
  let trackingLines: number | undefined;
  for (const ks of chains.values()) {
    const t = reach.emu.tables.get(ks[0]!.table);
    const chain = t?.chains.get(ks[0]!.chain);
    if (!chain?.builtin) continue;
    for (const k of ks) {
      const r = reach.reach(k.rule, k.table, k.chain);
      const e = r.facts.effect;
      if ((e.kind !== 'accept' && e.kind !== 'drop') || r.facts.match.conditions.length || k.rule.target.kind !== 'verdict') continue;
      if (k.rule.matches.some((m) => m.name !== 'comment' && !['tcp', 'udp', 'icmp', 'multiport', 'conntrack', 'state', 'iprange', 'mark', 'length', 'ttl', 'pkttype', 'addrtype'].includes(m.name))) continue;
      // The one line that makes the namespace track connections (a state test): without it conntrack stops,
      // and with it the nat chains and the reassembly of fragments (compile.ts needsConntrack).
      if (k.loaded?.facts.conntrack && (trackingLines ??= linesTracking(reach.rs)) < 2) continue;
      const must: PacketSet = [...r.hits.values()].flatMap((f) => f.must);
      const may: PacketSet = [...r.hits.values()].flatMap((f) => f.may);
      // Large hit sets (hundreds of boxes) would make this check quadratic: not reported rather than slow.
      if (isEmpty(may) || may.length > 64 || must.length > 64) continue;
      // Only where the packets that get here are known: `may` holds more than `must` only by packets routing
      // may or may not let on, which are followed too: martians (a loopback destination from outside gets here
      // only if route_localnet is on) and, with a host description, multicast groups (only for a member); or
      // by ESTABLISHED and RELATED packets conntrack may never give that state (no tracked answer, no helper).
      if (!isEmpty(subtractSets(subtractSets(may, must), (outside ??= [...martians(reach.space, [], reach.rec.routing.own), ...where(reach.space, Field.Dst, MULTICAST), ...where(reach.space, Field.Ct, ctValues(['ESTABLISHED', 'RELATED']))])))) continue;
      let left = may;
      const verdict = e.kind === 'accept' ? 'ACCEPT' : 'DROP';
      let same = true;
      let decidedBy: KRule | undefined;
      // Looking at most REDUNDANT_LOOKAHEAD rules further keeps long chains linear; undecided means not reported.
      const later = ks.filter((x) => x.rule.ref.index > k.rule.ref.index);
      if (later.length > REDUNDANT_LOOKAHEAD && chain.policy === verdict) continue;
      for (const n of later.slice(0, REDUNDANT_LOOKAHEAD)) {
        if (isEmpty(left)) break;
        const nf = reach.facts(n.rule, n.table, n.chain);
        const overlap = intersectSets(left, nf.match.upper);
        if (isEmpty(overlap)) continue;
        // Without this rule its packets would meet that one: if it leaves a trace (LOG, NFLOG, TRACE, SET, TEE:
        // an extension target) or keeps state (a limit's tokens, a recent list), removing this rule changes
        // something even where the verdict stays (a DROP of a noisy source before a LOG is no duplicate).
        if (n.rule.target.kind === 'ext' || n.rule.matches.some((m) => STATEFUL_MATCHES.has(m.name))) {
          same = false;
          break;
        }
        const ne = nf.effect;
        if (ne.kind === 'continue' && !ne.rewrite) continue;
        if ((ne.kind === 'accept' || ne.kind === 'drop') && (ne.kind === 'accept' ? 'ACCEPT' : 'DROP') === verdict && n.rule.target.kind === 'verdict') {
          left = subtractSets(left, nf.match.lower);
          if (isEmpty(subtractSets(overlap, nf.match.lower))) decidedBy ??= n;
          continue;
        }
        same = false;
        break;
      }
      if (!same) continue;
      if (!isEmpty(left) && chain.policy !== verdict) continue;
      const by = decidedBy && isEmpty(left) ? `line ${decidedBy.line + 1}` : `the ${chain.name} policy (${chain.policy})`;
      out.push({ code: 'redundant-rule', severity: 'hint', message: `Redundant: without this rule the same packets would meet ${verdict} anyway (${by}).`, span: k.loaded?.command.span ?? span(k.line, 0, 0), fixes: [deleteFix(k.line)] });
    }
  }
  return out;
}

export { CT_STATES, Field };
