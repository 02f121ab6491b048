/**
 * A text kept as pieces of other strings. An edit of a 26 MB document makes a few pieces that point
 * into the text before it, where a string would be the whole text again: V8 makes a joined string
 * contiguous (26 MB copied into memory the process has not touched) the first time it is read. The
 * editor's document keeps one (server/src/pieceDocument.ts); the parser reads the lines an edit
 * changed through it (lang/iptables/lineCache.ts) and makes it one string only for a full parse.
 */

/** A document's text as the parser reads it: a string, or pieces. */
export type Text = string | PieceText;

/** Past this many pieces an edit makes the text one string again (once per ~30 edits). */
const MAX_PIECES = 64;

export class PieceText {
  private joined: string | undefined;

  private constructor(
    /** Piece k is srcs[k] from froms[k], starts[k + 1] - starts[k] characters long. */
    private readonly srcs: readonly string[],
    private readonly froms: readonly number[],
    /** Where each piece starts in this text, and the text's length last. */
    private readonly starts: readonly number[],
  ) {}

  static of(text: string): PieceText {
    const t = new PieceText(text ? [text] : [], text ? [0] : [], text ? [0, text.length] : [0]);
    t.joined = text;
    return t;
  }

  get length(): number {
    return this.starts[this.starts.length - 1]!;
  }

  get pieceCount(): number {
    return this.srcs.length;
  }

  /** This text with [start, end) replaced by `text` (start and end clamped to the text). */
  edit(start: number, end: number, text: string): PieceText {
    const len = this.length;
    start = Math.max(0, Math.min(start, len));
    end = Math.max(start, Math.min(end, len));
    const srcs: string[] = [];
    const froms: number[] = [];
    const starts: number[] = [0];
    const put = (src: string, from: number, n: number): void => {
      if (n <= 0) return;
      srcs.push(src);
      froms.push(from);
      starts.push(starts[starts.length - 1]! + n);
    };
    for (let k = 0; k < this.srcs.length && this.starts[k]! < start; k++) put(this.srcs[k]!, this.froms[k]!, Math.min(this.starts[k + 1]!, start) - this.starts[k]!);
    put(text, 0, text.length);
    for (let k = end < len ? this.pieceAt(end) : this.srcs.length; k < this.srcs.length; k++) {
      const skip = Math.max(0, end - this.starts[k]!);
      put(this.srcs[k]!, this.froms[k]! + skip, this.starts[k + 1]! - this.starts[k]! - skip);
    }
    const out = new PieceText(srcs, froms, starts);
    return srcs.length > MAX_PIECES ? PieceText.of(out.flat()) : out;
  }

  /** The text as one string (made once). */
  flat(): string {
    if (this.joined === undefined) {
      const parts: string[] = [];
      for (let k = 0; k < this.srcs.length; k++) parts.push(this.srcs[k]!.slice(this.froms[k]!, this.froms[k]! + this.starts[k + 1]! - this.starts[k]!));
      this.joined = parts.join('');
    }
    return this.joined;
  }

  /** The piece holding offset i (0 <= i < length): pieces are never empty, so their starts ascend. */
  private pieceAt(i: number): number {
    return Math.max(0, firstAbove(this.starts, i) - 1);
  }

  charCodeAt(i: number): number {
    if (!(i >= 0 && i < this.length)) return NaN;
    const k = this.pieceAt(i);
    return this.srcs[k]!.charCodeAt(this.froms[k]! + i - this.starts[k]!);
  }

  /** As String.prototype.indexOf. */
  indexOf(search: string, from = 0): number {
    if (search.length !== 1) return this.flat().indexOf(search, from);
    let i = Math.max(0, Math.min(Math.trunc(from) || 0, this.length));
    if (i >= this.length) return -1;
    for (let k = this.pieceAt(i); k < this.srcs.length; k++) {
      const src = this.srcs[k]!;
      const base = this.froms[k]! - this.starts[k]!;
      const at = src.indexOf(search, base + Math.max(i, this.starts[k]!));
      if (at >= 0 && at < base + this.starts[k + 1]!) return at - base;
    }
    return -1;
  }

