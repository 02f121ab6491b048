/**
 * FlowSum (a chain's accepted and returned packets, summed over its rules) against `join` folded
 * over the same flows: the same boxes in the same order, below and past the size where unions
 * only append (the sets kept aside are then joined into one array of the final length).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FlowSum, join, NO_FLOW, type Flow } from '../../../server/src/analysis/reach/flow';
import { UNION_TIDY_LIMIT, type PacketSet } from '../../../server/src/analysis/space/packetSet';
import { arbAddr, arbBoxOf } from './arbBoxes';

const arbBox = arbBoxOf(arbAddr(63, 2 ** 26, [0, 255, 2 ** 20 - 1, 0xffffffff]));
/** Sets of a few boxes, now and then many (a service table's accepted packets pass the tidy limit). */
const arbSet: fc.Arbitrary<PacketSet> = fc.oneof({ weight: 4, arbitrary: fc.array(arbBox, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(arbBox, { minLength: UNION_TIDY_LIMIT - 8, maxLength: UNION_TIDY_LIMIT + 8 }) });
const arbFlow: fc.Arbitrary<Flow> = fc.tuple(arbSet, fc.nat(6)).map(([may, n]) => ({ may, must: may.slice(0, n) }));

function fold(flows: readonly Flow[]): Flow {
  return flows.reduce((a, f) => join(a, f), NO_FLOW);
}

describe('FlowSum', () => {
  it('value is join folded over the flows added, box for box', () => {
    fc.assert(fc.property(fc.array(arbFlow, { maxLength: 40 }), (flows) => {
      const sum = new FlowSum();
      for (const f of flows) sum.add(f);
      assert.deepEqual(sum.value, fold(flows));
    }), { numRuns: 400 });
  });
});

