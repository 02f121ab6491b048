/**
 * An edit made in several places at once (multi-cursor, "replace all", a
 * quick fix that deletes a line here and inserts it there) as a sequence of
 * texts, each differing from the one before in one place only.
 *
 * A reparse splices one edited stretch of lines into the previous parse
 * (tableSplice.ts); the lines between two edits far apart would otherwise all
 * count as edited, and a large file would be walked whole (two one-line
 * edits 1,000 services apart cost a 17,012-rule dump a walk of every rule and
 * ~11,000 reachability walks, against ~6 for one edit). Parsing each step on
 * the one before gives the same result as parsing the final text, whatever
 * the steps are: they only decide how much each parse can reuse.
 */
import { commonPrefix, commonSuffix } from './lineCache';

/** More separate places than this: parsed as one edit. */
export const MAX_EDIT_PLACES = 16;
/** How far (in lines, on either side) the two texts may drift apart inside one place. */
const RESYNC_LINES = 64;
/** Equal lines in a row that end a place (fewer at the end of the texts). */
const RESYNC_RUN = 3;

/** Lines of one text from an offset on, read one at a time, each as a string. */
class LineCursor {
  private readonly lines: string[] = [];
  private readonly starts: number[] = [];
  private next: number;

  constructor(
    private readonly text: string,
    from: number,
    private readonly to: number,
  ) {
    this.next = from;
  }

  /** Line `i` (counted from `from`), or undefined past `to`. */
  line(i: number): string | undefined {
    while (this.lines.length <= i && this.next < this.to) {
      const nl = this.text.indexOf('\n', this.next);
      const end = nl < 0 || nl >= this.to ? this.to : nl;
      this.starts.push(this.next);
      this.lines.push(this.text.slice(this.next, end));
      this.next = end + 1;
    }
    return this.lines[i];
  }

  /** Offset of line `i` (the end offset when i is the line count). */
  offset(i: number): number {
    this.line(i);
    return i < this.starts.length ? this.starts[i]! : Math.min(this.next, this.to);
  }
}

/**
 * The texts between `old` and `text` when they differ in 2 to MAX_EDIT_PLACES
 * separate stretches of lines: the k-th is `text` up to the end of its k-th
 * stretch followed by `old` after its own (the last, `text` itself, is left
 * out). Undefined when they differ in one place, or in more, or where the
 * lines do not come back into step within RESYNC_LINES.
 */
export function editSteps(old: string, text: string): string[] | undefined {
  const max = Math.min(old.length, text.length);
  // The common beginning, up to a line start.
  const from = text.lastIndexOf('\n', commonPrefix(old, text, max) - 1) + 1;
  // The common end, from a line start on both sides: where it starts inside a line, from the end of that line
  // (the old and the new text agree up to there). A part of a line would be compared with a line of another length.
  let oldTo = old.length - commonSuffix(old, text, max - from);
  let newTo = text.length - (old.length - oldTo);
  if (!(oldTo === from || old.charCodeAt(oldTo - 1) === 10) || !(newTo === from || text.charCodeAt(newTo - 1) === 10)) {
    const nl = old.indexOf('\n', oldTo);
    const step = nl < 0 ? old.length - oldTo : nl + 1 - oldTo;
    oldTo += step;
    newTo += step;
  }
  // Line starts in the old and the new text, in step: equal stretches are skipped at the speed of a string compare.
  let pa = from;
  let pb = from;
  const places: { oldEnd: number; newEnd: number }[] = [];
  for (;;) {
    const same = commonPrefix(old, text, Math.min(oldTo - pa, newTo - pb), pa, pb);
    // The first line that differs (or is on one side only).
    const back = old.lastIndexOf('\n', pa + same - 1) + 1 - pa;
    pa += back;
    pb += back;
    if (pa >= oldTo && pb >= newTo) break;
    if (places.length === MAX_EDIT_PLACES) return undefined;
    const a = new LineCursor(old, pa, oldTo);
    const b = new LineCursor(text, pb, newTo);
    const at = resync(a, b);
    if (!at) return undefined;
    pa = a.offset(at.da);
    pb = b.offset(at.db);
    places.push({ oldEnd: pa, newEnd: pb });
  }
  if (places.length < 2) return undefined;
  return places.slice(0, -1).map((p) => text.slice(0, p.newEnd) + old.slice(p.oldEnd));
}

/**
 * The fewest lines (da of the old text, db of the new) after which the two
 * texts are in step again: RESYNC_RUN equal lines in a row, or both at their
 * ends. Same-length replacements are tried first.
 */
function resync(a: LineCursor, b: LineCursor): { da: number; db: number } | undefined {
  for (let t = 1; t <= RESYNC_LINES; t++) {
    if (inStep(a, b, t, t)) return { da: t, db: t };
    for (let d = 1; d <= t; d++) {
      if (inStep(a, b, t - d, t)) return { da: t - d, db: t };
      if (inStep(a, b, t, t - d)) return { da: t, db: t - d };
    }
  }
  return undefined;
}

function inStep(a: LineCursor, b: LineCursor, i: number, j: number): boolean {
  for (let k = 0; k < RESYNC_RUN; k++) {
    const x = a.line(i + k);
    const y = b.line(j + k);
    if (x === undefined || y === undefined) return x === y;
    if (x !== y) return false;
  }
  return true;
}
