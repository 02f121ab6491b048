/**
 * Sets of non-negative integers as sorted, disjoint, non-adjacent inclusive
 * ranges flattened into one array: [lo0, hi0, lo1, hi1, …]. The building
 * block of packet sets: an address, a port or a mark field is one of these.
 * Values go up to 2^32 - 1, so everything stays in plain JS numbers.
 */
export type IntSet = readonly number[];

export const EMPTY: IntSet = [];

/**
 * A result built by push, at its own length: an array grown from empty has room for 17
 * numbers, and sets are kept by the hundred thousand (in the boxes of every rule's hits).
 */
function fitted(out: number[]): IntSet {
  return out.length < 16 ? out.slice() : out;
}

export function range(lo: number, hi: number): IntSet {
  return lo > hi ? EMPTY : [lo, hi];
}

export function single(v: number): IntSet {
  return [v, v];
}

export function isEmptySet(s: IntSet): boolean {
  return s.length === 0;
}

export function has(s: IntSet, v: number): boolean {
  for (let i = 0; i < s.length; i += 2) {
    if (v < s[i]!) return false;
    if (v <= s[i + 1]!) return true;
  }
  return false;
}

export function size(s: IntSet): number {
  let n = 0;
  for (let i = 0; i < s.length; i += 2) n += s[i + 1]! - s[i]! + 1;
  return n;
}

export function equalSets(a: IntSet, b: IntSet): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Normalises any list of ranges (unsorted, overlapping) into an IntSet. */
export function fromRanges(ranges: ReadonlyArray<readonly [number, number]>): IntSet {
  const rs = ranges.filter(([lo, hi]) => lo <= hi).sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of rs) {
    const n = out.length;
    if (n && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return fitted(out);
}

export function union(a: IntSet, b: IntSet): IntSet {
  if (!a.length) return b;
  if (!b.length) return a;
  // One single range covering the other set: that range.
  if (a.length === 2 && a[0]! <= b[0]! && a[1]! >= b[b.length - 1]!) return a;
  if (b.length === 2 && b[0]! <= a[0]! && b[1]! >= a[a.length - 1]!) return b;
  // Both sorted: merge the two range lists, joining ranges that overlap or touch.
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let lo: number;
    let hi: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      lo = a[i]!;
      hi = a[i + 1]!;
      i += 2;
    } else {
      lo = b[j]!;
      hi = b[j + 1]!;
      j += 2;
    }
    const n = out.length;
    if (n && lo <= out[n - 1]! + 1) {
      if (hi > out[n - 1]!) out[n - 1] = hi;
    } else out.push(lo, hi);
  }
  return fitted(out);
}

/**
 * union(acc, b) for an accumulator only the caller holds: acc itself, grown in place, when b lies
 * past its last range or extends it, or when its one range covers b; else a new array. (A hand-off's
 * joins of 100,000 boxes made a new array per box and field: ~50 MB per coarsen.)
 */
export function unionOwned(acc: number[], b: IntSet): number[] {
  const n = acc.length;
  const m = b.length;
  if (!m) return acc;
  if (n === 2 && acc[0]! <= b[0]! && acc[1]! >= b[m - 1]!) return acc;
  // b past acc's last range: appended. b's first range from within that range on: the range extended.
  let from = 0;
  if (n && b[0]! <= acc[n - 1]! + 1) {
    if (b[0]! < acc[n - 2]! || acc[n - 1]! > b[1]!) {
      // (union may hand back b itself, which is not ours to grow.)
      const u = union(acc, b);
      return u === b ? b.slice() : (u as number[]);
    }
    acc[n - 1] = b[1]!;
    from = 2;
  }
  for (let j = from; j < m; j++) acc.push(b[j]!);
  return acc;
}

export function intersect(a: IntSet, b: IntSet): IntSet {
  if (!a.length || !b.length) return EMPTY;
  // One set inside the other's single range (or no overlap of their hulls): no new set, so shared sets stay shared.
  if (b.length === 2 && b[0]! <= a[0]! && b[1]! >= a[a.length - 1]!) return a;
  if (a.length === 2 && a[0]! <= b[0]! && a[1]! >= b[b.length - 1]!) return b;
  if (a[a.length - 1]! < b[0]! || b[b.length - 1]! < a[0]!) return EMPTY;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i]!, b[j]!);
    const hi = Math.min(a[i + 1]!, b[j + 1]!);
    if (lo <= hi) out.push(lo, hi);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return fitted(out);
}

/** a minus b. */
export function subtract(a: IntSet, b: IntSet): IntSet {
  if (!a.length || !b.length) return a;
  // Hulls apart: nothing to take away; one range of b covering a: nothing left.
  if (a[a.length - 1]! < b[0]! || b[b.length - 1]! < a[0]!) return a;
  if (b.length === 2 && b[0]! <= a[0]! && b[1]! >= a[a.length - 1]!) return EMPTY;
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i]!;
    const hi = a[i + 1]!;
    while (j < b.length && b[j + 1]! < lo) j += 2;
    let k = j;
    while (k < b.length && b[k]! <= hi) {
      if (b[k]! > lo) out.push(lo, b[k]! - 1);
      lo = Math.max(lo, b[k + 1]! + 1);
      if (lo > hi) break;
      k += 2;
    }
    if (lo <= hi) out.push(lo, hi);
  }
  return fitted(out);
}

export function overlaps(a: IntSet, b: IntSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (Math.max(a[i]!, b[j]!) <= Math.min(a[i + 1]!, b[j + 1]!)) return true;
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return false;
}

/** How many values a and b share: the size of their intersection, without making it. */
export function sharedCount(a: IntSet, b: IntSet): number {
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i]!, b[j]!);
    const hi = Math.min(a[i + 1]!, b[j + 1]!);
    if (lo <= hi) n += hi - lo + 1;
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return n;
}

/** Whether a ⊆ b. */
export function within(a: IntSet, b: IntSet): boolean {
  return subtract(a, b).length === 0;
}

/** The values v with (v & mask) === value, over [0, 2^bits): as ranges, by recursion on the high bit. */
export function masked(mask: number, value: number, bits: number): IntSet {
  const out: Array<[number, number]> = [];
  const walk = (bit: number, prefix: number): void => {
    // Below the lowest mask bit everything is free: one range.
    const low = bit < 0 ? 0 : (mask & ((2 ** (bit + 1)) - 1)) >>> 0;
    if (bit < 0 || low === 0) {
      const span = 2 ** (bit + 1);
      out.push([prefix, prefix + span - 1]);
      return;
    }
    const b = 2 ** bit;
    if ((mask >>> 0) & b ? true : false) {
      if (((value >>> 0) & b) !== 0) walk(bit - 1, prefix + b);
      else walk(bit - 1, prefix);
    } else {
      walk(bit - 1, prefix);
      walk(bit - 1, prefix + b);
    }
  };
  walk(bits - 1, 0);
  return fromRanges(out);
}
