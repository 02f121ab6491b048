/**
 * Verify Trace on Kernel, the editor's side: the nflens verify command line
 * for a trace of the panel, the command a person can copy to run as root,
 * and what is said about the result.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shellCommand, verifyArgs } from '../../../client/src/verifyKernel/verifyArgs';
import { NOT_ROOT, verifyMessage } from '../../../client/src/verifyKernel/verifyMessage';
import type { TraceParams } from '../../../server/src/protocol';
import type { VerifyReport } from '../../../server/src/verify/verifyReport';

const described = { source: 'description' as const, file: '/ws/docker-no-proxy/nflens-host.json' };
const base = { uri: 'file:///ws/docker-no-proxy/rules.v4', proto: 'tcp' } as const;

describe('verifyArgs', () => {
  it('a peer: its name as --src, the destination with its port, JSON out', () => {
    const p: TraceParams = { ...base, src: 'client', dst: '10.10.126.101', dport: 12580, origin: { peer: 'client' } };
    assert.deepEqual(verifyArgs('/ws/r.v4', p, described), ['verify', '/ws/r.v4', '--host', described.file, '--proto', 'tcp', '--src', 'client', '--dst', '10.10.126.101:12580', '--format', 'json']);
  });
  it('an address arriving on an interface, with its source port', () => {
    const p: TraceParams = { ...base, src: '198.51.100.7', sport: 40000, dst: 'web', dport: 80, origin: { iface: 'eth0' } };
    assert.deepEqual(verifyArgs('/r', p, described), ['verify', '/r', '--host', described.file, '--proto', 'tcp', '--src', '198.51.100.7:40000', '--in', 'eth0', '--dst', 'web:80', '--format', 'json']);
  });
  it('this host, with and without a source; icmp has no ports', () => {
    const p: TraceParams = { ...base, proto: 'icmp', src: '', dst: 'web', dport: 80, origin: { local: true } };
    assert.deepEqual(verifyArgs('/r', p, undefined), ['verify', '/r', '--proto', 'icmp', '--local', '--dst', 'web', '--format', 'json']);
    assert.deepEqual(verifyArgs('/r', { ...p, src: 'docker-host' }, { source: 'inferred' }), ['verify', '/r', '--proto', 'icmp', '--src', 'docker-host', '--local', '--dst', 'web', '--format', 'json']);
  });
  it('an overlay trace: the workspace description and the containers, as nflens verify --workspace takes them', () => {
    const ws = { source: 'workspace' as const, file: '/ws/nflens-workspace.json' };
    const p: TraceParams = { ...base, src: 'net1c1', dst: 'net1c2', dport: 8080, origin: { peer: 'net1c1' } };
    assert.deepEqual(verifyArgs('/ws/hostA.rules', p, ws, true), ['verify', '--workspace', ws.file, '--proto', 'tcp', '--src', 'net1c1', '--dst', 'net1c2:8080', '--format', 'json']);
    assert.deepEqual(verifyArgs('/ws/hostA.rules', { ...p, proto: 'icmp' }, ws, true), ['verify', '--workspace', ws.file, '--proto', 'icmp', '--src', 'net1c1', '--dst', 'net1c2', '--format', 'json']);
    assert.match((verifyArgs('/r', p, described, true) as { error: string }).error, /no workspace description file/);
  });
  it('a one-host trace on a host of an overlay workspace is said, not run (it has no host description)', () => {
    const p: TraceParams = { ...base, src: '198.51.100.7', dst: '10.10.126.101', dport: 22, origin: { iface: 'eth0' } };
    assert.match((verifyArgs('/r', p, { source: 'workspace', file: '/ws/nflens-workspace.json' }) as { error: string }).error, /one host of an overlay workspace/);
  });
  it('the command to copy: sudo, quoted for sh, text output', () => {
    assert.equal(shellCommand('node', '/opt/ext/server/out/nflens.js', ['verify', "/it's here/r.v4", '--dst', 'web:80', '--format', 'json']), "sudo node /opt/ext/server/out/nflens.js verify '/it'\\''s here/r.v4' --dst web:80");
  });
});

const report = (over: Partial<VerifyReport>): VerifyReport => ({
  verdict: 'agree', summary: 'The kernel and the emulator agree: 10 packets, 12 chain runs compared rule by rule.', conversation: 'tcp', host: 'h', packets: 10, chainRuns: 12,
  kernelOutcome: { ok: true, detail: 'echoed' }, emulatorOutcome: { completed: true, summary: 'completes' }, notes: [], comparison: '', ...over,
});

describe('verifyMessage', () => {
  it('agreement, with details', () => {
    const m = verifyMessage({ code: 0, report: report({}), stderr: '', cancelled: false });
    assert.equal(m.kind, 'agree');
    assert.match(m.message, /agree: 10 packets/);
    assert.match(m.details ?? '', /^The kernel and the emulator agree/);
  });
  it('a difference: the rule to go to is the emulator\'s', () => {
    const firstDifference = {
      packet: 1, packetTitle: 'SYN', what: 'rule' as const, hook: 'FORWARD', table: 'filter', chain: 'FORWARD', explanation: 'in filter FORWARD, …',
      kernel: { rule: { table: 'filter', chain: 'FORWARD', index: 1, line: 23 }, verdict: 'JUMP:DOCKER' }, emulator: { rule: { table: 'filter', chain: 'FORWARD', index: 0, line: 22 }, verdict: 'DROP' },
    };
    const m = verifyMessage({ code: 1, report: report({ verdict: 'differ', summary: 'differ at packet 1', firstDifference }), stderr: '', cancelled: false });
    assert.equal(m.kind, 'differ');
    assert.equal(m.line, 22);
    assert.match(m.details ?? '', /First difference: packet 1 \(SYN\)\n {2}hook FORWARD, table filter, chain FORWARD\n {2}kernel: {3}line 23 → JUMP:DOCKER\n {2}emulator: line 22 → DROP/);
  });
  it('a difference on another host of an overlay workspace: the rule is in that host\'s rules file', () => {
    const firstDifference = {
      packet: 2, packetTitle: 'hostB: in eth0 …', host: 'hostB', rulesFile: '/ws/hostB.rules', what: 'rule' as const, hook: 'INPUT', table: 'filter', chain: 'INPUT', explanation: 'on hostB, …',
      kernel: { rule: { table: 'filter', chain: 'INPUT', index: 4, line: 17 }, verdict: 'ACCEPT' }, emulator: { rule: { table: 'filter', chain: 'INPUT', index: 3, line: 16 }, verdict: 'DROP' },
    };
    const m = verifyMessage({ code: 1, report: report({ verdict: 'differ', summary: 'differ at packet 2, on hostB', firstDifference }), stderr: '', cancelled: false });
    assert.deepEqual([m.line, m.file], [16, '/ws/hostB.rules']);
    assert.match(m.details ?? '', /\n {2}on hostB \(rules: \/ws\/hostB\.rules\)\n/);
    const own = verifyMessage({ code: 1, report: report({ verdict: 'differ', summary: 'd', firstDifference: { ...firstDifference, host: undefined, rulesFile: undefined } }), stderr: '', cancelled: false });
    assert.equal(own.file, undefined);
  });
  it('not root, a failure, a crash without JSON, a stop', () => {
    assert.equal(verifyMessage({ code: 2, report: { error: 'cannot build the lab: not root', need: 'root' }, stderr: '', cancelled: false }).message, NOT_ROOT);
    assert.equal(verifyMessage({ code: 3, report: { error: 'the lab failed: x' }, stderr: '', cancelled: false }).message, 'Verify Trace on Kernel could not run: the lab failed: x');
    const crash = verifyMessage({ code: 1, stderr: 'line one\nSomething broke\n', cancelled: false });
    assert.equal(crash.message, 'Verify Trace on Kernel failed (exit 1): Something broke');
    assert.equal(crash.details, 'line one\nSomething broke\n');
    assert.equal(verifyMessage({ code: null, stderr: '', cancelled: true }).kind, 'cancelled');
  });
});
