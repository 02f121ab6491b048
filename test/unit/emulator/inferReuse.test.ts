/**
 * sameAddressHints (an analysis after an edit keeps the previous one's host address facts when
 * it says so) says so only when the host inferred from the edited rules has the addresses the
 * previous one had: edits of DNAT targets keep them, edits of what names an interface, a bridge
 * subnet or an address pinned in INPUT do not; and over random edits, whenever it says so the
 * address facts are equal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressFacts } from '../../../server/src/analysis/space/build';
import { hintChainsRead, inferHost, sameAddressHints } from '../../../server/src/emulator/host/infer';
import type { ParsedIptables } from '../../../server/src/lang/iptables/restoreParser';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { generateRules, rng } from '../../helpers/netlab/traceGenerator';
import { ruleEdit } from '../../helpers/reachEdits';

const RULES = [
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  ':DOCKER - [0:0]',
  '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
  '-A POSTROUTING -s 172.18.0.0/16 ! -o br-0123456789ab -j MASQUERADE',
  '-A DOCKER -d 10.9.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80',
  'COMMIT',
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A INPUT -i eth0 -d 192.0.2.10/32 -p tcp --dport 22 -j ACCEPT',
  '-A FORWARD -p tcp -j ACCEPT',
  '-A FORWARD -i eth0 -p udp -j ACCEPT',
  'COMMIT',
  '',
];

const parse = (lines: readonly string[], previous?: ParsedIptables) => parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', ...(previous ? { previous } : {}) });
const facts = (p: ParsedIptables) => addressFacts(inferHost(p.ruleset));

describe('sameAddressHints: the host addresses an edit leaves as they were', () => {
  const cases: ReadonlyArray<readonly [string, string, string, boolean]> = [
    ['a DNAT target', '172.18.0.2:80', '172.18.0.3:81', true],
    ['a published port', '--dport 8080', '--dport 8081', true],
    ['the address INPUT pins to eth0', '192.0.2.10/32', '192.0.2.11/32', false],
    ['the bridge subnet MASQUERADE names', '-s 172.18.0.0/16', '-s 172.19.0.0/16', false],
    ['an interface named in FORWARD', '-A FORWARD -p tcp', '-A FORWARD -i docker0 -p tcp', false],
    ['another interface named in FORWARD', '-A FORWARD -i eth0 -p udp', '-A FORWARD -i docker0 -p udp', false],
  ];
  for (const [what, from, to, same] of cases) {
    it(`${what}: ${same ? 'the same' : 'other'} addresses`, () => {
      const first = parse(RULES);
      const lines = RULES.map((l) => l.replace(from, to));
      assert.notDeepEqual(lines, RULES);
      const next = parse(lines, first);
      assert.equal(sameAddressHints(first.ruleset, next.ruleset), same);
      // (Its answer is the truth where it says "the same"; where not, these rules' facts do differ.)
      if (same) assert.deepEqual(facts(next), facts(first));
      else assert.notDeepEqual(facts(next), facts(first));
    });
  }

  it('a line added above chains that name interfaces: their lines, moved, are not read again', () => {
    // 20 chains naming an interface each, below a rule added at the top of the table.
    const chains = Array.from({ length: 20 }, (_, i) => `C${i}`);
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`),
      '-A INPUT -p tcp -j ACCEPT', ...chains.map((c, i) => `-A ${c} -i eth${i} -j ACCEPT`), 'COMMIT', ''];
    const first = parse(lines);
    assert.ok(sameAddressHints(first.ruleset, first.ruleset));
    lines.splice(lines.indexOf('-A INPUT -p tcp -j ACCEPT') + 1, 0, '-A INPUT -p udp -j ACCEPT');
    const next = parse(lines, first);
    const before = hintChainsRead();
    assert.equal(sameAddressHints(first.ruleset, next.ruleset), true);
    // INPUT (edited) only, at most in both versions.
    assert.ok(hintChainsRead() - before <= 2, `${hintChainsRead() - before} chains read`);
    assert.deepEqual(facts(next), facts(first));
    // A moved line whose interface changed is read, and tells.
    lines[lines.indexOf('-A C5 -i eth5 -j ACCEPT')] = '-A C5 -i eth55 -j ACCEPT';
    lines.splice(lines.indexOf('-A INPUT -p udp -j ACCEPT'), 1);
    assert.equal(sameAddressHints(next.ruleset, parse(lines, next).ruleset), false);
  });

  it('random rulesets, chained edits of rule lines: whenever it says the same, the address facts are equal', () => {
    let said = 0;
    let told = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed * 13 + 5);
      const lines = generateRules(rng(seed)).split('\n');
      let parsed = parse(lines);
      for (let k = 0; k < 6; k++) {
        const what = ruleEdit(lines, r);
        const next = parse(lines, parsed);
        told++;
        if (sameAddressHints(parsed.ruleset, next.ruleset)) {
          said++;
          assert.deepEqual(facts(next), facts(parsed), `seed ${seed}, ${what}`);
        }
        parsed = next;
      }
    }
    // Both answers, many times (these seeds: 189 of 900 kept; lines added or removed in a table re-make its
    // chain map, and the generator's rules name interfaces often).
    assert.ok(said >= 100 && said < told, `${said} of ${told} edits kept the facts`);
  });
});
