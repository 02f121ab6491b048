/**
 * Every real dump in ../shared/corpus/iptables: our verdict must equal a real
 * load's (both backends), where the load does not depend on the machine.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { guessFamily } from '../../server/src/lang/iptables/family';
import { hostDependent, loadVerdict } from '../../server/src/lang/iptables/verdict';
import { CORPUS_DIR, corpusFiles, environmentalFailure } from '../helpers/corpus';
import { loadWithKernel, oracleAvailable } from '../helpers/oracle';

const files = corpusFiles('iptables');
const avail = oracleAvailable();

describe('iptables corpus', { skip: files.length ? false : `CORPUS TESTS SKIPPED: ${CORPUS_DIR} not found` }, () => {
  for (const file of files) {
    const family = /ip6tables|\.v6$|\.ip6tables$/.test(basename(file)) ? 'ipv6' : 'ipv4';
    const text = readFileSync(file, 'utf8');
    it(`the family is told from the file alone, without its name: ${basename(file)}`, () => {
      assert.equal(guessFamily(text).family, family);
      assert.equal(analyzeIptables(text, { backend: 'nft', family: 'auto', fileName: file }).parsed.ruleset.family, family);
    });
    it(`parses without throwing: ${basename(file)}`, () => {
      for (const backend of ['nft', 'legacy'] as const) analyzeIptables(text, { backend, family });
    });
    for (const backend of ['nft', 'legacy'] as const) {
      it(`${backend}: same verdict as the kernel: ${basename(file)}`, { skip: avail.ok ? false : `KERNEL CHECK SKIPPED: ${avail.why}` }, (t) => {
        const k = loadWithKernel(text, backend, family);
        if (!k.ok && environmentalFailure(k.stderr)) {
          t.skip(`depends on this machine: ${k.stderr.trim().split('\n')[0]}`);
          return;
        }
        const diags = analyzeIptables(text, { backend, family }).diagnostics;
        const env = hostDependent(diags);
        if (!k.ok && env.length > 0) {
          t.skip(`depends on this machine (${env[0]!.code} on line ${env[0]!.span.start.line + 1}): ${k.stderr.trim().split('\n')[0]}`);
          return;
        }
        const ours = loadVerdict(diags);
        const ourLine = ours.first?.restore?.reportedLine ?? null;
        assert.equal(ours.loads, k.ok, `kernel ${k.ok ? 'loads it' : `fails at line ${k.line}: ${k.stderr.trim()}`}; we ${ours.loads ? 'load it' : `fail at line ${ourLine}: ${ours.first?.message}`}`);
        if (!k.ok) assert.equal(ourLine, k.line, `first error line: kernel ${k.stderr.trim()} / ours ${ours.first?.message}`);
      });
    }
  }
});
