import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_CASES } from '../../cases';
import { caseFile, caseName, expectedLine, expectedOurs, ourOutcome } from '../../helpers/ruleCases';

for (const { group, cases } of ALL_CASES) {
  describe(`load verdicts: ${group}`, () => {
    for (const c of cases) {
      for (const backend of ['nft', 'legacy'] as const) {
        it(`${backend}: ${caseName(c)}`, () => {
          const got = ourOutcome(c, backend);
          assert.equal(got.outcome, expectedOurs(c, backend), `file:\n${caseFile(c)}\nfirst error: ${got.code} ${got.message}`);
          if (c.code && backend === 'nft') assert.equal(got.code, c.code, got.message);
          const line = expectedLine(c, backend);
          if (line !== undefined && c.ours === undefined && got.outcome === 'error') assert.equal(got.line, line, `first error: ${got.code} ${got.message}`);
        });
      }
    }
  });
}
