/**
 * The README's table of diagnostic codes stays true: every code the checker
 * emits on the case tables and on generated files (valid and mutated, both
 * backends) is documented there.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { ALL_CASES } from '../cases';
import { caseFile } from '../helpers/ruleCases';
import { generateFile } from '../helpers/restoreGenerator';

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('documents every diagnostic code the checker emits', () => {
    const seen = new Map<string, string>();
    const check = (text: string, family: 'ipv4' | 'ipv6', where: string): void => {
      for (const backend of ['nft', 'legacy'] as const) {
        for (const d of analyzeIptables(text, { backend, family }).diagnostics) if (!seen.has(d.code)) seen.set(d.code, where);
      }
    };
    for (const g of ALL_CASES) for (const c of g.cases) check(caseFile(c), c.family ?? 'ipv4', `case group ${g.group}`);
    for (let i = 0; i < 600; i++) {
      const f = generateFile(11, i);
      check(f.text, f.family, `generated file ${i}`);
    }
    assert.ok(seen.size > 40, `only ${seen.size} codes seen`);
    const missing = [...seen].filter(([code]) => !README.includes(`\`${code}\``));
    assert.deepEqual(missing, [], 'codes emitted but not in the README table');
  });
});
