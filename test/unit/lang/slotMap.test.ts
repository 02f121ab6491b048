/**
 * SlotMap (the chain maps a reparse, a compile and an analysis copy per edit) behaves as a Map
 * does, copy after copy: the same entries in the same order, iterators that see changes made
 * while they run as a Map's do, and a copy's changes never show in the map it was made from (or
 * the other way round).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SlotMap } from '../../../server/src/lang/iptables/slotMap';

const NAMES: readonly string[] = ['INPUT', 'FORWARD', 'OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-A', 'KUBE-SEP-B', 'DOCKER', 'X', 'Y', 'Z'];
const name = fc.constantFrom(...NAMES);
const pick = fc.nat({ max: 1000 });
type Step =
  | { kind: 'set'; at: number; name: string; value: number }
  | { kind: 'delete' | 'check'; at: number; name: string }
  | { kind: 'copy' | 'clear' | 'iterate'; at: number }
  | { kind: 'next'; at: number; count: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), at: pick, name, value: fc.integer({ min: 0, max: 99 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('delete' as const, 'check' as const), at: pick, name }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('copy' as const), at: pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('iterate' as const), at: pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('next' as const), at: pick, count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), at: pick }) },
);

/** Every view of the map against a Map's. */
function assertSame(s: SlotMap<number>, m: Map<string, number>, why: string): void {
  assert.deepEqual([...s], [...m], `entries ${why}`);
  assert.deepEqual([...s.keys()], [...m.keys()], `keys ${why}`);
  assert.deepEqual([...s.values()], [...m.values()], `values ${why}`);
  const seen: Array<[string, number]> = [];
  s.forEach((v, k) => seen.push([k, v]));
  assert.deepEqual(seen, [...m], `forEach ${why}`);
  assert.equal(s.size, m.size, `size ${why}`);
  for (const n of NAMES) {
    assert.equal(s.has(n), m.has(n), `has ${n} ${why}`);
    assert.equal(s.get(n), m.get(n), `get ${n} ${why}`);
  }
}

