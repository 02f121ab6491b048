/**
 * A walk's remainder handed from one analysis to the next (remainderMemo.ts):
 * for an entry equal to the previous one but made of other objects, and the
 * very same holes, it must be what whole() computes without the memo, box for
 * box, and hold the new entry's sets and boxes wherever the computation keeps
 * its input (later operations take shortcuts on sets that are one object).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PendingFlow } from '../../../server/src/analysis/reach/pendingFlow';
import { REMAINDER_MEMO_MIN, RemainderMemo } from '../../../server/src/analysis/reach/remainderMemo';
import type { Flow } from '../../../server/src/analysis/reach/flow';
import { Field, FIELD_COUNT, type Box } from '../../../server/src/analysis/space/fields';
import { arbAddr, arbBoxOf, FULL } from './arbBoxes';
import type { PacketSet } from '../../../server/src/analysis/space/packetSet';
import type { RuleMatch } from '../../../server/src/analysis/space/ruleMatch';

const arbBox: fc.Arbitrary<Box> = arbBoxOf(arbAddr(63, 2 ** 26, [0, 3, 2 ** 20 - 1, 2 ** 29 - 1]));
const arbMatch: fc.Arbitrary<RuleMatch> = fc.tuple(fc.array(arbBox, { minLength: 1, maxLength: 4 }), fc.nat(4)).map(([upper, n]) => ({ upper, lower: upper.slice(0, n), conditions: [] }));
/** An entry: `must` the first boxes of `may` (the same objects), or `may` itself. */
const arbEntry = fc.tuple(fc.array(arbBox, { maxLength: 4 }), fc.nat(5));

function entryOf(may: PacketSet, n: number): Flow {
  return { may, must: n === 5 ? may : may.slice(0, n) };
}

/** An equal entry of other objects: boxes and their fields copied, the sharing between may and must kept. */
function copyOf(e: Flow): Flow {
  const copies = new Map<Box, Box>();
  const copy = (b: Box): Box => {
    let c = copies.get(b);
    if (!c) copies.set(b, (c = b.map((f) => f.slice())));
    return c;
  };
  const may = e.may.map(copy);
  return { may, must: e.must === e.may ? may : e.must.map(copy) };
}

function remainder(entry: Flow, matches: readonly RuleMatch[], memo?: RemainderMemo): Flow {
  const p = new PendingFlow(entry);
  for (const m of matches) p.take(m);
  return p.whole(memo);
}

/** Where a result holds its entry's objects: -1 none, else which set, or for each box which of the entry's. */
function shapeOf(f: Flow, entry: Flow): unknown {
  const boxes = [...entry.may, ...entry.must];
  const set = (s: PacketSet): unknown => (s === entry.may ? 'may' : s === entry.must ? 'must' : s.map((b) => boxes.indexOf(b)));
  return { may: set(f.may), must: set(f.must), one: f.may === f.must };
}

