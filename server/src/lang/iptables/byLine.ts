/** Things kept in file order, found by line with a bisection (large files have hundreds of thousands). */

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
