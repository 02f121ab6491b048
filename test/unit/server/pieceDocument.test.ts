/**
 * The server's document over a text in pieces (pieceDocument.ts) answers as the editor's document
 * of vscode-languageserver-textdocument does: random texts with every kind of line end, random
 * edits (ranges past line ends and past the last line, reversed, whole-text changes), then every
 * offset, position, line range and line end compared with a document made from the same text, and
 * the text with the edits put in at the offsets such a document gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { PieceDocument } from '../../../server/src/pieceDocument';

const arbText = fc.array(fc.constantFrom('a', 'bc', '\n', '\r\n', '\r', ' -A X'), { maxLength: 14 }).map((p) => p.join(''));
const arbPos = fc.record({ line: fc.integer({ min: -1, max: 8 }), character: fc.integer({ min: -1, max: 12 }) });
const arbChange: fc.Arbitrary<TextDocumentContentChangeEvent> = fc.oneof(
  { weight: 9, arbitrary: fc.record({ range: fc.record({ start: arbPos, end: arbPos }), text: arbText }) },
  { weight: 1, arbitrary: fc.record({ text: arbText }) },
);

function same(doc: PieceDocument, text: string): void {
  const want = TextDocument.create('file:///x', 'iptables', 1, text);
  assert.equal(doc.getText(), text);
  assert.equal(doc.lineCount, want.lineCount, `lineCount of ${JSON.stringify(text)}`);
  for (let o = -1; o <= text.length + 1; o++) assert.deepEqual(doc.positionAt(o), want.positionAt(o), `positionAt ${o} of ${JSON.stringify(text)}`);
  for (let line = -1; line <= want.lineCount + 1; line++) {
    assert.deepEqual(doc.getLineRange(line), want.getLineRange(line), `getLineRange ${line} of ${JSON.stringify(text)}`);
    assert.equal(doc.getEOLCharacters(line), want.getEOLCharacters(line), `getEOLCharacters ${line}`);
    for (let character = -1; character <= 12; character++) {
      const p = { line, character };
      assert.equal(doc.offsetAt(p), want.offsetAt(p), `offsetAt ${JSON.stringify(p)} of ${JSON.stringify(text)}`);
      assert.equal(doc.getText({ start: p, end: { line: line + 1, character: 1 } }), want.getText({ start: p, end: { line: line + 1, character: 1 } }));
    }
  }
}

describe('the server\'s document over a text in pieces', () => {
  it('answers as the editor\'s document does, edit after edit', () => {
    fc.assert(fc.property(arbText, fc.array(fc.array(arbChange, { minLength: 1, maxLength: 3 }), { maxLength: 10 }), fc.boolean(), (start, versions, indexFirst) => {
      const mine = PieceDocument.create('file:///x', 'iptables', 0, start);
      // The reference: each change put in at the offsets a document made from the text before it gives.
      // (TextDocument.update's own line starts go wrong when a change meets "\r\n" at odd places:
      // after inserting "\r\n\n\r\r\n" into "" it counts 8 lines where the text has 5.)
      let text = start;
      // Line starts counted before the edits (moved by each, as the server's are) or after.
      if (indexFirst) void mine.lineCount;
      versions.forEach((changes, v) => {
        PieceDocument.update(mine, changes, v + 1);
        for (const c of changes) {
          if (!('range' in c)) {
            text = c.text;
            continue;
          }
          const ref = TextDocument.create('file:///x', 'iptables', 0, text);
          const a = ref.offsetAt(c.range.start);
          const b = ref.offsetAt(c.range.end);
          text = text.slice(0, Math.min(a, b)) + c.text + text.slice(Math.max(a, b));
        }
        assert.equal(mine.version, v + 1);
        same(mine, text);
      });
    }), { numRuns: 400 });
  });

  it('keeps the text in pieces: an edit of a long document does not make it one string', () => {
    const text = Array.from({ length: 2000 }, (_, i) => `-A KUBE-SEP-${i} -p tcp -j DNAT --to-destination 10.1.${i >> 8}.${i & 255}:80`).join('\n');
    const doc = PieceDocument.create('file:///k', 'iptables', 0, text);
    void doc.lineCount;
    const line = 1234;
    const was = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
    PieceDocument.update(doc, [{ range: { start: { line, character: was.length - 3 }, end: { line, character: was.length - 1 } }, text: '81' }], 1);
    assert.ok(doc.content.pieceCount > 1, 'edited in pieces');
    assert.equal(doc.getText({ start: { line, character: 0 }, end: { line, character: 200 } }), `${was.slice(0, -3)}81`);
    assert.equal(doc.lineCount, 2000);
    assert.equal(doc.getText().split('\n')[line], `${was.slice(0, -3)}81`);
  });
});
