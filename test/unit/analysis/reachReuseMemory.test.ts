/**
 * Reachability handed the previous version's takes over chain records and
 * walks from it (walkMemo.ts); it must not keep the previous analysis itself
 * alive (its recorder, its memo), or an editor session would keep every
 * version. After a chain of re-analyses only the newest recorder and memo
 * are reachable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('re-analyses keep no earlier version alive', () => {
  it('10 chained re-analyses, then only the last one\'s recorder and memo are reachable', async () => {
    const lines = kubeProxyDump({ services: 40, endpoints: 3 }).split('\n');
    const dnat = lines.map((l, i) => (l.includes('--to-destination') ? i : -1)).filter((i) => i >= 0);
    const collected = new Set<string>();
    const registry = new FinalizationRegistry<string>((k) => collected.add(k));
    let parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    let replayed = 0;
    for (let k = 0; k < 10; k++) {
      const at = dnat[(k * 7) % dnat.length]!;
      lines[at] = lines[at]!.replace(/:(\d+)$/, (_m, d: string) => `:${Number(d) + 1}`);
      parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: parsed });
      const next = analyzeReachability(parsed.ruleset, { previous: reach });
      replayed += next.memo.replayed;
      registry.register(reach.rec, `recorder ${k}`);
      registry.register(reach.memo, `memo ${k}`);
      registry.register(reach, `analysis ${k}`);
      reach = next;
    }
    assert.ok(replayed >= 10 * 70, `${replayed} walks replayed`);
    for (let i = 0; i < 20 && collected.size < 30; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const alive = Array.from({ length: 10 }, (_, k) => [`recorder ${k}`, `memo ${k}`, `analysis ${k}`]).flat().filter((k) => !collected.has(k));
    assert.deepEqual(alive, [], `earlier versions still reachable: ${alive.join(', ')}`);
    assert.ok(reach.rec);
  });
});
