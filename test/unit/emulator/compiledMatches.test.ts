/**
 * What the compile keeps of a rule's matches and target: each match's name,
 * data and the text the trace shows ("-m tcp --dport 22"), the target's data.
 * The text is written from the rule's model read again (the parsed use is not
 * kept), so it must be the rule's own match, whichever path read the line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRuleset, type EmuRule } from '../../../server/src/emulator/compile';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const RULES = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD DROP [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A INPUT -s 10.0.0.0/8 -p tcp -m comment --comment "ssh from the office" -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT',
  '-A INPUT -s 192.0.2.1,192.0.2.2 -p udp -m udp --sport 53 -m comment --comment dns -j ACCEPT',
  '-A INPUT -p tcp --dport 80 -j ACCEPT',
  '-A INPUT -p tcp -m tcp --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN -m set --match-set blocked src,dst -j DROP',
  '-A FORWARD -m statistic --mode random --probability 0.25000000000 -m mark --mark 0x4/0x4 -j DROP',
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  '-A PREROUTING -d 198.51.100.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
  'COMMIT',
  '',
].join('\n');

function compiled(fastRules: boolean): EmuRule[] {
  const emu = compileRuleset(parseIptables(RULES, { family: 'ipv4', backend: 'nft', fastRules }).ruleset);
  return [...emu.tables.values()].flatMap((t) => [...t.chains.values()].flatMap((c) => [...c.rules]));
}

describe('compiled matches and targets', () => {
  for (const fastRules of [true, false]) {
    it(`texts, names and data of every match (${fastRules ? 'fast path' : 'full parser only'})`, () => {
      const rules = compiled(fastRules);
      assert.deepEqual(rules.map((r) => r.matches.map((m) => m.text)), [
        ['-m comment --comment "ssh from the office"', '-m tcp --dport 22', '-m conntrack --ctstate NEW'],
        ['-m udp --sport 53', '-m comment --comment dns'],
        ['-m udp --sport 53', '-m comment --comment dns'],
        ['--dport 80'],
        // Options that read more than one word keep them all (--tcp-flags MASK COMP, --match-set NAME FLAGS).
        ['-m tcp --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN', '-m set --match-set blocked src,dst'],
        ['-m statistic --mode random --probability 0.25000000000', '-m mark --mark 0x4/0x4'],
        ['-m tcp --dport 8080'],
      ]);
      assert.deepEqual(rules.map((r) => r.matches.map((m) => m.name)), [['comment', 'tcp', 'conntrack'], ['udp', 'comment'], ['udp', 'comment'], ['tcp'], ['tcp', 'set'], ['statistic', 'mark'], ['tcp']]);
      const ssh = rules[0]!.matches[1]!.data as { dport: [number, number] };
      assert.deepEqual(ssh.dport, [22, 22]);
      assert.deepEqual(rules[5]!.matches[1]!.data, { value: 4, mask: 4, invert: false });
      const dnat = rules[6]!.target;
      assert.ok(dnat.kind === 'ext' && dnat.name === 'DNAT');
      assert.equal((dnat.data as { addrs: { min: { v4: number } } }).addrs.min.v4, 0xac110002);
    });
  }
});
