/**
 * A set minus many holes, where long runs of consecutive holes differ in
 * one field only and hold every box of the set in every other field: a
 * block list's "-s X -j DROP" rules, thousands of them, subtracted from the
 * flow a later rule without "-s" matches. One hole after another cuts that
 * field of each box again, and the field grows a range per hole: quadratic
 * in the holes (a 23,094-rule block list spent ~12 s of its 13 s analysis
 * there). Such a run cuts the field once, by the union of its holes' field;
 * the holes between runs are subtracted one after another as before.
 *
 * The result is the very one one hole after another gives, boxes and shared
 * objects alike: a box no hole of the run meets is kept as it is; one a hole
 * meets becomes a copy of it with only that field new (what boxSubtract makes
 * when the hole holds the box's other fields: the same object, or one range
 * around it); one the holes cover goes.
 */
import { FIELD_COUNT, type Box } from './fields';
import { equalSets, fromRanges, overlaps, subtract, type IntSet } from './intSet';
import type { PacketSet } from './packetSet';

/** Runs shorter than this are subtracted one hole after another. */
const MIN_RUN = 32;

/**
 * a minus the holes, in order, the long alike runs at once and the rest through `oneByOne`;
 * undefined when there is no long run (the caller subtracts them all one by one).
 */
export function subtractInRuns(a: PacketSet, holes: PacketSet, oneByOne: (a: PacketSet, holes: PacketSet) => Box[]): Box[] | undefined {
  let cur: PacketSet = a;
  let done = 0;
  let found = false;
  for (let start = 0; start < holes.length; ) {
    const run = runAt(holes, start);
    if (run.end - start < MIN_RUN || run.field < 0) {
      start = run.end > start + 1 ? run.end : start + 1;
      continue;
    }
    found = true;
    if (start > done) cur = oneByOne(cur, holes.slice(done, start));
    const h0 = holes[start]!;
    const held = cur.every((x) => heldBy(h0, x, run.field));
    cur = held ? cutField(cur, run.field, unionOf(holes.slice(start, run.end), run.field)) : oneByOne(cur, holes.slice(start, run.end));
    done = run.end;
    start = run.end;
  }
  if (!found) return undefined;
  return done < holes.length ? oneByOne(cur, holes.slice(done)) : (cur as Box[]);
}

/** The longest run of holes from `start` that differ from the first in one field at most (-1: none yet). */
function runAt(holes: PacketSet, start: number): { end: number; field: number } {
  const h0 = holes[start]!;
  let field = -1;
  let end = start + 1;
  outer: for (; end < holes.length; end++) {
    const h = holes[end]!;
    for (let f = 0; f < FIELD_COUNT; f++) {
      if (f === field || h[f] === h0[f] || equalSets(h[f]!, h0[f]!)) continue;
      if (field >= 0) break outer;
      field = f;
    }
  }
  return { end, field };
}

/** Whether the hole holds box x in every field but `field`, so that subtracting it keeps x's own sets there. */
function heldBy(h: Box, x: Box, field: number): boolean {
  for (let f = 0; f < FIELD_COUNT; f++) if (f !== field && !holds(h[f]!, x[f]!)) return false;
  return true;
}

function holds(h: IntSet, x: IntSet): boolean {
  return h === x || (h.length === 2 && h[0]! <= x[0]! && h[1]! >= x[x.length - 1]!);
}

/** The union of the holes' field: their ranges sorted once and joined (a union at a time copies the growing set each time). */
function unionOf(holes: PacketSet, field: number): IntSet {
  const ranges: Array<[number, number]> = [];
  for (const h of holes) {
    const s = h[field]!;
    for (let i = 0; i < s.length; i += 2) ranges.push([s[i]!, s[i + 1]!]);
  }
  return fromRanges(ranges);
}

function cutField(a: PacketSet, field: number, union: IntSet): Box[] {
  const out: Box[] = [];
  for (const x of a) {
    if (!overlaps(x[field]!, union)) {
      out.push(x);
      continue;
    }
    const rest = subtract(x[field]!, union);
    if (!rest.length) continue;
    const y = x.slice();
    y[field] = rest;
    out.push(y);
  }
  return out;
}
