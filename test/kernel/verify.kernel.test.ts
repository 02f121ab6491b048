/**
 * `nflens verify` as shipped (server/out/nflens.js and the agent beside it,
 * built by npm run build), run as a separate process the way the editor's
 * Verify Trace on Kernel runs it: agreement for Docker's hairpin-NAT host,
 * the first difference where the emulator can only assume (a u32 match it
 * does not evaluate), cleanup on Ctrl-C, and a root namespace left as it was;
 * docker-proxy's second leg compared; an overlay workspace replayed across
 * its hosts (agreement, and a difference found on the right host); the
 * emulator's own trace held against the kernel, a difference found there
 * though the replay agrees.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Runs nflens verify (no rules file: `''`, with --workspace); `onErr` sees stderr as it comes (and may signal the process). */
function verify(rules: string, args: readonly string[], onErr?: (text: string, pid: number) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [NFLENS, 'verify', ...(rules ? [rules] : []), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

const OVERLAY = join(root, 'examples', 'overlay');
const WS = join(OVERLAY, 'nflens-workspace.json');

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
    assert.equal(d.in, 'replay', 'the kernel\'s own SYN, replayed, already parts');
    assert.match(d.kernel.packet ?? '', /^10\.10\.126\.187:\d+>172\.17\.0\.4:12580$/);
    // With the opposite assumption, which is what the kernel evaluates, they agree.
    const again = await verify(file, [...CLIENT_TO_PUBLISHED, '--assume', 'no-match']);
    assert.equal(again.code, 0, again.err + again.out);
  });

  it('-m owner on the host\'s own client: the kernel\'s packets replayed (as root\'s socket) agree, the trace (owner assumed to match) drops the SYN: a difference in the trace itself', async () => {
    const rules = readFileSync(join(DIR, 'rules.v4'), 'utf8').replace(/\*filter\n((?::[^\n]*\n)*)/, (m) => `${m}-A OUTPUT -p tcp -m owner --uid-owner 1000 -j DROP\n`);
    const file = join(dir, 'owner.rules');
    writeFileSync(file, rules);
    const ownerLine = rules.split('\n').findIndex((l) => l.includes('-m owner')) + 1;
    const args = ['--host', HOST, '--proto', 'tcp', '--local', '--dst', 'client:8080', '--format', 'json'];
    const r = await verify(file, args);
    assert.equal(r.code, 1, r.err + r.out);
    const j = report(r);
    assert.equal(j.verdict, 'differ');
    assert.equal(j.kernelOutcome.ok, true, 'the agent runs as root: uid 1000 does not match, the connection completes');
    assert.match(j.summary, /^The emulator's own trace differs from the kernel at the trace's packet 1 \(SYN\): .* Replayed through the emulator, the kernel's own \d+ packets agree\.$/);
    assert.ok(!/≠/.test(j.comparison), 'the replay agrees packet by packet');
    assert.match(j.traceComparison ?? '', /^≠ trace packet 1 \(SYN\) = kernel packet 1: local /);
    const d = j.firstDifference!;
    assert.equal(d.in, 'trace');
    assert.equal(d.packet, 1);
    assert.deepEqual([d.what, d.hook, d.table, d.chain], ['rule', 'OUTPUT', 'filter', 'OUTPUT']);
    assert.equal(d.emulator.rule?.line, ownerLine);
    assert.equal(d.emulator.verdict, 'DROP');
    assert.match((d.emulator.assumed ?? []).join(' '), /--uid-owner 1000: .*assumed to match/);
    assert.equal(d.kernel.rule?.policy, true);
    assert.equal(j.trace?.agree, false);
    assert.match(r.err, /running the conversation again/, 'a difference in the trace too is run twice before it is reported');
    // With the assumption the kernel's evaluation agrees with, the trace completes the connection as the kernel did.
    const again = await verify(file, [...args.slice(0, -2), '--assume', 'no-match', '--format', 'json']);
    assert.equal(again.code, 0, again.err + again.out);
    const a = report(again);
    assert.equal(a.trace?.agree, true, a.comparison);
    assert.equal(a.trace?.packets, 7, 'SYN, SYN-ACK, ACK, data, FIN, FIN-ACK, last ACK');
    assert.equal(a.trace?.compared, 7, a.comparison);
    assert.match(a.summary, /the emulator's own trace agrees with them packet by packet\.$/);
  });

  it('no rule needs conntrack: a local process\'s UDP exchange gets its answer (the trace delivers it to the sending socket, as the kernel does)', async () => {
    const rules = join(dir, 'idle.rules');
    writeFileSync(rules, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    const host = join(dir, 'idle-host.json');
    writeFileSync(host, JSON.stringify({ name: 'box', interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24'] }], routes: [{ to: 'default', via: '10.0.0.254', dev: 'eth0' }], peers: [{ name: 'client', address: '10.0.0.2', via: 'eth0' }] }));
    const r = await verify(rules, ['--host', host, '--proto', 'udp', '--local', '--dst', 'client:53', '--format', 'json']);
    assert.equal(r.code, 0, r.err + r.out);
    const j = report(r);
    assert.equal(j.verdict, 'agree', j.summary);
    assert.equal(j.trace?.agree, true, j.traceComparison);
    assert.ok((j.trace?.compared ?? 0) >= 2, j.traceComparison);
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

  it('examples/docker-host: another container to the published port is taken by docker-proxy, and its own connection to the container is sent and compared too', async () => {
    const proxyDir = join(root, 'examples', 'docker-host');
    const r = await verify(join(proxyDir, 'rules.v4'), ['--host', join(proxyDir, 'nflens-host.json'), '--proto', 'tcp', '--src', 'other', '--dst', '10.10.126.101:12580', '--format', 'json']);
    assert.equal(r.code, 0, r.err + r.out);
    const j = report(r);
    assert.equal(j.verdict, 'agree', j.comparison);
    const leg = j.secondLeg!;
    assert.ok(leg, 'the report has the second leg');
    assert.equal(leg.title, 'docker-proxy → 172.17.0.4:12580');
    assert.equal(leg.agree, true);
    assert.equal(leg.kernelOutcome.ok, true, 'web answered the proxy\'s connection in the kernel');
    assert.equal(leg.emulatorOutcome.completed, true);
    assert.ok(leg.packets.length >= 3, `${leg.packets.length} packets of the second leg`);
    // The proxy's SYN leaves the host from the bridge address, through nat OUTPUT and POSTROUTING, in both.
    assert.match(j.comparison, /packet \d+: docker-proxy's leg: local 172\.17\.0\.1:\d+>172\.17\.0\.4:12580 \[SYN\]\n {6}both: {5}nat OUTPUT 172\.17\.0\.1:\d+>172\.17\.0\.4:12580/);
    assert.match(j.comparison, /docker-proxy's leg: in docker0 172\.17\.0\.4:12580>172\.17\.0\.1:\d+ \[SYN ACK\]/);
    // The first leg ended at the host (docker-proxy's listener), not at the container.
    assert.match(j.comparison, /packet 1: in docker0 172\.17\.0\.2:\d+>10\.10\.126\.101:12580 \[SYN\]\n {6}both: {5}nat PREROUTING .*\n {6}both: {5}filter INPUT /);
    assert.deepEqual(namespacesOf(r.pid), []);
  });

  it('docker-proxy\'s second leg differs honestly: a u32 DROP on OUTPUT to the container, which the emulator assumes to match, is the first difference, on the second leg', async () => {
    const proxyDir = join(root, 'examples', 'docker-host');
    const rules = readFileSync(join(proxyDir, 'rules.v4'), 'utf8').replace(/\*filter\n((?::[^\n]*\n)*)/, (m) => `${m}-A OUTPUT -d 172.17.0.4/32 -p tcp -m tcp --dport 12580 -m u32 --u32 "0>>28=6" -j DROP\n`);
    const file = join(dir, 'proxy-u32.rules');
    writeFileSync(file, rules);
    const u32Line = rules.split('\n').findIndex((l) => l.includes('-m u32')) + 1;
    const r = await verify(file, ['--host', join(proxyDir, 'nflens-host.json'), '--proto', 'tcp', '--src', 'other', '--dst', '10.10.126.101:12580', '--format', 'json']);
    assert.equal(r.code, 1, r.err + r.out);
    const j = report(r);
    const d = j.firstDifference!;
    assert.match(d.packetTitle, /^docker-proxy's leg: local 172\.17\.0\.1:\d+>172\.17\.0\.4:12580 \[SYN\]$/);
    assert.deepEqual([d.what, d.hook, d.table, d.chain], ['rule', 'OUTPUT', 'filter', 'OUTPUT']);
    assert.equal(d.emulator.rule?.line, u32Line);
    assert.equal(d.emulator.verdict, 'DROP');
    assert.equal(d.kernel.verdict, 'ACCEPT', 'the kernel evaluates the u32 match: it does not hold, the policy accepts');
    assert.equal(j.secondLeg?.agree, false);
    assert.ok(j.secondLeg!.packets.includes(d.packet), 'the difference is among the second leg\'s packets');
  });

  it('examples/overlay: a ping from net1c1 on hostA to net1c2 on hostB agrees on both hosts, VXLAN datagram by datagram', async () => {
    const before = rootState();
    const r = await verify('', ['--workspace', WS, '--proto', 'icmp', '--src', 'net1c1', '--dst', 'net1c2', '--format', 'json']);
    assert.equal(r.code, 0, r.err + r.out);
    const j = report(r);
    assert.equal(j.verdict, 'agree', j.comparison);
    assert.deepEqual(j.hosts, ['hostA', 'hostB']);
    assert.equal(j.kernelOutcome.ok, true, 'the ping is answered in the kernel');
    assert.equal(j.emulatorOutcome.completed, true);
    assert.equal(j.packets, 4, 'the request and the reply, each leaving one host and entering the other');
    assert.match(j.comparison, /packet 1: hostA: local 10\.10\.126\.101:\d+>10\.10\.105\.71:4789/);
    assert.match(j.comparison, /packet 2: hostB: in eth0 10\.10\.126\.101:\d+>10\.10\.105\.71:4789\n(.*\n)*? {6}both: {5}filter INPUT 10\.10\.126\.101:\d+>10\.10\.105\.71:4789 \| INPUT#3:ACCEPT/);
    assert.match(j.comparison, /packet 3: hostB: local 10\.10\.105\.71:\d+>10\.10\.126\.101:4789/);
    assert.match(j.comparison, /packet 4: hostA: in eth0/);
    assert.deepEqual(namespacesOf(r.pid), [], 'the overlay lab is gone');
    assert.equal(rootState(), before, 'the root namespace is as it was');
  });

  it('examples/overlay over tcp: the handshake, data and close agree, and the overlay trace\'s three packets are the kernel\'s first', async () => {
    const r = await verify('', ['--workspace', WS, '--proto', 'tcp', '--src', 'net1c1', '--dst', 'net1c2:8080', '--format', 'json']);
    assert.equal(r.code, 0, r.err + r.out);
    const j = report(r);
    assert.equal(j.kernelOutcome.ok, true, 'net1c2 echoed');
    assert.ok(j.packets >= 12, `${j.packets} crossings`);
  });

  it('an overlay host whose rules the emulator reads differently (a u32 DROP of VXLAN on hostB): the first difference is on hostB, in its rules file', async () => {
    const wsDir = join(dir, 'overlay');
    mkdirSync(wsDir, { recursive: true });
    for (const f of ['nflens-workspace.json', 'hostA.rules']) writeFileSync(join(wsDir, f), readFileSync(join(OVERLAY, f), 'utf8'));
    const bRules = readFileSync(join(OVERLAY, 'hostB.rules'), 'utf8').replace('-A INPUT -s 10.10.0.0/16 -p udp --dport 4789 -j ACCEPT\n', '-A INPUT -p udp -m udp --dport 4789 -m u32 --u32 "0>>28=6" -j DROP\n-A INPUT -s 10.10.0.0/16 -p udp --dport 4789 -j ACCEPT\n');
    writeFileSync(join(wsDir, 'hostB.rules'), bRules);
    const u32Line = bRules.split('\n').findIndex((l) => l.includes('-m u32')) + 1;
    const r = await verify('', ['--workspace', join(wsDir, 'nflens-workspace.json'), '--proto', 'icmp', '--src', 'net1c1', '--dst', 'net1c2', '--format', 'json']);
    assert.equal(r.code, 1, r.err + r.out);
    const j = report(r);
    const d = j.firstDifference!;
    assert.equal(d.packet, 2, 'the request entering hostB');
    assert.equal(d.host, 'hostB');
    assert.equal(d.rulesFile, join(wsDir, 'hostB.rules'));
    assert.deepEqual([d.what, d.hook, d.table, d.chain], ['rule', 'INPUT', 'filter', 'INPUT']);
    assert.equal(d.emulator.rule?.line, u32Line);
    assert.equal(d.emulator.verdict, 'DROP');
    assert.equal(d.kernel.rule?.line, u32Line + 1);
    assert.equal(d.kernel.verdict, 'ACCEPT');
    assert.match(j.summary, /differ at packet 2 of 4, on hostB/);
    assert.match(r.err, /running the conversation again/, 'a difference is run twice before it is reported');
    // With the assumption the kernel's evaluation agrees with, they agree.
    const again = await verify('', ['--workspace', join(wsDir, 'nflens-workspace.json'), '--proto', 'icmp', '--src', 'net1c1', '--dst', 'net1c2', '--format', 'json', '--assume', 'no-match']);
    assert.equal(again.code, 0, again.err + again.out);
  });

  it('the editor\'s way for an overlay trace: the panel\'s trace of net1c1 → net1c2, run as Verify Trace on Kernel runs it, agrees', async () => {
    const args = verifyArgs(join(OVERLAY, 'hostA.rules'), { uri: 'file:///x', proto: 'icmp', src: 'net1c1', dst: 'net1c2', origin: { peer: 'net1c1' } }, { source: 'workspace', file: WS }, true);
    assert.ok(Array.isArray(args), JSON.stringify(args));
    const run = await runVerifyCli(NFLENS, args, OVERLAY, () => undefined, () => undefined);
    const m = verifyMessage(run);
    assert.equal(m.kind, 'agree', `${m.message}\n${run.stderr}`);
  });

  it('Ctrl-C while the overlay lab runs: its namespaces are removed', async () => {
    let sent = false;
    const r = await verify('', ['--workspace', WS, '--proto', 'icmp', '--src', 'net1c1', '--dst', 'net1c2'], (err, pid) => {
      if (!sent && err.includes('loading each host')) {
        sent = true;
        assert.ok(namespacesOf(pid).length >= 6, 'the lab is up: router, two hosts, two overlay namespaces, two containers');
        process.kill(pid, 'SIGINT');
      }
    });
    assert.ok(sent, r.err);
    assert.equal(r.code, 130, r.err);
    assert.deepEqual(namespacesOf(r.pid), []);
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
