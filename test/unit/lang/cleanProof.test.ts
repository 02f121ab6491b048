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
import type { Diagnostic } from '../../../server/src/lang/diagnostic';
import { corpusFiles } from '../../helpers/corpus';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateFile, numbered } from '../../helpers/restoreGenerator';
import { proofFile } from '../../helpers/proofFiles';

const FILES = Number(process.env.NFLENS_PROOF_FILES ?? 1500);
const SEED = Number(process.env.NFLENS_PROOF_SEED ?? 20261127);
const root = join(__dirname, '..', '..', '..', '..');

const shown = (d: Diagnostic): string => `${d.span.start.line + 1}:${d.span.start.col + 1}-${d.span.end.line + 1}:${d.span.end.col + 1} ${d.severity} ${d.code} ${d.message}`;

function diagnosticsOf(text: string, backend: Backend): string[] {
  return analyzeIptables(text, { backend, family: 'ipv4' }).diagnostics.map(shown);
}

/** The lints the proof finds itself; any other diagnostic means it must not hold. */
const LINTS = new Set(['unused-chain', 'empty-table']);

/** A proof holds only where the full parse finds exactly the proof's lints. */
function assertSound(text: string, what: string): boolean {
  const proof = proveClean(text);
  if (!proof) return false;
  const ours = proof.diagnostics.map(shown);
  for (const backend of ['nft', 'legacy'] as const) {
    const found = diagnosticsOf(text, backend);
    assert.deepEqual(ours, found, `${what}: proven clean with ${ours.length} lint(s), but the full parse (${backend}) says:\n${found.join('\n')}\n${numbered(text)}`);
  }
  assert.equal(proof.rules, text.split('\n').filter((l) => /^(\[\d+:\d+\] )?-A /.test(l)).length, what);
  return true;
}

