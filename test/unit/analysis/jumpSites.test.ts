/**
 * JumpSites (a chain record's jump sites and their flows) holds what a Map
 * driven the same way holds, in the same order, and keeps lists of one or
 * two flows at their own length.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JumpSites } from '../../../server/src/analysis/reach/jumpSites';
import type { Flow } from '../../../server/src/analysis/reach/flow';

const SITES = ['hook PREROUTING', 'hook OUTPUT', 'a', 'b', 'c'];
const flow = (n: number): Flow => ({ may: [], must: [], n } as unknown as Flow);

describe('JumpSites: a chain record\'s sites in the order first met', () => {
  it('answers as a Map with the same adds and sets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...SITES), fc.nat(9)), { maxLength: 40 }), (steps) => {
        const sites = new JumpSites();
        const map = new Map<string, Flow[]>();
        for (const [isSet, site, n] of steps) {
          if (isSet) {
            sites.set(site, [flow(n)]);
            map.set(site, [flow(n)]);
          } else {
            sites.add(site, flow(n));
            const l = map.get(site);
            if (l) l.push(flow(n));
            else map.set(site, [flow(n)]);
          }
        }
        assert.deepEqual([...sites.entries()], [...map.entries()]);
        assert.deepEqual([...sites], [...map]);
        assert.deepEqual([...sites.keys()], [...map.keys()]);
        for (const s of SITES) assert.deepEqual(sites.get(s), map.get(s), s);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps, per site, the hooks it sent packets in at (through set() too, for the first site as for the others), and counts the flows that held packets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...SITES), fc.constantFrom(0, 1, 2, 8, 16)), { maxLength: 40 }), (steps) => {
        const sites = new JumpSites();
        const bits = new Map<string, number>();
        let live = 0;
        for (const [isSet, site, hooks] of steps) {
          if (isSet) sites.set(site, [flow(hooks)]);
          else sites.add(site, flow(hooks), hooks);
          bits.set(site, (bits.get(site) ?? 0) | (isSet ? 0 : hooks));
          if (!isSet && hooks !== 0) live++;
        }
        for (const s of SITES) assert.equal(sites.hooksOf(s), bits.get(s) ?? 0, s);
        assert.equal(sites.live, live, 'the flows added with their hooks (some packet in them)');
        const seen: Array<[string, number]> = [];
        sites.forEach((site, _, hooks) => seen.push([site as string, hooks]));
        assert.deepEqual(seen, [...bits.keys()].map((s) => [s, bits.get(s)!]));
        // Grouped by those hooks: each group the sites with exactly those bits, in the order first met; none for 0.
        const groups = new Map<number, string[]>();
        for (const [s, b] of seen) if (b) groups.set(b, [...(groups.get(b) ?? []), s]);
        const byHooks = sites.byHooks();
        assert.deepEqual([...byHooks.keys()].sort(), [...groups.keys()].sort());
        for (const [b, l] of groups) assert.deepEqual(byHooks.get(b), l, `bits ${b}`);
      }),
      { numRuns: 500 },
    );
  });

  it('a site met twice keeps its two flows in a list of two; a third is pushed', () => {
    const sites = new JumpSites();
    const one = flow(1);
    sites.add('hook PREROUTING', one);
    const first = sites.get('hook PREROUTING')!;
    sites.add('hook PREROUTING', flow(2));
    const second = sites.get('hook PREROUTING')!;
    assert.notEqual(second, first, 'a new list of two');
    assert.deepEqual(first, [one], 'the list of one is left as it was');
    sites.add('hook PREROUTING', flow(3));
    assert.equal(sites.get('hook PREROUTING'), second, 'then pushed in place');
    assert.equal(second.length, 3);
  });
});
