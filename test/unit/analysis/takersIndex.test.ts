/**
 * TakersIndex (the earlier rules explain() looks at in a long chain): every
 * item whose set meets the query is found, in item order, whatever the
 * shape of the sets (narrow and wide destinations and sources, several
 * boxes); and a long block-list chain is explained as a short one is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TakersIndex } from '../../../server/src/analysis/takersIndex';
import { FIELD_COUNT, Field, type Box } from '../../../server/src/analysis/space/fields';
import { intersectSets, isEmpty, type PacketSet } from '../../../server/src/analysis/space/packetSet';
import type { IntSet } from '../../../server/src/analysis/space/intSet';
import { reachFindings } from '../../../server/src/analysis/findings';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const FULL: IntSet = [0, 2 ** 32 - 1];
/** An address range: a point, a /24-like block, or one wider than the index takes (a /2), anywhere. */
const arbAddr: fc.Arbitrary<IntSet> = fc.tuple(fc.integer({ min: 0, max: 63 }), fc.constantFrom(0, 255, 2 ** 30)).map(([p, w]) => {
  const lo = p * 2 ** 26;
  return [lo, Math.min(2 ** 32 - 1, lo + w)];
});
const arbBox: fc.Arbitrary<Box> = fc.tuple(fc.oneof(arbAddr, fc.constant(FULL)), fc.oneof(arbAddr, fc.constant(FULL)), fc.constantFrom<IntSet>([6, 6], [17, 17], [0, 255]))
  .map(([src, dst, proto]) => Array.from({ length: FIELD_COUNT }, (_, i) => (i === Field.Src ? src : i === Field.Dst ? dst : i === Field.Proto ? proto : FULL)));
const arbSet: fc.Arbitrary<PacketSet> = fc.array(arbBox, { maxLength: 3 });

describe('TakersIndex', () => {
  it('finds every item whose set meets the query, in item order', () => {
    fc.assert(fc.property(fc.array(arbSet, { maxLength: 60 }), arbSet, (items, q) => {
      const found = new TakersIndex(items.map((s, i) => ({ s, i })), (x) => x.s).near(q).map((x) => x.i);
      const meeting = items.flatMap((s, i) => (isEmpty(intersectSets(s, q)) ? [] : [i]));
      assert.deepEqual(found, [...found].sort((a, b) => a - b), 'in item order');
      for (const i of meeting) assert.ok(found.includes(i), `item ${i} meets the query`);
    }), { numRuns: 500, seed: 7375 });
  });

  it('a /24 hidden by its two /25 halves in a chain of 200 rules (the index path) is explained as in a short chain', () => {
    const filler = Array.from({ length: 100 }, (_, i) => `-A INPUT -s 172.16.${i}.0/24 -j DROP`);
    const body = [...filler, '-A INPUT -s 10.0.0.0/25 -j ACCEPT', '-A INPUT -p tcp -j LOG', ...filler.map((l) => l.replace('172.16', '172.17')), '-A INPUT -s 10.0.0.128/25 -j DROP', '-A INPUT -s 10.0.0.0/24 -j LOG'];
    const text = ['*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...body, 'COMMIT', ''].join('\n');
    const lines = text.split('\n');
    const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
    const list = reachFindings(rs, analyzeReachability(rs), { lineText: (l) => lines[l] });
    const d = list.find((x) => lines[x.span.start.line]!.includes('-s 10.0.0.0/24'));
    assert.equal(d?.code, 'unreachable-rule');
    assert.deepEqual(d!.related!.map((r) => lines[r.span.start.line]), ['-A INPUT -s 10.0.0.0/25 -j ACCEPT', '-A INPUT -s 10.0.0.128/25 -j DROP']);
    assert.match(d!.message, /together take every packet/);
  });
});
