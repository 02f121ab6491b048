/**
 * Explanations of rules no packet reaches, kept from one analysis of a
 * document to the next. A file with many shadowed rules had every one of
 * them explained again on every edit (17,012 rules with 300 such rules: ~90
 * ms of an edit's ~170 ms; with 1,000: ~245 of ~315).
 *
 * An explanation reads its chain's record (the rules' conditions, what they
 * took, the packets entering and at which hooks), the chains its blocking
 * jumps call and those chains' records, the space, the address facts and the text of a few lines. It is
 * kept on the chain's record; an analysis that took the record over
 * (walkMemo.ts: every entry replayed in order, its chain and sites this
 * compile's) reads it back when everything else it read is the same object or
 * text, and the rules it names by line are still there. Anything else explains
 * the rule again.
 */
import type { EmuChain, EmuRule } from '../emulator/compile';
import type { LoadedRule } from '../lang/iptables/ruleset';
import type { ChainRecord } from './reach/recorder';
import type { Reachability } from './reachability';

type LineText = (line: number) => string | undefined;

/** What an explanation read besides its chain's record: chains of its table, lines' texts, and other rules' lines. */
export class ExplainReads {
  readonly chains: Array<{ readonly name: string; readonly chain: EmuChain | undefined }> = [];
  /** Records of other chains whose rules' hits it read (a jump's called chain: which of its rules decide; a DROP in an earlier table: `table`). */
  readonly records: Array<{ readonly table?: string; readonly name: string; readonly record: ChainRecord | undefined }> = [];
  readonly lines: Array<{ readonly line: number; readonly text: string | undefined }> = [];
  /** Rules it names by line (a chain kept by the compile may have moved: compile.ts `shifted`). */
  readonly ruleLines: Array<{ readonly rule: EmuRule; readonly line: number }> = [];

  /** The rule's line now (Reachability.lineOf), noted. */
  line(reach: Reachability, rule: EmuRule): number {
    const line = reach.lineOf(rule);
    this.ruleLines.push({ rule, line });
    return line;
  }
}

interface Kept {
  readonly value: unknown;
  readonly rule: EmuRule;
  readonly loaded: LoadedRule | undefined;
  readonly chain: EmuChain | undefined;
  readonly space: unknown;
  readonly addrs: unknown;
  readonly reads: ExplainReads;
  /** Whether it was given the document's lines (quick fixes that move a rule need them). */
  readonly withLines: boolean;
}

const kept = new WeakMap<ChainRecord, Map<number, Kept>>();
const reusedBy = new WeakMap<Reachability, number>();

/** How many explanations this analysis's findings read back instead of making (tests). */
export function explanationsReused(reach: Reachability): number {
  return reusedBy.get(reach) ?? 0;
}

/**
 * `explain(reads, lineText)` for the rule at `rule`'s place in table/chain, or what an earlier
 * analysis's call returned when nothing it read changed. `explain` must read other chains only
 * through `reads` and lines only through the lineText it is given.
 */
export function explainedOnce<D>(
  reach: Reachability,
  where: { readonly table: string; readonly chain: string; readonly rule: EmuRule; readonly loaded: LoadedRule | undefined },
  lineText: LineText | undefined,
  explain: (reads: ExplainReads, lineText: LineText | undefined) => D,
): D {
  const { table, rule, loaded } = where;
  const rec = reach.rec.existing(table, where.chain);
  const chain = reach.emu.tables.get(table)?.chains.get(where.chain);
  const k = rec && kept.get(rec)?.get(rule.ref.index);
  if (k && k.rule === rule && k.loaded === loaded && k.chain === chain && k.space === reach.space && k.addrs === reach.rec.addrs && k.withLines === (lineText !== undefined) && sameReads(k.reads, reach, table, lineText)) {
    reusedBy.set(reach, explanationsReused(reach) + 1);
    return k.value as D;
  }
  const reads = new ExplainReads();
  const reading = lineText && ((line: number): string | undefined => {
    const text = lineText(line);
    reads.lines.push({ line, text });
    return text;
  });
  const value = explain(reads, reading);
  // Only a record that holds this very rule (not a stray's) speaks for it.
  if (rec && rec.rules[rule.ref.index]?.facts.rule === rule) {
    let byRule = kept.get(rec);
    if (!byRule) kept.set(rec, (byRule = new Map()));
    byRule.set(rule.ref.index, { value, rule, loaded, chain, space: reach.space, addrs: reach.rec.addrs, reads, withLines: lineText !== undefined });
  }
  return value;
}

function sameReads(r: ExplainReads, reach: Reachability, table: string, lineText: LineText | undefined): boolean {
  const chains = reach.emu.tables.get(table)?.chains;
  for (const c of r.chains) if (chains?.get(c.name) !== c.chain) return false;
  for (const c of r.records) if (reach.rec.existing(c.table ?? table, c.name) !== c.record) return false;
  for (const l of r.lines) if ((lineText ? lineText(l.line) : undefined) !== l.text) return false;
  for (const l of r.ruleLines) if (reach.lineOf(l.rule) !== l.line) return false;
  return true;
}
