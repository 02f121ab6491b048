/**
 * The edit rehearsal (editRehearsal.ts) runs the re-analysis's code paths on its own generated
 * ruleset: each version spliced into the one before and its walks replayed, equal to a fresh
 * analysis of its text; and it leaves the analyses of the user's documents as they were.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisCache, ruleCount } from '../../../server/src/analysisCache';
import { editRehearsal, rehearsalRules } from '../../../server/src/editRehearsal';
import { reachFindings } from '../../../server/src/analysis/findings';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { chunkJoinCount, regroupCount } from '../../../server/src/analysis/space/packetSet';
import { analyzeIptables, type IptablesAnalysis } from '../../../server/src/lang/iptables/analyze';
import { cacheOf } from '../../../server/src/lang/iptables/lineCache';
import type { ReachEntry } from '../../../server/src/analysisCache';
import { PieceDocument } from '../../../server/src/pieceDocument';
import { DEFAULT_SETTINGS } from '../../../server/src/settings';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { reachView } from '../../helpers/reachEdits';

const fresh = (text: string) => {
  const a = analyzeIptables(text, { backend: 'nft', family: 'ipv4' });
  const r = analyzeReachability(a.parsed.ruleset);
  // With the document's lines, as the server gives them (a finding quotes its blocking rule and offers to move above it).
  const lines = text.split('\n');
  return { a, r, findings: reachFindings(a.parsed.ruleset, r, { lineText: (l) => lines[l]?.replace(/\r$/, '') }) };
};

describe('the edit rehearsal', () => {
  it('its ruleset loads cleanly, with a nat hand-off larger than the walk passes on whole (so it is coarsened, then regrouped on edits)', () => {
    const { a, r, findings } = fresh(rehearsalRules());
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.deepEqual(findings, []);
    const rules = ruleCount(a);
    assert.ok(rules > 1500, `${rules} rules`);
    assert.ok(r.memo.walked > 1000, `${r.memo.walked} walks`);
  });

  it('each version is the one before edited (a port, a line added and removed, two places), spliced, its walks replayed, and equal to a fresh analysis', () => {
    const versions: Array<{ text: string; analysis: IptablesAnalysis; reach: ReachEntry }> = [];
    const regrouped = regroupCount();
    const joined = chunkJoinCount();
    const steps = editRehearsal(DEFAULT_SETTINGS, (text, analysis, reach) => versions.push({ text, analysis, reach }));
    for (const step of steps) step();
    assert.equal(versions.length, 6);
    assert.ok(regroupCount() > regrouped, 'the nat hand-off regrouped from the version before');
    assert.ok(chunkJoinCount() > joined, 'chunks of the hand-off joined again');
    const lineCounts = versions.map((v) => v.text.split('\n').length);
    assert.deepEqual(lineCounts.map((n) => n - lineCounts[0]!), [0, 0, 0, 1, 0, 0]);
    for (let k = 0; k < versions.length; k++) {
      const { text, analysis, reach } = versions[k]!;
      if (k > 0) {
        assert.notEqual(text, versions[k - 1]!.text, `v${k} is an edit`);
        assert.ok(cacheOf(analysis.parsed)?.spliced, `v${k}: the parse spliced the version before`);
        assert.ok(reach.reach!.memo.replayed > 100, `v${k}: ${reach.reach!.memo.replayed} walks replayed`);
      }
      const f = fresh(text);
      assert.deepEqual(reach.findings, f.findings, `v${k}: findings`);
      assert.deepEqual(reachView(analysis.parsed.ruleset, reach.reach!, text, 7), reachView(f.a.parsed.ruleset, f.r, text, 7), `v${k}: every rule's hits, entries and hovers`);
    }
  });

  it('a user\'s document analysed before it and edited after it: the edit reuses its walks and equals a fresh analysis', () => {
    const settings = { ...DEFAULT_SETTINGS, family: 'ipv4' as const };
    const cache = new AnalysisCache();
    const text = kubeProxyDump({ services: 120, endpoints: 5 });
    let doc = PieceDocument.create('file:///user/kube.rules', 'iptables', 1, text);
    cache.get(doc, settings);
    const before = cache.reach(doc, settings);
    for (const step of editRehearsal(settings)) step();
    const lines = text.split('\n');
    const at = lines.findIndex((l, k) => k > lines.length / 2 && l.includes('DNAT --to-destination'));
    const edited = lines[at]!.replace(/:(\d+)$/, (_m, p: string) => `:${Number(p) + 1}`);
    doc = PieceDocument.update(doc, [{ range: { start: { line: at, character: 0 }, end: { line: at, character: lines[at]!.length } }, text: edited }], 2);
    lines[at] = edited;
    const regrouped = regroupCount();
    const analysis = cache.get(doc, settings);
    const after = cache.reach(doc, settings);
    assert.ok(cacheOf(analysis.parsed)?.spliced, 'spliced');
    assert.ok(after.reach!.memo.replayed > 100, `${after.reach!.memo.replayed} walks replayed`);
    assert.ok(regroupCount() > regrouped, 'its nat hand-off regrouped from its own previous one');
    assert.notEqual(after.reach, before.reach);
    const f = fresh(lines.join('\n'));
    assert.deepEqual(after.findings, f.findings);
    assert.deepEqual(reachView(analysis.parsed.ruleset, after.reach!, lines.join('\n'), 5), reachView(f.a.parsed.ruleset, f.r, lines.join('\n'), 5));
  });
});
