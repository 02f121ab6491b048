/**
 * An explanation past its size budget (findings.ts ExplainBudget): the cover's rules are then ranked
 * by an estimate from widened sets. Only the ranking may change: the finding, and that the rules it
 * names take every packet the rule would match, may not. A budget of no exact pairs and one widened
 * box makes every ranking an estimate on small random chains (openstack's sets reach it for real).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EXPLAIN_BUDGET, reachFindings, type ExplainBudget } from '../../../server/src/analysis/findings';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import type { Diagnostic } from '../../../server/src/lang/diagnostic';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const ESTIMATED: ExplainBudget = { ...EXPLAIN_BUDGET, exactPairs: 0, coarseBoxes: 1 };
const HEAD = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];

function unreachable(rules: readonly string[], budget?: ExplainBudget): { list: Diagnostic[]; lines: string[] } {
  const lines = [...HEAD, ...rules.map((r) => `-A INPUT ${r}`), 'COMMIT', ''];
  const rs = parseIptables(lines.join('\n'), { backend: 'nft', family: 'ipv4' }).ruleset;
  const list = reachFindings(rs, analyzeReachability(rs), { lineText: (l) => lines[l], ...(budget ? { budget } : {}) })
    .filter((d) => d.code === 'unreachable-rule' || d.code === 'rule-after-terminal');
  return { list, lines };
}

// Pieces of the address and port space that overlap, so that no one rule takes all of a broad rule's
// packets and what is left of them after the first rule chosen is several boxes.
const arbPiece = fc.record({
  src: fc.constantFrom('-s 10.0.0.0/9 ', '-s 10.128.0.0/9 ', '-s 10.0.0.0/10 ', '-s 10.192.0.0/10 ', '-s 10.64.0.0/10 '),
  proto: fc.constantFrom('-p tcp --dport 1:1000 ', '-p tcp --dport 1001:2000 ', '-p tcp --dport 500:1500 ', '-p tcp --dport 80 ', '-p tcp ! --dport 1:1000 '),
  target: fc.constantFrom('ACCEPT', 'DROP', 'REJECT'),
}).map((r) => `${r.src}${r.proto}-j ${r.target}`);
const arbBroad = fc.constantFrom('-s 10.0.0.0/8 -p tcp --dport 1:2000 -j LOG', '-s 10.0.0.0/8 -p tcp --dport 20:1600 -j ACCEPT', '-s 10.0.0.0/9 -p tcp --dport 1:2000 -j DROP');
const arbChain = fc.tuple(fc.array(arbPiece, { minLength: 3, maxLength: 12 }), arbBroad).map(([pieces, broad]) => [...pieces, broad]);

/** A finding that names earlier rules taking every packet the rule would match. */
const COVERED = /together take every packet it would match\.|already takes every packet it would match\.|takes every packet that gets this far/;

describe('findings past their size budget', () => {
  it('the estimated ranking gives the same findings, and the rules it names take every packet the rule would match', () => {
    let estimatedCovers = 0;
    fc.assert(fc.property(arbChain, (rules) => {
      const exact = unreachable(rules);
      const est = unreachable(rules, ESTIMATED);
      assert.deepEqual(est.list.map((d) => [d.span.start.line, d.code]), exact.list.map((d) => [d.span.start.line, d.code]));
      const covered = (d: Diagnostic): boolean => COVERED.test(d.message);
      // (These chains have no jumps or rewrites: whatever the ranking, the rules named take all of its packets.)
      assert.deepEqual(est.list.map(covered), exact.list.map(covered), est.list.map((d) => d.message).join('\n'));
      for (const d of est.list) {
        if (!covered(d)) continue;
        const named = new Set(d.related!.map((r) => r.span.start.line));
        const line = d.span.start.line;
        // Every rule named comes earlier; those rules alone, before this one, still leave it no packet.
        assert.ok([...named].every((l) => l < line), d.message);
        const kept = est.lines.slice(HEAD.length, line).filter((_, i) => named.has(HEAD.length + i)).map((l) => l.replace(/^-A INPUT /, ''));
        const own = est.lines[line]!.replace(/^-A INPUT /, '');
        const alone = unreachable([...kept, own]);
        assert.ok(alone.list.some((x) => x.span.start.line === HEAD.length + kept.length), `${own} after ${kept.join(' | ')}: ${d.message}`);
        estimatedCovers++;
      }
    }), { numRuns: 300, seed: 5150 });
    assert.ok(estimatedCovers > 50, `only ${estimatedCovers} covers checked`);
  });
});
