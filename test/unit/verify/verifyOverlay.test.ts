/**
 * nflens verify's pure parts for overlay workspaces and docker-proxy's
 * second leg: the order of the hosts' crossings, the kernel's datagrams
 * replayed through each host's emulator and held against the overlay trace,
 * the first difference named by host and rules file, the report's words,
 * and which packets are the second leg's. The kernel's traces are given as
 * data, shaped as xtables-monitor shows them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseWorkspace } from '../../../server/src/emulator/overlay/workspace';
import { OverlayWorld } from '../../../server/src/emulator/overlay/world';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { firstOverlayDifference, type HostRules } from '../../../server/src/verify/firstDifference';
import type { KChainRun, KEpisode, KPacket, KStep } from '../../../server/src/verify/kernelTrace';
import { emulatorCrossings } from '../../../server/src/verify/overlayCompare';
import { conversationOrder, type Crossing } from '../../../server/src/verify/overlayOrder';
import { replayOverlay } from '../../../server/src/verify/overlayReplay';
import { isLegPacket, markLeg } from '../../../server/src/verify/proxyLeg';
import type { EpisodeComparison } from '../../../server/src/verify/replay';
import { verifyText, type VerifyReport } from '../../../server/src/verify/verifyReport';

const root = join(__dirname, '..', '..', '..', '..');
const DIR = join(root, 'examples', 'overlay');
const ws = parseWorkspace(readFileSync(join(DIR, 'nflens-workspace.json'), 'utf8')).value;
const A = '10.10.126.101';
const B = '10.10.105.71';

const pkt = (src: string, dst: string, ipId: number, over: Partial<KPacket> = {}): KPacket => ({ src, dst, len: 134, ttl: 64, ipId, sport: 40001, dport: 4789, mark: 0, ...over });
const policy = (chain: string): KStep => ({ chain, kind: 'policy', verdict: 'ACCEPT' });
const rule = (chain: string, handle: number, verdict: string): KStep => ({ chain, kind: 'rule', handle, verdict });
const runOf = (table: string, chain: string, packet: KPacket, steps: KStep[]): KChainRun => ({ table, chain, packet, steps });

/** A VXLAN datagram leaving a host (OUTPUT, POSTROUTING) with the example rules: only policies there. */
function sent(p: KPacket): KEpisode {
  return { id: 'x', start: 'out', packet: p, runs: [runOf('nat', 'OUTPUT', p, [policy('OUTPUT')]), runOf('filter', 'OUTPUT', p, [policy('OUTPUT')]), runOf('nat', 'POSTROUTING', p, [policy('POSTROUTING')])] };
}

/** The same datagram entering the other host on eth0: PREROUTING jumps to DOCKER, INPUT takes it with `input` (handle 40 unless said). */
function received(p: KPacket, input: KStep = rule('INPUT', 40, 'ACCEPT')): KEpisode {
  const q = { ...p, iif: 'eth0' };
  return {
    id: 'y', start: 'pre', packet: q,
    runs: [runOf('nat', 'PREROUTING', q, [rule('PREROUTING', 10, 'JUMP:DOCKER'), policy('PREROUTING')]), runOf('filter', 'INPUT', q, [input]), runOf('nat', 'INPUT', q, [policy('INPUT')])],
  };
}

/** Handle → position as `nft -a list ruleset` would give them for the example rules (plus one rule inserted first in INPUT). */
const handles = (inserted: boolean): Map<string, number> => new Map([['nat/PREROUTING/10', 0], ['filter/INPUT/40', inserted ? 4 : 3], ...(inserted ? [['filter/INPUT/99', 3] as [string, number]] : [])]);

function rulesOf(text: (host: string) => string): Map<string, HostRules> {
  return new Map(ws.hosts.map((h) => {
    const t = text(h.name);
    return [h.name, { ruleset: parseIptables(t, { backend: 'nft', family: 'ipv4' }).ruleset, text: t, file: `/ws/${h.name}.rules` }];
  }));
}
const exampleRules = (h: string): string => readFileSync(join(DIR, `${h}.rules`), 'utf8');
const traceOf = (rules: Map<string, HostRules>, dst = 'net1c2') => new OverlayWorld(ws, new Map([...rules].map(([h, r]) => [h, r.ruleset]))).trace({ proto: 'icmp', src: 'net1c1', dst });

/** The kernel's four crossings of a ping from net1c1 (hostA) to net1c2 (hostB). */
const pingEpisodes = (bInput?: KStep): Map<string, KEpisode[]> => new Map([
  ['hostA', [sent(pkt(A, B, 1)), received(pkt(B, A, 2, { sport: 40002 }))]],
  ['hostB', [received(pkt(A, B, 1), bInput), sent(pkt(B, A, 2, { sport: 40002 }))]],
]);

