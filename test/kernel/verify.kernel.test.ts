/**
 * `nflens verify` as shipped (server/out/nflens.js and the agent beside it,
 * built by npm run build), run as a separate process the way the editor's
 * Verify Trace on Kernel runs it: agreement for Docker's hairpin-NAT host,
 * the first difference where the emulator can only assume (a u32 match it
 * does not evaluate), cleanup on Ctrl-C, and a root namespace left as it was.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runVerifyCli } from '../../client/src/verifyKernel/runVerifyCli';
import { verifyArgs } from '../../client/src/verifyKernel/verifyArgs';
import { verifyMessage } from '../../client/src/verifyKernel/verifyMessage';
import type { VerifyReport } from '../../server/src/verify/verifyReport';
import { labAvailable } from '../../server/src/verify/preconditions';

const root = join(__dirname, '..', '..', '..');
const NFLENS = join(root, 'server', 'out', 'nflens.js');
const avail = labAvailable();
const skip = avail.ok ? (existsSync(NFLENS) ? false : `KERNEL VERIFY TESTS SKIPPED: ${NFLENS} is not built (npm run build)`) : `KERNEL VERIFY TESTS SKIPPED: ${avail.why}`;
if (skip) console.log(`\n!!! ${skip}\n`);

const DIR = join(root, 'examples', 'docker-no-proxy');
const HOST = join(DIR, 'nflens-host.json');
const CLIENT_TO_PUBLISHED = ['--host', HOST, '--proto', 'tcp', '--src', 'client', '--dst', '10.10.126.101:12580', '--format', 'json'];

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
  readonly pid: number;
}

/** Runs nflens verify; `onErr` sees stderr as it comes (and may signal the process). */
function verify(rules: string, args: readonly string[], onErr?: (text: string, pid: number) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [NFLENS, 'verify', rules, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      onErr?.(err, child.pid!);
    });
    child.on('close', (code, signal) => resolve({ code, signal, out, err, pid: child.pid! }));
  });
}

const report = (r: Run): VerifyReport => JSON.parse(r.out) as VerifyReport;
const rootState = (): string =>
  ['ip -o link show', 'ip -o addr show', 'ip route show table all', 'nft list ruleset'].map((c) => spawnSync('sh', ['-c', c], { encoding: 'utf8' }).stdout.replace(/\s+(lft|valid_lft|preferred_lft|expires) \S+/g, '')).join('\n---\n');
const namespacesOf = (pid: number): string[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`nflv${pid}`));

