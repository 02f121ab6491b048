/**
 * When the server runs a version's reachability (AnalysisCache.reachWhen):
 * with its load diagnostics when that is quick, right after them when the
 * earlier version's run reused walks and was short, else after a pause in
 * typing. Run times come from an injected clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AnalysisCache, type ReachWhen } from '../../../server/src/analysisCache';
import { DEFAULT_SETTINGS } from '../../../server/src/settings';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

const settings = { ...DEFAULT_SETTINGS, family: 'ipv4' as const };

/** The decision for version 2 (one DNAT port changed) after version 1's run took `ms` by the clock. */
function afterRun(services: number, ms: number, runFirst = true, s = settings): { first: ReachWhen; second: ReachWhen } {
  let t = 0;
  let calls = 0;
  // Each run reads the clock twice (start, end): the second read is `ms` later.
  const cache = new AnalysisCache(() => (calls++ % 2 === 0 ? t : (t += ms)));
  const text = kubeProxyDump({ services, endpoints: 3 });
  const uri = 'file:///when/kube.rules';
  const v1 = TextDocument.create(uri, 'iptables', 1, text);
  const first = cache.reachWhen(v1, s);
  if (runFirst) cache.reach(v1, s);
  const v2 = TextDocument.create(uri, 'iptables', 2, text.replace(/(--to-destination [\d.]+:)(\d+)/, (_m, a: string, p: string) => `${a}${Number(p) + 1}`));
  return { first, second: cache.reachWhen(v2, s) };
}

describe('when reachability runs', () => {
  it('a large file\'s first run waits for a pause in typing', () => {
    assert.equal(afterRun(200, 10).first, 'idle');
  });
  it('an edit after a quick run reusing walks: with the diagnostics', () => {
    assert.equal(afterRun(200, 30).second, 'now');
  });
  it('an edit after a short run: right after the diagnostics', () => {
    assert.equal(afterRun(200, 120).second, 'soon');
  });
  it('an edit after a slow run: after a pause again', () => {
    assert.equal(afterRun(200, 300).second, 'idle');
  });
  it('an edit of a large file whose earlier version was never analysed: after a pause', () => {
    assert.equal(afterRun(200, 30, false).second, 'idle');
  });
  it('a small file: with its diagnostics, unless its last run was slow', () => {
    assert.deepEqual(afterRun(20, 30), { first: 'now', second: 'now' });
    assert.equal(afterRun(20, 120).second, 'soon');
  });
  it('a file over the rule limit: nothing to compute, at once', () => {
    assert.equal(afterRun(200, 10, true, { ...settings, maxAnalyzedRules: 1000 }).first, 'now');
  });
});
