/**
 * A reparse after an edit inside one table's rule lines (none of the lines
 * before or after it a table, chain, comment or COMMIT line) need not walk
 * the whole file again: when the previous parse of that
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
 *
 * When the edit adds or removes lines, everything below it moves: the rule
 * lines below the edit and every table after it get new commands and kernel
 * rules at their new lines (the shapes stay). Diagnostics name lines in
 * their messages, so that is done only when no diagnostic is at or refers
 * to a line below the edit's start, and when every table after it is
 * append-only too.
 */
import type { Diagnostic } from '../diagnostic';
import type { Command, TableBlock } from './ast';
import { ChainLine } from './chainLine';
import { movedChain, movedSpan } from './moved';
import type { BlockRecord, LineCache } from './lineCache';
import type { ParsedIptables } from './restoreParser';
import { RuleCommand } from './ruleLine';
import type { LoadedRule, LoadedTable } from './ruleset';
import { SlotMap } from './slotMap';
import { TableState, type StateError, type TableContext } from './tableState';
import type { Text } from '../pieceText';

/** At most this many edited lines are walked; a larger change is parsed whole. */
export const SPLICE_MAX_LINES = 256;
/** Longer lines might be read in pieces (restoreLine would shift). */
const MAX_LINE = 3000;

export interface SpliceSite {
  readonly record: BlockRecord;
  /** Its index in LineCache.blocks. */
  readonly index: number;
  /** The edited lines: the old text's [first, end), the new text's [first, newEnd). */
  readonly first: number;
  readonly end: number;
  readonly newEnd: number;
  /** How far the lines below the edit move. */
  readonly delta: number;
  /** Where the edited lines start in the new text. */
  readonly starts: readonly number[];
}

/** Where a splice can take the new text, or undefined. */
export function spliceSite(prev: ParsedIptables, old: LineCache, region: { first: number; end: number; newEnd: number; starts: number[] } | undefined, text: Text): SpliceSite | undefined {
  if (!region || old.exited || old.multiPiece || old.sharedUsed) return undefined;
  const { first, end, newEnd } = region;
  const index = old.blocks.findIndex((r) => r.block.line < first && r.block.commitLine !== undefined && end <= r.block.commitLine);
  const record = old.blocks[index];
  if (!record || !record.state.appendOnly) return undefined;
  const name = record.block.name.text;
  if (prev.ruleset.tables.get(name) !== record.loaded || prev.file.tables.filter((b) => b.name.text === name).length !== 1) return undefined;
  for (let i = first; i < end; i++) if (!plainRuleLine(old.text, old.lineStarts[i]!)) return undefined;
  for (const start of region.starts) if (!plainRuleLine(text, start)) return undefined;
  const delta = newEnd - end;
  if (delta !== 0 && !movable(prev, old, index, first, end)) return undefined;
  return { record, index, first, end, newEnd, delta, starts: region.starts };
}

/**
 * Whether the lines below an edit of [first, end) in table `index` can move:
 * the tables after it are append-only, every diagnostic kept is above
 * `first` and refers to nothing below it, and the table's own errors below
 * the edit are none.
 */
function movable(prev: ParsedIptables, old: LineCache, index: number, first: number, end: number): boolean {
  const record = old.blocks[index]!;
  const later = old.blocks.slice(index + 1);
  const at = prev.file.tables.indexOf(record.block);
  const after = prev.file.tables.slice(at + 1);
  if (after.length !== later.length || after.some((b, i) => b !== later[i]!.block) || later.some((r) => !r.state.appendOnly)) return false;
  if (record.state.hasErrorsFrom(end)) return false;
  const ds = prev.diagnostics;
  for (let i = 0; i < ds.length; i++) {
    if (i >= record.diagFrom && i < record.commitFrom) {
      const line = ds[i]!.span.start.line;
      if (line >= first && line < end) continue;
    } else if (i >= record.commitFrom && i < record.diagTo) continue;
    if (!above(ds[i]!, first)) return false;
  }
  return true;
}

