/**
 * Findings' scan of every chain (chainScan.ts), after an edit made from the previous analysis's scan:
 * it must equal a fresh analysis's scan, and the findings too, while looking at few chains. The scan is
 * made before anything else asks the analysis about a rule (reachView does, which makes records on the way).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability, type Reachability } from '../../../server/src/analysis/reachability';
import { scanChains } from '../../../server/src/analysis/chainScan';
import { reachFindings } from '../../../server/src/analysis/findings';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import type { Ruleset } from '../../../server/src/lang/iptables/ruleset';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateRules, rng } from '../../helpers/netlab/traceGenerator';
import { ruleEdit } from '../../helpers/reachEdits';

/** The scan as data: per table, its chains by name with what was found; and the order findings reads the chains in. */
function scanView(rs: Ruleset, reach: Reachability): unknown {
  const scan = scanChains(rs, reach);
  const tables = [...scan.tables].map(([table, chains]) => [table, [...chains].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, s]) => ({
    name,
    unentered: s.unentered,
    // (The rule's id with its line now: a compiled rule's own line is where it was when compiled.)
    rules: s.rules?.map((k) => [reach.idOf(k.rule), k.dead, k.loaded?.command.line ?? null, k.line]),
  }))]);
  return { tables, order: [...scan.chainRules().keys()] };
}

/**
 * Analyses of each version in turn, each handed the one before, against fresh ones. Returns the chains each scan
 * looked at, how many there were, and how many previous records were gone through to find those gone (WalkMemo.goneRead).
 */
function edits(first: string, steps: ReadonlyArray<(lines: string[]) => void>, label: string): Array<[number, number, number]> {
  const lines = first.split('\n');
  let parsed = parseIptables(first, { family: 'ipv4', backend: 'nft' });
  let reach = analyzeReachability(parsed.ruleset);
  scanView(parsed.ruleset, reach);
  reachFindings(parsed.ruleset, reach);
  const lookedAt: Array<[number, number, number]> = [];
  steps.forEach((step, k) => {
    step(lines);
    const text = lines.join('\n');
    const again = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    const freshRs = parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset;
    const fresh = analyzeReachability(freshRs);
    assert.deepStrictEqual(scanView(again.ruleset, reused), scanView(freshRs, fresh), `${label}: scan after step ${k + 1}`);
    const lineText = (l: number) => lines[l];
    assert.deepStrictEqual(JSON.parse(JSON.stringify(reachFindings(again.ruleset, reused, { lineText }))), JSON.parse(JSON.stringify(reachFindings(freshRs, fresh, { lineText }))), `${label}: findings after step ${k + 1}`);
    lookedAt.push([reused.scan!.lookedAt, [...reused.emu.tables.values()].reduce((n, t) => n + t.chains.size, 0), reused.memo.goneRead]);
    parsed = again;
    reach = reused;
  });
  return lookedAt;
}

const BASE = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':A - [0:0]',
  ':B - [0:0]',
  ':C - [0:0]',
  ':E - [0:0]',
  '-A INPUT -s 10.0.0.0/8 -j A',
  '-A INPUT -p tcp -j C',
  '-A A -d 10.1.0.0/16 -j B',
  '-A A -j DROP',
  '-A B -p udp -j ACCEPT',
  '-A C -p tcp -j ACCEPT',
  '-A C -p tcp --dport 22 -j DROP',
  'COMMIT',
  '',
].join('\n');

const at = (lines: string[], text: string): number => {
  const i = lines.indexOf(text);
  assert.ok(i >= 0, `no line ${text}`);
  return i;
};

