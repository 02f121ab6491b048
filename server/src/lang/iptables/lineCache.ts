/**
 * What a parse keeps for the next parse of the same document
 * (ParseOptions.previous), one entry per line: the rule command of each line
 * the fast path read (its shape, ruleShape.ts, depends only on the line's
 * text and table), the table where the fast path declined a line, each chain
 * line's words (ChainLine). A line of the new text whose text and line end
 * are those of a line of the old one, found through the two texts' common
 * beginning and common end (an edit shifts the lines below it), takes the old
 * line's entry: the very command (and kernel rule) when it kept its place,
 * else a new command on the old shape, if the table is the same; such a
 * rule line in an open table of that name is not even read again. Each
 * table iptables-nft's validation found valid is kept too (validTable.ts):
 * the next parse reuses that validation, and the names jumped to that the
 * lints read, when its chains and jump graph are the same. The stateful walk
 * over the lines (tables, chains, commands), the other COMMIT checks and the
 * rest of the lints run again. The family and backend must be the same.
 */
import type { Backend } from './extension';
import type { Family } from './inet';
import type { ChainNames } from './chainNames';
import type { ChainLine } from './chainLine';
import type { RuleCommand } from './ruleLine';
import type { ValidTable } from './validTable';
import type { TableBlock } from './ast';
import type { LoadedTable } from './ruleset';
import type { TableState } from './tableState';
import { piecesOf, type Text } from '../pieceText';

export type LineEntry = RuleCommand | ChainLine | string | undefined;

/** A committed table block of a parse, for a reparse that splices it (tableSplice.ts). */
export interface BlockRecord {
  readonly block: TableBlock;
  readonly loaded: LoadedTable;
  /** Its state at COMMIT. */
  readonly state: TableState;
  /** Its diagnostics: the parse's diagnostics [diagFrom, diagTo), those from commitFrom on found at its COMMIT. */
  readonly diagFrom: number;
  readonly commitFrom: number;
  readonly diagTo: number;
}

export class LineCache {
  /**
   * By document line (one entry per line, so the array stays dense): its fast
   * rule command, its chain line (words and columns do not depend on where it
   * is), the table in which the fast path declined it, or undefined.
   */
  entries: LineEntry[] = [];
  /** By table name: the last block of it iptables-nft's validation found valid (validTable.ts). */
  readonly valid = new Map<string, ValidTable>();
  /** The committed table blocks, in file order. */
  blocks: BlockRecord[] = [];
  /** Whether "-h"/"-V" ended the load, a line was read in pieces, or a rule named a shared kernel object (hashlimit, RATEEST). */
  exited = false;
  multiPiece = false;
  sharedUsed = false;
  /** Whether this parse spliced one table of the previous one (tableSplice.ts), and how far the lines below the edit moved; for tests. */
  spliced = false;
  movedBy = 0;
  /** How many one-place splices made this parse of an edit in several places (editSteps.ts); 0: one place, or none. For tests. */
  steps = 0;

  constructor(
    readonly family: Family,
    readonly backend: Backend,
    /** The document's text: a string, or the editor's pieces (pieceText.ts). */
    readonly text: Text,
    /** Offset of each line in `text`. */
    public lineStarts: readonly number[],
    readonly names: ChainNames,
  ) {}
}

/** Finds, for lines of a new text, the same line in the previous text. */
export class LineMatcher {
  private prefix = -1;
  private suffixFrom = 0;
  private lineShift = 0;

  constructor(
    private readonly old: LineCache,
    private readonly text: Text,
  ) {}

  /**
   * The previous parse's entry for the whole line `index` at [start, end)
   * (end excludes its newline), if the previous text had the same line.
   */
  at(index: number, start: number, end: number, hasNewline: boolean): LineEntry {
    const i = this.oldIndex(index, start, end, hasNewline);
    return i < 0 ? undefined : this.old.entries[i];
  }

