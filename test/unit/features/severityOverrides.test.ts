import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Diagnostic } from '../../../server/src/lang/diagnostic';
import { applySeverityOverrides, parseSeverityOverrides } from '../../../server/src/features/severityOverrides';
import { normalizeSettings } from '../../../server/src/settings';

const span = { start: { line: 0, col: 0 }, end: { line: 0, col: 1 } };
const d = (code: string, severity: Diagnostic['severity']): Diagnostic => ({ code, severity, message: code, span });

it('reads the setting: VS Code severity words, "off", case and spaces forgiven; anything else ignored', () => {
  assert.deepEqual(parseSeverityOverrides({ a: 'Error', b: ' information ', c: 'off', d: 'hint', e: 'loud', f: 3, ' ': 'error' }), { a: 'error', b: 'info', c: 'off', d: 'hint' });
  assert.deepEqual(parseSeverityOverrides(['error']), {});
  assert.deepEqual(parseSeverityOverrides(undefined), {});
});

it('changes the severity of the codes named, drops those turned off, leaves the rest as they are', () => {
  const found = [d('bad-value', 'error'), d('unused-chain', 'warning'), d('redundant-rule', 'hint'), d('other', 'info')];
  // toString: an inherited name must not count as an override.
  const out = applySeverityOverrides(found, { 'bad-value': 'warning', 'unused-chain': 'off', 'redundant-rule': 'error' });
  assert.equal(applySeverityOverrides([d('toString', 'hint')], { 'x': 'off' })[0]?.severity, 'hint');
  assert.deepEqual(out.map((x) => [x.code, x.severity]), [['bad-value', 'warning'], ['redundant-rule', 'error'], ['other', 'info']]);
  assert.equal(out[2], found[3], 'untouched findings are the same objects');
  assert.equal(applySeverityOverrides(found, {}), found);
});

it('settings: netfilterLens.diagnostics.severity and netfilterLens.trace.assumeUnknown', () => {
  const s = normalizeSettings({ diagnostics: { severity: { 'unreachable-rule': 'error' } }, trace: { assumeUnknown: 'no-match', server: 'off' } });
  assert.deepEqual(s.severityOverrides, { 'unreachable-rule': 'error' });
  assert.equal(s.assumeUnknown, 'no-match');
  const dflt = normalizeSettings({ trace: { assumeUnknown: 'maybe' } });
  assert.equal(dflt.assumeUnknown, 'match');
  assert.deepEqual(dflt.severityOverrides, {});
});
