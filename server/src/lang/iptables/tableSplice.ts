/**
 * A reparse after an edit inside one table's rule lines (the same number of
 * lines before and after, none of them a table, chain, comment or COMMIT
 * line) need not walk the whole file again: when the previous parse of that
 * table was an iptables-save dump's kind (every command an -A adding one
 * rule at the end of its chain, or failing; see TableState.appendOnly), the
 * table's state before the edit and the rules after it are taken from the
 * previous state, only the edited lines are walked, and the COMMIT checks
 * run as usual. The lines above and below the edit meet the same chains
 * as before (rule lines declare none), so their diagnostics are kept; the
 * other tables, their diagnostics and every other line's entry are the
 * previous parse's.
 * Anything that could make the result differ from a full walk's declines
 * the splice (FileParser.splice walks everything then): lines read in
 * pieces, "-h", shared kernel objects (hashlimit, RATEEST: they tie tables
 * together), a table name used twice, Windows line ends or NUL on the
 * edited lines. reuse.test.ts compares both on random edits.
 */
import type { Diagnostic } from '../diagnostic';
import type { Command } from './ast';
import type { BlockRecord, LineCache } from './lineCache';
import type { ParsedIptables } from './restoreParser';

/** At most this many edited lines are walked; a larger change is parsed whole. */
export const SPLICE_MAX_LINES = 256;
/** Longer lines might be read in pieces (restoreLine would shift). */
const MAX_LINE = 3000;

export interface SpliceSite {
  readonly record: BlockRecord;
  /** Its index in LineCache.blocks. */
  readonly index: number;
  readonly first: number;
  readonly end: number;
  /** Where the edited lines start in the new text. */
  readonly starts: readonly number[];
}

/** Where a splice can take the new text, or undefined. */
export function spliceSite(prev: ParsedIptables, old: LineCache, region: { first: number; end: number; starts: number[] } | undefined, text: string): SpliceSite | undefined {
  if (!region || old.exited || old.multiPiece || old.sharedUsed) return undefined;
  const { first, end } = region;
  const index = old.blocks.findIndex((r) => r.block.line < first && r.block.commitLine !== undefined && end <= r.block.commitLine);
  const record = old.blocks[index];
  if (!record || !record.state.appendOnly) return undefined;
  const name = record.block.name.text;
  if (prev.ruleset.tables.get(name) !== record.loaded || prev.file.tables.filter((b) => b.name.text === name).length !== 1) return undefined;
  for (let i = first; i < end; i++) {
    if (!plainRuleLine(old.text, old.lineStarts[i]!) || !plainRuleLine(text, region.starts[i - first]!)) return undefined;
  }
  return { record, index, first, end, starts: region.starts };
}

/** A line that neither starts nor ends a table, declares a chain or is a comment, and is read in one piece. */
function plainRuleLine(text: string, start: number): boolean {
  const nl = text.indexOf('\n', start);
  const end = nl < 0 ? text.length : nl;
  if (end - start > MAX_LINE) return false;
  const c = text[start];
  if (c === '#' || c === ':' || c === '*' || text.startsWith('COMMIT', start)) return false;
  for (let i = start; i < end; i++) {
    const k = text.charCodeAt(i);
    if (k === 13 || k === 0) return false;
  }
  return true;
}

/** Index of the first command at or after `line` (commands of an append-only table are in line order). */
export function firstCommandAt(commands: readonly Command[], line: number): number {
  let lo = 0;
  let hi = commands.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (commands[mid]!.line < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A diagnostic kept from the previous parse, with the place among the errors it has now (Diagnostic.restore.seq). */
export function withSeq(d: Diagnostic, seq: number): Diagnostic {
  return d.restore && d.restore.seq !== seq ? { ...d, restore: { ...d.restore, seq } } : d;
}