  /** The index of the same line in the previous text, or -1. */
  private oldIndex(index: number, start: number, end: number, hasNewline: boolean): number {
    if (this.prefix < 0) this.compare();
    const old = this.old;
    const starts = old.lineStarts;
    // Inside the common beginning, with its newline: the same line number.
    if (hasNewline && end + 1 <= this.prefix) return starts[index] === start ? index : -1;
    // Inside the common end: shifted by the length difference, if a line starts there.
    if (start >= this.suffixFrom) {
      const oldStart = start + old.text.length - this.text.length;
      // Lines of the common end keep their distance to the last line: one search, then a check per line.
      let i = index + this.lineShift;
      if (starts[i] !== oldStart) {
        i = this.lineIndexIn(starts, oldStart);
        if (i < 0) return -1;
        this.lineShift = i - index;
      }
      return i;
    }
    return -1;
  }

  /**
   * When the two texts differ only in the old text's lines [first, end),
   * which became the new text's lines [first, newEnd) (at most `max` of
   * them; every line after them is the same line, moved by newEnd - end):
   * those lines, with their starts in the new text.
   */
  changedLines(max: number): { first: number; end: number; newEnd: number; starts: number[] } | undefined {
    if (this.prefix < 0) this.compare();
    const oldStarts = this.old.lineStarts;
    const b = this.text;
    const first = this.lineIndexIn(oldStarts, this.prefix);
    if (first < 0) return undefined;
    const shift = this.old.text.length - b.length;
    const starts: number[] = [];
    for (let s = this.prefix, k = 0; k <= max; k++) {
      const end = s >= this.suffixFrom ? this.lineIndexIn(oldStarts, s + shift) : -1;
      if (end >= first) return end === first && k === 0 ? undefined : { first, end, newEnd: first + k, starts };
      const nl = b.indexOf('\n', s);
      if (nl < 0) return undefined;
      starts.push(s);
      s = nl + 1;
    }
    return undefined;
  }

  private lineIndexIn(starts: readonly number[], offset: number): number {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = starts[mid]!;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Common beginning and end of the two texts (the end not overlapping the beginning). */
  private compare(): void {
    const a = this.old.text;
    const b = this.text;
    const max = Math.min(a.length, b.length);
    // As pieces (a string is one): stretches both texts take from the same string are not read.
    const pa = piecesOf(a);
    const pb = piecesOf(b);
    // Only whole lines count: the end may then claim the line where the beginning stops.
    this.prefix = b.lastIndexOf('\n', pa.commonPrefix(pb, max, commonPrefix) - 1) + 1;
    const suffix = pa.commonSuffix(pb, max - this.prefix, commonSuffixAt);
    this.suffixFrom = b.length - suffix;
  }
}

const BLOCK = 4096;

/** Length of the common beginning of a from offset ia and b from ib, at most max. */
export function commonPrefix(a: string, b: string, max: number, ia = 0, ib = 0): number {
  let i = 0;
  // Whole blocks first: slices compare without copying.
  while (i + BLOCK <= max && a.slice(ia + i, ia + i + BLOCK) === b.slice(ib + i, ib + i + BLOCK)) i += BLOCK;
  while (i < max && a.charCodeAt(ia + i) === b.charCodeAt(ib + i)) i++;
  return i;
}

/** Length of the common end of a and b, at most max. */
export function commonSuffix(a: string, b: string, max: number): number {
  return commonSuffixAt(a, a.length, b, b.length, max);
}

/** Length of the common end of a before offset la and b before lb, at most max. */
export function commonSuffixAt(a: string, la: number, b: string, lb: number, max: number): number {
  let n = 0;
  while (n + BLOCK <= max && a.slice(la - n - BLOCK, la - n) === b.slice(lb - n - BLOCK, lb - n)) n += BLOCK;
  while (n < max && a.charCodeAt(la - n - 1) === b.charCodeAt(lb - n - 1)) n++;
  return n;
}

const caches = new WeakMap<object, LineCache>();

export function cacheOf(parsed: object): LineCache | undefined {
  return caches.get(parsed);
}

export function keepCache(parsed: object, cache: LineCache): void {
  caches.set(parsed, cache);
}

/**
 * A copy of a line's text that does not hold the whole document: shapes made
 * in a reparse live on in the parses after it, and a slice would keep every
 * version of a large document alive.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}
