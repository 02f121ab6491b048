/**
 * The kernel rules of each line of a parse, for hover (ruleFlows.ts): flat arrays chained by line,
 * made on a version's first hover (a map of lists cost ~110 ms at 170,012 rules). After an edit that
 * kept every other chain's rules at their lines, a version's index is made from an earlier one's:
 * the entries of the chains made anew are unlinked and theirs added, instead of the ~35 ms of
 * reading every rule's line again that the first hover after each edit paid.
 */
import type { EmuRule, EmuRuleset } from '../emulator/compile';
import type { LoadedRule, Ruleset } from '../lang/iptables/ruleset';

export interface LineIndex {
  /** Per line, its first rule's place in `rules`, or -1. */
  readonly first: Int32Array;
  /** Per rule, the next rule of its line, or -1. */
  readonly next: Int32Array;
  /** Per rule, its line. */
  readonly lines: Int32Array;
  readonly rules: EmuRule[];
  readonly tables: string[];
  readonly chains: string[];
  /** Places no line leads to any more (a derived index's unlinked entries). */
  readonly garbage: number;
}

/** Per table, the names of chains made anew (Recompiled.replaced). */
export type ReplacedChains = ReadonlyMap<string, ReadonlySet<string>>;

let derived = 0;
/** Indexes made from an earlier one so far in this process (tests read it). */
export function lineIndexesDerived(): number {
  return derived;
}

/**
 * Every kernel rule of the compile at its line in the parse (a compiled rule's own line is where it was
 * when compiled: a compile made from an earlier one keeps rules whose lines moved). `afresh`: the
 * compile was made from this parse alone, so each rule's own line is its line in the parse, read
 * without going through the parse's chains (~35 → ~15 ms at 170,012 rules, the first hover after opening).
 */
export function buildLineIndex(emu: EmuRuleset, rs: Ruleset, afresh = false): LineIndex {
  const rules: EmuRule[] = [];
  const tables: string[] = [];
  const chains: string[] = [];
  const lines: number[] = [];
  let max = -1;
  for (const t of emu.tables.values()) {
    const lt = afresh ? undefined : rs.tables.get(t.name);
    // The parse's chains read alongside (the compile keeps their order, leaving out absent ones), looked up where a name differs.
    const parsed = lt?.chains.values();
    for (const c of t.chains.values()) {
      let loaded: readonly LoadedRule[] | undefined;
      if (!afresh) {
        let p = parsed?.next();
        while (p && !p.done && p.value.absent) p = parsed!.next();
        loaded = (p && !p.done && p.value.name === c.name ? p.value : lt?.chains.get(c.name))?.rules;
      }
      for (const rule of c.rules) {
        const line = afresh ? rule.ref.line : (loaded?.[rule.ref.index]?.command.line ?? -1);
        if (line < 0) continue;
        rules.push(rule);
        tables.push(t.name);
        chains.push(c.name);
        lines.push(line);
        if (line > max) max = line;
      }
    }
  }
  const first = new Int32Array(max + 1).fill(-1);
  const next = new Int32Array(rules.length);
  // From the last rule back, so that each line's list holds its rules in table and chain order.
  for (let k = rules.length - 1; k >= 0; k--) {
    next[k] = first[lines[k]!]!;
    first[lines[k]!] = k;
  }
  return { first, next, lines: Int32Array.from(lines), rules, tables, chains, garbage: 0 };
}

/**
 * `base` (an earlier version's index, left as it is) made this version's: every chain but the
 * `replaced` ones is the earlier compile's object with its rules at the same lines (the caller
 * checks: no chain shifted). Undefined when a fresh index is the better answer (as many places
 * unlinked as live) or the only right one (a line that another chain still holds).
 */
export function deriveLineIndex(base: LineIndex, replaced: ReplacedChains, emu: EmuRuleset, rs: Ruleset): LineIndex | undefined {
  // What the chains made anew hold now, at their lines.
  const added: Array<{ readonly rule: EmuRule; readonly table: string; readonly chain: string; readonly line: number }> = [];
  let max = base.first.length - 1;
  for (const [table, names] of replaced) {
    const t = emu.tables.get(table);
    const lt = rs.tables.get(table);
    for (const chain of names) {
      const c = t?.chains.get(chain);
      if (!c) continue;
      const loaded = lt?.chains.get(chain)?.rules;
      for (const rule of c.rules) {
        const line = loaded?.[rule.ref.index]?.command.line ?? -1;
        if (line < 0) continue;
        added.push({ rule, table, chain, line });
        if (line > max) max = line;
      }
    }
  }
  const n = base.rules.length;
  const total = n + added.length;
  const first = new Int32Array(max + 1).fill(-1);
  first.set(base.first);
  const next = new Int32Array(total);
  next.set(base.next);
  const lines = new Int32Array(total);
  lines.set(base.lines);
  const rules = base.rules.slice();
  const tables = base.tables.slice();
  const chains = base.chains.slice();
  let garbage = base.garbage;
  for (let k = 0; k < n; k++) {
    if (replaced.get(tables[k]!)?.has(chains[k]!) !== true) continue;
    if (unlink(first, next, lines[k]!, k)) garbage++;
  }
  for (let a = 0; a < added.length; a++) {
    const { rule, table, chain, line } = added[a]!;
    const k = n + a;
    // A line's list holds one chain's rules: here only those added just now, in order, or the index is built afresh.
    let tail = -1;
    for (let j = first[line]!; j >= 0; j = next[j]!) {
      if (j < n || chains[j] !== chain || tables[j] !== table) return undefined;
      tail = j;
    }
    rules.push(rule);
    tables.push(table);
    chains.push(chain);
    lines[k] = line;
    next[k] = -1;
    if (tail < 0) first[line] = k;
    else next[tail] = k;
  }
  if (garbage * 2 > total) return undefined;
  derived++;
  return { first, next, lines, rules, tables, chains, garbage };
}

/** Takes place k out of its line's list; false when it was not in it (unlinked before). */
function unlink(first: Int32Array, next: Int32Array, line: number, k: number): boolean {
  if (line >= first.length) return false;
  if (first[line] === k) {
    first[line] = next[k]!;
    return true;
  }
  for (let j = first[line]!; j >= 0; j = next[j]!) {
    if (next[j] !== k) continue;
    next[j] = next[k]!;
    return true;
  }
  return false;
}

/** The index's rules at a line, in table and chain order. */
export function rulesAtLine(ix: LineIndex, line: number): Array<{ table: string; chain: string; rule: EmuRule }> {
  const out: Array<{ table: string; chain: string; rule: EmuRule }> = [];
  for (let k = line >= 0 && line < ix.first.length ? ix.first[line]! : -1; k >= 0; k = ix.next[k]!) out.push({ table: ix.tables[k]!, chain: ix.chains[k]!, rule: ix.rules[k]! });
  return out;
}

/**
 * Every rule's line, for lookups by rule (ruleFlows.ts, a rule jumped to from many sites): the index's
 * live places, made once per index.
 */
export function linesByRule(ix: LineIndex): ReadonlyMap<EmuRule, number> {
  let out = ruleLines.get(ix);
  if (out) return out;
  const made = new Map<EmuRule, number>();
  for (let line = 0; line < ix.first.length; line++) for (let k = ix.first[line]!; k >= 0; k = ix.next[k]!) made.set(ix.rules[k]!, line);
  ruleLines.set(ix, (out = made));
  return out;
}

const ruleLines = new WeakMap<LineIndex, ReadonlyMap<EmuRule, number>>();
