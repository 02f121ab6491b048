/**
 * The recorder holds what the walks found by rule position: a rule asked
 * about through another compiled copy of the same rules gets the same
 * answers, and the quick questions (reached, entered) agree with the sets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { compileRuleset } from '../../../server/src/emulator/compile';
import { HOOKS } from '../../../server/src/lang/iptables/extension';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
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

  it("hover's heads of a hit set met by many walks (KUBE-MARK-MASQ's rule) are the joined set's first boxes", () => {
    const rs = parseIptables(kubeProxyDump({ services: 40, endpoints: 3 }), { backend: 'nft', family: 'ipv4' }).ruleset;
    const reach = analyzeReachability(rs);
    const masq = reach.emu.tables.get('nat')!.chains.get('KUBE-MARK-MASQ')!.rules[0]!;
    const hits = reach.reach(masq, 'nat', 'KUBE-MARK-MASQ').hits;
    assert.ok(reach.rec.visits(masq) > 100, 'met by many walks');
    for (const [hook, f] of hits) {
      const h = reach.hitHeads(masq, 16).get(hook)!;
      assert.ok(f.may.length > 16);
      assert.deepEqual([h.mayCount, h.mustCount], [f.may.length, f.must.length]);
      assert.ok(h.may.every((b, i) => b === f.may[i]) && h.must.every((b, i) => b === f.must[i]));
      assert.equal(h.may.length, 16);
    }
  });

  it("a chain's sites by hook are the jumps whose hits at that hook hold packets, in the order first met; hooks with the same sites share one list", () => {
    const dumps = [kubeProxyDump({ services: 30, endpoints: 2 }), ...Array.from({ length: 40 }, (_, i) => generateRules(rng(i + 1)))];
    let shared = 0;
    for (const text of dumps) {
      const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
      const reach = analyzeReachability(rs);
      for (const t of reach.emu.tables.values()) {
        for (const c of t.chains.values()) {
          const { byHook } = reach.sitesByHook(t.name, c.name);
          const order = reach.rec.sitesEntering(t.name, c.name);
          for (const hook of HOOKS) {
            // Every rule jumping or going here whose own hits at the hook are not empty, and the hook itself for its built-in chain.
            const expected = new Set<string>();
            for (const { table, chain, rule } of reach.rules()) {
              if (table !== t.name || rule.target.kind !== 'jump' || rule.target.chain !== c.name) continue;
              const f = reach.reach(rule, table, chain).hits.get(hook);
              if (f && f.may.length) expected.add(rule.id);
            }
            if (reach.entries(t.name, c.name).get(`hook ${hook}`)?.may.length) expected.add(`hook ${hook}`);
            const got = (byHook.get(hook) ?? []).map((s) => (typeof s === 'string' ? s : s.id));
            assert.deepEqual(got, order.filter((s) => expected.has(s)), `${t.name}/${c.name} at ${hook}`);
          }
          const lists = [...byHook.values()];
          for (let i = 0; i < lists.length; i++)
            for (let j = i + 1; j < lists.length; j++) {
              const same = lists[i]!.length === lists[j]!.length && lists[i]!.every((s, k) => s === lists[j]![k]);
              if (same) {
                assert.equal(lists[i], lists[j], `${t.name}/${c.name}: the same sites at two hooks are one list`);
                shared++;
              }
            }
        }
      }
    }
    assert.ok(shared > 0, 'some chain is entered from the same sites at two hooks');
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
      // Hover's heads of the hit sets: the joined sets' first boxes, the very objects, and their sizes.
      for (const { table, chain, rule } of reach.rules()) {
        const hits = reach.reach(rule, table, chain).hits;
        for (const take of [1, 16]) {
          const heads = reach.hitHeads(rule, take);
          assert.deepEqual([...heads.keys()], [...hits.keys()], `seed ${seed} ${rule.id}`);
          for (const [hook, f] of hits) {
            const h = heads.get(hook)!;
            assert.equal(h.mayCount, f.may.length);
            assert.equal(h.mustCount, f.must.length);
            assert.equal(h.may.length, Math.min(take, f.may.length));
            h.may.forEach((b, i) => assert.equal(b, f.may[i], `seed ${seed} ${rule.id} ${hook} may box ${i}`));
            h.must.forEach((b, i) => assert.equal(b, f.must[i], `seed ${seed} ${rule.id} ${hook} must box ${i}`));
          }
        }
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
