/**
 * The packet-set operations written the plain way, as they were before the
 * fast paths (shared sets, copy on narrowing, in-place sums, merge without a
 * map for a few boxes): each allocates afresh and groups with a Map. The fast
 * ones must give the very same boxes in the very same order (hover text and
 * example packets are read off the first boxes), which packetSetsExact.test.ts
 * checks against these.
 */
import { FIELD_COUNT, type Box } from '../../../server/src/analysis/space/fields';
import type { IntSet } from '../../../server/src/analysis/space/intSet';
import type { PacketSet } from '../../../server/src/analysis/space/packetSet';
import type { Flow } from '../../../server/src/analysis/reach/flow';

export function refFromRanges(ranges: ReadonlyArray<readonly [number, number]>): IntSet {
  const rs = ranges.filter(([lo, hi]) => lo <= hi).sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of rs) {
    const n = out.length;
    if (n && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

const pairs = (s: IntSet): Array<[number, number]> => {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < s.length; i += 2) out.push([s[i]!, s[i + 1]!]);
  return out;
};

export function refUnion(a: IntSet, b: IntSet): IntSet {
  if (!a.length) return b;
  if (!b.length) return a;
  return refFromRanges([...pairs(a), ...pairs(b)]);
}

export function refIntersect(a: IntSet, b: IntSet): IntSet {
  const out: number[] = [];
  for (const [alo, ahi] of pairs(a)) {
    for (const [blo, bhi] of pairs(b)) {
      const lo = Math.max(alo, blo);
      const hi = Math.min(ahi, bhi);
      if (lo <= hi) out.push(lo, hi);
    }
  }
  return refFromRanges(pairs(out));
}

export function refSubtract(a: IntSet, b: IntSet): IntSet {
  let cur = pairs(a);
  for (const [blo, bhi] of pairs(b)) {
    const next: Array<[number, number]> = [];
    for (const [lo, hi] of cur) {
      if (bhi < lo || blo > hi) next.push([lo, hi]);
      else {
        if (lo < blo) next.push([lo, blo - 1]);
        if (hi > bhi) next.push([bhi + 1, hi]);
      }
    }
    cur = next;
  }
  return refFromRanges(cur);
}

const equal = (a: IntSet, b: IntSet): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const overlapping = (a: IntSet, b: IntSet): boolean => refIntersect(a, b).length > 0;

export function refBoxIntersect(a: Box, b: Box): Box | undefined {
  const out: IntSet[] = [];
  for (let i = 0; i < FIELD_COUNT; i++) {
    const s = refIntersect(a[i]!, b[i]!);
    if (!s.length) return undefined;
    out.push(s);
  }
  return out;
}

export function refBoxSubtract(a: Box, b: Box): Box[] {
  for (let i = 0; i < FIELD_COUNT; i++) if (!overlapping(a[i]!, b[i]!)) return [a];
  const out: Box[] = [];
  const cur = a.slice();
  for (let i = 0; i < FIELD_COUNT; i++) {
    const outside = refSubtract(cur[i]!, b[i]!);
    if (outside.length) {
      const piece = cur.slice();
      piece[i] = outside;
      out.push(piece);
    }
    cur[i] = refIntersect(cur[i]!, b[i]!);
  }
  return out;
}

export function refIntersectSets(a: PacketSet, b: PacketSet): PacketSet {
  const out: Box[] = [];
  for (const x of a) for (const y of b) {
    const z = refBoxIntersect(x, y);
    if (z) out.push(z);
  }
  return out;
}

export function refSubtractSets(a: PacketSet, b: PacketSet): PacketSet {
  if (!a.length || !b.length) return a;
  let cur: Box[] = a.slice();
  for (const y of b) {
    if (!cur.length) break;
    const next: Box[] = [];
    for (const x of cur) next.push(...refBoxSubtract(x, y));
    cur = next;
  }
  return cur.length > a.length + 16 ? refMerge(cur) : cur;
}

export function refUnionSets(a: PacketSet, b: PacketSet): PacketSet {
  if (!a.length) return b;
  if (!b.length) return a;
  if (a === b) return a;
  return a.length + b.length <= 48 ? refMerge([...a, ...b]) : [...a, ...b];
}

export function refJoin(a: Flow, b: Flow): Flow {
  if (!b.may.length) return a;
  if (!a.may.length) return b;
  return { may: refUnionSets(a.may, b.may), must: refUnionSets(a.must, b.must) };
}

/** The hash merge groups by: a set's length and its first and last numbers. */
export function refSetHash(s: IntSet): number {
  const n = s.length;
  let h = n;
  for (let i = 0; i < n; i = i < 3 || i >= n - 4 ? i + 1 : n - 4) h = (Math.imul(h, 1000003) ^ s[i]!) | 0;
  return h;
}

const WEIGHTS = Array.from({ length: FIELD_COUNT }, (_, i) => (2 * i + 1) * 0x9e3779b1 | 0);

interface Hashed {
  readonly box: Box;
  readonly hs: number[];
  readonly total: number;
}

function hashed(box: Box): Hashed {
  const hs = box.map(refSetHash);
  let total = 0;
  for (let i = 0; i < FIELD_COUNT; i++) total = (total + Math.imul(WEIGHTS[i]!, hs[i]!)) | 0;
  return { box, hs, total };
}

const sameExcept = (a: Box, b: Box, k: number): boolean => a.every((s, i) => i === k || equal(s, b[i]!));

/** Boxes that agree on every field but one are joined, field by field, bucketed by the hash of the other fields. */
export function refMerge(boxes: Box[]): Box[] {
  if (boxes.length < 2) return boxes;
  let cur = boxes.map(hashed);
  for (let pass = 0; pass < 3; pass++) {
    const before = cur.length;
    for (let k = 0; k < FIELD_COUNT && cur.length > 1; k++) {
      const buckets = new Map<number, Hashed[]>();
      let merged = false;
      for (const b of cur) {
        const h = (b.total - Math.imul(WEIGHTS[k]!, b.hs[k]!)) | 0;
        const bucket = buckets.get(h);
        if (!bucket) {
          buckets.set(h, [b]);
          continue;
        }
        const j = bucket.findIndex((g) => sameExcept(g.box, b.box, k));
        if (j < 0) bucket.push(b);
        else {
          merged = true;
          if (!equal(bucket[j]!.box[k]!, b.box[k]!)) {
            const c = bucket[j]!.box.slice();
            c[k] = refUnion(bucket[j]!.box[k]!, b.box[k]!);
            bucket[j] = hashed(c);
          }
        }
      }
      if (merged) cur = [...buckets.values()].flat();
    }
    if (cur.length === before) break;
  }
  return cur.map((h) => h.box);
}

export function refMapField(s: PacketSet, field: number, f: (v: number) => number): PacketSet {
  const out = s.map((b) => {
    const vals: Array<[number, number]> = [];
    for (const [lo, hi] of pairs(b[field]!)) for (let v = lo; v <= hi; v++) vals.push([f(v), f(v)]);
    const c = b.slice();
    c[field] = refFromRanges(vals);
    return c;
  });
  return out.length <= 48 ? refMerge(out) : out;
}

/**
 * A superset in at most about `limit` boxes, as coarsen() is meant to make it: per stage, boxes of s
 * that agree outside the loose fields joined, grouped by a hash of the other fields (a Map of arrays).
 */
export function refCoarsen(s: PacketSet, limit: number): PacketSet {
  if (s.length <= limit) return s;
  const stages: number[][] = [[1, 4], [1, 4, 0, 3], [1, 4, 0, 3, 10, 11, 8, 7], Array.from({ length: FIELD_COUNT }, (_, i) => i)];
  let cur: Box[] = [];
  // Each stage groups the boxes of s; the first whose groups fit is the answer (the last always is).
  for (const loose of stages) {
    const isLoose = Array.from({ length: FIELD_COUNT }, (_, i) => loose.includes(i));
    const groups = new Map<number, Box[]>();
    for (const b of s) {
      let h = 17;
      for (let i = 0; i < FIELD_COUNT; i++) if (!isLoose[i]) h = (Math.imul(h, 31) + refSetHash(b[i]!)) | 0;
      const g = groups.get(h);
      const j = g ? g.findIndex((x) => x.every((v, i) => isLoose[i] || equal(v, b[i]!))) : -1;
      if (!g) groups.set(h, [b]);
      else if (j < 0) g.push(b);
      else {
        const c = g[j]!.slice();
        for (const f of loose) c[f] = refUnion(c[f]!, b[f]!);
        g[j] = c;
      }
    }
    cur = [...groups.values()].flat();
    if (cur.length <= limit) break;
  }
  return cur;
}
