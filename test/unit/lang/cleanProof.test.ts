/**
 * The one-pass clean proof (cleanProof.ts) against the full parse: a file it
 * proves clean gets no diagnostic from analyzeIptables, with either backend.
 * Inputs: files generated around the proof's grammar (test/helpers/proofFiles.ts: valid values and
 * near misses, loops, unused chains, targets in the wrong table or hook,
 * line damage), the restore differential's generator, the corpus and the
 * examples. NFLENS_PROOF_FILES (default 1500) generated files per run,
 * seeded by NFLENS_PROOF_SEED (printed on failure).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { proofStopsAt, proveClean } from '../../../server/src/lang/iptables/cleanProof';
import { analyzeIptables, checkIptables } from '../../../server/src/lang/iptables/analyze';
import type { Backend } from '../../../server/src/lang/iptables/extension';
import { corpusFiles } from '../../helpers/corpus';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateFile, numbered } from '../../helpers/restoreGenerator';
import { proofFile } from '../../helpers/proofFiles';

const FILES = Number(process.env.NFLENS_PROOF_FILES ?? 1500);
const SEED = Number(process.env.NFLENS_PROOF_SEED ?? 20261127);
const root = join(__dirname, '..', '..', '..', '..');

function diagnosticsOf(text: string, backend: Backend): string[] {
  return analyzeIptables(text, { backend, family: 'ipv4' }).diagnostics.map((d) => `${d.span.start.line + 1}: ${d.code} ${d.message}`);
}

/** A proof holds only where the full parse finds nothing. */
function assertSound(text: string, what: string): boolean {
  const proof = proveClean(text);
  if (!proof) return false;
  for (const backend of ['nft', 'legacy'] as const) {
    const found = diagnosticsOf(text, backend);
    assert.deepEqual(found, [], `${what}: proven clean, but the full parse (${backend}) says:\n${found.join('\n')}\n${numbered(text)}`);
  }
  assert.equal(proof.rules, text.split('\n').filter((l) => l.startsWith('-A ')).length, what);
  return true;
}

describe('clean proof: proven only where the full parse finds nothing', () => {
  it(`${FILES} files generated around its grammar (seed ${SEED}): sound with both backends, and not vacuous`, () => {
    let proven = 0;
    let clean = 0;
    for (let i = 0; i < FILES; i++) {
      const text = proofFile(SEED * 7919 + i);
      if (assertSound(text, `seed ${SEED} file ${i}`)) proven++;
      else if (diagnosticsOf(text, 'nft').length === 0) clean++;
    }
    // Most generated files have a defect somewhere; of the clean ones, the proof must take a good share.
    assert.ok(proven >= FILES * 0.1, `only ${proven} of ${FILES} proven`);
    assert.ok(proven >= clean, `${proven} proven, ${clean} clean but not proven`);
  });

  it('files of the restore differential generator (valid and mutated), the corpus and the examples', () => {
    let proven = 0;
    for (let i = 0; i < 400; i++) {
      const f = generateFile(777, i);
      if (f.family === 'ipv4' && assertSound(f.text, `generated file ${i} (${f.focus}; ${f.mutations.join(', ')})`)) proven++;
    }
    const files = [...corpusFiles('iptables'), ...['docker-host/rules.v4', 'docker-no-proxy/rules.v4', 'overlay/hostA.rules', 'web-server/rules.v4', 'mistakes/rules.v4'].map((f) => join(root, 'examples', f))];
    for (const f of files) if (assertSound(readFileSync(f, 'utf8'), f)) proven++;
    assert.ok(proven > 0);
  });

  it('a kube-proxy-style dump and the Docker example are proven', () => {
    const kube = kubeProxyDump({ services: 300, endpoints: 3 });
    assert.equal(proofStopsAt(kube), undefined);
    assertSound(kube, 'kube dump');
    assertSound(readFileSync(join(root, 'examples', 'docker-host', 'rules.v4'), 'utf8'), 'docker-host example');
  });
});

describe('clean proof: where it stops', () => {
  const base = ['*nat', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':SVC - [0:0]', ':MASQ - [0:0]',
    '-A PREROUTING -m comment --comment "into services" -j SVC', '-A OUTPUT -j SVC', '-A POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQ',
    '-A SVC -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j DNAT --to-destination 10.0.0.5:6443', '-A MASQ -j MASQUERADE --random-fully', 'COMMIT', ''];
  const at = (i: number, line: string): string => base.map((l, k) => (k === i ? line : l)).join('\n');

  it('the base file is proven and clean', () => {
    assert.equal(proofStopsAt(base.join('\n')), undefined);
    assertSound(base.join('\n'), 'base');
  });

  // Each change is an error or warning of the full parse, on the line the proof stops at (or at the COMMIT for what only the table shows).
  const cases: [string, number, string, number?][] = [
    ['DNAT reached from POSTROUTING', 10, '-A MASQ -j DNAT --to-destination 10.0.0.1', 11],
    ['MASQUERADE reached from PREROUTING', 9, '-A SVC -j MASQUERADE', 11],
    ['a loop', 10, '-A MASQ -j SVC', 11],
    ['an unused chain', 8, '-A POSTROUTING -m mark --mark 0x4000/0x4000 -j ACCEPT', 11],
    ['DNAT with a port and no -p', 9, '-A SVC -d 10.96.0.1/32 -j DNAT --to-destination 10.0.0.5:6443'],
    ['a jump to an undeclared chain', 7, '-A OUTPUT -j NOPE'],
    ['tcp options with a negated -p', 9, '-A SVC ! -p tcp -m tcp --dport 443 -j ACCEPT'],
    ['a negated /0', 9, '-A SVC ! -s 0.0.0.0/0 -j ACCEPT'],
    ['a port out of range', 9, '-A SVC -p tcp -m tcp --dport 65536 -j ACCEPT'],
    ['COMMIT with a trailing blank', 11, 'COMMIT '],
    ['a chain declared twice', 5, ':SVC - [0:0]'],
    ['a user chain with a policy', 5, ':MASQ ACCEPT [0:0]'],
    ['REJECT in nat', 10, '-A MASQ -j REJECT'],
    ['DROP in nat', 10, '-A MASQ -j DROP'],
    ['-i on an output hook', 8, '-A POSTROUTING -i eth0 -j MASQ'],
    ['an over-long comment', 6, `-A PREROUTING -m comment --comment "${'x'.repeat(256)}" -j SVC`],
  ];
  for (const [what, line, text, stop] of cases) {
    it(`stops for ${what}`, () => {
      const file = at(line, text);
      assert.equal(proofStopsAt(file), stop ?? line, what);
      assert.ok(diagnosticsOf(file, 'nft').length > 0 || diagnosticsOf(file, 'legacy').length > 0, `${what}: the full parse finds nothing`);
    });
  }

  it('checkIptables: no analysis for a proven IPv4 file; the analysis otherwise, and for IPv6', () => {
    const clean = base.join('\n');
    const proven = checkIptables(clean, { backend: 'nft', family: 'auto', fileName: 'rules.v4' });
    assert.ok(proven.proof && !proven.analysis && proven.diagnostics.length === 0);
    const v6 = checkIptables(clean, { backend: 'nft', family: 'auto', fileName: 'rules.v6' });
    assert.ok(!v6.proof && v6.analysis);
    const bad = checkIptables(at(7, '-A OUTPUT -j NOPE'), { backend: 'nft', family: 'ipv4' });
    assert.ok(!bad.proof && bad.diagnostics.some((d) => d.code === 'unknown-target'));
  });
});
