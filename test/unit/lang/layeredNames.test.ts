/**
 * LayeredNames (a table state's known chain names, resumed after an edit
 * without copying the earlier state's) answers as a copy of the earlier set
 * changed the same way would, whatever the layers, and leaves the earlier
 * set as it was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LayeredNames, type NameSet } from '../../../server/src/lang/iptables/layeredNames';

const NAMES: readonly string[] = ['INPUT', 'FORWARD', 'OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-A', 'KUBE-SEP-B', 'DOCKER', 'X', 'Y', 'Z'];
const name = fc.constantFrom(...NAMES);
type Step = { kind: 'add' | 'delete' | 'has'; name: string } | { kind: 'layer' };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom('add' as const, 'delete' as const, 'has' as const), name }),
  fc.constant({ kind: 'layer' as const }),
);

describe('LayeredNames: a set made from an earlier one without copying it', () => {
  it('answers has/add/delete as a copied Set does, over any number of layers', () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 8 }), fc.array(step, { maxLength: 60 }), (start, steps) => {
        let layered: NameSet = new Set(start);
        let copy = new Set<string>(start);
        // Every earlier set must stay as it was when it was layered over.
        const frozen: Array<{ set: NameSet; names: string[] }> = [];
        for (const s of steps) {
          if (s.kind === 'layer') {
            frozen.push({ set: layered, names: [...copy].sort() });
            layered = new LayeredNames(layered);
            copy = new Set(copy);
          } else if (s.kind === 'has') assert.equal(layered.has(s.name), copy.has(s.name), `has ${s.name}`);
          else if (s.kind === 'delete') assert.equal(layered.delete(s.name), copy.delete(s.name), `delete ${s.name}`);
          else {
            layered.add(s.name);
            copy.add(s.name);
          }
        }
        assert.deepEqual(NAMES.filter((n) => layered.has(n)).sort(), [...copy].sort());
        for (const f of frozen) assert.deepEqual(NAMES.filter((n) => f.set.has(n)).sort(), f.names);
      }),
      { numRuns: 500 },
    );
  });

  it('many differences: made from a layered set, it is one set again, with the same names', () => {
    let s: NameSet = new Set(['A']);
    const copy = new Set(['A']);
    for (let round = 0; round < 3; round++) {
      s = new LayeredNames(s);
      for (let i = 0; i < 3000; i++) {
        s.add(`N${round}-${i}`);
        copy.add(`N${round}-${i}`);
      }
      if (round === 1) {
        s.delete('A');
        copy.delete('A');
      }
    }
    const again = new LayeredNames(s);
    for (const n of [...copy, 'A', 'N9-9']) assert.equal(again.has(n), copy.has(n), n);
    assert.deepEqual([...again.names()].sort(), [...copy].sort());
  });
});
