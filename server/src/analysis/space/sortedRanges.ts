/**
 * Items with one integer range each (a destination range, say), sorted by
 * the low end: which items' ranges meet a query range, without looking at
 * the others. The widest range held bounds how far back a query looks, so
 * it pays when ranges are narrow (callers keep wide ones elsewhere).
 */
import type { Box } from './fields';

/** Address ranges narrower than this (a /4) are worth indexing; wider ones are kept apart and looked at by every query. */
export const NARROW = 2 ** 28;

/** The lowest value of field f in a set's boxes (Infinity: none). */
export function hullLo(s: readonly Box[], f: number): number {
  let lo = Infinity;
  for (const b of s) {
    const d = b[f]!;
    if (d.length && d[0]! < lo) lo = d[0]!;
  }
  return lo;
}

/** The highest value of field f in a set's boxes (-Infinity: none). */
export function hullHi(s: readonly Box[], f: number): number {
  let hi = -Infinity;
  for (const b of s) {
    const d = b[f]!;
    if (d.length && d[d.length - 1]! > hi) hi = d[d.length - 1]!;
  }
  return hi;
}

export class SortedRanges<T> {
  private los: number[] = [];
  private his: number[] = [];
  private items: T[] = [];
  /** The widest range held: how far back a query must look. */
  private span = 0;

  get size(): number {
    return this.items.length;
  }

  add(item: T, lo: number, hi: number): void {
    this.span = Math.max(this.span, hi - lo + 1);
    // Binary insertion keeps the arrays sorted; appends are the common case.
    const n = this.los.length;
    if (!n || this.los[n - 1]! <= lo) {
      this.los.push(lo);
      this.his.push(hi);
      this.items.push(item);
      return;
    }
    let i = 0;
    let z = n;
    while (i < z) {
      const m = (i + z) >> 1;
      if (this.los[m]! <= lo) i = m + 1;
      else z = m;
    }
    this.los.splice(i, 0, lo);
    this.his.splice(i, 0, hi);
    this.items.splice(i, 0, item);
  }

  /** Whether an item with this low end would go at the end (add() appends it: no splice). */
  appends(lo: number): boolean {
    const n = this.los.length;
    return !n || this.los[n - 1]! <= lo;
  }

  /**
   * Adds items given sorted by their low ends, merged in one pass (items that arrive out of order, one
   * by one, cost a splice of the arrays each: thousands of them made subtractions quadratic).
   */
  addSorted(items: readonly T[], los: readonly number[], his: readonly number[]): void {
    const n = this.los.length;
    const k = items.length;
    if (!k) return;
    for (let j = 0; j < k; j++) this.span = Math.max(this.span, his[j]! - los[j]! + 1);
    const outLo: number[] = new Array<number>(n + k);
    const outHi: number[] = new Array<number>(n + k);
    const outItems: T[] = new Array<T>(n + k);
    let i = 0;
    let j = 0;
    for (let o = 0; o < n + k; o++) {
      // (Held items first on equal low ends: as adding them one by one after the others would place them.)
      if (j >= k || (i < n && this.los[i]! <= los[j]!)) {
        outLo[o] = this.los[i]!;
        outHi[o] = this.his[i]!;
        outItems[o] = this.items[i++]!;
      } else {
        outLo[o] = los[j]!;
        outHi[o] = his[j]!;
        outItems[o] = items[j++]!;
      }
    }
    this.los = outLo;
    this.his = outHi;
    this.items = outItems;
  }

  /** Items whose range meets [lo, hi] (and that `keep` accepts), from the highest low end down. */
  near(lo: number, hi: number, out: T[], keep?: (item: T) => boolean): void {
    let a = 0;
    let z = this.los.length;
    while (a < z) {
      const m = (a + z) >> 1;
      if (this.los[m]! <= hi) a = m + 1;
      else z = m;
    }
    for (let i = a - 1; i >= 0 && this.los[i]! + this.span > lo; i--) {
      const item = this.items[i]!;
      if (this.his[i]! >= lo && (!keep || keep(item))) out.push(item);
    }
  }

  /** Every item, by the low end of its range. */
  all(): T[] {
    return this.items;
  }

  /** Drops the items `keep` refuses (the order of the rest stays). */
  retain(keep: (item: T) => boolean): void {
    const los: number[] = [];
    const his: number[] = [];
    const items: T[] = [];
    for (let i = 0; i < this.items.length; i++) {
      if (!keep(this.items[i]!)) continue;
      los.push(this.los[i]!);
      his.push(this.his[i]!);
      items.push(this.items[i]!);
    }
    this.los = los;
    this.his = his;
    this.items = items;
  }
}