describe('clean proof: proven only where the full parse finds nothing', () => {
  it(`${FILES} files generated around its grammar (seed ${SEED}): sound with both backends, and not vacuous`, () => {
    let proven = 0;
    let withLints = 0;
    let clean = 0;
    for (let i = 0; i < FILES; i++) {
      const text = proofFile(SEED * 7919 + i);
      if (assertSound(text, `seed ${SEED} file ${i}`)) {
        proven++;
        if (proveClean(text)!.diagnostics.length) withLints++;
      } else if (analyzeIptables(text, { backend: 'nft', family: 'ipv4' }).diagnostics.every((d) => LINTS.has(d.code))) clean++;
    }
    // Half the generated files have a defect somewhere; of the others, the proof must take a good share, lints and all.
    assert.ok(proven >= FILES * 0.1, `only ${proven} of ${FILES} proven`);
    assert.ok(withLints >= FILES * 0.03, `only ${withLints} proven with lints`);
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

  it('the base file is proven and clean, with iptables-save -c counters on its rules too', () => {
    assert.equal(proofStopsAt(base.join('\n')), undefined);
    assertSound(base.join('\n'), 'base');
    const counted = base.map((l) => (l.startsWith('-A ') ? `[12:3456] ${l}` : l)).join('\n');
    assert.equal(proofStopsAt(counted), undefined);
    assertSound(counted, 'base with counters');
  });

  // Each change is an error or warning of the full parse, on the line the proof stops at (or at the COMMIT for what only the table shows).
  const cases: [string, number, string, number?][] = [
    ['DNAT reached from POSTROUTING', 10, '-A MASQ -j DNAT --to-destination 10.0.0.1', 11],
    ['MASQUERADE reached from PREROUTING', 9, '-A SVC -j MASQUERADE', 11],
    ['a loop', 10, '-A MASQ -j SVC', 11],
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
    ['a comment over 255 bytes in UTF-8', 6, `-A PREROUTING -m comment --comment "${'é'.repeat(130)}" -j SVC`],
    ['-o on an input hook', 6, '-A PREROUTING -o eth0 -j SVC'],
    ['a port range from high to low', 9, '-A SVC -p tcp -m tcp --dport 10:5 -j ACCEPT'],
    ['a jump to a built-in chain', 9, '-A SVC -j POSTROUTING'],
    ['16 ports in multiport', 9, '-A SVC -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 -j ACCEPT'],
    ['multiport without ports', 9, '-A SVC -p tcp -m multiport -j ACCEPT'],
    ['a probability above 1', 9, '-A SVC -m statistic --mode random --probability 1.5 -j ACCEPT'],
    ['a mark above 32 bits', 8, '-A POSTROUTING -m mark --mark 0x123456789 -j MASQ'],
    ['mark without --mark', 8, '-A POSTROUTING -m mark -j MASQ'],
    ['conntrack without an option', 8, '-A POSTROUTING -m conntrack -j MASQ'],
    ['addrtype without an option', 8, '-A POSTROUTING -m addrtype -j MASQ'],
    ['comment without its text', 6, '-A PREROUTING -m comment -j SVC'],
    ['comment without its text, ending the line', 6, '-A PREROUTING -m comment'],
    ['multiport given two lists', 9, '-A SVC -p tcp -m multiport --dports 80 --sports 22 -j ACCEPT'],
    ['an unbalanced quote', 6, '-A PREROUTING -m comment --comment "a"b" -j SVC'],
    ['an option given twice', 9, '-A SVC -p tcp -m tcp --dport 80 --dport 81 -j ACCEPT'],
    ['a mask on --or-mark', 10, '-A MASQ -j MARK --or-mark 0x4000/0x4000'],
    ['counters that are not numbers', 10, '[x:1] -A MASQ -j MASQUERADE'],
    ['counters without their bracket', 10, '[1:2 -A MASQ -j MASQUERADE'],
    ['a negative counter', 10, '[-1:0] -A MASQ -j MASQUERADE'],
    ['counters before a chain line', 10, '[1:2] :MASQ - [0:0]'],
    ['-N of a declared chain', 10, '-N MASQ'],
    ['-D of a rule that is not there', 10, '-D SVC -j ACCEPT'],
    ['-D after counters', 10, '[1:2] -D SVC -j ACCEPT'],
  ];
  /** What the full parse finds beyond the lints the proof reports itself. */
  const refusals = (file: string): string[] => (['nft', 'legacy'] as const).flatMap((b) => analyzeIptables(file, { backend: b, family: 'ipv4' }).diagnostics.filter((d) => !LINTS.has(d.code)).map(shown));
  for (const [what, line, text, stop] of cases) {
    it(`stops for ${what}`, () => {
      const file = at(line, text);
      assert.equal(proofStopsAt(file), stop ?? line, what);
      assert.ok(refusals(file).length > 0, `${what}: the full parse finds nothing`);
    });
  }
  it('stops for a table given twice, and for a last table without its COMMIT (at the end of the file)', () => {
    const twice = `${base.join('\n')}*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n`;
    assert.equal(proofStopsAt(twice), 12);
    assert.ok(refusals(twice).length > 0);
    const unclosed = `${base.join('\n')}*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n`;
    assert.equal(proofStopsAt(unclosed), 15);
    assert.ok(refusals(unclosed).length > 0);
  });

  it('finds the lints as the full parse words them: an unused chain with its rules, an empty table, none for a DROP policy', () => {
    const unused = at(8, '-A POSTROUTING -m mark --mark 0x4000/0x4000 -j ACCEPT');
    const proof = proveClean(`${unused}*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*raw\n:OUTPUT DROP [0:0]\nCOMMIT\n`);
    assert.deepEqual(proof?.diagnostics.map(shown), [
      '6:2-6:6 warning unused-chain Chain "MASQ" is declared and has 1 rule, but no rule jumps to it: no packet ever reaches it.',
      '13:2-13:8 info empty-table Table "filter" has no rules and only ACCEPT policies: loading it just clears whatever the table held before.',
    ]);
    assertSound(`${unused}*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*raw\n:OUTPUT DROP [0:0]\nCOMMIT\n`, 'lints');
  });

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
