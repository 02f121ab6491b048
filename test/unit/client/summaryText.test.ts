import assert from 'node:assert/strict';
import { it } from 'node:test';
import { summaryView } from '../../../client/src/summaryText';

const base = { uri: 'file:///x/rules.v4', errors: 0, warnings: 0, unreachable: 0, analysing: false };

it('errors and unreachable rules first, in the status bar and for a screen reader', () => {
  const v = summaryView({ ...base, errors: 2, warnings: 3, unreachable: 1 }, 'rules.v4', true);
  assert.equal(v.text, '$(error) 2 errors · 3 warnings · 1 unreachable');
  assert.equal(v.label, 'Netfilter Lens: 2 errors, 3 warnings, 1 rule no packet reaches');
  assert.equal(v.level, 'error');
  assert.match(v.tooltip, /^Netfilter Lens — rules\.v4\n2 errors: iptables-restore would refuse this file\./);
  assert.match(v.tooltip, /Click to open the Problems view\.$/);
  assert.doesNotMatch(v.tooltip, /Restricted Mode/);
});

it('a file with errors claims nothing about reachability unless rules were found unreachable', () => {
  const v = summaryView({ ...base, errors: 5, warnings: 2 }, 'rules.v4', true);
  assert.equal(v.text, '$(error) 5 errors · 2 warnings');
  assert.equal(v.label, 'Netfilter Lens: 5 errors, 2 warnings');
  assert.match(v.tooltip, /analysed for the tables that load/);
});

it('a clean file, a warning, a large file still being analysed, Restricted Mode', () => {
  assert.equal(summaryView(base, 'a', true).text, '$(pass) all rules reachable');
  assert.equal(summaryView(base, 'a', true).level, 'ok');
  const w = summaryView({ ...base, warnings: 1 }, 'a', true);
  assert.deepEqual([w.text, w.level], ['$(warning) 1 warning · all rules reachable', 'warning']);
  const big = summaryView({ ...base, analysing: true }, 'a', false);
  assert.equal(big.text, '$(pass) reachability pending');
  assert.match(big.tooltip, /still being analysed/);
  assert.match(big.tooltip, /Restricted Mode: commands that run processes are off\./);
});