  /** As String.prototype.lastIndexOf. */
  lastIndexOf(search: string, from = Infinity): number {
    if (search.length !== 1) return this.flat().lastIndexOf(search, from);
    if (!this.length) return -1;
    const i = Math.max(0, Math.min(Number.isNaN(from) ? Infinity : Math.trunc(from), this.length - 1));
    for (let k = this.pieceAt(i); k >= 0; k--) {
      const src = this.srcs[k]!;
      const base = this.froms[k]! - this.starts[k]!;
      const at = src.lastIndexOf(search, base + Math.min(i, this.starts[k + 1]! - 1));
      if (at >= base + this.starts[k]!) return at - base;
    }
    return -1;
  }

  /** As String.prototype.slice, for 0 <= a <= b (others clamped as slice does not: callers pass offsets in the text). */
  slice(a: number, b = this.length): string {
    a = Math.max(0, Math.min(a, this.length));
    b = Math.max(a, Math.min(b, this.length));
    if (a === b) return '';
    const k = this.pieceAt(a);
    if (b <= this.starts[k + 1]!) return this.srcs[k]!.slice(this.froms[k]! + a - this.starts[k]!, this.froms[k]! + b - this.starts[k]!);
    const parts: string[] = [];
    for (let j = k; j < this.srcs.length && this.starts[j]! < b; j++) {
      const s = Math.max(a, this.starts[j]!);
      const e = Math.min(b, this.starts[j + 1]!);
      parts.push(this.srcs[j]!.slice(this.froms[j]! + s - this.starts[j]!, this.froms[j]! + e - this.starts[j]!));
    }
    return parts.join('');
  }

  /**
   * Length of the common beginning of this text and `other`, at most `max`: stretches where both
   * point at the same place of the same string are passed over without reading them.
   */
  commonPrefix(other: PieceText, max: number, compare: (a: string, b: string, n: number, ia: number, ib: number) => number): number {
    let i = 0;
    while (i < max) {
      const ka = this.pieceAt(i);
      const kb = other.pieceAt(i);
      const end = Math.min(this.starts[ka + 1]!, other.starts[kb + 1]!, max);
      const oa = this.froms[ka]! + i - this.starts[ka]!;
      const ob = other.froms[kb]! + i - other.starts[kb]!;
      if (this.srcs[ka] === other.srcs[kb] && oa === ob) {
        i = end;
        continue;
      }
      const n = compare(this.srcs[ka]!, other.srcs[kb]!, end - i, oa, ob);
      i += n;
      if (i < end) return i;
    }
    return i;
  }

  /** Length of the common end of this text and `other`, at most `max` (as commonPrefix, from the ends). */
  commonSuffix(other: PieceText, max: number, compare: (a: string, ea: number, b: string, eb: number, n: number) => number): number {
    let n = 0;
    while (n < max) {
      const pa = this.length - n - 1;
      const pb = other.length - n - 1;
      const ka = this.pieceAt(pa);
      const kb = other.pieceAt(pb);
      const run = Math.min(pa - this.starts[ka]! + 1, pb - other.starts[kb]! + 1, max - n);
      // Exclusive ends of the stretch in each piece's string.
      const ea = this.froms[ka]! + pa - this.starts[ka]! + 1;
      const eb = other.froms[kb]! + pb - other.starts[kb]! + 1;
      if (this.srcs[ka] === other.srcs[kb] && ea === eb) {
        n += run;
        continue;
      }
      const m = compare(this.srcs[ka]!, ea, other.srcs[kb]!, eb, run);
      n += m;
      if (m < run) return n;
    }
    return n;
  }
}

/** The first index whose value is above v (values ascending): a bisection. */
export function firstAbove(values: readonly number[], v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The text as one string. */
export function flatOf(t: Text): string {
  return typeof t === 'string' ? t : t.flat();
}

/** The text as pieces (a string is one piece). */
export function piecesOf(t: Text): PieceText {
  return typeof t === 'string' ? PieceText.of(t) : t;
}
