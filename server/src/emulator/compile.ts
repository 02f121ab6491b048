/**
 * The loaded ruleset, compiled for evaluation: per table, chains with
 * policies and rules whose header (addresses, interfaces, protocol) is plain
 * numbers and whose matches and targets point at their evaluators. A rule
 * with several -s/-d addresses becomes several kernel rules, as iptables
 * expands it.
 */
import type { ExtensionUse, RuleSpec } from '../lang/iptables/ast';
import type { Family } from '../lang/iptables/inet';
import { RuleModels } from '../lang/iptables/ruleModels';
import { SlotMap } from '../lang/iptables/slotMap';
import type { LoadedChain, LoadedRule, LoadedTable, Ruleset } from '../lang/iptables/ruleset';
import type { Matcher, TargetFn } from './context';
import { MATCHERS, TARGETS } from './registry';
import { noteHints } from './host/infer';
import type { RuleRef } from './trace';

export interface NetMatch {
  readonly addr: number;
  readonly mask: number;
  readonly invert: boolean;
  /** "-s 10.0.0.0/8" as the trace shows it. */
  readonly text: string;
}

export interface IfMatch {
  /** Name without the "+" wildcard. */
  readonly name: string;
  readonly prefix: boolean;
  readonly invert: boolean;
  readonly text: string;
}

export interface CompiledMatch {
  readonly name: string;
  /** Its options as the extension parsed them (what the evaluator reads). */
  readonly data: unknown;
  /** Undefined when the emulator cannot evaluate this extension. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly fn: Matcher<any> | undefined;
  /** "-m conntrack --ctstate NEW" as the trace shows it. */
  readonly text: string;
}

