/**
 * The facts the load checks read of each rule (ruleFacts.ts), kept compact:
 * every fact read back as it was given, what a rename keeps, and which
 * kernel uses keep their parsed options (only those a checkentry() reads).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { renamedFacts, type RuleFacts } from '../../../server/src/lang/iptables/ruleFacts';
import type { LoadedRule } from '../../../server/src/lang/iptables/ruleset';

function rulesOf(text: string, table = 'filter', fastRules = true, backend: 'nft' | 'legacy' = 'nft'): LoadedRule[] {
  const parsed = parseIptables(text, { family: 'ipv4', backend, fastRules });
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return [...parsed.ruleset.tables.get(table)!.chains.values()].flatMap((c) => c.rules);
}

const filter = (rules: string[]): string => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:X - [0:0]\n${rules.join('\n')}\nCOMMIT\n`;

describe('rule facts', () => {
  for (const fastRules of [true, false]) {
    it(`read back every fact (${fastRules ? 'fast' : 'full'} rule path; iptables-legacy, which loads a negated /0)`, () => {
      // "-s A,B" makes one kernel rule per address.
      const [plain, udp, notTcp, sctp, ct, notrack, counters, zero, uncond, uncondSecond, jump] = rulesOf(filter([
        '-A INPUT -s 10.0.0.0/8 -j ACCEPT',
        '-A INPUT -p udp -m udp --dport 53 -j DROP',
        '-A INPUT ! -p tcp -j RETURN',
        '-A INPUT -p 132 -j ACCEPT',
        '-A INPUT -m conntrack --ctstate NEW -j ACCEPT',
        '-A INPUT -j ACCEPT',
        '-A FORWARD -c 5 7 -j ACCEPT',
        '-A FORWARD ! -s 0.0.0.0/0 -j DROP',
        '-A FORWARD -s 0.0.0.0/0,10.0.0.1 -j DROP',
        '-A OUTPUT -j X',
      ]), 'filter', fastRules, 'legacy') as LoadedRule[];
      const f = (r: LoadedRule | undefined): RuleFacts => r!.facts;
      assert.deepEqual([f(plain).verdict, f(plain).jumpTo, f(plain).protoNum, f(plain).unconditional, f(plain).conntrack], ['ACCEPT', undefined, 0, false, false]);
      assert.deepEqual([f(udp).protoNum, f(udp).protoText, f(udp).protoInvert, f(udp).uses?.map((u) => u.name)], [17, 'udp', false, ['udp']]);
      assert.deepEqual([f(notTcp).protoNum, f(notTcp).protoInvert, f(notTcp).verdict], [6, true, 'RETURN']);
      assert.deepEqual([f(sctp).protoNum, f(sctp).protoText], [132, '132']);
      assert.equal(f(ct).conntrack, true);
      assert.deepEqual([f(notrack).unconditional, f(notrack).countersSet, f(notrack).allowedNft, f(notrack).allowedLegacy], [true, false, 31, 31]);
      assert.equal(f(counters).countersSet, true);
      assert.deepEqual(f(zero).zeroSrc, [true]);
      assert.deepEqual(f(uncond).anyAddresses, { src: [true, false], dst: [true] });
      assert.equal(f(uncond).unconditional, false);
      assert.deepEqual([uncondSecond!.srcIndex, uncondSecond!.facts], [1, f(uncond)]);
      assert.equal(f(jump).jumpTo, 'X');
      // A rename (iptables-legacy's -E) changes the jump only.
      const renamed = renamedFacts(f(jump), 'Y');
      assert.equal(renamed.jumpTo, 'Y');
      assert.deepEqual({ ...JSON.parse(JSON.stringify(renamed)), jumpTo: 'X' }, JSON.parse(JSON.stringify(f(jump))));
      assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(f(zero)))).sort(), ['allowedLegacy', 'allowedNft', 'anyAddresses', 'conntrack', 'countersSet', 'hasCheck', 'jumpTo', 'matches', 'protoInvert', 'protoNum', 'protoText', 'shared', 'unconditional', 'uses', 'verdict', 'zeroDst', 'zeroSrc'].filter((k) => JSON.parse(JSON.stringify(f(zero)))[k] !== undefined).sort());
    });
  }

  it('keep hooks restricted by a target, for each backend', () => {
    const [dnat] = rulesOf('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080\nCOMMIT\n', 'nat');
    // DNAT: PREROUTING and OUTPUT (bits 1 and 8); tcp with a port is native in iptables-nft.
    assert.equal(dnat!.facts.allowedLegacy, 1 | 8);
    assert.equal(dnat!.facts.allowedNft, 1 | 8);
    assert.deepEqual(dnat!.facts.uses!.map((u) => [u.name, u.kind, u.native]), [['tcp', 'match', true], ['DNAT', 'target', false]]);
  });

  it('keep a use\'s parsed options only for a checkentry(), and share the others', () => {
    const rules = rulesOf(filter([
      '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT',
      '-A INPUT -m connlabel --label 3 -j ACCEPT',
      '-A INPUT -m connlabel --label 4 -j ACCEPT',
    ]));
    const [http, https, l3, l4] = rules.map((r) => r.facts.uses!);
    // The two port rules differ only in data no kernel check reads: one list for both.
    assert.equal(http![0]!.data, undefined);
    assert.equal(http, https);
    // connlabel's checkentry() reads the bit: each rule keeps its own.
    assert.notEqual(l3, l4);
    assert.equal((l3![0]!.data as { bit: number }).bit, 3);
    assert.equal((l4![0]!.data as { bit: number }).bit, 4);
  });

  it('still let a checkentry() refuse a rule by its options', () => {
    const parsed = parseIptables(filter(['-A INPUT -m connlabel --label 200 -j ACCEPT']), { family: 'ipv4', backend: 'nft' });
    assert.ok(parsed.diagnostics.some((d) => d.severity === 'error' && /label bit 200/.test(d.message)), JSON.stringify(parsed.diagnostics.map((d) => d.message)));
  });
});
