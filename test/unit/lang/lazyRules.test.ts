/**
 * Rules are parsed again from their line on first use (RuleCommand): the
 * re-parse must give the rule the load checks saw. We compare the facts the
 * checks used with facts taken again from the re-parsed rule, over generated
 * files (valid and mutated, both families, both backends) and a kube-proxy
 * style dump.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { ruleFacts } from '../../../server/src/lang/iptables/ruleFacts';
import { generateFile } from '../../helpers/restoreGenerator';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { plainFacts } from '../../helpers/facts';
import type { Backend } from '../../../server/src/lang/iptables/extension';
import type { Family } from '../../../server/src/lang/iptables/inet';

function checkFile(text: string, family: Family, backend: Backend, label: string): number {
  const parsed = parseIptables(text, { family, backend });
  let rules = 0;
  for (const block of parsed.file.tables) {
    for (const cmd of block.commands) {
      if (!cmd.hasRule) continue;
      const rule = cmd.rule;
      assert.ok(rule, `${label}: line ${cmd.line + 1} has a rule that does not parse again`);
      assert.equal(cmd.jump?.chain, rule.target?.kind === 'jump' ? rule.target.chain : undefined, `${label}: line ${cmd.line + 1}`);
    }
  }
  for (const table of parsed.ruleset.tables.values()) {
    for (const chain of table.chains.values()) {
      for (const r of chain.rules) {
        rules++;
        // Compared fact by fact: a fast line's shape holds its facts itself.
        assert.deepStrictEqual(plainFacts(ruleFacts(r.spec, family, r.facts.jumpTo)), plainFacts(r.facts), `${label}: line ${r.command.line + 1}`);
      }
    }
  }
  return rules;
}

describe('rules parsed again on demand', () => {
  it('give the same facts as the first parse (generated files)', () => {
    let rules = 0;
    for (let i = 0; i < 300; i++) {
      const f = generateFile(77, i);
      for (const backend of ['nft', 'legacy'] as const) rules += checkFile(f.text, f.family, backend, `file ${i} ${backend}`);
    }
    assert.ok(rules > 3000, `only ${rules} rules checked`);
  });

  it('give the same facts as the first parse (kube-proxy dump)', () => {
    const rules = checkFile(kubeProxyDump({ services: 200, endpoints: 3 }), 'ipv4', 'nft', 'kube');
    assert.ok(rules > 1000);
  });
});
