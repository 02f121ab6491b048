/**
 * The recorder holds what the walks found by rule position: a rule asked
 * about through another compiled copy of the same rules gets the same
 * answers, and the quick questions (reached, entered) agree with the sets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { compileRuleset } from '../../../server/src/emulator/compile';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { generateRules, rng } from '../../helpers/netlab/traceGenerator';

const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:SSH - [0:0]
:NEVER - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -j SSH
-A INPUT -p tcp -j DROP
-A INPUT -p tcp --dport 80 -j ACCEPT
-A SSH -s 10.0.0.0/8 -j ACCEPT
-A SSH -j RETURN
-A NEVER -j ACCEPT
COMMIT
`;

describe('the recorder', () => {
  it('answers for a copy of a rule from another compile of the same ruleset', () => {
    const rs = parseIptables(RULES, { backend: 'nft', family: 'ipv4' }).ruleset;
    const reach = analyzeReachability(rs);
    const copy = compileRuleset(rs);
    for (const { table, chain, rule } of reach.rules()) {
      const twin = copy.tables.get(table)!.chains.get(chain)!.rules[rule.ref.index]!;
      assert.notEqual(twin, rule);
      assert.deepEqual([...reach.reach(twin, table, chain).hits], [...reach.reach(rule, table, chain).hits], rule.id);
      assert.equal(reach.reach(twin, table, chain).facts, reach.reach(rule, table, chain).facts);
      assert.equal(reach.reached(twin), reach.reached(rule));
    }
    // The rule after the DROP of all tcp is not reached, its copy neither.
    const http = copy.tables.get('filter')!.chains.get('INPUT')!.rules[3]!;
    assert.equal(reach.reached(http), false);
    assert.equal(reach.reached(copy.tables.get('filter')!.chains.get('INPUT')!.rules[1]!), true);
    assert.deepEqual(reach.rec.reachedRules('filter', 'INPUT', copy.tables.get('filter')!.chains.get('INPUT')!.rules), [true, true, true, false]);
  });

  it('reached and entered agree with the hit and entry sets on random rulesets', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rs = parseIptables(generateRules(rng(seed)), { backend: 'nft', family: 'ipv4' }).ruleset;
      const reach = analyzeReachability(rs);
      for (const { table, chain, rule } of reach.rules()) {
        const hit = [...reach.reach(rule, table, chain).hits.values()].some((f) => f.may.length > 0);
        assert.equal(reach.reached(rule), hit, `seed ${seed} ${rule.id}`);
        const entered = [...reach.entries(table, chain).values()].some((f) => f.may.length > 0);
        assert.equal(reach.entered(table, chain), entered, `seed ${seed} ${table}/${chain}`);
      }
      // Chain by chain (what findings ask), the same answers as rule by rule.
      for (const t of reach.emu.tables.values()) {
        for (const c of t.chains.values()) {
          assert.deepEqual(reach.rec.reachedRules(t.name, c.name, c.rules), c.rules.map((r) => reach.reached(r)), `seed ${seed} ${t.name}/${c.name}`);
        }
      }
    }
  });
});