describe('SlotMap: a map by name copied in microseconds', () => {
  it('answers as a Map over copies of copies, each changed on its own, with iterators running across changes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.integer({ min: 0, max: 99 })), { maxLength: 8 }), fc.array(step, { maxLength: 80 }), (start, steps) => {
        const first = new SlotMap<number>();
        const firstMap = new Map<string, number>();
        for (const [n, v] of start) {
          first.set(n, v);
          firstMap.set(n, v);
        }
        const versions: Array<{ s: SlotMap<number>; m: Map<string, number> }> = [{ s: first, m: firstMap }];
        const iterators: Array<{ s: Iterator<[string, number]>; m: Iterator<[string, number]> }> = [];
        for (const [i, st] of steps.entries()) {
          const why = `step ${i} ${JSON.stringify(st)}`;
          if (st.kind === 'next') {
            const it = iterators[st.at % Math.max(1, iterators.length)];
            for (let k = 0; it && k < st.count; k++) assert.deepEqual(it.s.next(), it.m.next(), why);
            continue;
          }
          const v = versions[st.at % versions.length]!;
          if (st.kind === 'set') {
            assert.equal(v.s.set(st.name, st.value), v.s);
            v.m.set(st.name, st.value);
          } else if (st.kind === 'delete') assert.equal(v.s.delete(st.name), v.m.delete(st.name), why);
          else if (st.kind === 'check') assert.equal(v.s.get(st.name), v.m.get(st.name), why);
          else if (st.kind === 'copy') versions.push({ s: SlotMap.copyOf(v.s), m: new Map(v.m) });
          else if (st.kind === 'clear') {
            v.s.clear();
            v.m.clear();
          } else iterators.push({ s: v.s.entries(), m: v.m.entries() });
          for (const [j, w] of versions.entries()) assertSame(w.s, w.m, `${why}, version ${j}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('an iterator running across a clear goes on with the names set after it, as a Map\'s does', () => {
    const s = new SlotMap<number>();
    const m = new Map<string, number>();
    const its = [s.entries(), m.entries()] as const;
    for (const x of [s, m]) x.set('A', 1).set('B', 2);
    for (const it of its) assert.deepEqual(it.next().value, ['A', 1]);
    for (const x of [s, m]) {
      x.clear();
      x.set('C', 3);
    }
    assert.deepEqual(its[0].next(), its[1].next());
    assert.deepEqual(its[0].next(), { done: true, value: undefined });
  });

  it('a copy of a plain Map has its entries in its order', () => {
    const m = new Map([['b', 2], ['a', 1], ['c', 3]]);
    assertSame(SlotMap.copyOf(m), m, 'copied from a Map');
  });

  it('names coming and going copy after copy: the same entries when a copy starts its own registry of names', () => {
    let s = new SlotMap<number>();
    let m = new Map<string, number>();
    for (let round = 0; round < 12; round++) {
      s = SlotMap.copyOf(s);
      m = new Map(m);
      // 1,000 new names per copy, the previous round's deleted: the registry outgrows the map.
      for (let i = 0; i < 1000; i++) {
        s.set(`R${round}-${i}`, i);
        m.set(`R${round}-${i}`, i);
        s.delete(`R${round - 1}-${i}`);
        m.delete(`R${round - 1}-${i}`);
      }
      s.set('KEEP', round);
      m.set('KEEP', round);
      assert.deepEqual([...s], [...m], `round ${round}`);
    }
  });

  it('a copy of 60,000 names emptied one by one (as a reparse drops the chains declared below an edit) leaves the original whole', () => {
    const s = new SlotMap<number>();
    for (let i = 0; i < 60000; i++) s.set(`C${i}`, i);
    const copy = SlotMap.copyOf(s);
    for (let i = 0; i < 60000; i++) assert.equal(copy.delete(`C${i}`), true);
    assert.equal(copy.size, 0);
    assert.equal(s.size, 60000);
    assert.deepEqual([...copy], []);
    assert.equal(SlotMap.copyOf(copy).size, 0);
  });

  it('changed(): the names whose values differ between a map and its copy, with both values, or undefined when the names or their order differ', () => {
    const a = new SlotMap<object>();
    const v = NAMES.map((n) => ({ n }));
    NAMES.forEach((n, i) => a.set(n, v[i]!));
    const b = SlotMap.copyOf(a);
    assert.deepEqual(SlotMap.changed(a, b), { names: [], at: [], was: [], now: [] });
    const x = { n: 'x' };
    const y = { n: 'y' };
    b.set('KUBE-SVC-A', x);
    b.set('Z', y);
    assert.deepEqual(SlotMap.changed(a, b), { names: ['KUBE-SVC-A', 'Z'], at: [4, 9], was: [v[4], v[9]], now: [x, y] });
    // Positions count the names there are, not the places a deleted one left.
    const holey = SlotMap.copyOf(a);
    holey.delete(NAMES[1]!);
    const packed = SlotMap.copyOf(holey);
    packed.set('Z', y);
    assert.deepEqual(SlotMap.changed(holey, packed), { names: ['Z'], at: [8], was: [v[9]], now: [y] });
    assert.equal([...packed.keys()][8], 'Z');
    // Values compared by identity: an equal object set again counts as changed.
    const c = SlotMap.copyOf(a);
    c.set('X', { n: 'X' });
    assert.deepEqual(SlotMap.changed(a, c)?.names, ['X']);
    assert.notEqual(SlotMap.changed(a, c)?.now[0], v[7]);
    // Another order, another name, or maps not made from one another: not told.
    const d = SlotMap.copyOf(a);
    d.delete('INPUT');
    d.set('INPUT', v[0]!);
    assert.equal(SlotMap.changed(a, d), undefined);
    const e = SlotMap.copyOf(a);
    e.delete('Y');
    e.set('W', v[8]!);
    assert.equal(SlotMap.changed(a, e), undefined);
    const f = new SlotMap<object>();
    NAMES.forEach((n, i) => f.set(n, v[i]!));
    assert.equal(SlotMap.changed(a, f), undefined);
    assert.equal(SlotMap.changed(a, new Map(a)), undefined);
  });
});
