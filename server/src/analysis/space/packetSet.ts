/**
 * Sets of packets as unions of disjoint boxes: a box gives every field a set
 * of values and holds the packets whose fields all lie in them. Rules match
 * boxes (a conjunction of per-field conditions; a negation or a port list is
 * still one field's set), so a rule is one box or a few, and "what reaches
 * rule n" is a union of differences. Boxes stay disjoint, so emptiness is
 * "no boxes" and sizes add up.
 */
import { Field, FIELD_COUNT, type Box, type Space } from './fields';
import { EMPTY, intersect, isEmptySet, range, subtract as subtractSet, overlaps, within, type IntSet, equalSets, union as unionSet } from './intSet';

export type PacketSet = readonly Box[];

export const NONE: PacketSet = [];

export function fullBox(space: Space): Box {
  return space.max.map((m) => range(0, m));
}

export function all(space: Space): PacketSet {
  return [fullBox(space)];
}

/** The box of every packet with `field` in `values` (others free). */
export function where(space: Space, field: Field, values: IntSet): PacketSet {
  if (isEmptySet(values)) return NONE;
  const b = fullBox(space).slice();
  b[field] = intersect(values, range(0, space.max[field]!));
  return isEmptySet(b[field]!) ? NONE : [b];
}

export function boxIntersect(a: Box, b: Box): Box | undefined {
  const out: IntSet[] = new Array(FIELD_COUNT);
  for (let i = 0; i < FIELD_COUNT; i++) {
    const s = intersect(a[i]!, b[i]!);
    if (isEmptySet(s)) return undefined;
    out[i] = s;
  }
  return out;
}

function boxesOverlap(a: Box, b: Box): boolean {
  for (let i = 0; i < FIELD_COUNT; i++) if (!overlaps(a[i]!, b[i]!)) return false;
  return true;
}

/** a − b as disjoint boxes: peel off, field by field, the part of a outside b. */
export function boxSubtract(a: Box, b: Box): Box[] {
  if (!boxesOverlap(a, b)) return [a];
  const out: Box[] = [];
  const cur = a.slice();
  for (let i = 0; i < FIELD_COUNT; i++) {
    const outside = subtractSet(cur[i]!, b[i]!);
    if (!isEmptySet(outside)) {
      const piece = cur.slice();
      piece[i] = outside;
      out.push(piece);
    }
    cur[i] = intersect(cur[i]!, b[i]!);
  }
  return out;
}

export function intersectSets(a: PacketSet, b: PacketSet): PacketSet {
  if (!a.length || !b.length) return NONE;
  const out: Box[] = [];
  for (const x of a) {
    for (const y of b) {
      const z = boxIntersect(x, y);
      if (z) out.push(z);
    }
  }
  return out;
}

export function subtractSets(a: PacketSet, b: PacketSet): PacketSet {
  let cur: Box[] = a.slice();
  for (const y of b) {
    if (!cur.length) break;
    const next: Box[] = [];
    for (const x of cur) for (const z of boxSubtract(x, y)) next.push(z);
    cur = next;
  }
  return merge(cur);
}

export function unionSets(a: PacketSet, b: PacketSet): PacketSet {
  if (!a.length) return b;
  if (!b.length) return a;
  return merge([...a, ...subtractSets(b, a)]);
}

export function isEmpty(s: PacketSet): boolean {
  return s.length === 0;
}

/** Whether a ⊆ b. */
export function subsetOf(a: PacketSet, b: PacketSet): boolean {
  return isEmpty(subtractSets(a, b));
}

export function overlapsSet(a: PacketSet, b: PacketSet): boolean {
  for (const x of a) for (const y of b) if (boxesOverlap(x, y)) return true;
  return false;
}

/** Packets with `field` replaced by any value of `values` (what a rewrite leaves: --set-mark, DNAT). */
export function assign(s: PacketSet, field: Field, values: IntSet): PacketSet {
  if (!s.length || isEmptySet(values)) return NONE;
  return merge(s.map((b) => {
    const c = b.slice();
    c[field] = values;
    return c;
  }));
}

/** Packets with `field` mapped value by value (e.g. mark = (mark & ~m) ^ x, on compressed marks). */
export function mapField(s: PacketSet, field: Field, f: (v: number) => number): PacketSet {
  return merge(s.map((b) => {
    const vals: Array<[number, number]> = [];
    const set = b[field]!;
    for (let i = 0; i < set.length; i += 2) for (let v = set[i]!; v <= set[i + 1]!; v++) vals.push([f(v), f(v)]);
    const c = b.slice();
    let u: IntSet = EMPTY;
    for (const [lo, hi] of vals) u = unionSet(u, range(lo, hi));
    c[field] = u;
    return c;
  }));
}

/**
 * Joins boxes that differ in one field only, so repeated subtraction does
 * not fragment the set more than it must. Still disjoint afterwards: two
 * disjoint boxes equal in all fields but one are disjoint in that one.
 */
export function merge(boxes: Box[]): Box[] {
  if (boxes.length < 2 || boxes.length > 400) return boxes;
  const out = boxes.slice();
  let changed = true;
  while (changed) {
    changed = false;
    outer: for (let i = 0; i < out.length; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const k = differingField(out[i]!, out[j]!);
        if (k === undefined) continue;
        const c = out[i]!.slice();
        c[k] = unionSet(out[i]![k]!, out[j]![k]!);
        out[i] = c;
        out.splice(j, 1);
        changed = true;
        break outer;
      }
    }
  }
  return out;
}

function differingField(a: Box, b: Box): number | undefined {
  let k: number | undefined;
  for (let i = 0; i < FIELD_COUNT; i++) {
    if (equalSets(a[i]!, b[i]!)) continue;
    if (k !== undefined) return undefined;
    k = i;
  }
  return k;
}

/** Whether a box holds every value of `field` in `values`. */
export function boxCovers(b: Box, field: Field, values: IntSet): boolean {
  return within(values, b[field]!);
}
