/**
 * What a parse keeps per rule of a kube-proxy dump. The young-generation
 * collector copies every byte a parse keeps (twice), so the load check's time
 * on a 170,000-rule dump follows this figure: rule facts in a few fields,
 * kernel uses without the options no check reads (shared between rules), a
 * fast line's shape holding its facts itself, chains' rule arrays of their
 * length. 860 bytes per rule before those,
 * about 460 after (`node --test test/out/unit/lang/parseFootprint.test.js`
 * prints it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes per rule above which the test fails: room for noise, not for a field per rule more than a few. */
const MAX_BYTES_PER_RULE = 560;

describe('parse footprint', () => {
  it(`a kube-proxy dump's parse keeps under ${MAX_BYTES_PER_RULE} bytes per rule`, () => {
    const dump = kubeProxyDump({ services: 2000, endpoints: 5 });
    const rules = dump.split('\n').filter((l) => l.startsWith('-A')).length;
    gc();
    const before = process.memoryUsage().heapUsed;
    const parsed = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    assert.equal(parsed.diagnostics.filter((d) => d.severity === 'error').length, 0);
    const perRule = kept / rules;
    console.log(`parse footprint: ${rules} rules, ${(kept / 1e6).toFixed(1)} MB kept, ${perRule.toFixed(0)} bytes per rule`);
    assert.ok(perRule < MAX_BYTES_PER_RULE, `${perRule.toFixed(0)} bytes per rule`);
    // The parse must still be alive here, or the figure measures nothing.
    assert.ok(parsed.ruleset.tables.get('nat')!.chains.size > 2000);
  });
});
