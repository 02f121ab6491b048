/**
 * nflens verify (one host) holds the emulator's own trace against the
 * kernel's packets, not only the kernel's packets replayed through the
 * emulator. The kernel's episodes are given as data, shaped as
 * xtables-monitor shows them (a TCP connection as the lab's agents make it:
 * handshake, data, the echo, acknowledgements, both FINs); the replay and
 * the trace are the emulator's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseArgs } from '../../../server/src/cli/args';
import { planVerify, reportOf, traceCheckOf } from '../../../server/src/cli/verify';
import { Emulator, parseHostFile } from '../../../server/src/emulator/index';
import type { ConversationSpec } from '../../../server/src/emulator/conversation';
import type { HostModel } from '../../../server/src/emulator/host/model';
import type { UnknownAssumption } from '../../../server/src/emulator/traverse';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kernelKey, tracedPackets } from '../../../server/src/verify/conversationPackets';
import { firstTraceDifference } from '../../../server/src/verify/firstDifference';
import type { KChainRun, KEpisode, KPacket, KStep } from '../../../server/src/verify/kernelTrace';
import { Replayer, type ReplayResult } from '../../../server/src/verify/replay';
import { checkTrace, checkTraceFromKernelPort } from '../../../server/src/verify/traceAgainstKernel';
import { renderTraceCheck } from '../../../server/src/verify/traceCheckText';
import { verifyText } from '../../../server/src/verify/verifyReport';

const ip = (s: string): number => s.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
const HOST_JSON = JSON.stringify({
  name: 'box',
  interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24'] }, { name: 'eth1', addresses: ['10.0.1.1/24'] }],
  routes: [{ to: 'default', via: '10.0.0.254', dev: 'eth0' }],
  sysctl: { 'net.ipv4.ip_forward': 1 },
  listeners: [{ proto: 'tcp', port: 22 }],
  peers: [{ name: 'client', address: '10.0.0.2', via: 'eth0' }],
});
const host: HostModel = parseHostFile(HOST_JSON).value!.host;

const OWNER = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp -m owner --uid-owner 1000 -j DROP\nCOMMIT\n';
const rs = (text: string) => parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;

const policy = (chain: string, verdict = 'ACCEPT'): KStep => ({ chain, kind: 'policy', verdict });
const runOf = (table: string, chain: string, packet: KPacket, steps: KStep[]): KChainRun => ({ table, chain, packet, steps });
let ipId = 100;
function tcp(start: 'pre' | 'out', src: string, sport: number, dst: string, dport: number, flags: string[], len = 52): KPacket {
  return { ...(start === 'pre' ? { iif: 'eth0' } : { oif: 'eth0' }), src, dst, len, ttl: 64, ipId: ipId++, sport, dport, flags, mark: 0 };
}
/** A packet the host sends (filter OUTPUT, policy ACCEPT) or receives (filter INPUT, policy ACCEPT). */
function ep(start: 'pre' | 'out', p: KPacket): KEpisode {
  return { id: String(p.ipId), start, packet: p, runs: [runOf('filter', start === 'out' ? 'OUTPUT' : 'INPUT', p, [policy(start === 'out' ? 'OUTPUT' : 'INPUT')])] };
}

const K = 51000;
const out = (flags: string[], len?: number): KEpisode => ep('out', tcp('out', '10.0.0.1', K, '10.0.0.2', 8080, flags, len));
const back = (flags: string[], len?: number): KEpisode => ep('pre', tcp('pre', '10.0.0.2', 8080, '10.0.0.1', K, flags, len));
/** What the kernel traced of a local client's connection to client:8080, the lab's agent echoing: ten packets, the client's FIN first. */
const connection = (): KEpisode[] => [
  out(['SYN']), back(['SYN', 'ACK']), out(['ACK']), out(['ACK', 'PSH'], 58), back(['ACK']), back(['ACK', 'PSH'], 58), out(['ACK']), out(['ACK', 'FIN']), back(['ACK', 'FIN']), out(['ACK']),
];