describe('conversationOrder', () => {
  const c = (host: string, start: 'pre' | 'out', ipId: number, src = A, dst = B): Crossing<string> => ({ host, kernel: { start, packet: pkt(src, dst, ipId) }, item: `${host} ${start} ${ipId}` });
  it('a datagram\'s arrival follows its sending, then the other host answers', () => {
    const per = new Map([['hostA', [c('hostA', 'out', 1), c('hostA', 'pre', 2, B, A)]], ['hostB', [c('hostB', 'pre', 1), c('hostB', 'out', 2, B, A)]]]);
    assert.deepEqual(conversationOrder(['hostA', 'hostB'], per).map((x) => x.item), ['hostA out 1', 'hostB pre 1', 'hostB out 2', 'hostA pre 2']);
  });
  it('the receiver is found by IP id and length even when NAT changed the addresses; an emulator-only crossing keeps its place', () => {
    const only: Crossing<string> = { host: 'hostB', item: 'hostB emulator only' };
    const per = new Map([['hostA', [c('hostA', 'out', 7, A, B)]], ['hostB', [c('hostB', 'pre', 7, '192.0.2.1', B), only]]]);
    assert.deepEqual(conversationOrder(['hostB', 'hostA'], per).map((x) => x.item), ['hostA out 7', 'hostB pre 7', 'hostB emulator only']);
  });
});

