/** The load-verdict tables checked against the real iptables-restore. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_CASES } from '../cases';
import { loadWithKernel, oracleAvailable } from '../helpers/oracle';
import { caseFile, caseName, expected, expectedLine } from '../helpers/ruleCases';

const avail = oracleAvailable();
for (const { group, cases } of ALL_CASES) {
  describe(`kernel agrees with case table: ${group}`, { skip: avail.ok ? false : `KERNEL TESTS SKIPPED: ${avail.why}` }, () => {
    for (const c of cases) {
      if (c.envDependent) continue;
      for (const backend of ['nft', 'legacy'] as const) {
        it(`${backend}: ${caseName(c)}`, () => {
          const k = loadWithKernel(caseFile(c), backend, c.family ?? 'ipv4');
          assert.equal(k.ok ? 'ok' : 'error', expected(c, backend), `file:\n${caseFile(c)}\nkernel said: ${k.stderr}`);
          const line = expectedLine(c, backend);
          if (line !== undefined && !k.ok) assert.equal(k.line, line, `file:\n${caseFile(c)}\nkernel said: ${k.stderr}`);
        });
      }
    }
  });
}
