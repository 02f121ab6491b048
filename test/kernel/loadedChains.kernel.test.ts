/**
 * The chains a load leaves in the kernel, against ours (the ruleset the
 * emulator and the analysis read): which built-in chains exist, their
 * policies, and their rules' verdicts in order. Loaded with
 * iptables-nft-restore into a fresh namespace, then read back with
 * `nft list table` (iptables-nft-save prints built-in chains that do not exist).
 * The cases are the ones where iptables-nft's cache and the kernel part ways:
 * a bare "-X" forgets built-in chains, which keep their rules in the kernel.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { oracleAvailable } from '../helpers/oracle';

interface KernelChain {
  readonly policy: string;
  readonly verdicts: readonly string[];
}

const BASE = ['*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
const CASES: readonly (readonly string[])[] = [
  ['-A INPUT -j ACCEPT', '-X'],
  ['-X'],
  ['-A INPUT -j ACCEPT', '-X', '-A INPUT -j DROP'],
  ['-A INPUT -j ACCEPT', '-X', '-I INPUT 1 -j DROP'],
  ['-A INPUT -j ACCEPT', '-X', '-A INPUT -j DROP', '-I INPUT 2 -j RETURN'],
  ['-A INPUT -j ACCEPT', '-X', '-A INPUT -j DROP', '-D INPUT 1'],
  ['-A INPUT -j ACCEPT', '-X', '-F INPUT'],
  ['-A INPUT -j ACCEPT', '-X', '-P INPUT ACCEPT', '-A INPUT -j RETURN'],
  ['-A INPUT -j ACCEPT', '-D INPUT -j ACCEPT', '-X'],
  ['-X', '-P OUTPUT DROP'],
  ['-A INPUT -j ACCEPT', '-F', '-X'],
];

/** "chain NAME { … policy accept; … rule … verdict }" of `nft list table ip filter`. */
function kernelChains(listing: string): Map<string, KernelChain> {
  const out = new Map<string, { policy: string; verdicts: string[] }>();
  let cur: { policy: string; verdicts: string[] } | undefined;
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const chain = /^chain (\S+) \{$/.exec(line);
    if (chain) out.set(chain[1]!, (cur = { policy: '', verdicts: [] }));
    else if (cur && /policy (accept|drop);/.test(line)) cur.policy = /policy (accept|drop);/.exec(line)![1]!.toUpperCase();
    else if (cur && /\b(accept|drop|return)$/.test(line)) cur.verdicts.push(/\b(accept|drop|return)$/.exec(line)![1]!.toUpperCase());
  }
  return out;
}

const avail = oracleAvailable();
const skip = avail.ok ? false : `KERNEL TESTS SKIPPED: ${avail.why}`;
if (skip) console.log(`\n!!! ${skip}\n`);

describe('chains left in the kernel by iptables-nft-restore equal our loaded ruleset', { skip }, () => {
  for (const body of CASES) {
    it(body.join(' ⏎ '), () => {
      const text = [...BASE, ...body, 'COMMIT', ''].join('\n');
      const r = spawnSync('unshare', ['-n', 'sh', '-c', 'iptables-nft-restore && nft list table ip filter'], { input: text, encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 0, `the kernel refused:\n${text}\n${r.stderr}`);
      const kernel = kernelChains(r.stdout);
      const parsed = parseIptables(text, { backend: 'nft', family: 'ipv4' });
      assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error'), [], 'we call a file the kernel loads an error');
      const ours = new Map<string, KernelChain>();
      for (const ch of parsed.ruleset.tables.get('filter')!.chains.values()) {
        if (ch.builtin && ch.absent) continue;
        ours.set(ch.name, { policy: ch.policy, verdicts: ch.rules.map((x) => x.facts.verdict ?? '?') });
      }
      assert.deepEqual(Object.fromEntries(ours), Object.fromEntries(kernel), `file:\n${text}\nnft:\n${r.stdout}`);
    });
  }
});
