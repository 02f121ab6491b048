/**
 * A parse handed the previous one keeps the table states it needs for the
 * next splice (tableSplice.ts); nothing it keeps may hold an earlier parse,
 * or an editor session would keep every version of a large file. After a
 * chain of reparses (splices within a line, lines added and removed, and
 * edits that parse whole), only the newest version's line cache is alive.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cacheOf } from '../../../server/src/lang/iptables/lineCache';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('reparses keep no earlier version alive', () => {
  for (const backend of ['nft', 'legacy'] as const) {
    it(`${backend}: 13 chained reparses, then only the last one's cache is reachable`, async () => {
      const lines = kubeProxyDump({ services: 60, endpoints: 3 }).split('\n');
      const dnat = lines.map((l, i) => (l.includes('--to-destination') ? i : -1)).filter((i) => i >= 0);
      // Told when an earlier version's cache is collected (a WeakRef would keep its target until V8 ends the job).
      const collected = new Set<number>();
      const registry = new FinalizationRegistry<number>((k) => collected.add(k));
      let previous = parseIptables(lines.join('\n'), { family: 'ipv4', backend });
      let spliced = 0;
      // The last edit splices: a whole parse at the end would hide what a splice keeps.
      for (let k = 0; k < 13; k++) {
        const at = dnat[(k * 7) % dnat.length]!;
        if (k % 4 === 0) lines[at] += ' --bogus';
        else if (k % 4 === 1) lines[at] = lines[at]!.replace(' --bogus', '');
        else if (k % 4 === 2) lines.splice(at + 1, 0, `${lines[at]} --bogus`);
        else lines.splice(lines.indexOf(':KUBE-SERVICES - [0:0]') + 1, 0, `:EXTRA-${k} - [0:0]`); // a chain line: parsed whole
        const next = parseIptables(lines.join('\n'), { family: 'ipv4', backend, previous });
        registry.register(cacheOf(previous)!, k);
        if (cacheOf(next)?.spliced) spliced++;
        previous = next;
      }
      assert.ok(spliced >= 6, `${spliced} of 13 spliced`);
      assert.ok(cacheOf(previous)?.spliced, 'the last reparse spliced');
      // Collections, each after a turn; the registry's callbacks run in later turns.
      for (let i = 0; i < 20 && collected.size < 13; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const alive = Array.from({ length: 13 }, (_, k) => k).filter((k) => !collected.has(k));
      assert.deepEqual(alive, [], `earlier versions still reachable: ${alive.join(', ')}`);
      assert.ok(cacheOf(previous));
    });
  }
});