const SPEC: ConversationSpec = { proto: 'tcp', src: 0, dst: ip('10.0.0.2'), dport: 8080, origin: { kind: 'local' } };
const emulator = (rules: string, assume: UnknownAssumption): Emulator => new Emulator(rs(rules), host, { seed: 1, assume });
const traceFrom = (rules: string, assume: UnknownAssumption, spec = SPEC) => (sport?: number) => emulator(rules, assume).trace(sport === undefined ? spec : { ...spec, sport }).events;
const replay = (rules: string, episodes: KEpisode[], assume: UnknownAssumption = 'match'): ReplayResult => new Replayer(emulator(rules, assume), host, new Map()).run(episodes);

describe('the trace\'s packets and the kernel\'s, keyed alike', () => {
  it('the trace cut at its packets: start, addresses as they started, kind and flags, chain runs and fate', () => {
    const t = tracedPackets(traceFrom(OWNER, 'no-match')());
    assert.deepEqual(t.map((p) => [p.n, p.label, p.start, p.kind, p.flags]), [
      [1, 'SYN', 'out', 'syn', 'SYN'], [2, 'SYN-ACK', 'pre', 'syn-ack', 'ACK SYN'], [3, 'ACK', 'out', 'segment', 'ACK'], [4, 'data', 'out', 'segment', 'ACK PSH'],
      [5, 'FIN', 'out', 'fin', 'ACK FIN'], [6, 'FIN-ACK', 'pre', 'fin', 'ACK FIN'], [7, 'last ACK', 'out', 'segment', 'ACK'],
    ]);
    assert.equal(t[0]!.addr, '10.0.0.1:43210>10.0.0.2:8080', 'the source routing picked, as the packet entered OUTPUT');
    assert.equal(t[0]!.fate?.fate, 'sent');
    assert.deepEqual(t[1]!.runs.map((r) => `${r.table} ${r.hook}`), ['filter INPUT']);
  });
  it('the kernel\'s packets: TCP by flags, a ping by its length, anything else ICMP an error', () => {
    assert.deepEqual(kernelKey({ src: 'a', dst: 'b', len: 52, ttl: 64, ipId: 1, sport: 1, dport: 2, flags: ['SYN', 'ACK'], mark: 0 }), { kind: 'syn-ack', flags: 'ACK SYN' });
    assert.deepEqual(kernelKey({ src: 'a', dst: 'b', len: 52, ttl: 64, ipId: 1, sport: 1, dport: 2, flags: ['ACK', 'PSH', 'FIN'], mark: 0 }), { kind: 'fin', flags: 'ACK FIN PSH' });
    assert.equal(kernelKey({ src: 'a', dst: 'b', len: 84, ttl: 64, ipId: 1, mark: 0 }).kind, 'echo');
    assert.equal(kernelKey({ src: 'a', dst: 'b', len: 56, ttl: 64, ipId: 1, mark: 0 }).kind, 'icmp-error');
    assert.equal(kernelKey({ src: 'a', dst: 'b', len: 32, ttl: 64, ipId: 1, sport: 1, dport: 2, mark: 0 }).kind, 'udp');
  });
});

