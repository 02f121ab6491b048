/**
 * The conjunction a rule's conditions are folded with (space/conjunction.ts)
 * narrows one box in place while every part is exact and one box: it must give
 * the very sets, in the same order, that the plain fold gives (each part
 * intersected with what came before), and keep "both bounds are one set"
 * exactly when the plain fold does (ruleMatch copies the bounds by it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Conjunction } from '../../../server/src/analysis/space/conjunction';
import { FIELD_COUNT, type Box, type Space } from '../../../server/src/analysis/space/fields';
import type { IntSet } from '../../../server/src/analysis/space/intSet';
import type { PacketSet } from '../../../server/src/analysis/space/packetSet';
import type { RuleMatch } from '../../../server/src/analysis/space/ruleMatch';
import { refFromRanges, refIntersect, refIntersectSets } from './referenceSets';

const MAX = 63;
const FULL: IntSet = [0, MAX];
const space = { max: Array.from({ length: FIELD_COUNT }, () => MAX) } as unknown as Space;

const arbSet: fc.Arbitrary<IntSet> = fc.oneof(
  fc.constantFrom(FULL, [0, 31], [32, MAX], [5, 5], [] as IntSet),
  fc.array(fc.tuple(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: MAX })), { minLength: 1, maxLength: 3 })
    .map((rs) => refFromRanges(rs.map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]))),
);
const arbField = fc.integer({ min: 0, max: FIELD_COUNT - 1 });
/** A box constraining a field or two, the others the shared full set (as rules' boxes are). */
const arbBox: fc.Arbitrary<Box> = fc.tuple(arbField, arbSet, arbField, arbSet)
  .filter(([, a, , b]) => a.length > 0 && b.length > 0)
  .map(([f, a, g, b]) => Array.from({ length: FIELD_COUNT }, (_, i) => (i === g ? b : i === f ? a : FULL)));
const arbPS: fc.Arbitrary<PacketSet> = fc.array(arbBox, { maxLength: 3 });

type Part = { kind: 'narrow'; field: number; values: IntSet } | { kind: 'and'; match: RuleMatch };
const arbPart: fc.Arbitrary<Part> = fc.oneof(
  fc.tuple(arbField, arbSet).map(([field, values]): Part => ({ kind: 'narrow', field, values })),
  // Exact: one box (the fast path), none, or several.
  arbPS.map((s): Part => ({ kind: 'and', match: { upper: s, lower: s, conditions: [] } })),
  // Not exact: lower a part of upper (an undecided condition).
  fc.tuple(arbPS, fc.nat(3)).map(([s, n]): Part => ({ kind: 'and', match: { upper: s, lower: s.slice(0, n), conditions: ['undecided'] } })),
);

/** Empty intersections are one shared empty set, as intersectSets gives them. */
const NO_BOXES: PacketSet = [];
const meet = (a: PacketSet, b: PacketSet): PacketSet => {
  const s = refIntersectSets(a, b);
  return s.length ? s : NO_BOXES;
};

function plainFold(parts: readonly Part[]): RuleMatch {
  const full: PacketSet = [Array.from({ length: FIELD_COUNT }, () => FULL)];
  let acc: RuleMatch = { upper: full, lower: full, conditions: [] };
  for (const p of parts) {
    let m: RuleMatch;
    if (p.kind === 'narrow') {
      const v = refIntersect(p.values, FULL);
      const s: PacketSet = v.length ? [Array.from({ length: FIELD_COUNT }, (_, i) => (i === p.field ? v : FULL))] : [];
      m = { upper: s, lower: s, conditions: [] };
    } else m = p.match;
    const upper = meet(acc.upper, m.upper);
    acc = { upper, lower: acc.lower === acc.upper && m.lower === m.upper ? upper : meet(acc.lower, m.lower), conditions: [] };
  }
  return acc;
}

describe('the conjunction of a rule\'s conditions', () => {
  it('gives the plain fold\'s sets, box for box, and the same "one set" bounds', () => {
    fc.assert(fc.property(fc.array(arbPart, { maxLength: 6 }), (parts) => {
      const c = new Conjunction(space);
      for (const p of parts) {
        if (p.kind === 'narrow') c.narrow(p.field, refIntersect(p.values, FULL));
        else c.and(p.match);
      }
      const got = c.value();
      const want = plainFold(parts);
      assert.deepEqual(got.upper, want.upper);
      assert.deepEqual(got.lower, want.lower);
      assert.equal(got.lower === got.upper || !got.upper.length, want.lower === want.upper || !want.upper.length);
      assert.equal(c.empty, want.upper.length === 0);
    }), { numRuns: 3000 });
  });
});
