/**
 * editSteps(): an edit made in several places of a text, as the texts with
 * the first one, two, … of those places edited (the reparse splices them one
 * at a time). Checked against texts built place by place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { editSteps, MAX_EDIT_PLACES } from '../../../server/src/lang/iptables/editSteps';

/** A place: at line `at` of the original, `remove` lines replaced by `insert`. */
interface Place {
  readonly at: number;
  readonly remove: number;
  readonly insert: readonly string[];
}

/** The lines with the given places (in order, apart) edited. */
function applied(lines: readonly string[], places: readonly Place[]): string[] {
  const out: string[] = [];
  let i = 0;
  for (const p of places) {
    out.push(...lines.slice(i, p.at), ...p.insert);
    i = p.at + p.remove;
  }
  return out.concat(lines.slice(i));
}

/** Places at least `gap` unchanged lines apart, each of 0–3 lines replaced by 0–3 new ones (not both 0). */
const arbEdit = (count: fc.Arbitrary<number>, gap: number) =>
  fc.tuple(fc.integer({ min: 0, max: 5 }), count).chain(([head, n]) =>
    fc.array(fc.tuple(fc.integer({ min: gap, max: gap + 40 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: n, maxLength: n }).map((raw) => {
      const places: Place[] = [];
      let at = head;
      raw.forEach(([skip, remove, add], k) => {
        const insert = Array.from({ length: remove === 0 && add === 0 ? 1 : add }, (_, m) => `-A NEW-${k}-${m} -j ACCEPT`);
        places.push({ at, remove, insert });
        at += remove + skip;
      });
      const lines = Array.from({ length: at + 3 }, (_, i) => `-A CHAIN-${i} -j DROP`);
      return { lines, places };
    }),
  );

const text = (lines: readonly string[]): string => `${lines.join('\n')}\n`;

describe('editSteps', () => {
  it('edits in 2..16 places apart: one text per place but the last, each with the places up to it edited', () => {
    fc.assert(
      fc.property(arbEdit(fc.integer({ min: 2, max: MAX_EDIT_PLACES }), 3), ({ lines, places }) => {
        const steps = editSteps(text(lines), text(applied(lines, places)));
        assert.ok(steps, 'steps');
        assert.deepStrictEqual(steps, places.slice(0, -1).map((_, k) => text(applied(lines, places.slice(0, k + 1)))));
      }),
      { numRuns: 500, seed: 7370 },
    );
  });

  it('one place, more than 16, or nothing changed: no steps', () => {
    fc.assert(
      fc.property(arbEdit(fc.constant(1), 3), ({ lines, places }) => {
        assert.equal(editSteps(text(lines), text(applied(lines, places))), undefined);
        assert.equal(editSteps(text(lines), text(lines)), undefined);
      }),
      { numRuns: 100, seed: 7371 },
    );
    fc.assert(
      fc.property(arbEdit(fc.constant(MAX_EDIT_PLACES + 1), 3), ({ lines, places }) => {
        assert.equal(editSteps(text(lines), text(applied(lines, places))), undefined);
      }),
      { numRuns: 50, seed: 7372 },
    );
  });

  it('places closer than three lines are one place; lines far out of step (a large paste) give no steps', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
    const near = lines.slice();
    near[10] = 'x';
    near[12] = 'y';
    near[200] = 'z';
    assert.deepStrictEqual(editSteps(text(lines), text(near)), [text(applied(lines, [{ at: 10, remove: 3, insert: ['x', 'line 11', 'y'] }]))]);
    // The common end starting inside a line (the removed line 36 and the kept line 35 end alike): whole lines compared.
    const lines2 = Array.from({ length: 43 }, (_, i) => `-A CHAIN-${i} -j DROP`);
    const places2: Place[] = [{ at: 33, remove: 0, insert: ['new'] }, { at: 36, remove: 1, insert: [] }];
    assert.deepStrictEqual(editSteps(text(lines2), text(applied(lines2, places2))), [text(applied(lines2, places2.slice(0, 1)))]);
    // And back (the line put in again): the first step takes "new" out and leaves line 36 out.
    assert.deepStrictEqual(editSteps(text(applied(lines2, places2)), text(lines2)), [text(applied(lines2, places2.slice(1)))]);
    const pasted = lines.slice(0, 5).concat(Array.from({ length: 100 }, (_, i) => `new ${i}`), lines.slice(5, 250), ['x'], lines.slice(251));
    assert.equal(editSteps(text(lines), text(pasted)), undefined);
  });

  it('texts with repeated lines and random edits: each step is the new text up to a line start followed by the old one from a line start', () => {
    const arbLines = fc.array(fc.constantFrom('-A INPUT -j ACCEPT', '-A INPUT -j DROP', 'COMMIT', '', '# c'), { minLength: 20, maxLength: 120 });
    const lineStarts = (t: string): number[] => [0, ...[...t].flatMap((c, k) => (c === '\n' ? [k + 1] : []))];
    fc.assert(
      fc.property(arbLines, fc.array(fc.tuple(fc.nat(), fc.constantFrom('-A X -j RETURN', 'COMMIT', '')), { minLength: 1, maxLength: 6 }), fc.boolean(), (lines, edits, final) => {
        const next: string[] = lines.slice();
        for (const [at, line] of edits) next[at % next.length] = line;
        const a = lines.join('\n') + (final ? '\n' : '');
        const b = next.join('\n') + '\n';
        const aStarts = new Set([...lineStarts(a), a.length]);
        for (const s of editSteps(a, b) ?? []) {
          const split = [...lineStarts(b), b.length].some((x) => s.startsWith(b.slice(0, x)) && a.endsWith(s.slice(x)) && aStarts.has(a.length - (s.length - x)));
          assert.ok(split, JSON.stringify({ a, b, s }));
        }
      }),
      { numRuns: 500, seed: 7370 },
    );
  });
});
