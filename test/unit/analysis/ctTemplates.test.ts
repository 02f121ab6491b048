/**
 * CT templates and zones in the analysis (reach/effect.ts attachRewrite, reach/ctTemplates.ts,
 * reach/trackedAnswers.ts): after a CT rule raw's matches see the packet NEW and a later NOTRACK
 * leaves it alone; conntrack looks it up; a zone may keep answers from their connection, so
 * `must` has no ESTABLISHED packet a zone rule may touch. The kernel half:
 * test/kernel/ctTemplates.kernel.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reachFindings } from '../../../server/src/analysis/findings';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { ruleFlows } from '../../../server/src/analysis/ruleFlows';
import { bounds, parseNft, rawAndFilter } from '../../helpers/ruleBounds';

describe('CT templates: raw sees NEW, NOTRACK after CT changes nothing', () => {
  it('after CT, raw\'s state matches see NEW, not INVALID; a NOTRACK after it does not untrack', () => {
    const text = rawAndFilter([
      '-A PREROUTING -p icmp -j CT --zone 5',
      '-A PREROUTING -p icmp -j NOTRACK',
      '-A PREROUTING -p icmp -m conntrack --ctstate NEW',
      '-A PREROUTING -i eth0 -p icmp -m conntrack --ctstate INVALID',
      '-A PREROUTING -i eth0 -p icmp -m conntrack --ctstate UNTRACKED',
    ], ['-A INPUT -i eth0 -p icmp -m conntrack --ctstate UNTRACKED', '-A INPUT -i eth0 -p icmp -m conntrack --ctstate NEW']);
    assert.deepEqual([3, 4, 5].map((n) => bounds(text, 'PREROUTING', n, 'raw')), ['may/must', '-/-', '-/-']);
    assert.deepEqual([1, 2].map((n) => bounds(text, 'INPUT', n)), ['-/-', 'may/must']);
    // And the finding names it: nothing on eth0 is UNTRACKED.
    const rs = parseNft(text);
    const lines = text.split('\n');
    const untracked = reachFindings(rs, analyzeReachability(rs)).filter((d) => d.span.start.line === lines.indexOf('-A INPUT -i eth0 -p icmp -m conntrack --ctstate UNTRACKED'));
    assert.deepEqual(untracked.map((d) => d.code), ['unreachable-rule']);
  });
});

describe('conntrack zones: answers in another zone find nothing (must only)', () => {
  it('a zone on what arrives on eth0: nothing from eth0 surely ESTABLISHED; from eth1 it is', () => {
    const text = rawAndFilter(['-A PREROUTING -i eth0 -j CT --zone 7'], ['-A INPUT -i eth0 -m conntrack --ctstate ESTABLISHED', '-A INPUT -i eth1 -m conntrack --ctstate ESTABLISHED', '-A INPUT -i eth0 -m conntrack --ctstate NEW']);
    assert.deepEqual([1, 2, 3].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/must', 'may/must']);
  });
  it('a zone on the host\'s answers out of eth0: what arrives on eth0 is not surely ESTABLISHED either', () => {
    const text = rawAndFilter(['-A OUTPUT -o eth0 -p udp -j CT --zone 8'], ['-A INPUT -i eth0 -p udp -m conntrack --ctstate ESTABLISHED', '-A INPUT -i eth0 -p tcp -m conntrack --ctstate ESTABLISHED']);
    assert.deepEqual([1, 2].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/must']);
  });
  it('a zone is no NOTRACK: what the host sends itself over lo in a zone still arrives NEW', () => {
    const text = rawAndFilter(['-A OUTPUT -o lo -j CT --zone 3'], ['-A INPUT -i lo -m conntrack --ctstate NEW', '-A INPUT -i lo -m conntrack --ctstate ESTABLISHED']);
    assert.deepEqual([1, 2].map((n) => bounds(text, 'INPUT', n)), ['may/must', 'may/-']);
  });
  it('hover names the zone rules', () => {
    const text = rawAndFilter(['-A PREROUTING -i eth0 -j CT --zone 7'], ['-A INPUT -i eth0 -m conntrack --ctstate ESTABLISHED']);
    const an = analyzeReachability(parseNft(text));
    const flows = ruleFlows(an, text.split('\n').indexOf('-A INPUT -i eth0 -m conntrack --ctstate ESTABLISHED'))!;
    assert.match(flows.rows[0]!.onlyIf!.join('; '), /in the connection's zone \(the NOTRACK or CT --zone rules here may keep every answer from it/);
    assert.equal(flows.example, undefined);
  });
});
