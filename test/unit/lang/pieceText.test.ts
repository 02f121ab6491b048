/**
 * A text in pieces (the editor's document, pieceText.ts) reads as the string it stands for: random
 * edits of texts with line ends, each version checked against the plain string, and the common
 * beginning and end of two versions found through shared pieces as the string helpers find them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PieceText } from '../../../server/src/lang/pieceText';
import { commonPrefix, commonSuffix, commonSuffixAt } from '../../../server/src/lang/iptables/lineCache';

const arbText = fc.array(fc.constantFrom('a', 'b', '-A X', '\n', '\r\n', '\r', ' '), { maxLength: 30 }).map((p) => p.join(''));
const arbEdit = fc.record({ a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }), text: arbText });

describe('a text in pieces', () => {
  it('reads as its string after any edits: length, characters, line ends searched both ways, slices, the joined text', () => {
    fc.assert(fc.property(arbText, fc.array(arbEdit, { maxLength: 80 }), fc.array(fc.integer({ min: -3, max: 200 }), { minLength: 6, maxLength: 6 }), (start, edits, probes) => {
      let s = start;
      let t = PieceText.of(start);
      for (const e of edits) {
        const x = Math.floor(e.a * (s.length + 1));
        const y = x + Math.floor(e.b * (s.length - x + 1));
        s = s.slice(0, x) + e.text + s.slice(y);
        t = t.edit(x, y, e.text);
        assert.equal(t.length, s.length);
        for (const p of probes) {
          assert.equal(t.indexOf('\n', p), s.indexOf('\n', p), `indexOf from ${p}`);
          assert.equal(t.lastIndexOf('\n', p), s.lastIndexOf('\n', p), `lastIndexOf from ${p}`);
          assert.equal(t.indexOf('\r', p), s.indexOf('\r', p));
          if (p >= 0 && p < s.length) assert.equal(t.charCodeAt(p), s.charCodeAt(p));
          const q = Math.min(s.length, Math.max(0, p));
          const r = Math.min(s.length, q + Math.abs(probes[0]!));
          assert.equal(t.slice(q, r), s.slice(q, r), `slice ${q} ${r}`);
        }
        assert.equal(t.lastIndexOf('\n'), s.lastIndexOf('\n'));
        assert.ok(t.pieceCount <= 65);
      }
      assert.equal(t.flat(), s);
    }), { numRuns: 300 });
  });

  it('finds the common beginning and end of two versions as the string helpers do, passing over shared pieces', () => {
    fc.assert(fc.property(arbText, fc.array(arbEdit, { maxLength: 12 }), fc.array(arbEdit, { maxLength: 4 }), (start, common, more) => {
      let s = start;
      let t = PieceText.of(start);
      const apply = (e: { a: number; b: number; text: string }): void => {
        const x = Math.floor(e.a * (s.length + 1));
        const y = x + Math.floor(e.b * (s.length - x + 1));
        s = s.slice(0, x) + e.text + s.slice(y);
        t = t.edit(x, y, e.text);
      };
      for (const e of common) apply(e);
      const [s0, t0] = [s, t];
      for (const e of more) apply(e);
      const max = Math.min(s0.length, s.length);
      const p = commonPrefix(s0, s, max);
      assert.equal(t0.commonPrefix(t, max, commonPrefix), p);
      assert.equal(t0.commonSuffix(t, max - p, commonSuffixAt), commonSuffix(s0, s, max - p));
      // Against a text of the same characters in one piece: nothing shared, everything compared.
      assert.equal(t0.commonPrefix(PieceText.of(s), max, commonPrefix), p);
    }), { numRuns: 500 });
  });

  it('a long text edited in one line shares all but a few pieces, and past 64 pieces is one string again', () => {
    const base = Array.from({ length: 5000 }, (_, i) => `-A KUBE-SVC-${i} -j DNAT --to-destination 10.0.0.${i % 250}:80`).join('\n');
    let t = PieceText.of(base);
    let s = base;
    for (let k = 0; k < 70; k++) {
      const at = s.indexOf(':80', (k * 7919) % s.length);
      if (at < 0) continue;
      t = t.edit(at + 1, at + 3, '81');
      s = `${s.slice(0, at + 1)}81${s.slice(at + 3)}`;
      assert.ok(t.pieceCount <= 64, `${t.pieceCount} pieces after ${k + 1} edits`);
    }
    assert.equal(t.flat(), s);
  });
});
