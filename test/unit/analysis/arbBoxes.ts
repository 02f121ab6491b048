/**
 * Random boxes for the property tests of the pending flow and its remainders:
 * source and destination address ranges (points to whole ranges, at chosen
 * places), a protocol from a few sets, every other field full.
 */
import fc from 'fast-check';
import { Field, FIELD_COUNT, type Box } from '../../../server/src/analysis/space/fields';
import type { IntSet } from '../../../server/src/analysis/space/intSet';

export const FULL: IntSet = [0, 0xffffffff];

/** Ranges of the given widths starting at k × step (k in 0..maxK), kept inside 32 bits. */
export function arbAddr(maxK: number, step: number, widths: readonly number[]): fc.Arbitrary<IntSet> {
  return fc.tuple(fc.integer({ min: 0, max: maxK }), fc.constantFrom(...widths)).map(([k, w]) => {
    const lo = Math.min(k * step, 0xffffffff - w);
    return [lo, lo + w];
  });
}

const arbSmall: fc.Arbitrary<IntSet> = fc.constantFrom([0, 0xffffffff], [6, 6], [17, 17], [0, 5, 7, 0xffffffff]);

/** A box with source and destination from `addr` (or full), a protocol set, every other field full. */
export function arbBoxOf(addr: fc.Arbitrary<IntSet>): fc.Arbitrary<Box> {
  return fc.tuple(fc.oneof(addr, fc.constant(FULL)), fc.oneof(addr, fc.constant(FULL)), arbSmall)
    .map(([src, dst, proto]) => Array.from({ length: FIELD_COUNT }, (_, i) => (i === Field.Src ? src : i === Field.Dst ? dst : i === Field.Proto ? proto : FULL)));
}