describe('a remainder remembered from the previous analysis', () => {
  it('equals whole() without the memo, and holds the new entry\'s objects where whole() would', () => {
    let reused = 0;
    fc.assert(fc.property(arbEntry, fc.array(arbMatch, { minLength: 12, maxLength: 24 }), ([boxes, n], matches) => {
      const holes = matches.reduce((k, m) => k + m.lower.length + m.upper.length, 0);
      fc.pre(holes >= REMAINDER_MEMO_MIN);
      const first = entryOf(boxes, n);
      const before = new RemainderMemo();
      remainder(first, matches, before);
      const now = copyOf(first);
      const memo = new RemainderMemo(before);
      const got = remainder(now, matches, memo);
      const plain = remainder(now, matches);
      assert.deepEqual(got, plain);
      assert.deepEqual(shapeOf(got, now), shapeOf(plain, now));
      reused += memo.reused;
    }), { numRuns: 400 });
    // Bases whose may and must are apart in one analysis and not in the other are told apart, so not all runs reuse.
    assert.ok(reused >= 200, `${reused} reused`);
  });

  it('is not handed back for other holes (equal boxes, other objects), nor for another entry', () => {
    const box = (dst: number): Box => Array.from({ length: FIELD_COUNT }, (_, i) => (i === Field.Dst ? [dst, dst] : FULL));
    const holes: RuleMatch[] = Array.from({ length: REMAINDER_MEMO_MIN }, (_, i) => ({ upper: [box(i)], lower: [box(i)], conditions: [] }));
    const entry: Flow = { may: [box(0), box(1000)], must: [] };
    const before = new RemainderMemo();
    remainder(entry, holes, before);
    const copies = holes.map((m) => ({ upper: m.upper.map((b) => b.slice()), lower: m.lower.map((b) => b.slice()), conditions: [] }));
    const other = new RemainderMemo(before);
    assert.deepEqual(remainder(copyOf(entry), copies, other), remainder(entry, holes));
    assert.equal(other.reused, 0);
    const wider: Flow = { may: [box(0), box(1001)], must: [] };
    assert.deepEqual(remainder(wider, holes, other), remainder(wider, holes));
    assert.equal(other.reused, 0);
    // The same first hole, another last one.
    const changed = [...holes.slice(0, -1), { upper: [box(1000)], lower: [box(1000)], conditions: [] }];
    assert.deepEqual(remainder(copyOf(entry), changed, other), { may: [], must: [] });
    assert.equal(other.reused, 0);
    // The same holes and an equal entry: handed back.
    const again = remainder(copyOf(entry), holes, other);
    assert.equal(other.reused, 1);
    assert.deepEqual(again, { may: [box(1000)], must: [] });
  });

  it('tells an entry whose may and must are one object from an equal one whose are two', () => {
    const box = (dst: number): Box => Array.from({ length: FIELD_COUNT }, (_, i) => (i === Field.Dst ? [dst, dst] : FULL));
    const holes: RuleMatch[] = Array.from({ length: REMAINDER_MEMO_MIN }, (_, i) => ({ upper: [box(i)], lower: [box(i)], conditions: [] }));
    const none: PacketSet = [];
    const before = new RemainderMemo();
    remainder({ may: none, must: none }, holes, before);
    const memo = new RemainderMemo(before);
    const apart: Flow = { may: [], must: [] };
    const got = remainder(apart, holes, memo);
    assert.equal(memo.reused, 0);
    assert.equal(got.may, apart.may);
    assert.equal(got.must, apart.must);
    // A box in both may and must, against two equal boxes.
    const x = box(5000);
    const before2 = new RemainderMemo();
    remainder({ may: [x], must: [x] }, holes, before2);
    const memo2 = new RemainderMemo(before2);
    const two: Flow = { may: [box(5000)], must: [box(5000)] };
    const got2 = remainder(two, holes, memo2);
    assert.equal(memo2.reused, 0);
    assert.deepEqual(shapeOf(got2, two), shapeOf(remainder(two, holes), two));
  });

  it('is not handed back across the budget (past it, whole() keeps the wide holes only and must nothing)', () => {
    const point = (dst: number): Box => Array.from({ length: FIELD_COUNT }, (_, i) => (i === Field.Dst ? [dst, dst] : FULL));
    const wide = Array.from({ length: 40 }, (_, p): Box => Array.from({ length: FIELD_COUNT }, (_, i) => (i === Field.Proto ? [p, p] : FULL)));
    const entry = (): Flow => {
      const may = Array.from({ length: 20 }, (_, k) => point(100000 + k));
      return { may, must: may.slice(0, 2) };
    };
    const narrow: RuleMatch[] = Array.from({ length: 1000 }, (_, j) => ({ upper: [point(j)], lower: [point(j)], conditions: [] }));
    // Past the budget: (1,040 + 1,040 holes) × 22 boxes; the wide holes are the list subtracted.
    const past = [...wide.map((b) => ({ upper: [b], lower: [b], conditions: [] })), ...narrow];
    const before = new RemainderMemo();
    assert.deepEqual(remainder(entry(), past, before).must, []);
    // Within it: the same 40 wide holes only, on may.
    const within = wide.map((b) => ({ upper: [], lower: [b], conditions: [] }));
    const memo = new RemainderMemo(before);
    const e = entry();
    assert.deepEqual(remainder(e, within, memo), remainder(e, within));
    assert.equal(memo.reused, 0);
    assert.equal(remainder(e, within).must.length, 2);
  });
});
