/** Things kept in file order, found by line with a bisection and spliced by copying (large files have hundreds of thousands). */

/** Index of the first item whose line (`lineOf`) is at least `line`; items in line order. */
export function firstAtLine<T>(items: readonly T[], line: number, lineOf: (item: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lineOf(items[mid]!) < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The line of a command, a chain line… */
export const ownLine = (x: { readonly line: number }): number => x.line;

/**
 * `a` with its items [first, end) replaced by `mid`: one copy written over when as many come in as go
 * (a line edited in place: 230,000 lines of a kube dump copied once, not three times), else the parts joined.
 */
export function replaced<T>(a: readonly T[], first: number, end: number, mid: readonly T[]): T[] {
  if (mid.length !== end - first) return a.slice(0, first).concat(mid, a.slice(end));
  const out = a.slice();
  for (let i = 0; i < mid.length; i++) out[first + i] = mid[i]!;
  return out;
}