/** Whether a diagnostic is on lines above `line` and refers to none below. */
function above(d: Diagnostic, line: number): boolean {
  if (d.span.end.line >= line) return false;
  if (d.related?.some((r) => r.uri === undefined && r.span.end.line >= line)) return false;
  if (d.fixes?.some((f) => f.edits.some((e) => e.span.end.line >= line))) return false;
  return !d.restore || (d.restore.reportedLine <= line && d.restore.detectedAtLine <= line);
}

/** A chain line that moved by `delta`. */
export function movedChainLine(c: ChainLine, delta: number): ChainLine {
  return c.movedTo(c.line + delta, c.restoreLine + delta, c.builtin);
}

/**
 * An append-only table without diagnostics, all of whose lines moved by
 * `delta`: its commands, kernel rules and chain lines made anew at their
 * lines (the shapes and facts are the same), or undefined if it is not one.
 */
export function movedTable(record: BlockRecord, delta: number, ctx: TableContext, report: (e: StateError) => void): BlockRecord | undefined {
  const was = record.block;
  // (A copy set anew chain by chain, in the same order: the next lint tells the chains apart by name, lints.ts.)
  const chains = SlotMap.copyOf(record.loaded.chains);
  for (const ch of record.loaded.chains.values()) chains.set(ch.name, movedChain(ch, delta, []));
  const commands: Command[] = [];
  const ops: LoadedRule[] = [];
  for (const c of was.commands) {
    const chain = c instanceof RuleCommand && c.kind === 'A' ? chains.get(c.shape.chain ?? '') : undefined;
    if (!chain || !(c instanceof RuleCommand)) return undefined;
    const cmd = new RuleCommand(c.line + delta, c.restoreLine + delta, c.shape);
    const rule = cmd.loadedIn(chain.name);
    commands.push(cmd);
    chain.rules.push(rule);
    ops.push(rule);
  }
  if (!record.state.hasOps(ops.length)) return undefined;
  const chainLines: ChainLine[] = [];
  for (const c of was.chains) {
    if (!(c instanceof ChainLine)) return undefined;
    chainLines.push(movedChainLine(c, delta));
  }
  const block: TableBlock = {
    name: { text: was.name.text, span: movedSpan(was.name.span, delta) },
    line: was.line + delta,
    chains: chainLines,
    commands,
    ...(was.commitLine !== undefined ? { commitLine: was.commitLine + delta } : {}),
    span: movedSpan(was.span, delta),
  };
  const loaded: LoadedTable = { name: record.loaded.name, block, chains, builtins: record.loaded.builtins, committed: record.loaded.committed };
  const state = TableState.moved(record.state, block, loaded, ctx, report, ops, delta);
  state.retire();
  return { block, loaded, state, diagFrom: record.diagFrom, commitFrom: record.commitFrom, diagTo: record.diagTo };
}

/** A line that neither starts nor ends a table, declares a chain or is a comment, and is read in one piece. */
function plainRuleLine(text: Text, start: number): boolean {
  const nl = text.indexOf('\n', start);
  const end = nl < 0 ? text.length : nl;
  if (end - start > MAX_LINE) return false;
  const line = text.slice(start, end);
  const c = line[0];
  if (c === '#' || c === ':' || c === '*' || line.startsWith('COMMIT')) return false;
  for (let i = 0; i < line.length; i++) {
    const k = line.charCodeAt(i);
    if (k === 13 || k === 0) return false;
  }
  return true;
}

/** A diagnostic kept from the previous parse, with the place among the errors it has now (Diagnostic.restore.seq). */
export function withSeq(d: Diagnostic, seq: number): Diagnostic {
  return d.restore && d.restore.seq !== seq ? { ...d, restore: { ...d.restore, seq } } : d;
}
