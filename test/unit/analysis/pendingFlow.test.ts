/**
 * The pending flow's shortcut for a rule whose packets come back at once
 * (takeWhole: a jump they return from, a rewrite) against what it replaces,
 * take() then whole(): the same flow, box for box, whatever holes earlier
 * rules left, holes narrow or wide in destination and source (the index
 * orders them by class and low end), and past the budget where whole() keeps
 * only wide holes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PendingFlow } from '../../../server/src/analysis/reach/pendingFlow';
import type { Flow } from '../../../server/src/analysis/reach/flow';
import { Field, FIELD_COUNT, type Box } from '../../../server/src/analysis/space/fields';
import { arbAddr, arbBoxOf, FULL } from './arbBoxes';
import type { PacketSet } from '../../../server/src/analysis/space/packetSet';
import type { RuleMatch } from '../../../server/src/analysis/space/ruleMatch';

/** Address ranges: a point, a /30, a /8 (all narrower than the index's /4), or wider. */
const arbBox: fc.Arbitrary<Box> = arbBoxOf(arbAddr(15, 2 ** 28, [0, 3, 2 ** 24 - 1, 2 ** 29 - 1, 0xffffffff]));
const arbSet: fc.Arbitrary<PacketSet> = fc.array(arbBox, { maxLength: 4 });
const arbMatch: fc.Arbitrary<RuleMatch> = fc.tuple(arbSet, fc.nat(4)).map(([upper, n]) => ({ upper, lower: upper.slice(0, n), conditions: [] }));
const arbFlow: fc.Arbitrary<Flow> = fc.tuple(arbSet, fc.nat(4)).map(([may, n]) => ({ may, must: may.slice(0, n) }));

describe('the pending flow', () => {
  it('takeWhole(m) is take(m) then whole(), box for box', () => {
    fc.assert(fc.property(arbFlow, fc.array(arbMatch, { maxLength: 3 }), arbMatch, arbMatch, (entry, before, m, next) => {
      const fast = new PendingFlow(entry);
      const plain = new PendingFlow(entry);
      for (const b of before) {
        fast.take(b);
        plain.take(b);
      }
      const got = fast.takeWhole(m);
      plain.take(m);
      assert.deepEqual(got, plain.whole());
      // And the flow goes on the same: the next rule's hits.
      assert.deepEqual(fast.hit(next), plain.hit(next));
    }), { numRuns: 3000 });
  });

  it('past the budget (holes × boxes), whole keeps the wide holes only, as take then whole does', () => {
    // 5,000 boxes of entry and several holes: more than the 20,000 whole() subtracts exactly.
    const many: Box[] = Array.from({ length: 5000 }, (_, i) => Array.from({ length: FIELD_COUNT }, (_, f) => (f === Field.Dst ? [i * 8, i * 8 + 3] : FULL)));
    const holes: PacketSet = [
      Array.from({ length: FIELD_COUNT }, (_, f) => (f === Field.Dst ? [0, 100] : FULL)),
      Array.from({ length: FIELD_COUNT }, (_, f) => (f === Field.Proto ? [6, 6] : FULL)),
      Array.from({ length: FIELD_COUNT }, (_, f) => (f === Field.Src ? [5, 5] : FULL)),
    ];
    const m: RuleMatch = { upper: holes, lower: holes, conditions: [] };
    const fast = new PendingFlow({ may: many, must: many });
    const plain = new PendingFlow({ may: many, must: many });
    plain.take(m);
    const want = plain.whole();
    assert.equal(want.must.length, 0);
    assert.deepEqual(fast.takeWhole(m), want);
  });
});