export type CompiledTarget =
  | { readonly kind: 'none' }
  | { readonly kind: 'verdict'; readonly verdict: 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE' }
  | { readonly kind: 'jump'; readonly chain: string; readonly goto: boolean }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | { readonly kind: 'ext'; readonly name: string; readonly data: unknown; readonly fn: TargetFn<any> | undefined };

export interface EmuRule {
  /**
   * Its place. `line` is where it was when compiled: a compile made from an earlier one
   * (recompileRuleset) keeps the chains whose lines only moved, so analyses read a rule's line from
   * the parse (Reachability.lineOf); the emulator's own compiles are made afresh.
   */
  readonly ref: RuleRef;
  /** "table/chain/index/line" (the line as in ref). */
  readonly id: string;
  readonly src?: NetMatch;
  readonly dst?: NetMatch;
  readonly iif?: IfMatch;
  readonly oif?: IfMatch;
  readonly proto?: { readonly num: number; readonly invert: boolean; readonly text: string };
  readonly frag?: { readonly invert: boolean };
  readonly matches: readonly CompiledMatch[];
  readonly target: CompiledTarget;
}

export interface EmuChain {
  /** A number of its own (analyses index walks into chains by it). */
  readonly uid: number;
  readonly name: string;
  readonly builtin: boolean;
  readonly policy: 'ACCEPT' | 'DROP';
  readonly rules: readonly EmuRule[];
  /**
   * A compile (EmuTable.compile) known to hold it under its name: written by analyses that looked
   * it up there (or found it kept there: Recorder), read by those that would trust a chain they
   * were handed from the previous compile. Only ever the truth for the compile it names.
   */
  inCompile: number;
}

export interface EmuTable {
  readonly name: string;
  readonly chains: ReadonlyMap<string, EmuChain>;
  /** Its compile's number (recompileRuleset). */
  readonly compile: number;
  /** The parse's table it was compiled from (the next compile compares its chains with this one's: keptExcept). */
  readonly loaded?: LoadedTable;
}

export interface EmuRuleset {
  readonly family: Family;
  readonly tables: ReadonlyMap<string, EmuTable>;
  /**
   * Whether some loaded rule turns connection tracking on in the namespace
   * (nf_ct_netns_get() in its checkentry). Without one the kernel tracks
   * nothing: packets carry no conntrack entry and the nat chains never run.
   */
  readonly conntrackActive: boolean;
  /** This compile's number (its tables' `compile`). */
  readonly id: number;
}

let compiles = 0;

function needsConntrack(t: LoadedTable): boolean {
  for (const c of t.chains.values()) if (!c.absent) for (const r of c.rules) if (r.facts.conntrack) return true;
  return false;
}

function cidrText(addr: number, prefix: number): string {
  return `${(addr >>> 24) & 255}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${prefix}`;
}

function ifMatch(i: RuleSpec['inIface'], opt: string): IfMatch | undefined {
  if (!i) return undefined;
  const prefix = i.name.endsWith('+');
  return { name: prefix ? i.name.slice(0, -1) : i.name, prefix, invert: i.invert, text: `${i.invert ? '! ' : ''}${opt} ${i.name}` };
}

function useText(u: ExtensionUse, kind: 'match' | 'target'): string {
  const word = (w: string): string => (/[\s"]/.test(w) || w === '' ? JSON.stringify(w) : w);
  const opts = u.options.map((o) => `${o.invert ? '! ' : ''}--${o.name}${o.arg !== undefined ? ` ${word(o.arg)}` : ''}${o.more ? o.more.map((w) => ` ${word(w)}`).join('') : ''}`).join(' ');
  const head = kind === 'match' ? (u.implicit ? '' : `-m ${u.name}`) : `-j ${u.name}`;
  return [head, opts].filter(Boolean).join(' ');
}

function compileTarget(spec: RuleSpec): CompiledTarget {
  const t = spec.target;
  if (!t) return { kind: 'none' };
  if (t.kind === 'verdict') return { kind: 'verdict', verdict: t.name };
  if (t.kind === 'jump') return { kind: 'jump', chain: t.chain, goto: t.goto };
  return { kind: 'ext', name: t.use.name, data: t.use.data, fn: TARGETS.get(t.use.name)?.fn };
}

/**
 * A chain whose rules are compiled when a packet first enters it: building a
 * rule's model parses its line again, and most of a large ruleset's chains
 * (one per service, per endpoint) are never reached by a given trace.
 */
let chainsMade = 0;

class LazyChain implements EmuChain {
  readonly uid = ++chainsMade;
  inCompile = 0;
  private compiled: EmuRule[] | undefined;
  readonly name: string;
  readonly builtin: boolean;
  readonly policy: 'ACCEPT' | 'DROP';
  /** The loaded rules it was made from (a reparse that leaves the chain alone keeps the same array). */
  private readonly from: readonly LoadedRule[];
  /** The loaded rules it was last kept for (standsFor): its own, or the same kernel rules at other lines. */
  private seen: readonly LoadedRule[];
  /**
   * The previous compile's chain of this name when this one is an edit of it: its compiled rules
   * that are still the same loaded rule at the same place are taken over (the same objects, so an
   * analysis sees the jump sites of the lines the edit left alone as unchanged). Let go of once compiled.
   */
  private edited: { readonly from: readonly LoadedRule[]; readonly rules: readonly EmuRule[] } | undefined;

  constructor(
    private readonly table: LoadedTable,
    private readonly chain: LoadedChain,
    private readonly models: RuleModels,
    edited?: LazyChain,
  ) {
    this.name = chain.name;
    this.builtin = chain.builtin;
    this.policy = chain.policy;
    this.from = chain.rules;
    this.seen = chain.rules;
    // Only rules already compiled: compiling the previous chain now would cost what compiling this one does.
    this.edited = edited?.compiled && edited.table.name === table.name ? { from: edited.from, rules: edited.compiled } : undefined;
  }

  get rules(): readonly EmuRule[] {
    if (this.compiled) return this.compiled;
    const edited = this.edited;
    this.edited = undefined;
    return (this.compiled = compileRules(this.table, this.chain, this.models, edited));
  }

  /**
   * Whether this compiles that chain as it is now: the same policy and 'same' loaded rules as it was
   * last kept for, in the same array (a reparse left the chain alone) or in a copy (a splice copies
   * the built-in chains of the table it re-walks, most of them without a change: tableSplice.ts); or
   * 'moved': rule by rule the same kernel rules at other lines (lines added or removed above them:
   * sameLoadedRule), which it is kept for from now on. Undefined when it must be compiled anew.
   */
  standsFor(table: LoadedTable, chain: LoadedChain): 'same' | 'moved' | undefined {
    const a = this.seen;
    const b = chain.rules;
    if (this.policy !== chain.policy || this.table.name !== table.name || this.chain.builtin !== chain.builtin) return undefined;
    if (a === b) return 'same';
    if (a.length !== b.length) return undefined;
    let same = true;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      if (!sameLoadedRule(a[i]!, b[i]!)) return undefined;
      same = false;
    }
    if (same) return 'same';
    this.seen = b;
    return 'moved';
  }

}

/**
 * A table's chains; those the previous compile made of the very same loaded chains, or of the same
 * loaded rules, are taken over (compiled rules and all). When the chains are the previous ones by
 * name in order (an edit inside chains), the result is a copy of the previous map with the changed
 * chains set in it (SlotMap: a kube dump's 60,000 chains took ~10 ms to set one by one).
 */
function compileTable(t: LoadedTable, compile: number, previous: EmuTable | undefined, changes: { made: Set<EmuChain>; shifted: Set<EmuChain> } | undefined, models: RuleModels): { readonly table: EmuTable; readonly replaced?: readonly string[] } {
  const kept = previous && changes ? keptExcept(t, compile, previous, changes, models) : undefined;
  if (kept) return kept;
  tableScans++;
  const out: EmuChain[] = [];
  const changed: EmuChain[] = [];
  // The previous compile's chains in its order, read alongside: a reparse keeps the table's chain order,
  // so the chain at the same place is nearly always the one of this name (looking each of a kube dump's
  // 60,000 up took ~7 ms per edit). Looked up when it is not.
  const before = previous?.chains.values();
  let inOrder = previous !== undefined;
  for (const c of t.chains.values()) {
    if (c.absent) continue;
    const next = before?.next();
    const atPlace = next !== undefined && !next.done && next.value.name === c.name;
    if (!atPlace) inOrder = false;
    const old = atPlace ? next.value : previous?.chains.get(c.name);
    const now = keptOrMade(t, c, old, models, changes);
    out.push(now);
    if (atPlace && now !== old) changed.push(now);
  }
  if (inOrder && previous && out.length === previous.chains.size) {
    const chains = SlotMap.copyOf(previous.chains);
    for (const c of changed) chains.set(c.name, c);
    return { table: { name: t.name, chains, compile, loaded: t }, replaced: changed.map((c) => c.name) };
  }
  const chains = new SlotMap<EmuChain>();
  for (const c of out) chains.set(c.name, c);
  return { table: { name: t.name, chains, compile, loaded: t } };
}

/** Tables compiled by reading each of their chains (not by keptExcept) so far in this process: tests read it. */
let tableScans = 0;
export function compileTableScans(): number {
  return tableScans;
}

/**
 * compileTable's result read off the parse's changes alone, when the parse's chains are the map the
 * previous compile was made from, edited in place (SlotMap.changed: the same names in the same order,
 * one pointer comparison per chain) and neither holds an absent chain: the previous compile's chains,
 * those the parse changed kept as compileTable keeps them (standsFor) or made anew. compileTable's loop
 * reads every one of a kube dump's 60,000 chains and makes an iterator result for each (~10 ms and
 * ~5 MB per edit). Undefined when that cannot be told so.
 */
function keptExcept(t: LoadedTable, compile: number, previous: EmuTable, changes: { made: Set<EmuChain>; shifted: Set<EmuChain> }, models: RuleModels): { readonly table: EmuTable; readonly replaced: readonly string[] } | undefined {
  const was = previous.loaded;
  const diff = was && previous.chains instanceof SlotMap ? SlotMap.changed(was.chains, t.chains) : undefined;
  // (As many compiled chains as parsed ones: none of the previous parse's was absent.)
  if (!diff || previous.chains.size !== t.chains.size) return undefined;
  for (const c of diff.now) if (c.absent) return undefined;
  const chains = SlotMap.copyOf(previous.chains as SlotMap<EmuChain>);
  const replaced: string[] = [];
  for (let k = 0; k < diff.names.length; k++) {
    const c = diff.now[k]!;
    const old = previous.chains.get(c.name);
    const now = keptOrMade(t, c, old, models, changes);
    if (now === old) continue;
    chains.set(c.name, now);
    replaced.push(c.name);
  }
  return { table: { name: t.name, chains, compile, loaded: t }, replaced };
}

/**
 * A parsed chain compiled, given the previous compile's chain of its name: that chain when it stands
 * for the same rules, at other lines too (lines added or removed above them; noted `shifted`), its
 * compiled rules keeping the lines they were compiled at; else a chain made anew (noted `made`), which
 * takes over the previous one's compiled rules where the edit left them alone.
 */
function keptOrMade(t: LoadedTable, c: LoadedChain, old: EmuChain | undefined, models: RuleModels, changes: { made: Set<EmuChain>; shifted: Set<EmuChain> } | undefined): EmuChain {
  const stands = old instanceof LazyChain ? old.standsFor(t, c) : undefined;
  if (stands) {
    if (stands === 'moved') changes?.shifted.add(old!);
    return old!;
  }
  const fresh = new LazyChain(t, c, models, changes && old instanceof LazyChain ? old : undefined);
  changes?.made.add(fresh);
  return fresh;
}

/**
 * A match: its name, data and evaluator. Its text is written when first read (most rules are never
 * traced), from the rule's model read again: the parsed use (options, spans) is not kept for every rule.
 */
class MatchOf implements CompiledMatch {
  private written: string | undefined;
  readonly name: string;
  readonly data: unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly fn: Matcher<any> | undefined;

  constructor(
    use: ExtensionUse,
    private readonly rule: LoadedRule,
    private readonly index: number,
    private readonly models: RuleModels,
  ) {
    this.name = use.name;
    this.data = use.data;
    this.fn = MATCHERS.get(use.name)?.fn;
  }

  get text(): string {
    return (this.written ??= useText(this.rule.specFrom(this.models).matches[this.index]!, 'match'));
  }
}

/** An address condition; its text ("! -s 10.0.0.0/8") written when first read. */
class NetMatchOf implements NetMatch {
  private written: string | undefined;

  constructor(
    readonly addr: number,
    readonly mask: number,
    readonly invert: boolean,
    private readonly prefix: number,
    private readonly opt: '-s' | '-d',
  ) {}

  get text(): string {
    return (this.written ??= `${this.invert ? '! ' : ''}${this.opt} ${cidrText(this.addr, this.prefix)}`);
  }
}

/**
 * One object per protocol spelling, negated or not (they never change): 100,000 rules of a kube
 * dump say "-p tcp". The spelling decides the number (checked all the same).
 */
const protoMatches = [new Map<string, NonNullable<EmuRule['proto']>>(), new Map<string, NonNullable<EmuRule['proto']>>()] as const;

function protoMatch(num: number, invert: boolean, text: string): NonNullable<EmuRule['proto']> {
  const bySpelling = protoMatches[invert ? 1 : 0];
  const p = bySpelling.get(text);
  if (p?.num === num) return p;
  const made = { num, invert, text: `${invert ? '! ' : ''}-p ${text}` };
  if (!p) bySpelling.set(text, made);
  return made;
}

function compileRules(t: LoadedTable, c: LoadedChain, models: RuleModels, edited?: { readonly from: readonly LoadedRule[]; readonly rules: readonly EmuRule[] }): EmuRule[] {
  const rules: EmuRule[] = [];
  for (const lr of c.rules) {
    // A rule an edit of the chain left alone, at the same place (its line may have moved): the previous compile's rule.
    const i = rules.length;
    const from = edited?.from[i];
    const kept = from !== undefined && sameLoadedRule(from, lr) ? edited!.rules[i] : undefined;
    if (kept && kept.ref.index === i && kept.ref.chain === c.name && kept.ref.table === t.name) {
      rules.push(kept);
      continue;
    }
    const s = lr.specFrom(models);
    noteHints(lr, s, t.name, c.name);
    // The loader already made one kernel rule per address pair (srcIndex/dstIndex).
    const sc = s.src?.v4[lr.srcIndex ?? 0];
    const dc = s.dst?.v4[lr.dstIndex ?? 0];
    const matches: CompiledMatch[] = s.matches.map((m, i) => new MatchOf(m, lr, i, models));
    const target = compileTarget(s);
    const proto = s.proto && (s.proto.num !== 0 || s.proto.invert) ? protoMatch(s.proto.num, s.proto.invert, s.proto.text) : undefined;
    rules.push(emuRule(t.name, c.name, rules.length, lr.command.line, {
      src: sc && (sc.prefix !== 0 || s.src!.invert) ? new NetMatchOf(sc.addr, sc.mask, s.src!.invert, sc.prefix, '-s') : undefined,
      dst: dc && (dc.prefix !== 0 || s.dst!.invert) ? new NetMatchOf(dc.addr, dc.mask, s.dst!.invert, dc.prefix, '-d') : undefined,
      iif: ifMatch(s.inIface, '-i'),
      oif: ifMatch(s.outIface, '-o'),
      proto,
      frag: s.fragment ? { invert: s.fragment.invert } : undefined,
      matches,
      target,
    }));
  }
  // Most chains have a few rules: kept at their own length (pushing onto [] makes room for 17).
  return rules.length < 16 ? rules.slice() : rules;
}

/** What a compiled rule takes from its text (not from its line). */
type RuleConditions = Omit<EmuRule, 'ref' | 'id'>;

/** A compiled rule at its place: one class, so one object shape for the code that reads them. */
class CompiledRule implements EmuRule {
  readonly ref: RuleRef;
  readonly src: NetMatch | undefined;
  readonly dst: NetMatch | undefined;
  readonly iif: IfMatch | undefined;
  readonly oif: IfMatch | undefined;
  readonly proto: EmuRule['proto'];
  readonly frag: EmuRule['frag'];
  readonly matches: readonly CompiledMatch[];
  readonly target: CompiledTarget;
  private idText: string | undefined = undefined;

  constructor(table: string, chain: string, index: number, line: number, c: RuleConditions) {
    this.ref = { table, chain, index, line };
    this.src = c.src;
    this.dst = c.dst;
    this.iif = c.iif;
    this.oif = c.oif;
    this.proto = c.proto;
    this.frag = c.frag;
    this.matches = c.matches;
    this.target = c.target;
  }

  /** "table/chain/index/line", written when first read: kept for every rule it cost ~220 bytes each (a string joined from seven parts). */
  get id(): string {
    return (this.idText ??= `${this.ref.table}/${this.ref.chain}/${this.ref.index}/${this.ref.line}`);
  }
}

function emuRule(table: string, chain: string, index: number, line: number, c: RuleConditions): EmuRule {
  return new CompiledRule(table, chain, index, line, c);
}

/**
 * Whether two loaded rules are the same kernel rule, wherever their lines are: the same facts object
 * (a reparse keeps a moved line's shape and facts; a changed line, or a jump renamed by -E, has new
 * ones) and the same address pair.
 */
function sameLoadedRule(x: LoadedRule, y: LoadedRule): boolean {
  return x.facts === y.facts && x.srcIndex === y.srcIndex && x.dstIndex === y.dstIndex;
}

/** Compiles the tables that loaded (tables with load errors are left out). */
export function compileRuleset(rs: Ruleset): EmuRuleset {
  return recompileRuleset(rs).emu;
}

/** A compile made from an earlier one (recompileRuleset), and what changed. */
export interface Recompiled {
  readonly emu: EmuRuleset;
  /** The chains made anew (the others are the previous compile's very objects); none listed without a previous compile. */
  readonly made: ReadonlySet<EmuChain>;
  /**
   * Of the previous compile's chains kept, those kept for other loaded rules than they were last kept
   * for: the same kernel rules at other lines (lines added or removed above them). Their compiled rules
   * keep the lines they were compiled at (EmuRule.ref), so an analysis reads a rule's line from the
   * parse (Reachability.lineOf).
   */
  readonly shifted: ReadonlySet<EmuChain>;
  /**
   * When every table's chains are the previous compile's by name and in order (an edit inside
   * chains): per table, the names whose chain object is new; every other name's chain is the
   * previous compile's object. Undefined otherwise.
   */
  readonly replaced?: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * compileRuleset, given the compile of an earlier parse of the same document: chains the reparse
 * left untouched (the same loaded chain object: see tableSplice.ts) are its very EmuChain objects,
 * so analyses can tell them apart.
 */
export function recompileRuleset(rs: Ruleset, previous?: EmuRuleset): Recompiled {
  const tables = new Map<string, EmuTable>();
  const made = new Set<EmuChain>();
  const shifted = new Set<EmuChain>();
  // (Without a previous compile every chain is new: nothing to list.)
  const changes = previous ? { made, shifted } : undefined;
  // Chains compile when first entered: they read their models through this compile's reader.
  const models = new RuleModels();
  const id = ++compiles;
  let replaced: Map<string, ReadonlySet<string>> | undefined = previous ? new Map() : undefined;
  for (const t of rs.tables.values()) {
    if (!t.committed) continue;
    const c = compileTable(t, id, previous?.tables.get(t.name), changes, models);
    tables.set(t.name, c.table);
    if (replaced && c.replaced) replaced.set(t.name, new Set(c.replaced));
    else replaced = undefined;
  }
  if (previous && previous.tables.size !== tables.size) replaced = undefined;
  const conntrackActive = [...rs.tables.values()].some((t) => t.committed && needsConntrack(t));
  return { emu: { family: rs.family, tables, conntrackActive, id }, made, shifted, ...(replaced ? { replaced } : {}) };
}

export { useText };
