/** nflens analyze (findings with their blocking rules, example packets and a chain summary) and the same findings in nflens check. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runAnalyze } from '../../../server/src/cli/analyze';

const root = join(__dirname, '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'nflens-analyze-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const RULES = join(dir, 'rules.v4');
writeFileSync(RULES, ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':SSH - [0:0]',
  '-A INPUT -s 10.0.0.0/25 -j ACCEPT', '-A INPUT -s 10.0.0.128/25 -j ACCEPT', '-A INPUT -s 10.0.0.0/24 -p tcp -j DROP',
  '-A INPUT -p tcp --dport 22 -j SSH', '-A SSH -j ACCEPT', 'COMMIT', ''].join('\n'));

function analyze(flags: Record<string, string> = {}): { code: number; out: string } {
  let out = '';
  const code = runAnalyze({ rules: RULES, flags: new Map(Object.entries(flags)) }, (s) => (out += s), () => undefined, 'test');
  return { code, out };
}

describe('nflens analyze', () => {
  it('text: the finding, each blocking rule with what it takes, and one line per chain', () => {
    const r = analyze();
    assert.equal(r.code, 0);
    assert.match(r.out, /rules\.v4:8:1: warning \[unreachable-rule\] No packet reaches this rule: the earlier rules at line 6 \(ACCEPT\), line 7 \(ACCEPT\) together take every packet/);
    assert.match(r.out, /blocked by line 6: -A INPUT -s 10\.0\.0\.0\/25 -j ACCEPT\n\s+takes from 10\.0\.0\.0\/25/);
    assert.match(r.out, /filter SSH: 1 rule · entered from INPUT \(line 9\)/);
  });
  it('json: blockedBy and an example packet per finding', () => {
    const [f] = JSON.parse(analyze({ format: 'json' }).out) as Array<{ code: string; line: number; blockedBy: Array<{ line: number }>; example: { packet: { src: number } } }>;
    assert.equal(f!.code, 'unreachable-rule');
    assert.deepEqual(f!.blockedBy.map((b) => b.line), [6, 7]);
    assert.ok(f!.example.packet.src >= 0x0a000000 && f!.example.packet.src <= 0x0a0000ff);
  });
  it('a rule whose packets an earlier rule rewrites: "rewritten by", and role "changes" in json', () => {
    const marks = join(dir, 'marks.v4');
    writeFileSync(marks, ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
      '-A PREROUTING -j MARK --set-xmark 0x2/0x3', '-A PREROUTING -m mark --mark 0x1/0x3 -j ACCEPT', 'COMMIT', ''].join('\n'));
    let out = '';
    assert.equal(runAnalyze({ rules: marks, flags: new Map() }, (s) => (out += s), () => undefined, 'test'), 0);
    assert.match(out, /marks\.v4:8:1: warning \[unreachable-rule\].*rewritten on the way/);
    assert.match(out, /\n {4}rewritten by line 7: -A PREROUTING -j MARK --set-xmark 0x2\/0x3\n\s+changes /);
    assert.doesNotMatch(out, /blocked by/);
    out = '';
    runAnalyze({ rules: marks, flags: new Map([['format', 'json']]) }, (s) => (out += s), () => undefined, 'test');
    const [f] = JSON.parse(out) as Array<{ blockedBy: Array<{ line: number; role: string; changes?: string; takes?: string }> }>;
    assert.deepEqual(f!.blockedBy.map((b) => [b.line, b.role, b.takes]), [[7, 'changes', undefined]]);
    assert.match(f!.blockedBy[0]!.changes!, /^changes /);
    const [g] = JSON.parse(analyze({ format: 'json' }).out) as Array<{ blockedBy: Array<{ role: string; takes: string }> }>;
    assert.deepEqual(g!.blockedBy.map((b) => b.role), ['takes', 'takes']);
    assert.match(g!.blockedBy[0]!.takes, /^takes from 10\.0\.0\.0\/25/);
  });
  it('an IPv6 file (told by its name) is read as IPv6: its load is checked, reachability says it covers IPv4 only', () => {
    const v6 = join(dir, 'rules.v6');
    writeFileSync(v6, ['*filter', ':INPUT DROP [0:0]', '-A INPUT -s 2001:db8::/32 -j ACCEPT', '-A INPUT -s 2001:db8::/48 -j ACCEPT', 'COMMIT', ''].join('\n'));
    let out = '';
    let err = '';
    const code = runAnalyze({ rules: v6, flags: new Map([['format', 'json']]) }, (s) => (out += s), (s) => (err += s), 'test');
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), []);
    assert.match(err, /read as IPv6 rules \(ip6tables-restore\): reachability is analysed for IPv4 rules only/);
    assert.doesNotMatch(err, /error \[/);
    // Forced to IPv4, the same file fails to load on its first IPv6 address.
    err = '';
    assert.equal(runAnalyze({ rules: v6, flags: new Map([['family', 'ipv4']]) }, () => undefined, (s) => (err += s), 'test'), 1);
    assert.match(err, /rules\.v6:3:\d+: error \[bad-address\]/);
  });
  it('sarif: one result per finding', () => {
    const s = JSON.parse(analyze({ format: 'sarif' }).out) as { runs: Array<{ results: Array<{ ruleId: string }> }> };
    assert.deepEqual(s.runs[0]!.results.map((x) => x.ruleId), ['unreachable-rule']);
  });
});

describe('nflens analyze into a pipe', () => {
  // Enough findings to outgrow a pipe's buffer: 4,000 rules the first one shadows (three lines each).
  const many = join(dir, 'many.v4');
  writeFileSync(many, ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -p tcp -j DROP',
    ...Array.from({ length: 4000 }, (_, i) => `-A INPUT -p tcp --dport ${i + 1} -j ACCEPT`), 'COMMIT', ''].join('\n'));
  const cli = join(root, 'server', 'out', 'nflens.js');

  it('a reader slower than the writer gets all of it (| less, | wc -l)', () => {
    const whole = spawnSync(process.execPath, [cli, 'analyze', many], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const lines = whole.stdout.split('\n').length - 1;
    assert.ok(lines > 12000, `${lines} lines`);
    const r = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${cli}" analyze "${many}" | (sleep 1; wc -l)`], { encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(Number(r.stdout.trim()), lines);
  });

  it('ends quietly when the reader stops early (| head), with no error on stderr', () => {
    const r = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${cli}" analyze "${many}" | head -n 2`], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 2);
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/, r.stderr);
    assert.equal(r.stderr, '');
    // A reader gone before the first line is written (`| true`): the first write fails at once.
    const gone = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${cli}" analyze "${many}" | true`], { encoding: 'utf8' });
    assert.equal(gone.stderr, '');
  });
});

describe('nflens check includes the reachability findings', () => {
  it('among its warnings, in line order', () => {
    const r = spawnSync(process.execPath, [join(root, 'server', 'out', 'nflens.js'), 'check', RULES], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /rules\.v4:8:1: warning \[unreachable-rule\]/);
  });
});