describe('kernel: nflens verify', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nflens-verify-kernel-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('examples/docker-no-proxy: an external client to the published port agrees with the kernel, and the root namespace is untouched', async () => {
    const before = rootState();
    const r = await verify(join(DIR, 'rules.v4'), CLIENT_TO_PUBLISHED);
    assert.equal(r.code, 0, r.err + r.out);
    const j = report(r);
    assert.equal(j.verdict, 'agree', j.comparison);
    assert.equal(j.firstDifference, undefined);
    assert.equal(j.kernelOutcome.ok, true, 'the connection completes in the kernel');
    assert.ok(j.packets >= 7 && j.chainRuns >= j.packets, `${j.packets} packets, ${j.chainRuns} runs`);
    assert.match(j.comparison, /both: {5}nat PREROUTING 10\.10\.126\.187:\d+>10\.10\.126\.101:12580 \| PREROUTING#0:JUMP:DOCKER DOCKER#0:ACCEPT/);
    assert.deepEqual(namespacesOf(r.pid), [], 'its namespaces are gone');
    assert.equal(rootState(), before, 'links, addresses, routes and nftables of the root namespace are as they were');
  });

  it('a host inferred from the rules (examples/web-server, no description): an address from outside, given to the namespace behind eth0, agrees', async () => {
    const r = await verify(join(root, 'examples', 'web-server', 'rules.v4'), ['--proto', 'tcp', '--src', '198.51.100.7', '--in', 'eth0', '--dst', '10.0.0.1:80', '--format', 'json']);
    assert.equal(r.code, 0, r.err + r.out);
    const j = report(r);
    assert.ok(j.packets >= 1, j.comparison);
    assert.match(j.notes.join(' '), /gives 198\.51\.100\.7 to the namespace behind eth0/);
  });

  it('a u32 match the emulator cannot evaluate: the first difference names the rule it assumed and the one the kernel took', async () => {
    const rules = readFileSync(join(DIR, 'rules.v4'), 'utf8').replace('-A FORWARD -o docker0 -j DOCKER\n', '-A FORWARD -p tcp -m tcp --dport 12580 -m u32 --u32 "0>>28=6" -j DROP\n-A FORWARD -o docker0 -j DOCKER\n');
    const file = join(dir, 'u32.rules');
    writeFileSync(file, rules);
    const u32Line = rules.split('\n').findIndex((l) => l.includes('-m u32')) + 1;
    const r = await verify(file, CLIENT_TO_PUBLISHED);
    assert.equal(r.code, 1, r.err + r.out);
    const d = report(r).firstDifference!;
    assert.ok(d, r.out);
    assert.equal(d.packet, 1, 'the SYN');
    assert.deepEqual([d.what, d.hook, d.table, d.chain], ['rule', 'FORWARD', 'filter', 'FORWARD']);
    assert.equal(d.emulator.rule?.line, u32Line);
    assert.equal(d.emulator.verdict, 'DROP');
    assert.match((d.emulator.assumed ?? []).join(' '), /u32 .*assumed to match/);
    assert.equal(d.kernel.rule?.line, u32Line + 1);
    assert.equal(d.kernel.verdict, 'JUMP:DOCKER');
    assert.match(d.kernel.packet ?? '', /^10\.10\.126\.187:\d+>172\.17\.0\.4:12580$/);
    // With the opposite assumption, which is what the kernel evaluates, they agree.
    const again = await verify(file, [...CLIENT_TO_PUBLISHED, '--assume', 'no-match']);
    assert.equal(again.code, 0, again.err + again.out);
  });

  it('the editor\'s way: the panel\'s trace of the peer client, run as Verify Trace on Kernel runs it, agrees; Cancel removes the lab', async () => {
    const args = verifyArgs(join(DIR, 'rules.v4'), { uri: 'file:///x', proto: 'tcp', src: 'client', dst: '10.10.126.101', dport: 12580, origin: { peer: 'client' } }, { source: 'description', file: HOST });
    assert.ok(Array.isArray(args), JSON.stringify(args));
    const progress: string[] = [];
    const run = await runVerifyCli(NFLENS, args, DIR, (l) => progress.push(l), () => undefined);
    const m = verifyMessage(run);
    assert.equal(m.kind, 'agree', `${m.message}\n${run.stderr}`);
    assert.match(m.details ?? '', /^The kernel and the emulator agree/);
    assert.ok(progress.some((l) => l.startsWith('building the lab')), progress.join('\n'));
    let cancel: (() => void) | undefined;
    const stopped = await runVerifyCli(NFLENS, args, DIR, (l) => {
      if (l.startsWith('loading the rules')) cancel?.();
    }, (c) => (cancel = c));
    assert.equal(verifyMessage(stopped).kind, 'cancelled');
    assert.equal(stopped.code, 143, stopped.stderr);
    const pid = Number(/namespaces nflv(\d+)/.exec(stopped.stderr)?.[1]);
    assert.ok(pid > 0, stopped.stderr);
    assert.deepEqual(namespacesOf(pid), [], 'its namespaces are gone');
  });

  it('Ctrl-C while the lab runs: the namespaces are removed and it exits 130', async () => {
    let sent = false;
    const r = await verify(join(DIR, 'rules.v4'), CLIENT_TO_PUBLISHED, (err, pid) => {
      if (!sent && err.includes('loading the rules')) {
        sent = true;
        assert.ok(namespacesOf(pid).length >= 4, 'the lab is up');
        process.kill(pid, 'SIGINT');
      }
    });
    assert.ok(sent, r.err);
    assert.equal(r.code, 130, r.err);
    assert.match(r.err, /SIGINT: removing the lab's network namespaces/);
    assert.deepEqual(namespacesOf(r.pid), []);
  });
});
