/** Packet sets against brute force on small domains (property tests), and their rendering in words. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FIELD_COUNT, IfaceTable, MarkBits, makeSpace, type Box } from '../../../server/src/analysis/space/fields';
import { fromRanges, intersect, subtract, union, unionOwned, masked, has, type IntSet } from '../../../server/src/analysis/space/intSet';
import { coarsen, intersectSets, isEmpty, merge, subtractSets, unionSets, withoutEqualBoxes, type PacketSet } from '../../../server/src/analysis/space/packetSet';
import { renderSet } from '../../../server/src/analysis/space/render';

const D = 15; // values 0..15 in the first three fields, 0 in the others

const arbSet = fc.array(fc.tuple(fc.integer({ min: 0, max: D }), fc.integer({ min: 0, max: D })), { maxLength: 3 }).map((rs) => fromRanges(rs.map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number])));
const arbBox = fc.tuple(arbSet, arbSet, arbSet).map(([a, b, c]): Box => [a, b, c, ...Array.from({ length: FIELD_COUNT - 3 }, () => [0, 0] as IntSet)]);
const arbPS = fc.array(arbBox, { maxLength: 4 }).map((bs) => bs.filter((b) => b.every((f) => f.length)) as PacketSet);

function points(s: PacketSet): Set<string> {
  const out = new Set<string>();
  for (const b of s) for (let x = 0; x <= D; x++) for (let y = 0; y <= D; y++) for (let z = 0; z <= D; z++) if (has(b[0]!, x) && has(b[1]!, y) && has(b[2]!, z)) out.add(`${x},${y},${z}`);
  return out;
}
const setOf = (s: IntSet): Set<number> => new Set(Array.from({ length: 64 }, (_, v) => v).filter((v) => has(s, v)));
const same = <T>(a: Set<T>, b: Set<T>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

describe('IntSet operations equal the set operations on their values', () => {
  const arb = fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 })), { maxLength: 5 }).map((rs) => fromRanges(rs.map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number])));
  it('union, intersect, subtract', () => {
    fc.assert(fc.property(arb, arb, (a, b) => {
      const A = setOf(a);
      const B = setOf(b);
      return same(setOf(union(a, b)), new Set([...A, ...B])) && same(setOf(intersect(a, b)), new Set([...A].filter((x) => B.has(x)))) && same(setOf(subtract(a, b)), new Set([...A].filter((x) => !B.has(x))));
    }));
  });
  it('unionOwned folds to the ranges union() folds to, growing its accumulator in place, never its argument', () => {
    // Runs that extend, follow, overlap and skip back: the in-place paths and the fallback.
    const arbRun = fc.array(fc.oneof(arb, fc.integer({ min: 0, max: 62 }).map((v) => [v, v + 1] as IntSet)), { minLength: 1, maxLength: 12 });
    let inPlace = 0;
    fc.assert(fc.property(arbRun, (sets) => {
      const copies = sets.map((s) => s.slice());
      let acc: number[] = sets[0]!.slice();
      let ref = sets[0]!;
      for (const s of sets.slice(1)) {
        const was = acc;
        acc = unionOwned(acc, s);
        if (acc === was) inPlace++;
        ref = union(ref, s);
        assert.deepEqual(acc, [...ref]);
      }
      // No set joined is changed, also by the joins after it (the accumulator must never become one of them).
      assert.deepEqual(sets, copies);
    }), { numRuns: 800 });
    assert.ok(inPlace > 100, `${inPlace} joins in place`);
  });
  it('masked(mask, value) holds exactly the v with v & mask == value', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }), (m, v) => same(setOf(masked(m, v & m, 6)), new Set(Array.from({ length: 64 }, (_, x) => x).filter((x) => (x & m) === (v & m))))));
  });
});

describe('PacketSet operations equal the set operations on the packets they hold', () => {
  it('intersection, difference and union', () => {
    fc.assert(fc.property(arbPS, arbPS, (a, b) => {
      const A = points(a);
      const B = points(b);
      return same(points(intersectSets(a, b)), new Set([...A].filter((x) => B.has(x))))
        && same(points(subtractSets(a, b)), new Set([...A].filter((x) => !B.has(x))))
        && same(points(unionSets(a, b)), new Set([...A, ...B]));
    }), { numRuns: 300 });
  });
  it('emptiness is "no packet"; merge keeps the packets', () => {
    fc.assert(fc.property(arbPS, arbPS, (a, b) => isEmpty(subtractSets(a, b)) === [...points(a)].every((p) => points(b).has(p)) && same(points(merge([...a, ...b])), new Set([...points(a), ...points(b)]))), { numRuns: 300 });
  });
  it('coarsen gives a superset within the limit', () => {
    fc.assert(fc.property(fc.array(arbBox, { maxLength: 12 }), (bs) => {
      const s = bs.filter((b) => b.every((f) => f.length)) as PacketSet;
      const c = coarsen(s, 2);
      return [...points(s)].every((p) => points(c).has(p)) && c.length <= Math.max(2, 1);
    }), { numRuns: 200 });
  });
});

describe('withoutEqualBoxes', () => {
  const space = makeSpace(new IfaceTable(['eth0'], []), new MarkBits(0), new MarkBits(0));
  const box = (over: Partial<Record<number, IntSet>>): Box => space.max.map((m, i) => over[i] ?? [0, m]);
  it('leaves out boxes equal in content to one of the others, keeps the rest in order', () => {
    const a = box({ 2: [6, 6] });
    const b = box({ 2: [17, 17] });
    const c = box({ 2: [6, 6], 4: [80, 80] });
    const d = box({ 2: [1, 1] });
    // A copy of a (another object), b itself, and boxes that only overlap or contain one of the others.
    const out = withoutEqualBoxes([c, a, d, b, box({})], [box({ 2: [6, 6] }), b, box({ 2: [6, 6], 4: [0, 79] })]);
    assert.deepEqual(out, [c, d, box({})]);
    assert.equal(out[0], c);
    assert.deepEqual(withoutEqualBoxes([a, b], []), [a, b]);
  });
  it('what is left loses nothing of the difference', () => {
    // t with copies (other objects) of some of s's boxes among its own.
    fc.assert(fc.property(arbPS, arbPS, fc.array(fc.nat(), { maxLength: 4 }), (s, own, picks) => {
      const t = [...own, ...picks.filter(() => s.length > 0).map((k) => s[k % s.length]!.map((f) => f.slice()))];
      const left = withoutEqualBoxes(s, t);
      if (picks.length && s.length && left.length >= s.length) return false;
      const full = subtractSets(s, t);
      const part = subtractSets(left, t);
      return subtractSets(full, part).length === 0 && subtractSets(part, full).length === 0;
    }), { numRuns: 200 });
  });
});

describe('rendering in words', () => {
  const space = makeSpace(new IfaceTable(['eth0', 'eth1'], []), new MarkBits(0), new MarkBits(0));
  const box = (over: Partial<Record<number, IntSet>>): Box => space.max.map((m, i) => over[i] ?? [0, m]);
  it('protocol, a network with a hole, ports and the input interface', () => {
    const s: PacketSet = [box({ 0: subtract([0x0a000000, 0x0affffff], [0x0a010000, 0x0a01ffff]), 2: [6, 6], 4: fromRanges([[80, 80], [443, 443]]), 7: [1, 1] })];
    assert.equal(renderSet(space, s), 'from 10.0.0.0/8 except 10.1.0.0/16 tcp to port 80, 443 arriving on eth0');
  });
  it('a complement when it is shorter: any port except 22', () => {
    assert.equal(renderSet(space, [box({ 2: [6, 6], 4: fromRanges([[0, 21], [23, 65535]]) })]), 'tcp to port any except 22');
    // Six values and "and N more", but never "and 1 more" in place of the one value.
    const ports = (n: number) => fromRanges(Array.from({ length: n }, (_, i) => [2 * i + 1, 2 * i + 1] as [number, number]));
    assert.equal(renderSet(space, [box({ 2: [6, 6], 4: ports(7) })]), 'tcp to port 1, 3, 5, 7, 9, 11, 13');
    assert.equal(renderSet(space, [box({ 2: [6, 6], 4: ports(8) })]), 'tcp to port 1, 3, 5, 7, 9, 11 and 2 more');
  });
  it('icmp types one by one: a range over several types is not shown as its first, and "icmp" is said once', () => {
    // Types 0-2 whole (1 and 2 have no name), 6 whole, 13 whole, and codes 0-3 of type 3.
    const icmp = fromRanges([[0, 3 * 256 - 1], [3 * 256, 3 * 256 + 3], [6 * 256, 7 * 256 - 1], [13 * 256, 14 * 256 - 1]]);
    assert.equal(renderSet(space, [box({ 2: [1, 1], 5: icmp })]), 'icmp echo-reply, types 1-2, type 3 code 0-3, type 6, timestamp-request');
    const notEcho = subtract([0, space.max[5]!], [8 * 256, 8 * 256 + 255]);
    assert.equal(renderSet(space, [box({ 2: [1, 1], 5: notEcho })]), 'icmp any type except echo-request');
    // Every type iptables names goes by that name (source-quench, address-mask-request, …), a single code too.
    const named = fromRanges([[4 * 256, 5 * 256 - 1], [15 * 256, 19 * 256 - 1], [3 * 256 + 3, 3 * 256 + 3], [3 * 256 + 8, 3 * 256 + 8]]);
    assert.equal(renderSet(space, [box({ 2: [1, 1], 5: named })]), 'icmp port-unreachable, type 3 code 8, source-quench, types 15-16, address-mask-request, address-mask-reply');
  });
  it('later fragments carry no ports, flags or icmp type: none is said', () => {
    assert.equal(renderSet(space, [box({ 2: [6, 6], 4: [22, 22], 6: [2, 2], 15: [1, 1] })]), 'tcp later fragments');
    assert.equal(renderSet(space, [box({ 2: [6, 6], 4: [22, 22], 15: [0, 0] })]), 'tcp to port 22');
  });
  it('interfaces no rule names, and other names of a wildcard', () => {
    const wild = makeSpace(new IfaceTable(['eth0'], ['veth']), new MarkBits(0), new MarkBits(0));
    const other = wild.ifaces.indexOf('wlan0');
    const veth = wild.ifaces.indexOf('vethab');
    const b = (iif: IntSet): Box => wild.max.map((m, i) => (i === 7 ? iif : [0, m]));
    assert.equal(renderSet(wild, [b([other, other])]), 'arriving on an interface no rule names');
    assert.equal(renderSet(wild, [b([veth, veth])]), 'arriving on another veth+ interface');
    // Every interface but a named one: said by the one left out.
    assert.equal(renderSet(wild, [b([Math.min(veth, other), Math.max(veth, other)])]), 'arriving on any interface except eth0');
  });
  it("a packet not routed yet is said to arrive; one with no input interface is the host's own", () => {
    const b = (iif: IntSet, oif: IntSet): Box => box({ 2: [6, 6], 7: iif, 8: oif });
    assert.equal(renderSet(space, [b([1, space.max[7]!], [0, 0])]), 'tcp arriving on any interface');
    assert.equal(renderSet(space, [b([1, 1], [0, 0])]), 'tcp arriving on eth0');
    assert.equal(renderSet(space, [b([0, 0], [2, 2])]), 'tcp sent by this host leaving by eth1');
  });
  it('no packet / every packet', () => {
    assert.equal(renderSet(space, []), 'no packet');
    assert.equal(renderSet(space, [box({})]), 'every packet');
  });
  it('a box that holds the packets of one already said is not said again, nor counted', () => {
    const tcp = box({ 2: [6, 6] });
    const udp = box({ 2: [17, 17], 4: [53, 53] });
    const icmp = box({ 2: [1, 1], 0: [5, 5] });
    assert.equal(renderSet(space, [tcp, udp, box({ 2: [6, 6] }), tcp]), 'tcp; udp to port 53');
    assert.equal(renderSet(space, [tcp, tcp, udp, icmp], 2), 'tcp; udp to port 53; and 1 more');
    // A box inside another one is not said, wherever it comes.
    assert.equal(renderSet(space, [box({ 2: [6, 6], 4: [22, 22] }), tcp, udp]), 'tcp; udp to port 53');
    // Every box read: the count is exact (these differ in two fields: no two make one box).
    const ports = (n: number): Box[] => Array.from({ length: n }, (_, i) => box({ 2: [6, 6], 0: [i + 1, i + 1], 4: [i + 1, i + 1] }));
    assert.equal(renderSet(space, [...ports(8), ...ports(8)], 3), 'from 0.0.0.1 tcp to port 1; from 0.0.0.2 tcp to port 2; from 0.0.0.3 tcp to port 3; and 5 more');
    // Past the 16 boxes read, what is left may repeat: an upper bound, said as one.
    assert.equal(renderSet(space, ports(100), 2), 'from 0.0.0.1 tcp to port 1; from 0.0.0.2 tcp to port 2; and up to 98 more');
    assert.equal(renderSet(space, [...ports(16), ...ports(16)], 2), 'from 0.0.0.1 tcp to port 1; from 0.0.0.2 tcp to port 2; and up to 30 more');
  });
  it('boxes that differ in one field only are said as one (their union), as many times as it takes', () => {
    const port = (p: number): Box => box({ 2: [6, 6], 4: [p, p] });
    assert.equal(renderSet(space, [port(80), port(443), port(8080)]), 'tcp to port 80, 443, 8080');
    // Two states of the same packets, then a third box that only the joined one differs from in one field.
    const st = (ct: IntSet, iif: IntSet): Box => box({ 7: iif, 9: ct });
    assert.equal(renderSet(space, [st([1, 4], [1, 1]), st([0, 2], [1, 1]), st([0, 4], [2, 2])]), 'arriving on eth0, eth1');
  });
});