describe('replayOverlay and the overlay trace', () => {
  it('the example workspace: a ping\'s four crossings agree, in the conversation\'s order, the trace\'s crossings as well', () => {
    const rules = rulesOf(exampleRules);
    const trace = traceOf(rules);
    assert.equal(emulatorCrossings(trace.events).length, 4);
    assert.deepEqual(emulatorCrossings(trace.events).map((x) => x.host), ['hostA', 'hostB', 'hostB', 'hostA']);
    const r = replayOverlay(ws, rules, pingEpisodes(), new Map([['hostA', handles(false)], ['hostB', handles(false)]]), trace.events, 1, 'match');
    assert.ok(r.agree, r.report);
    assert.deepEqual(r.episodes.map((e) => e.host), ['hostA', 'hostB', 'hostB', 'hostA']);
    assert.match(r.report, /packet 2: hostB: in eth0 10\.10\.126\.101:40001>10\.10\.105\.71:4789\n {6}both: {5}nat PREROUTING .*\n {6}both: {5}filter INPUT 10\.10\.126\.101:40001>10\.10\.105\.71:4789 \| INPUT#3:ACCEPT/);
    assert.equal(firstOverlayDifference(r.episodes, rules), undefined);
  });

  it('a u32 rule the emulator assumes to match on hostB: the first difference is on hostB, with hostB\'s rules file and lines', () => {
    const u32 = '-A INPUT -p udp -m udp --dport 4789 -m u32 --u32 "0>>28=6" -j DROP\n';
    const bRules = exampleRules('hostB').replace('-A INPUT -s 10.10.0.0/16 -p udp --dport 4789 -j ACCEPT\n', `${u32}-A INPUT -s 10.10.0.0/16 -p udp --dport 4789 -j ACCEPT\n`);
    const rules = rulesOf((h) => (h === 'hostB' ? bRules : exampleRules(h)));
    const trace = traceOf(rules);
    assert.equal(trace.completed, false, 'the emulator drops the datagram at hostB');
    const r = replayOverlay(ws, rules, pingEpisodes(), new Map([['hostA', handles(false)], ['hostB', handles(true)]]), trace.events, 1, 'match');
    assert.equal(r.agree, false);
    const d = firstOverlayDifference(r.episodes, rules)!;
    assert.equal(d.packet, 2);
    assert.equal(d.host, 'hostB');
    assert.equal(d.rulesFile, '/ws/hostB.rules');
    assert.deepEqual([d.what, d.hook, d.table, d.chain], ['rule', 'INPUT', 'filter', 'INPUT']);
    const line = bRules.split('\n').indexOf(u32.trim()) + 1;
    assert.equal(d.emulator.rule?.line, line);
    assert.equal(d.emulator.verdict, 'DROP');
    assert.equal(d.kernel.rule?.line, line + 1);
    assert.match(d.explanation, /^on hostB, in filter INPUT, the kernel: line \d+ .* → ACCEPT; the emulator: line \d+ .* → DROP, since .*u32/);
    const text = verifyText({
      verdict: 'differ', summary: 's', conversation: 'icmp', host: 'hostA and hostB (overlay net1)', hosts: ['hostA', 'hostB'], packets: 4, chainRuns: 12,
      kernelOutcome: { ok: true, detail: 'answered' }, emulatorOutcome: { completed: false, summary: 'no' }, firstDifference: d, notes: [], comparison: r.report,
    });
    assert.match(text, /First difference: packet 2 \(hostB: in eth0 .*\)\n {2}on hostB \(rules: \/ws\/hostB\.rules\)\n {2}hook INPUT, table filter, chain INPUT/);
  });

  it('a datagram the replay agrees on but the overlay trace sends elsewhere is a difference (the trace itself is checked)', () => {
    const rules = rulesOf(exampleRules);
    const trace = traceOf(rules);
    const odd = pkt(A, B, 1, { dport: 4790 });
    const episodes = new Map([['hostA', [sent(odd)]], ['hostB', [] as KEpisode[]]]);
    const r = replayOverlay(ws, rules, episodes, new Map([['hostA', handles(false)], ['hostB', handles(false)]]), trace.events, 1, 'match');
    const d = firstOverlayDifference(r.episodes, rules)!;
    assert.equal(d.host, 'hostA');
    assert.equal(d.what, 'packet');
    assert.match(d.explanation, /the packet is 10\.10\.126\.101:40001>10\.10\.105\.71:4790 in the kernel but 10\.10\.126\.101:\*>10\.10\.105\.71:4789 in the emulator/);
    assert.match(r.episodes[0]!.note ?? '', /the overlay trace, as the panel shows it, differs from the kernel here/);
    // The trace's other three crossings the kernel never made are listed too.
    assert.deepEqual(r.episodes.slice(1).map((e) => [e.host, e.note]), [['hostB', 'the kernel traced no such crossing'], ['hostB', 'the kernel traced no such crossing'], ['hostA', 'the kernel traced no such crossing']]);
  });
});

describe('docker-proxy\'s second leg in the comparison', () => {
  const leg = { from: 'host', op: 'tcp' as const, dst: '172.17.0.4', dport: 12580, src: '172.17.0.1' };
  it('its packets both ways, and nothing else', () => {
    assert.ok(isLegPacket(leg, '172.17.0.1', '172.17.0.4', 41000, 12580));
    assert.ok(isLegPacket(leg, '172.17.0.4', '172.17.0.1', 12580, 41000));
    assert.ok(!isLegPacket(leg, '172.17.0.2', '10.10.126.101', 41000, 12580), 'the first leg');
    assert.ok(!isLegPacket(leg, '172.17.0.2', '172.17.0.4', 41000, 12580), 'another client of the container');
  });
  it('marked in the titles and numbered', () => {
    const e = (src: string, dst: string, sport: number, dport: number): EpisodeComparison => ({
      title: `${src}>${dst}`, kernel: [], emulator: [], runs: { kernel: [], emulator: [] }, agree: true,
      kernelPacket: { start: 'out', packet: { src, dst, sport, dport, len: 60, ttl: 64, ipId: 1, mark: 0, flags: ['SYN'] } },
    });
    const m = markLeg({ agree: true, episodes: [e('172.17.0.2', '10.10.126.101', 41000, 12580), e('172.17.0.1', '172.17.0.4', 42000, 12580), e('172.17.0.4', '172.17.0.1', 12580, 42000)] }, leg);
    assert.deepEqual(m.packets, [2, 3]);
    assert.deepEqual(m.result.episodes.map((x) => x.title), ['172.17.0.2>10.10.126.101', 'docker-proxy\'s leg: 172.17.0.1>172.17.0.4', 'docker-proxy\'s leg: 172.17.0.4>172.17.0.1']);
  });
  it('the report says how the second leg went', () => {
    const r: VerifyReport = {
      verdict: 'agree', summary: 'agree', conversation: 'tcp', host: 'docker-host', packets: 21, chainRuns: 25, kernelOutcome: { ok: true, detail: 'echoed' }, emulatorOutcome: { completed: true, summary: 'completes' },
      secondLeg: { title: 'docker-proxy → 172.17.0.4:12580', packets: [11, 12, 21], agree: true, kernelOutcome: { ok: true, detail: 'echoed' }, emulatorOutcome: { completed: true, summary: 'web answers' } },
      notes: [], comparison: '',
    };
    assert.match(verifyText(r), /\nSecond leg: docker-proxy → 172\.17\.0\.4:12580 \(packets 11–21\): agrees; kernel: answered \(echoed\); emulator: web answers\n/);
  });
});
