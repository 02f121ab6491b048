/**
 * The server's cache hands each version's reachability the walks of an
 * earlier version (analysisCache.ts): the previous one, or, while an edit
 * leaves a table that does not load (typing), the last one where it loaded.
 * The result equals a fresh analysis's, and no version is kept longer than
 * that needs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AnalysisCache } from '../../../server/src/analysisCache';
import { reachFindings } from '../../../server/src/analysis/findings';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { DEFAULT_SETTINGS } from '../../../server/src/settings';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const settings = { ...DEFAULT_SETTINGS, family: 'ipv4' as const };

describe('the cache\'s reachability across versions', () => {
  it('a nat table that stops loading for a version: the next version reuses the walks of the one before it', async () => {
    const lines = kubeProxyDump({ services: 60, endpoints: 3 }).split('\n');
    const at = lines.findIndex((l, k) => k > lines.length / 2 && l.includes('DNAT --to-destination'));
    const cache = new AnalysisCache();
    const uri = 'file:///cache/kube.rules';
    const versions: string[] = [lines.join('\n')];
    // Half-typed: a rule appended to a chain that does not exist (the nat table does not load).
    const rule = lines[at]!;
    lines[at] = rule.replace('-A KUBE-SEP-', '-A KUBE-SE-');
    versions.push(lines.join('\n'));
    lines[at] = rule.replace(/:(\d+)$/, (_m, d: string) => `:${Number(d) + 1}`);
    versions.push(lines.join('\n'));
    const collected = new Set<number>();
    const registry = new FinalizationRegistry<number>((v) => collected.add(v));
    const replayed: number[] = [];
    for (const [i, text] of versions.entries()) {
      const doc = TextDocument.create(uri, 'iptables', i + 1, text);
      const entry = cache.reach(doc, settings);
      assert.ok(entry.reach);
      registry.register(entry.reach, i + 1);
      replayed.push(entry.reach.memo.replayed);
      if (i === 1) assert.equal(entry.reach.emu.tables.has('nat'), false, 'version 2: nat does not load');
      if (i === 2) {
        const rs = parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset;
        const lineText = (l: number) => text.split('\n')[l];
        assert.deepStrictEqual(JSON.parse(JSON.stringify(entry.findings)), JSON.parse(JSON.stringify(reachFindings(rs, analyzeReachability(rs), { lineText }))));
      }
    }
    // Version 3 took version 1's nat walks (version 2 had none): all but the edited service's.
    assert.ok(replayed[2]! >= 2 * 59, `replayed per version: ${replayed.join(', ')}`);
    for (let i = 0; i < 20 && collected.size < 2; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual([...collected].sort(), [1, 2], 'versions 1 and 2 let go once version 3 is analysed');
  });
});
