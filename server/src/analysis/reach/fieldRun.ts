/**
 * A sum of sets of n boxes each, every box of an added set differing from
 * the sum's box at its place in one field only, the same for all (what a
 * route list's 8,453 "-d X -j RETURN" rules return, each rule's packets the
 * entry's boxes narrowed to one destination block). Folding unionSets over
 * them joins each box into the sum's and that field's union copies the
 * growing set every time: quadratic (~0.9 s for that list). Here each field
 * grows in a private array (each range put in place, by bisection) and
 * the boxes are made once, when the sum is read: the very boxes, field sets
 * and order the fold makes, because the run holds only while merge() can do
 * nothing else than join each added box into the sum's box at its place
 * (the sum's boxes pairwise apart in two other fields, their grouping keys
 * distinct, each added box new in that field), and the fold's identity
 * decisions are followed step by step (merge keeps a box that meets an equal
 * set as it is; union hands back a single range that covers the other set,
 * else makes a new array).
 */
import { FIELD_COUNT, type Box } from '../space/fields';
import { equalSets, type IntSet } from '../space/intSet';
import { keyWithout, soleDifference, type PacketSet } from '../space/packetSet';

/** One box of the sum: its field as the fold has it. */
class Slot {
  /** The field's set, in an array of ours (never handed out). */
  content: number[];
  /** The object the fold holds for the field: one of the inputs' sets, or undefined for a new array. */
  held: IntSet | undefined;
  /** Whether the fold made a new box. */
  changed = false;

  constructor(readonly box: Box, field: number) {
    this.content = box[field]!.slice();
    this.held = box[field];
  }

  value(field: number): Box {
    if (!this.changed) return this.box;
    const y = this.box.slice();
    y[field] = this.held ?? this.content.slice();
    return y;
  }
}

export class FieldRun {
  private constructor(
    private readonly slots: Slot[],
    private readonly field: number,
  ) {}

  /** A run from the sum's boxes and an added set that differs from them box by box in one field, with the set added; else undefined. */
  static start(sum: PacketSet, b: PacketSet): FieldRun | undefined {
    if (sum.length !== b.length || !sum.length) return undefined;
    const field = soleDifference(sum[0]!, b[0]!);
    if (field < 0) return undefined;
    // merge() must have nothing to join but each added box into the sum's at its place.
    const keys = new Set<number>();
    for (let i = 0; i < sum.length; i++) {
      keys.add(keyWithout(sum[i]!, field));
      for (let j = i + 1; j < sum.length; j++) if (differences(sum[i]!, sum[j]!, field) < 2) return undefined;
    }
    if (keys.size !== sum.length) return undefined;
    const run = new FieldRun(sum.map((x) => new Slot(x, field)), field);
    return run.add(b) ? run : undefined;
  }

  /** Adds b (what the fold does with it) when each of its boxes differs from the sum's at its place in the run's field only; false, and nothing done, otherwise. */
  add(b: PacketSet): boolean {
    const f = this.field;
    const slots = this.slots;
    if (b.length !== slots.length) return false;
    for (let i = 0; i < slots.length; i++) {
      const box = slots[i]!.box;
      const x = b[i]!;
      for (let k = 0; k < FIELD_COUNT; k++) if (k !== f && x[k] !== box[k] && !equalSets(x[k]!, box[k]!)) return false;
      if (equalSets(slots[i]!.content, x[f]!)) return false;
    }
    for (let i = 0; i < slots.length; i++) join(slots[i]!, b[i]![f]!);
    return true;
  }

  /** The sum now: a new array, as each of the fold's unions makes. */
  value(): Box[] {
    return this.slots.map((s) => s.value(this.field));
  }
}

/** union(slot's set, s) as the fold keeps it: the slot's own set when one range around s, s when one range around it, else a new array. */
function join(slot: Slot, s: IntSet): void {
  slot.changed = true;
  const c = slot.content;
  if (c.length === 2 && c[0]! <= s[0]! && c[1]! >= s[s.length - 1]!) return;
  if (s.length === 2 && s[0]! <= c[0]! && s[1]! >= c[c.length - 1]!) {
    slot.content = s.slice();
    slot.held = s;
    return;
  }
  slot.held = undefined;
  for (let r = 0; r < s.length; r += 2) insertRange(c, s[r]!, s[r + 1]!);
}

/** Puts [lo, hi] into sorted, disjoint, non-adjacent ranges in place (what union makes of them), joining the ranges it meets or touches. */
function insertRange(c: number[], lo: number, hi: number): void {
  // The first range that ends at or after lo - 1.
  let a = 0;
  let z = c.length >> 1;
  while (a < z) {
    const m = (a + z) >> 1;
    if (c[2 * m + 1]! + 1 < lo) a = m + 1;
    else z = m;
  }
  const i = 2 * a;
  let j = i;
  while (j < c.length && c[j]! <= hi + 1) {
    if (c[j]! < lo) lo = c[j]!;
    if (c[j + 1]! > hi) hi = c[j + 1]!;
    j += 2;
  }
  c.splice(i, j - i, lo, hi);
}

/** In how many fields but `skip` x and y differ. */
function differences(x: Box, y: Box, skip: number): number {
  let n = 0;
  for (let k = 0; k < FIELD_COUNT; k++) if (k !== skip && x[k] !== y[k] && !equalSets(x[k]!, y[k]!)) n++;
  return n;
}
