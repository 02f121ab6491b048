/**
 * Reachability given the previous version's (ReachOptions.previous, as the
 * editor re-analyses after an edit) takes over the chains the reparse left
 * alone and replays their walks (walkMemo.ts); its result must be exactly a
 * fresh analysis's: every rule's hits per hook box for box, every chain's
 * entries per site, the policies' flows, the findings, the chain summaries
 * and the hover of every rule. Chains of edits on random rulesets and on a
 * kube-proxy-style dump, each analysis handed the one before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainSummaries } from '../../../server/src/analysis/chainSummary';
import { reachFindings } from '../../../server/src/analysis/findings';
import { analyzeReachability, type Reachability } from '../../../server/src/analysis/reachability';
import { ruleFlows } from '../../../server/src/analysis/ruleFlows';
import { parseIptables, type ParsedIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateRules, rng, type Rng } from '../../helpers/netlab/traceGenerator';

/** Everything the analysis answers, as plain data. */
function view(p: ParsedIptables, reach: Reachability, text: string): unknown {
  const lines = text.split('\n');
  const rules: unknown[] = [];
  const chains: unknown[] = [];
  for (const t of reach.emu.tables.values()) {
    for (const c of t.chains.values()) {
      chains.push({ chain: `${t.name}/${c.name}`, entered: reach.entered(t.name, c.name), entries: [...reach.entries(t.name, c.name)] });
      for (const r of c.rules) rules.push({ id: r.id, reached: reach.reached(r), hits: [...reach.reach(r, t.name, c.name).hits] });
    }
  }
  const hovers = [...new Set(rules.map((r) => Number((r as { id: string }).id.split('/')[3])))].map((l) => ruleFlows(reach, l));
  return JSON.parse(JSON.stringify({
    rules,
    chains,
    policy: [...reach.rec.policy],
    entryHooks: [...reach.rec.entryHooks].map(([k, v]) => [k, [...v]]),
    findings: reachFindings(p.ruleset, reach, { lineText: (l) => lines[l] }),
    summaries: chainSummaries(reach),
    hovers,
  }));
}

/** A port or an address's last byte one higher (never a number in a chain name: that would fail the load). */
function altered(line: string): string {
  const bump = (d: string): string => String((Number(d) + 1) % 256);
  if (/:\d+$/.test(line)) return line.replace(/:(\d+)$/, (_m, d: string) => `:${bump(d)}`);
  if (/--dport \d+/.test(line)) return line.replace(/--dport (\d+)/, (_m, d: string) => `--dport ${bump(d)}`);
  return line.replace(/( -[sd] \d+\.\d+\.\d+\.)(\d+)/, (_m, a: string, d: string) => `${a}${bump(d)}`);
}

/** One edit of rule lines (what a reparse splices): replaced by another rule of the file, altered, dropped, or a copy added. */
function ruleEdit(lines: string[], r: Rng): string {
  const rules = lines.flatMap((l, i) => (l.startsWith('-A ') ? [i] : []));
  if (!rules.length) return 'nothing';
  const i = r.pick(rules);
  switch (r.int(4)) {
    case 0:
      lines[i] = lines[r.pick(rules)]!;
      return `rule ${i} replaced`;
    case 1: {
      // Another port, address or mark: the same chains, other packets.
      const before = lines[i]!;
      lines[i] = altered(before);
      return `rule ${i} altered`;
    }
    case 2:
      lines.splice(i, 1);
      return `rule ${i} deleted`;
    default:
      lines.splice(i + 1, 0, lines[r.pick(rules)]!);
      return `rule copied below ${i}`;
  }
}

/** Chained edits, each analysis handed the previous one and compared with a fresh one; returns the walks replayed. */
function chainOfEdits(text: string, seed: number, edits: number, label: string): number {
  const r = rng(seed);
  const lines = text.split('\n');
  let parsed = parseIptables(text, { family: 'ipv4', backend: 'nft' });
  let reach = analyzeReachability(parsed.ruleset);
  let replayed = 0;
  const done: string[] = [];
  for (let k = 0; k < edits; k++) {
    done.push(ruleEdit(lines, r));
    const next = lines.join('\n');
    const again = parseIptables(next, { family: 'ipv4', backend: 'nft', previous: parsed });
    const before = JSON.stringify(view(parsed, reach, lines.join('\n')));
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    assert.equal(JSON.stringify(view(parsed, reach, lines.join('\n'))), before, `${label}: the previous analysis changed by ${done.join(', ')}`);
    const fresh = analyzeReachability(parseIptables(next, { family: 'ipv4', backend: 'nft' }).ruleset);
    assert.deepStrictEqual(view(again, reused, next), view(again, fresh, next), `${label}: after ${done.join(', ')}`);
    replayed += reused.memo.replayed;
    parsed = again;
    reach = reused;
  }
  return replayed;
}

describe('reachability given the previous version gives a fresh analysis\'s result', () => {
  it('random rulesets (the kernel lab\'s generator), 6 chained edits of rule lines each', () => {
    let replayed = 0;
    for (let seed = 1; seed <= 120; seed++) replayed += chainOfEdits(generateRules(rng(seed)), seed * 7 + 1, 6, `ruleset ${seed}`);
    assert.ok(replayed >= 50, `${replayed} walks replayed`);
  });

  it('a kube-proxy-style dump, 30 chained edits, most walks replayed', () => {
    const dump = kubeProxyDump({ services: 40, endpoints: 3 });
    const replayed = chainOfEdits(dump, 11, 30, 'kube');
    assert.ok(replayed >= 30 * 100, `${replayed} walks replayed`);
  });

  it('an edit in one service re-walks that service only, and the result names the edited rule\'s new packets', () => {
    const dump = kubeProxyDump({ services: 50, endpoints: 2 });
    const first = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    const reach = analyzeReachability(first.ruleset);
    const lines = dump.split('\n');
    const at = lines.findIndex((l) => l.includes('DNAT --to-destination'));
    lines[at] = lines[at]!.replace(/:(\d+)$/, ':9999');
    const again = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: first });
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    // 50 services at PREROUTING and OUTPUT: every walk into a service's chain but the edited one's is
    // replayed; walked again: the edited endpoint's chain, its service's chain, KUBE-SERVICES, and
    // KUBE-MARK-MASQ from the edited service (the rest of it is replayed), at each of the two hooks.
    assert.ok(reused.memo.replayed >= 2 * 49, `${reused.memo.replayed} replayed`);
    assert.ok(reused.memo.walked <= 2 * 5, `${reused.memo.walked} walked`);
    assert.match(JSON.stringify(ruleFlows(reused, at)), /9999/);
    assert.doesNotMatch(JSON.stringify(ruleFlows(reach, at)), /9999/);
  });
});