describe('the chain scan after an edit', () => {
  it('equals a fresh scan when chains come to have a rule no packet reaches, stop being entered, come back, move and go', () => {
    const lookedAt = edits(BASE, [
      // A port in C: C made anew (its dead rule stays dead).
      (l) => { l[at(l, '-A C -p tcp --dport 22 -j DROP')] = '-A C -p tcp --dport 23 -j DROP'; },
      // A DROP put above B's ACCEPT: B now has a rule no packet reaches.
      (l) => { l.splice(at(l, '-A B -p udp -j ACCEPT'), 0, '-A B -p udp -j DROP'); },
      // INPUT's jump to A taken out: A and B no longer entered (their records are gone).
      (l) => { l.splice(at(l, '-A INPUT -s 10.0.0.0/8 -j A'), 1); },
      // ... and put back.
      (l) => { l.splice(at(l, '-A INPUT -p tcp -j C'), 0, '-A INPUT -s 10.0.0.0/8 -j A'); },
      // A's and B's declarations swapped (the table's chain order changes, no rule moves).
      (l) => { const a = at(l, ':A - [0:0]'); const b = at(l, ':B - [0:0]'); [l[a], l[b]] = [l[b]!, l[a]!]; },
      // E jumped to from C (E entered), then C and the jump to it taken out.
      (l) => { l.splice(at(l, '-A C -p tcp -j ACCEPT'), 0, '-A C -p udp -j E'); },
      (l) => {
        for (const line of ['-A INPUT -p tcp -j C', '-A C -p udp -j E', '-A C -p tcp -j ACCEPT', '-A C -p tcp --dport 23 -j DROP', ':C - [0:0]']) l.splice(at(l, line), 1);
      },
      // A new chain with a rule that can never match, jumped to from INPUT.
      (l) => { l.splice(at(l, ':E - [0:0]') + 1, 0, ':N - [0:0]'); l.splice(at(l, 'COMMIT'), 0, '-A INPUT -p udp -j N', '-A N -p tcp -j DROP'); },
      // A new chain nothing jumps to (no record: listed because its compile is new).
      (l) => { l.splice(at(l, ':N - [0:0]') + 1, 0, ':U - [0:0]'); l.splice(at(l, 'COMMIT'), 0, '-A U -j ACCEPT'); },
      // M entered from INPUT, every rule of it reached; then INPUT sends it other packets and its rule is out of reach
      // (M's compile is the same: listed because its record is new).
      (l) => { l.splice(at(l, ':N - [0:0]') + 1, 0, ':M - [0:0]'); l.splice(at(l, 'COMMIT'), 0, '-A INPUT -s 192.168.0.0/16 -j M', '-A M -s 192.168.1.0/24 -j ACCEPT'); },
      (l) => { l[at(l, '-A INPUT -s 192.168.0.0/16 -j M')] = '-A INPUT -s 192.168.2.0/24 -j M'; },
    ], 'curated');
    // Each edit looks at the chains it touched (in a ruleset this small, often most of them).
    assert.ok(lookedAt.every(([n, all]) => n > 0 && n <= all), `chains looked at, of all: ${lookedAt.join('; ')}`);
    assert.ok(lookedAt.filter(([n, all]) => n < all).length >= 8, `chains looked at, of all: ${lookedAt.join('; ')}`);
  });

  it('looks at a handful of a kube dump\'s chains per edit of an endpoint, and finds what a fresh scan finds', () => {
    const dump = kubeProxyDump({ services: 200, endpoints: 3 });
    const dnat = dump.split('\n').flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    const bump = (i: number) => (l: string[]) => { l[i] = l[i]!.replace(/:(\d+)$/, (_m, d: string) => `:${Number(d) + 1}`); };
    // And one endpoint's own address made another (a hairpin's jump to KUBE-MARK-MASQ sends it other packets: walked
    // again, into a record of its own, while the other endpoints' walks into it are replayed).
    const masq = dump.split('\n').findIndex((l) => l.startsWith('-A KUBE-SEP-') && l.includes('-j KUBE-MARK-MASQ'));
    const other = (l: string[]) => { l[masq] = l[masq]!.replace(/-s (\d+\.\d+\.\d+)\.(\d+)\/32/, (_m, a: string, d: string) => `-s ${a}.${(Number(d) + 1) % 256}/32`); };
    const lookedAt = edits(dump, [bump(dnat[5]!), bump(dnat[300]!), bump(dnat[5]!), bump(dnat.at(-1)!), other], 'kube');
    // The built-in chains walked again, the endpoint's chain and its service's, KUBE-SERVICES: not the 1,200 chains.
    assert.ok(lookedAt.every(([n]) => n > 0 && n <= 16), `chains looked at: ${lookedAt.join('; ')}`);
    // No chain stopped being entered: counting the records told so, without reading them one by one.
    assert.deepEqual(lookedAt.map(([, , read]) => read), [0, 0, 0, 0, 0]);
  });

  it('equals a fresh scan over chains of random edits to random rulesets', () => {
    let looked = 0;
    let full = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const r = rng(seed);
      const first = generateRules(r);
      const steps = Array.from({ length: 6 }, () => (l: string[]) => { ruleEdit(l, r); });
      for (const [n, all] of edits(first, steps, `seed ${seed}`)) {
        looked += n;
        full += all;
      }
    }
    // Not a bound, a witness that the scans were made from the previous ones (full: what scanning every chain each time would look at).
    assert.ok(looked < full, `looked at ${looked} chains, ${full} in full scans`);
  });

  it('a second look at the same analysis is the scan made the first time', () => {
    const parsed = parseIptables(BASE, { family: 'ipv4', backend: 'nft' });
    const reach = analyzeReachability(parsed.ruleset);
    assert.equal(scanChains(parsed.ruleset, reach), scanChains(parsed.ruleset, reach));
  });
});
