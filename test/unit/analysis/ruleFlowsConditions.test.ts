/**
 * Hover's "only if …": the conditions the analysis cannot decide (a random
 * statistic, an ipset's members) are named with the rule's own text, written
 * when hover reads them (space/ruleMatch.ts, Condition), also for rule lines
 * the parser's fast path took (whose model is read again to write it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { ruleFlows } from '../../../server/src/analysis/ruleFlows';
import { conditionText } from '../../../server/src/analysis/space/ruleMatch';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

const analyze = (text: string) => analyzeReachability(parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset);
const onlyIf = (text: string, line: number): string[] => [...new Set((ruleFlows(analyze(text), line)?.rows ?? []).flatMap((r) => r.onlyIf ?? []))];

describe('hover names the conditions a rule is reachable only if', () => {
  const rules = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    '-A INPUT -p tcp -m statistic --mode random --probability 0.25000000000 -j ACCEPT',
    '-A INPUT -m set --match-set blocked src -j DROP',
    '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n');

  it('a random statistic and an ipset, in the words of their rules', () => {
    assert.deepEqual(onlyIf(rules, 2), ['-m statistic --mode random --probability 0.25000000000']);
    assert.deepEqual(onlyIf(rules, 3), ['-m set --match-set blocked src']);
    // Past both: reachable whatever they do (an example packet), so no "only if".
    assert.deepEqual(onlyIf(rules, 4), []);
  });

  it('a kube-proxy service chain\'s endpoint choice', () => {
    const dump = kubeProxyDump({ services: 3, endpoints: 2 });
    const line = dump.split('\n').findIndex((l) => l.includes('-m statistic'));
    assert.ok(line > 0);
    const texts = onlyIf(dump, line);
    assert.equal(texts.length, 1);
    assert.match(texts[0]!, /^-m statistic --mode random --probability 0\.5/);
  });

  it('conditionText: words as they are, a match by its text', () => {
    assert.equal(conditionText('the address types (addrtype) of this host'), 'the address types (addrtype) of this host');
    assert.equal(conditionText({ text: '-m u32 --u32 "0>>22&0x3C@ 12>>26&0x3C@ 0&0xFFFF=0x100"' }), '-m u32 --u32 "0>>22&0x3C@ 12>>26&0x3C@ 0&0xFFFF=0x100"');
  });
});

describe('hover says "conntrack INVALID" where packets have been looked up', () => {
  const rules = [
    '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-A PREROUTING -p udp --dport 53 -j ACCEPT',
    'COMMIT',
    '*filter', ':INPUT ACCEPT [0:0]',
    '-A INPUT -m conntrack --ctstate INVALID -j DROP',
    'COMMIT', '',
  ].join('\n');
  const packets = (line: number): string => (ruleFlows(analyze(rules), line)?.rows ?? []).map((r) => r.packets).join(' | ');
  it('in filter INPUT an INVALID DROP takes INVALID packets, and says so (it used to read "arriving on any interface")', () => {
    assert.match(packets(7), /conntrack INVALID/);
  });
  it('in the raw table every packet has no entry yet: INVALID goes without saying', () => {
    assert.doesNotMatch(packets(3), /conntrack/);
  });
});
