/** Findings carried to the next version while it is analysed again (server/src/carriedFindings.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { carryFindings, findingLines } from '../../../server/src/carriedFindings';
import type { Diagnostic } from '../../../server/src/lang/diagnostic';

const OLD = ['*filter', '-A INPUT -s 10.0.0.0/25 -j DROP', '-A INPUT -s 10.0.0.128/25 -j DROP', '-A INPUT -s 10.0.0.0/24 -j ACCEPT', '-A INPUT -p tcp -j ACCEPT', 'COMMIT'];
const span = (line: number) => ({ start: { line, col: 0 }, end: { line, col: 5 } });
const SHADOWED: Diagnostic = {
  code: 'unreachable-rule',
  severity: 'warning',
  message: 'No packet reaches this rule: lines 2 and 3 take them all.',
  span: span(3),
  related: [{ span: span(1), message: 'takes some' }, { span: span(2), message: 'takes the rest' }],
  fixes: [{ title: 'Delete the rule', edits: [{ span: span(3), newText: '' }] }],
};
const LATE: Diagnostic = { code: 'redundant-rule', severity: 'hint', message: 'Removing it changes nothing.', span: span(4) };

function carry(next: string[]): Diagnostic[] {
  const lines = findingLines([SHADOWED, LATE], OLD.length, (l) => OLD[l]);
  return carryFindings([SHADOWED, LATE], lines, next.length, (l) => next[l]);
}

describe('findings carried to the next version', () => {
  it('keep their lines when the edit is below them, without quick fixes, marked as the previous version\'s', () => {
    const out = carry([...OLD.slice(0, 5), '-A INPUT -j LOG', 'COMMIT']);
    assert.deepEqual(out.map((d) => [d.code, d.span.start.line]), [['unreachable-rule', 3], ['redundant-rule', 4]]);
    assert.equal(out[0]!.fixes, undefined);
    assert.match(out[0]!.message, /^\(Previous version; being analysed again\.\) No packet reaches/);
    assert.deepEqual(out[0]!.related!.map((r) => r.span.start.line), [1, 2]);
  });

  it('move by the lines inserted or deleted above them, related information too', () => {
    const inserted = carry([OLD[0]!, '-A INPUT -i lo -j ACCEPT', '-A INPUT -i lo2 -j ACCEPT', ...OLD.slice(1)]);
    assert.deepEqual(inserted.map((d) => d.span.start.line), [5, 6]);
    assert.deepEqual(inserted[0]!.related!.map((r) => r.span.start.line), [3, 4]);
  });

  it('are left out when their line or a blocking rule\'s line changed', () => {
    assert.deepEqual(carry([...OLD.slice(0, 3), '-A INPUT -s 10.0.0.0/24 -j REJECT', ...OLD.slice(4)]).map((d) => d.code), ['redundant-rule']);
    assert.deepEqual(carry([OLD[0]!, '-A INPUT -s 10.0.0.0/26 -j DROP', ...OLD.slice(2)]).map((d) => d.code), ['redundant-rule']);
  });

  it('do not land on a line that only has the same text by accident elsewhere', () => {
    // The edit replaced everything: nothing is found at the line or at the line moved by the count change.
    assert.deepEqual(carry(['*filter', 'COMMIT']), []);
  });
});