describe('the trace against the kernel', () => {
  it('-m owner on the local client\'s packets: the replay (root\'s socket) agrees, the trace (owner assumed to match) does not', () => {
    const r = replay(OWNER, connection());
    assert.ok(r.agree, 'the kernel\'s packets replayed as root\'s agree');
    const c = checkTraceFromKernelPort(traceFrom(OWNER, 'match'), false, r);
    assert.equal(c.agree, false);
    const first = c.checks.find((x) => x.status === 'differ')!;
    assert.equal(first.what, 'runs');
    assert.equal(first.trace?.n, 1);
    assert.equal(first.kernel?.index, 1);
    assert.equal(first.trace?.addr, `10.0.0.1:${K}>10.0.0.2:8080`, 'traced again from the port the kernel\'s client got');
    assert.match(c.notes[0]!, new RegExp(`client got port ${K} from its kernel; the emulator's trace is compared as traced from that port \\(nflens trace uses 43210`));
    const d = firstTraceDifference(c, rs(OWNER), OWNER)!;
    assert.equal(d.in, 'trace');
    assert.deepEqual([d.what, d.hook, d.table, d.chain, d.packet], ['rule', 'OUTPUT', 'filter', 'OUTPUT', 1]);
    assert.deepEqual(d.emulator.rule, { table: 'filter', chain: 'OUTPUT', index: 0, line: 5, text: '-A OUTPUT -p tcp -m owner --uid-owner 1000 -j DROP' });
    assert.equal(d.kernel.rule?.policy, true);
    assert.match(d.explanation, /the kernel: the policy of filter OUTPUT \(ACCEPT\); the trace: line 5 .* → DROP, since .*owner.*assumed to match/);
    assert.match(d.packetTitle, /^the trace's packet 1 \(SYN\): local 10\.0\.0\.1:51000>10\.0\.0\.2:8080 \[SYN\]$/);
    // The kernel's answer the trace never gets to is listed too, after the first difference.
    assert.ok(c.checks.some((x) => x.what === 'extra' && x.kernel?.index === 2), renderTraceCheck(c));
  });

  it('with --assume no-match the trace agrees: the TCP stacks\' own segments are left out and said so', () => {
    const c = checkTraceFromKernelPort(traceFrom(OWNER, 'no-match'), false, replay(OWNER, connection(), 'no-match'));
    assert.ok(c.agree, renderTraceCheck(c));
    const paired = c.checks.filter((x) => x.status === 'agree').map((x) => [x.trace!.n, x.kernel!.index]);
    assert.deepEqual(paired, [[1, 1], [2, 2], [3, 3], [4, 4], [5, 8], [6, 9], [7, 10]], 'each trace packet with the kernel\'s of the same place, kind and flags, in order');
    assert.deepEqual(c.checks.filter((x) => x.status === 'skipped').map((x) => x.kernel?.index), [5, 6, 7]);
    assert.ok(c.notes.some((n) => /The kernel traced 3 TCP segments the trace has no place for/.test(n)), c.notes.join('\n'));
  });

  it('the server closing first, its FIN carrying the echo: still paired by kind, and agreeing', () => {
    const episodes = [out(['SYN']), back(['SYN', 'ACK']), out(['ACK']), out(['ACK', 'PSH'], 58), back(['ACK', 'PSH', 'FIN'], 58), out(['ACK']), out(['ACK', 'FIN']), back(['ACK'])];
    const c = checkTraceFromKernelPort(traceFrom(OWNER, 'no-match'), false, replay(OWNER, episodes, 'no-match'));
    assert.ok(c.agree, renderTraceCheck(c));
    assert.deepEqual(c.checks.filter((x) => x.trace?.label === 'FIN-ACK').map((x) => [x.status, x.kernel?.index]), [['agree', 5]]);
  });

  it('a retransmitted SYN is not a difference', () => {
    const episodes = connection();
    episodes.splice(1, 0, ep('out', { ...episodes[0]!.packet, ipId: 999 }));
    const c = checkTraceFromKernelPort(traceFrom(OWNER, 'no-match'), false, replay(OWNER, episodes, 'no-match'));
    assert.ok(c.agree, renderTraceCheck(c));
    assert.ok(c.notes.some((n) => /1 kernel packet repeats one the trace has/.test(n)), c.notes.join('\n'));
  });

  it('a packet of the trace the kernel never traced is a difference, said plainly; from an address nobody in the lab has, it is left out', () => {
    const c = checkTraceFromKernelPort(traceFrom(OWNER, 'no-match'), false, replay(OWNER, [out(['SYN'])], 'no-match'));
    assert.equal(c.agree, false);
    const d = firstTraceDifference(c, rs(OWNER), OWNER)!;
    assert.equal(d.what, 'missing');
    assert.equal(d.packet, 2);
    assert.match(d.explanation, /^the emulator's trace has its packet 2 \(SYN-ACK, arriving 10\.0\.0\.2:8080>10\.0\.0\.1:51000 \[ACK SYN\]\), but the kernel traced no such packet; the kernel's conversation ends with its packet 1 \(local 10\.0\.0\.1:51000>10\.0\.0\.2:8080 \[SYN\]\)$/);
    const quiet = checkTraceFromKernelPort(traceFrom(OWNER, 'no-match'), false, replay(OWNER, [out(['SYN'])], 'no-match'), { silent: '10.0.0.2' });
    assert.ok(quiet.checks.filter((x) => x.trace && x.trace.n > 1).every((x) => x.status === 'skipped'), renderTraceCheck(quiet));
    assert.match(quiet.checks[2]!.why ?? '', /it follows 10\.0\.0\.2's answer, which nothing in the lab gives/);
    assert.ok(quiet.agree, renderTraceCheck(quiet));
    assert.match(quiet.checks[1]!.why ?? '', /the trace assumes 10\.0\.0\.2 answers; nothing in the lab has that address/);
  });

  it('the host\'s own answer the kernel never sent: the difference says what in the trace made it answer', () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 81 -j REJECT --reject-with tcp-reset\nCOMMIT\n';
    const syn = tcp('pre', '10.0.0.2', 40000, '10.0.0.1', 81, ['SYN']);
    // As if the kernel had let the SYN through to nothing and stayed silent: INPUT took it by the policy.
    const r = replay(rules, [ep('pre', syn)]);
    assert.equal(r.agree, false, 'the replay rejects it and makes a reset the kernel never sent');
    const client = host.peers.find((p) => p.name === 'client')!;
    const spec: ConversationSpec = { proto: 'tcp', src: client.addr, sport: 40000, dst: ip('10.0.0.1'), dport: 81, origin: { kind: 'peer', peer: client } };
    const c = checkTraceFromKernelPort(traceFrom(rules, 'match', spec), true, r);
    const missing = c.checks.find((x) => x.what === 'missing')!;
    assert.equal(missing.trace?.label, 'the REJECT reply (tcp-reset)');
    assert.match(missing.why ?? '', /^the emulator's trace has its packet 2 \(the REJECT reply \(tcp-reset\), local 10\.0\.0\.1:81>10\.0\.0\.2:40000 \[ACK RST\]\) \(the trace sends it because its packet 1 is rejected by line 5 \(tcp-reset\)\), but the kernel traced no such packet; the kernel's conversation ends with its packet 1 /);
  });

  it('a kernel answer the trace does not have is a difference: an ICMP error after a UDP exchange', () => {
    // A conntrack match that holds for neither packet: tracked, the response goes to the client's socket.
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n';
    const u = (start: 'pre' | 'out', src: string, sport: number | undefined, dst: string, dport: number | undefined, len: number): KEpisode =>
      ep(start, { ...(start === 'pre' ? { iif: 'eth0' } : { oif: 'eth0' }), src, dst, len, ttl: 64, ipId: ipId++, ...(sport !== undefined ? { sport, dport: dport! } : {}), mark: 0 });
    const episodes = [u('out', '10.0.0.1', 40000, '10.0.0.2', 53, 32), u('pre', '10.0.0.2', 53, '10.0.0.1', 40000, 35), u('pre', '10.0.0.2', undefined, '10.0.0.1', undefined, 60)];
    const spec: ConversationSpec = { proto: 'udp', src: 0, dst: ip('10.0.0.2'), dport: 53, origin: { kind: 'local' } };
    const c = checkTraceFromKernelPort(traceFrom(rules, 'match', spec), false, replay(rules, episodes));
    const d = firstTraceDifference(c, rs(rules), rules)!;
    assert.equal(d.what, 'extra');
    assert.match(d.packetTitle, /^the kernel's packet 3: in eth0 10\.0\.0\.2>10\.0\.0\.1/);
    assert.match(d.explanation, /^the kernel traced its packet 3 \(.*\), which the emulator's trace does not have: the trace's conversation ends with its packet 2 \(response, .*\): delivered/);
  });

  it('the trace has its last packet go no further where the kernel\'s went on: a difference in the fate', () => {
    // ip_forward off in the description: the trace stops the datagram after PREROUTING; the kernel (as given) forwarded it and got an answer.
    const off: HostModel = parseHostFile(HOST_JSON.replace('"net.ipv4.ip_forward":1', '"net.ipv4.ip_forward":0')).value!.host;
    const rules = '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
    const raw = (p: KPacket): KEpisode => ({ id: String(p.ipId), start: 'pre', packet: p, runs: [runOf('raw', 'PREROUTING', p, [policy('PREROUTING')])] });
    const there: KPacket = { iif: 'eth0', src: '10.0.0.2', dst: '10.0.1.5', len: 32, ttl: 64, ipId: ipId++, sport: 40000, dport: 53, mark: 0 };
    const answer: KPacket = { iif: 'eth1', src: '10.0.1.5', dst: '10.0.0.2', len: 35, ttl: 64, ipId: ipId++, sport: 53, dport: 40000, mark: 0 };
    const emu = (): Emulator => new Emulator(rs(rules), off, { seed: 1 });
    const r = new Replayer(emu(), off, new Map()).run([raw(there), raw(answer)]);
    assert.ok(r.agree, 'replayed, each packet passes raw PREROUTING alike');
    const client = off.peers.find((p) => p.name === 'client')!;
    const spec: ConversationSpec = { proto: 'udp', src: client.addr, sport: 40000, dst: ip('10.0.1.5'), dport: 53, origin: { kind: 'peer', peer: client } };
    const c = checkTrace(emu().trace(spec).events, r);
    const d = firstTraceDifference(c, rs(rules), rules)!;
    assert.equal(d.what, 'fate');
    assert.match(d.explanation, /^the emulator's trace has its packet 1 \(request, arriving 10\.0\.0\.2:40000>10\.0\.1\.5:53\) go no further \(.*forward.*\), but in the kernel it did: the kernel traced its packet 2 \(in eth1 10\.0\.1\.5:53>10\.0\.0\.2:40000\) after it$/);
  });

  it('flags the kernel\'s stack shaped otherwise, where the chains differ, are not compared', () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --tcp-flags PSH PSH -j ACCEPT\nCOMMIT\n';
    const episodes = [out(['SYN']), back(['SYN', 'ACK']), out(['ACK']), out(['ACK', 'PSH'], 58), back(['ACK', 'PSH', 'FIN'], 58), out(['ACK']), out(['ACK', 'FIN']), back(['ACK'])];
    // The kernel's INPUT took the PSH|FIN segment by rule 0; the trace's FIN-ACK has no PSH: the policy.
    episodes[4] = { ...episodes[4]!, runs: [runOf('filter', 'INPUT', episodes[4]!.packet, [{ chain: 'INPUT', kind: 'rule', handle: 7, verdict: 'ACCEPT' }])] };
    const r = new Replayer(emulator(rules, 'match'), host, new Map([['filter/INPUT/7', 0]])).run(episodes);
    assert.ok(r.agree, 'replayed, the kernel\'s own segment takes the same rule');
    const c = checkTraceFromKernelPort(traceFrom(rules, 'match'), false, r);
    assert.ok(c.agree, renderTraceCheck(c));
    const fin = c.checks.find((x) => x.trace?.label === 'FIN-ACK')!;
    assert.equal(fin.status, 'skipped');
    assert.match(fin.why ?? '', /sent this segment as \[ACK FIN PSH\] where the trace has \[ACK FIN\], and the chains differ: not compared/);
  });
});

describe('docker-proxy\'s leg in the trace\'s own check', () => {
  const PROXY_JSON = JSON.stringify({
    name: 'proxied',
    interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24'] }, { name: 'docker0', kind: 'bridge', addresses: ['172.17.0.1/16'] }, { name: 'veth-web', kind: 'veth', master: 'docker0' }],
    sysctl: { 'net.ipv4.ip_forward': 1 },
    docker: { userlandProxy: true, published: [{ proto: 'tcp', hostPort: 8080, container: 'web', containerPort: 80 }] },
    peers: [{ name: 'client', address: '10.0.0.2', via: 'eth0' }, { name: 'web', address: '172.17.0.4', via: 'docker0', port: 'veth-web', kind: 'container', listens: [{ proto: 'tcp', port: 80 }] }],
  });
  const proxied: HostModel = parseHostFile(PROXY_JSON).value!.host;
  const rules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
  const client = proxied.peers.find((p) => p.name === 'client')!;
  const spec: ConversationSpec = { proto: 'tcp', src: client.addr, dst: ip('10.0.0.1'), dport: 8080, origin: { kind: 'peer', peer: client } };
  const emu = (): Emulator => new Emulator(rs(rules), proxied, { seed: 1 });
  /** One connection as the kernel traced it: from `a` (arriving on `ain`, or local) to `b`, the server answering. */
  function connectionOf(a: [string, number], b: [string, number], ain: string | undefined, bin: string | undefined): KEpisode[] {
    const pk = (start: 'pre' | 'out', iif: string | undefined, s: [string, number], d: [string, number], flags: string[], len = 52): KEpisode => {
      const p: KPacket = { ...(iif ? { iif } : {}), src: s[0], dst: d[0], len, ttl: 64, ipId: ipId++, sport: s[1], dport: d[1], flags, mark: 0 };
      return { id: String(p.ipId), start, packet: p, runs: [runOf('filter', start === 'out' ? 'OUTPUT' : 'INPUT', p, [policy(start === 'out' ? 'OUTPUT' : 'INPUT')])] };
    };
    const there = (flags: string[], len?: number): KEpisode => pk(ain ? 'pre' : 'out', ain, a, b, flags, len);
    const back = (flags: string[], len?: number): KEpisode => pk(bin ? 'pre' : 'out', bin, b, a, flags, len);
    return [there(['SYN']), back(['SYN', 'ACK']), there(['ACK']), there(['ACK', 'PSH'], 58), back(['ACK']), back(['ACK', 'PSH'], 58), there(['ACK']), there(['ACK', 'FIN']), back(['ACK', 'FIN']), there(['ACK'])];
  }
  const episodes = [...connectionOf(['10.0.0.2', 51000], ['10.0.0.1', 8080], 'eth0', undefined), ...connectionOf(['172.17.0.1', 42000], ['172.17.0.4', 80], undefined, 'docker0')];
  const isLeg = (k: KPacket): boolean => k.src === '172.17.0.4' || k.dst === '172.17.0.4';

  it('the leg\'s packets against the trace\'s linked conversation, the lab\'s port in the place of the trace\'s', () => {
    const r = new Replayer(emu(), proxied, new Map()).run(episodes);
    assert.ok(r.agree, 'replayed, both connections agree');
    const c = checkTraceFromKernelPort((sport) => emu().trace(sport === undefined ? spec : { ...spec, sport }).events, false, r, { isLeg });
    assert.ok(c.agree, renderTraceCheck(c));
    const leg = c.checks.filter((x) => x.trace && x.trace.conversation > 1 && x.status === 'agree');
    assert.equal(leg.length, 7, renderTraceCheck(c));
    assert.equal(leg[0]!.trace!.addr, '172.17.0.1:42000>172.17.0.4:80');
    assert.ok(c.notes.some((n) => /^docker-proxy's leg: the lab's stand-in for docker-proxy got port 42000 from its kernel where the trace's proxy has 43210/.test(n)), c.notes.join('\n'));
    assert.ok(c.notes.some((n) => /^docker-proxy's leg: The kernel traced 3 TCP segments/.test(n)), c.notes.join('\n'));
  });

  it('a leg the lab did not send is left out, and said so', () => {
    const first = episodes.slice(0, 10);
    const c = checkTrace(emu().trace({ ...spec, sport: 51000 }).events, new Replayer(emu(), proxied, new Map()).run(first));
    assert.ok(c.agree, renderTraceCheck(c));
    assert.ok(c.notes.includes('The trace\'s linked conversation (docker-proxy\'s own connection) was not sent in the lab, so it is not compared.'));
    assert.equal(c.checks.filter((x) => x.trace && x.trace.conversation > 1 && x.status === 'skipped').length, 7);
  });
});

describe('nflens verify\'s report with the trace\'s own check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nflens-trace-check-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const files = (rules: string): { rules: string; host: string } => {
    const r = join(dir, 'rules.v4');
    const h = join(dir, 'nflens-host.json');
    writeFileSync(r, rules);
    writeFileSync(h, HOST_JSON);
    return { rules: r, host: h };
  };
  const planOf = (rules: string) => {
    const f = files(rules);
    const a = parseArgs(['verify', f.rules, '--host', f.host, '--proto', 'tcp', '--local', '--dst', 'client:8080']);
    return planVerify({ rules: a.files[0]!, flags: a.flags }, () => undefined);
  };
  const kernelRun = (rules: string, assume: UnknownAssumption) => {
    const plan = planOf(rules);
    const result = replay(rules, connection(), assume);
    return { plan, k: { result: { result, episodes: [], outcomes: [{ ok: true, detail: 'echoed' }], report: '', kernelText: '', handles: new Map(), trace: traceCheckOf(plan, assume, 1)(result) } } };
  };

  it('the replay agrees but the trace differs: the verdict is "differ", the difference is marked as the trace\'s own', () => {
    const { plan, k } = kernelRun(OWNER, 'match');
    const r = reportOf(plan, k, 'match', 1);
    assert.equal(r.verdict, 'differ');
    assert.equal(r.firstDifference?.in, 'trace');
    assert.match(r.summary, /^The emulator's own trace differs from the kernel at the trace's packet 1 \(SYN\): .* Replayed through the emulator, the kernel's own 10 packets agree\.$/);
    assert.deepEqual(r.trace, { agree: false, packets: 1, compared: 1, skipped: 8 }, 'the kernel\'s own segments after the SYN-ACK the trace never gets to are left out');
    const text = verifyText(r);
    assert.match(text, /\nTrace: {4}the emulator's own trace differs \(1 of its 1 packet held against the kernel's, 8 left out\)\n/);
    assert.match(text, /\nFirst difference \(the trace itself differs\): the trace's packet 1 \(SYN\): local 10\.0\.0\.1:51000>10\.0\.0\.2:8080 \[SYN\]\n {2}hook OUTPUT, table filter, chain OUTPUT\n {2}kernel: {3}the policy of filter OUTPUT \(ACCEPT\)\n {2}trace: {4}line 5 /);
    assert.match(text, /\nThe emulator's own trace \(as nflens trace shows it\) against the kernel's packets \(≠ marks a difference, ~ what is left out\):\n≠ trace packet 1/);
    assert.ok(!/≠/.test(r.comparison), 'the replay\'s comparison agrees throughout');
    assert.match(r.traceComparison ?? '', /≠ trace packet 1 \(SYN\) = kernel packet 1: local 10\.0\.0\.1:51000>10\.0\.0\.2:8080 \[SYN\]\n {4}≠ kernel: {3}filter OUTPUT 10\.0\.0\.1:51000>10\.0\.0\.2:8080 \| policy:ACCEPT\n {6}trace: {4}filter OUTPUT 10\.0\.0\.1:51000>10\.0\.0\.2:8080 \| OUTPUT#0:DROP/);
    assert.ok(!r.notes.some((n) => /at the ends/.test(n)), 'no longer told as a difference at the ends');
  });

  it('both agree: the summary says the trace was held against the kernel too', () => {
    const { plan, k } = kernelRun(OWNER, 'no-match');
    const r = reportOf(plan, k, 'no-match', 1);
    assert.equal(r.verdict, 'agree', r.comparison);
    assert.match(r.summary, /^The kernel and the emulator agree: 10 packets, 10 chain runs compared rule by rule; the emulator's own trace agrees with them packet by packet\.$/);
    assert.deepEqual(r.trace, { agree: true, packets: 7, compared: 7, skipped: 3 });
  });

  it('the replay differs: its difference comes first, marked, and the trace\'s is a note', () => {
    const plan = planOf(OWNER);
    // The kernel dropped the SYN by rule 0 (as if the uid were 1000): the replay, as root, does not.
    const episodes = [out(['SYN'])];
    episodes[0] = { ...episodes[0]!, runs: [runOf('filter', 'OUTPUT', episodes[0]!.packet, [{ chain: 'OUTPUT', kind: 'rule', handle: 3, verdict: 'DROP' }])] };
    const result = new Replayer(emulator(OWNER, 'no-match'), host, new Map([['filter/OUTPUT/3', 0]])).run(episodes);
    const trace = traceCheckOf(plan, 'no-match', 1)(result);
    const r = reportOf(plan, { result: { result, episodes: [], outcomes: [{ ok: false, detail: 'timeout' }], report: '', kernelText: '', handles: new Map(), trace } }, 'no-match', 1);
    assert.equal(r.firstDifference?.in, 'replay');
    assert.match(verifyText(r), /\nFirst difference \(replay differs\): packet 1 \(local /);
    assert.ok(r.notes.some((n) => /^The emulator's own trace differs from the kernel too, at the trace's packet 1 \(SYN\)/.test(n)), r.notes.join('\n'));
  });
});
