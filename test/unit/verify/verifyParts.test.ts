/**
 * The kernel lab's pure parts: the conversation the lab sends and the
 * stand-ins it adds, the first difference between two traces, the report's
 * words, stale namespaces of killed runs, and where the agent is found.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseHostFile } from '../../../server/src/emulator/index';
import type { HostModel } from '../../../server/src/emulator/host/model';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { agentPath } from '../../../server/src/verify/agentPath';
import { firstDifference } from '../../../server/src/verify/firstDifference';
import { DESTINATION_STAND_IN, labCannotBuild, labConversation } from '../../../server/src/verify/labConversation';
import { checkMachine, verifyTools } from '../../../server/src/verify/preconditions';
import type { ChainRun, EpisodeComparison } from '../../../server/src/verify/replay';
import { runText } from '../../../server/src/verify/replay';
import { labPrefix, staleNamespaces } from '../../../server/src/verify/staleLabs';
import { outcomeWords, verifyText, type VerifyReport } from '../../../server/src/verify/verifyReport';

const root = join(__dirname, '..', '..', '..', '..');
const DIR = join(root, 'examples', 'docker-no-proxy');
const host: HostModel = parseHostFile(readFileSync(join(DIR, 'nflens-host.json'), 'utf8')).value!.host;
const ip = (s: string): number => s.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);

describe('labConversation', () => {
  it('a container sends from its own namespace', () => {
    const web = host.peers.find((p) => p.name === 'web')!;
    const r = labConversation(host, { proto: 'udp', src: web.addr, dst: ip('10.10.126.187'), dport: 53, origin: { kind: 'peer', peer: web } });
    assert.ok(!('error' in r));
    assert.deepEqual(r.step, { from: 'web', op: 'udp', dst: '10.10.126.187', src: '172.17.0.4', dport: 53 });
    // The client is described without listeners: the emulator has it answer anything, so its agent listens on the port.
    assert.deepEqual(r.labHost.peers.find((p) => p.name === 'client')!.listens, [{ proto: 'udp', addr: 0, port: 53 }]);
    assert.equal(host.peers.find((p) => p.name === 'client')!.listens, undefined, 'the user\'s host is left alone');
  });
  it('a remote destination behind the gateway gets a stand-in behind eth0', () => {
    const r = labConversation(host, { proto: 'tcp', src: 0, dst: ip('8.8.8.8'), origin: { kind: 'local' } });
    assert.ok(!('error' in r));
    const stand = r.labHost.peers.find((p) => p.name === DESTINATION_STAND_IN)!;
    assert.equal(stand.via, 'eth0');
    assert.deepEqual(stand.listens, [{ proto: 'tcp', addr: 0, port: 80 }], 'the emulator\'s default port');
    assert.deepEqual(r.step, { from: 'host', op: 'tcp', dst: '8.8.8.8', dport: 80 });
  });
  it('a container without a bridge port has no namespace', () => {
    const lone = { name: 'lone', addr: ip('172.17.0.9'), via: 'docker0', kind: 'container' as const };
    const r = labConversation({ ...host, peers: [...host.peers, lone] }, { proto: 'icmp', src: lone.addr, dst: ip('10.10.126.187'), origin: { kind: 'peer', peer: lone } });
    assert.deepEqual(r, { error: 'lone has no bridge port in the description ("port"), so the lab has no namespace for it' });
  });
  it('a bridge port without its container cannot be built', () => {
    assert.match(labCannotBuild({ ...host, peers: host.peers.filter((p) => p.name !== 'web') }) ?? '', /bridge port veth-web has no container peer/);
    assert.equal(labCannotBuild(host), undefined);
  });
});

const run = (table: string, hook: string, packet: string, steps: ChainRun['steps']): ChainRun => ({ table, hook, packet, steps });
function episode(title: string, kernel: ChainRun[], emulator: ChainRun[], note?: string): EpisodeComparison {
  const k = kernel.map(runText);
  const e = emulator.map(runText);
  return { title, kernel: k, emulator: e, runs: { kernel, emulator }, agree: !note && k.join() === e.join(), ...(note ? { note } : {}) };
}

describe('firstDifference', () => {
  const rules = '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -p tcp -m u32 --u32 "0>>28=6" -j DROP\n-A FORWARD -j ACCEPT\nCOMMIT\n';
  const rs = parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset;
  const pre = run('nat', 'PREROUTING', 'a>b', [{ chain: 'PREROUTING', policy: true, verdict: 'ACCEPT' }]);
  it('agreement: none', () => {
    assert.equal(firstDifference({ agree: true, episodes: [episode('p', [pre], [pre])] }, rs, rules), undefined);
  });
  it('the first rule that differs, with its line and text, and the emulator\'s assumption', () => {
    const k = run('filter', 'FORWARD', 'a>c', [{ chain: 'FORWARD', index: 1, verdict: 'ACCEPT' }]);
    const e = run('filter', 'FORWARD', 'a>c', [{ chain: 'FORWARD', index: 0, verdict: 'DROP', assumed: ['u32: assumed to match'] }]);
    const d = firstDifference({ agree: false, episodes: [episode('one', [pre], [pre]), episode('two', [pre, k], [pre, e])] }, rs, rules)!;
    assert.equal(d.packet, 2);
    assert.equal(d.what, 'rule');
    assert.deepEqual([d.hook, d.table, d.chain], ['FORWARD', 'filter', 'FORWARD']);
    assert.deepEqual(d.kernel.rule, { table: 'filter', chain: 'FORWARD', index: 1, line: 4, text: '-A FORWARD -j ACCEPT' });
    assert.equal(d.emulator.rule?.line, 3);
    assert.match(d.explanation, /^in filter FORWARD, the kernel: line 4 \(-A FORWARD -j ACCEPT\) → ACCEPT; the emulator: line 3 \(.*\) → DROP, since u32: assumed to match/);
  });
  it('a chain one side never runs, and a packet rewritten differently', () => {
    const k = run('filter', 'INPUT', 'a>b', []);
    const chains = firstDifference({ agree: false, episodes: [episode('x', [pre, k], [pre])] }, rs, rules)!;
    assert.equal(chains.what, 'chains');
    assert.match(chains.explanation, /after the same 1 chain run, the kernel's packet goes to filter INPUT and the emulator's to no further chain/);
    const packet = firstDifference({ agree: false, episodes: [episode('x', [run('nat', 'POSTROUTING', 'a>b', [])], [run('nat', 'POSTROUTING', 'a>c', [])])] }, rs, rules)!;
    assert.equal(packet.what, 'packet');
    assert.match(packet.explanation, /the packet is a>b in the kernel but a>c in the emulator/);
  });
});

describe('report words', () => {
  it('outcomes and the text report', () => {
    assert.equal(outcomeWords({ ok: true, detail: 'answered' }), 'answered');
    assert.equal(outcomeWords({ ok: false, detail: 'ECONNREFUSED' }), 'not answered (ECONNREFUSED)');
    const r: VerifyReport = {
      verdict: 'agree', summary: 'The kernel and the emulator agree: 2 packets, 4 chain runs compared rule by rule.', conversation: 'icmp a → b', host: 'h', packets: 2, chainRuns: 4,
      kernelOutcome: { ok: true, detail: 'answered' }, emulatorOutcome: { completed: true, summary: 'done' }, notes: ['lab note'], comparison: '  packet 1: …',
    };
    const text = verifyText(r);
    assert.match(text, /^The kernel and the emulator agree/);
    assert.match(text, /Note: lab note/);
    assert.match(text, /packet by packet/);
  });
});

describe('machine checks and leftovers', () => {
  it('the tools verify needs', () => {
    assert.deepEqual(verifyTools('tcp'), ['ip', 'iptables-nft-restore', 'xtables-monitor', 'nft']);
    assert.ok(verifyTools('icmp').includes('ping'));
    assert.deepEqual(checkMachine({ platform: 'linux', uid: 0, onPath: () => true, probeNamespace: () => undefined }, ['ip']), { ok: true });
  });
  it('stale namespaces: ours, of processes that are gone, and nothing else', () => {
    const listing = `${labPrefix(424242)}h (id: 3)\n${labPrefix(424242)}o0\n${labPrefix(4242)}c1\n${labPrefix(process.pid)}h\nnflvx1h\nnfr12h\nmy-netns\n`;
    assert.deepEqual(staleNamespaces(listing, (pid) => pid === 4242), [`${labPrefix(424242)}h`, `${labPrefix(424242)}o0`]);
  });
  it('stale namespaces of an overlay lab: its router, hosts, overlay networks and containers', () => {
    const p = labPrefix(424242);
    const listing = [`${p}r`, `${p}h0`, `${p}h1`, `${p}o0n0`, `${p}o1n0`, `${p}c0`, `${p}x0`, `${p}o0n`].join('\n');
    assert.deepEqual(staleNamespaces(listing, () => false), [`${p}r`, `${p}h0`, `${p}h1`, `${p}o0n0`, `${p}o1n0`, `${p}c0`]);
  });
  it('the agent: NFLENS_AGENT, else beside the bundle, else its source', () => {
    assert.equal(agentPath({ NFLENS_AGENT: '/x/agent.mjs' }), '/x/agent.mjs');
    assert.equal(agentPath({}, __dirname), join(root, 'server', 'src', 'verify', 'agent.mjs'));
    assert.equal(agentPath({}, join(root, 'server', 'src', 'verify')), join(root, 'server', 'src', 'verify', 'agent.mjs'));
  });
});
