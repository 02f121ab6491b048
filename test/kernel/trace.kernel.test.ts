/**
 * The emulator's traces against the kernel's own (xtables-monitor --trace),
 * packet by packet, in network namespaces built from host descriptions:
 * curated Docker cases, then seeded random rulesets and traffic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseHostFile, type HostModel } from '../../server/src/emulator/index';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { TraceMonitor } from '../../server/src/verify/kernelTrace';
import { Lab } from '../../server/src/verify/lab';
import { labAvailable } from '../../server/src/verify/preconditions';
import { runTraceCase, TraceLost, type TraceCaseResult, type TrafficStep } from '../../server/src/verify/traceCase';
import { generateRules, generateSegments, generateTraffic, LAB_HOST_JSON, rng, type CraftedStep } from '../helpers/netlab/traceGenerator';
import { sendSegment } from '../helpers/craftedSegment';
import { OverlayLab } from '../../server/src/verify/overlayLab';
import { emulatorOverlayRuns, kernelOverlayRuns } from '../../server/src/verify/overlayCompare';
import { parseWorkspace } from '../../server/src/emulator/overlay/workspace';
import { OverlayWorld } from '../../server/src/emulator/overlay/world';
import { KNOWN_TRACE_GAPS } from './traceKnownGaps';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import type { KEpisode } from '../../server/src/verify/kernelTrace';
import type { Hook } from '../../server/src/lang/iptables/extension';

const root = join(__dirname, '..', '..', '..');
const avail = labAvailable();
const skip = avail.ok ? false : `KERNEL TRACE TESTS SKIPPED: ${avail.why}`;
if (skip) console.log(`\n!!! ${skip}\n`);

const CASES = Number(process.env.NFLENS_TRACE_CASES ?? 300);
const SEED = Number(process.env.NFLENS_TRACE_SEED ?? 1000);

function hostOf(text: string): HostModel {
  const parsed = parseHostFile(text);
  assert.ok(parsed.value, `host description: ${parsed.diagnostics.map((d) => d.message).join('; ')}`);
  return parsed.value.host;
}

async function withLab(host: HostModel, prefix: string): Promise<{ lab: Lab; monitor: () => TraceMonitor; restart: () => Promise<void> }> {
  const lab = await Lab.build(host, `${prefix}${process.pid % 10000}`);
  let mon = new TraceMonitor(lab.hostNs);
  await new Promise((r) => setTimeout(r, 300));
  return {
    lab,
    monitor: () => mon,
    restart: async () => {
      mon.stop();
      mon = new TraceMonitor(lab.hostNs);
      await new Promise((r) => setTimeout(r, 300));
    },
  };
}

/** A lab for the host, built before the suite's tests and destroyed after them. */
function useLab(host: () => HostModel, prefix: string): () => Awaited<ReturnType<typeof withLab>> {
  let env: Awaited<ReturnType<typeof withLab>> | undefined;
  before(async () => {
    env = await withLab(host(), prefix);
  });
  after(() => {
    env?.monitor().stop();
    env?.lab.destroy();
  });
  return () => env!;
}

describe('kernel trace: Docker 1.9 host with --userland-proxy=false', { skip }, () => {
  const dir = join(root, 'examples', 'docker-no-proxy');
  const host = skip ? undefined : hostOf(readFileSync(join(dir, 'nflens-host.json'), 'utf8'));
  const rules = readFileSync(join(dir, 'rules.v4'), 'utf8');
  let n = 0;
  const lab = useLab(() => host!, 'nfd');
  const run = async (step: TrafficStep): Promise<TraceCaseResult> => runTraceCase(lab().lab, lab().monitor(), host!, rules, [step], n++);
  const agree = (r: TraceCaseResult): void => assert.ok(r.result.agree, `kernel and emulator differ:\n${r.report}`);
  const runsOf = (r: TraceCaseResult): string => r.result.episodes.flatMap((e) => e.kernel).join('\n');

  it('an external client reaches the published port through DNAT in PREROUTING', async () => {
    const r = await run({ from: 'client', op: 'tcp', dst: '10.10.126.101', dport: 12580 });
    assert.equal(r.outcomes[0]!.ok, true, 'the connection completes');
    agree(r);
    assert.match(runsOf(r), /^nat PREROUTING 10\.10\.126\.187:\d+>10\.10\.126\.101:12580 \| PREROUTING#0:JUMP:DOCKER DOCKER#0:ACCEPT$/m);
    assert.match(runsOf(r), /^filter FORWARD 10\.10\.126\.187:\d+>172\.17\.0\.4:12580 \| FORWARD#0:JUMP:DOCKER DOCKER#0:ACCEPT$/m);
  });

  it('the host itself is DNATed in OUTPUT and masqueraded to the bridge address', async () => {
    const r = await run({ from: 'host', op: 'tcp', dst: '10.10.126.101', dport: 12580 });
    assert.equal(r.outcomes[0]!.ok, true, 'the connection completes');
    agree(r);
    assert.match(runsOf(r), /^nat OUTPUT 10\.10\.126\.101:\d+>10\.10\.126\.101:12580 \| OUTPUT#0:JUMP:DOCKER DOCKER#0:ACCEPT$/m);
    assert.match(runsOf(r), /^nat POSTROUTING 10\.10\.126\.101:\d+>172\.17\.0\.4:12580 \| POSTROUTING#0:ACCEPT$/m);
    // The container answers the bridge address: the MASQUERADE took effect.
    assert.ok(r.episodes.some((e) => e.packet.src === '172.17.0.4' && e.packet.dst === '172.17.0.1'));
  });

  it('another container reaches the host address on the published port (hairpin DNAT, routed back into docker0)', async () => {
    const r = await run({ from: 'other', op: 'tcp', dst: '10.10.126.101', dport: 12580 });
    assert.equal(r.outcomes[0]!.ok, true, 'the connection completes');
    agree(r);
    assert.match(runsOf(r), /^filter FORWARD 172\.17\.0\.2:\d+>172\.17\.0\.4:12580 \| FORWARD#0:JUMP:DOCKER FORWARD#3:ACCEPT$/m);
  });

  it('the container reaches its own published port (hairpin: DNAT back to itself, masqueraded to the bridge address)', async () => {
    const r = await run({ from: 'web', op: 'tcp', dst: '10.10.126.101', dport: 12580 });
    assert.equal(r.outcomes[0]!.ok, true, 'the connection completes');
    agree(r);
    assert.match(runsOf(r), /^nat POSTROUTING 172\.17\.0\.4:\d+>172\.17\.0\.4:12580 \| POSTROUTING#2:ACCEPT$/m);
    assert.ok(r.episodes.some((e) => e.packet.src === '172.17.0.4' && e.packet.dst === '172.17.0.1'), 'it answers the bridge address');
  });
});

describe('kernel trace: Docker 1.9 host with docker-proxy (the first leg; the lab\'s agent stands in for docker-proxy)', { skip }, () => {
  const dir = join(root, 'examples', 'docker-host');
  const host = skip ? undefined : hostOf(readFileSync(join(dir, 'nflens-host.json'), 'utf8'));
  const withJump = readFileSync(join(dir, 'rules.v4'), 'utf8');
  const withoutJump = withJump.replace('-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n', '');
  let n = 100;
  const lab = useLab(() => host!, 'nfa');
  const cases: Array<[title: string, rules: string, step: TrafficStep, dnat: boolean]> = [
    ['(a) external client: DNAT to the container', withJump, { from: 'client', op: 'tcp', dst: '10.10.126.101', dport: 12580 }, true],
    ['(a) the host to its own address: DNAT in OUTPUT', withJump, { from: 'host', op: 'tcp', dst: '10.10.126.101', dport: 12580 }, true],
    ['(a) the host to 127.0.0.1: not DNATed, delivered to the local listener', withJump, { from: 'host', op: 'tcp', dst: '127.0.0.1', dport: 12580 }, false],
    ['(a) the other container: "! -i docker0" skips the DNAT, delivered locally', withJump, { from: 'other', op: 'tcp', dst: '10.10.126.101', dport: 12580 }, false],
    ['(b) external client without the PREROUTING jump: delivered locally', withoutJump, { from: 'client', op: 'tcp', dst: '10.10.126.101', dport: 12580 }, false],
  ];
  for (const [title, rules, step, dnat] of cases) {
    it(title, async () => {
      const r = await runTraceCase(lab().lab, lab().monitor(), host!, rules, [step], n++);
      assert.equal(r.outcomes[0]!.ok, true, 'the connection completes (container or listener)');
      assert.ok(r.result.agree, `kernel and emulator differ:\n${r.report}`);
      const kernelRuns = r.result.episodes.flatMap((e) => e.kernel).join('\n');
      assert.equal(/DOCKER#0:ACCEPT/.test(kernelRuns) && /^nat (PREROUTING|OUTPUT)/m.test(kernelRuns), dnat, kernelRuns);
    });
  }
});

describe('kernel trace: overlay network net1 between two hosts (VXLAN through each host\'s netfilter)', { skip }, () => {
  const dir = join(root, 'examples', 'overlay');
  const ws = parseWorkspace(readFileSync(join(dir, 'nflens-workspace.json'), 'utf8')).value;
  const net1 = { ...ws, networks: ws.networks.filter((n) => n.name === 'net1'), containers: ws.containers.filter((c) => c.network === 'net1') };
  const rulesText = (h: string): string => readFileSync(join(dir, `${h}.rules`), 'utf8');
  let lab: OverlayLab | undefined;
  before(async () => {
    lab = new OverlayLab(net1, `nfo${process.pid % 10000}`);
    lab.build();
    await lab.startMonitors();
  });
  after(() => lab?.destroy());
  const compare = async (rules: Map<string, string>, expectAnswer: boolean): Promise<Map<string, string[]>> => {
    const handles = lab!.load(rules);
    const since = lab!.offsets();
    assert.equal(lab!.ping('net1c1', '10.0.0.5'), expectAnswer, 'ping answered?');
    const kernel = kernelOverlayRuns(await lab!.episodes(since), handles, 84 + 50);
    const world = new OverlayWorld(net1, new Map([...rules].map(([h, t]) => [h, parseIptables(t, { backend: 'nft', family: 'ipv4' }).ruleset])));
    const r = world.trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(r.completed, expectAnswer, r.summary);
    const emu = emulatorOverlayRuns(r.events);
    for (const h of ['hostA', 'hostB']) assert.deepEqual(emu.get(h) ?? [], kernel.get(h) ?? [], `${h}: emulator vs kernel`);
    return kernel;
  };
  it('the echo and its reply: the same chain runs on both hosts as the kernel\'s', async () => {
    const k = await compare(new Map([['hostA', rulesText('hostA')], ['hostB', rulesText('hostB')]]), true);
    assert.ok((k.get('hostB') ?? []).some((l) => /^filter INPUT 10\.10\.126\.101:\*>10\.10\.105\.71:4789 \| INPUT#3:ACCEPT$/.test(l)), [...k].join('\n'));
  });
  it('a DROP of udp/4789 on host B: the kernel and the emulator stop at the same rule', async () => {
    const k = await compare(new Map([['hostA', rulesText('hostA')], ['hostB', rulesText('hostB').replace('COMMIT', '-I INPUT 1 -p udp --dport 4789 -j DROP\nCOMMIT')]]), false);
    assert.ok((k.get('hostB') ?? []).some((l) => /INPUT#0:DROP$/.test(l)), [...k].join('\n'));
  });
});

describe('kernel trace: the raw table runs before conntrack (no entry yet: INVALID, not UNTRACKED or NEW)', { skip }, () => {
  const host = skip ? undefined : hostOf(LAB_HOST_JSON);
  const lab = useLab(() => host!, 'nfw');
  // The filter rule turns conntrack on; every state test in raw sees a packet before conntrack has looked at it.
  const rules = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-A PREROUTING -m conntrack --ctstate UNTRACKED -j ACCEPT', '-A PREROUTING -m conntrack --ctstate NEW,ESTABLISHED,RELATED -j ACCEPT', '-A PREROUTING -m conntrack --ctstate INVALID -j ACCEPT',
    '-A OUTPUT -m state --state UNTRACKED -j ACCEPT', '-A OUTPUT -m state --state NEW,ESTABLISHED -j ACCEPT', '-A OUTPUT -m state --state INVALID -j ACCEPT', 'COMMIT',
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT', 'COMMIT', ''].join('\n');
  const cases: Array<[title: string, step: TrafficStep, hook: 'PREROUTING' | 'OUTPUT']> = [
    ['a connection to the host: every packet arriving is INVALID in raw PREROUTING', { from: 'x1', op: 'tcp', dst: '10.0.1.1', dport: 22 }, 'PREROUTING'],
    ['a connection from the host: every packet it sends is INVALID in raw OUTPUT', { from: 'host', op: 'tcp', dst: '10.0.1.2', dport: 80 }, 'OUTPUT'],
  ];
  let n = 200;
  for (const [title, step, hook] of cases) {
    it(title, async () => {
      const r = await runTraceCase(lab().lab, lab().monitor(), host!, rules, [step], n++);
      assert.equal(r.outcomes[0]!.ok, true, 'the connection completes');
      assert.ok(r.result.agree, `kernel and emulator differ:\n${r.report}`);
      const raw = r.result.episodes.flatMap((e) => e.kernel).filter((l) => l.startsWith(`raw ${hook}`));
      assert.ok(raw.length >= 3, `the handshake's packets pass raw ${hook}:\n${raw.join('\n')}`);
      for (const l of raw) assert.match(l, new RegExp(`${hook}#2:ACCEPT$`), `only the INVALID rule takes it:\n${raw.join('\n')}`);
    });
  }
});

/** The hand-made segments of a case, for its report. */
function craftedText(cs: readonly CraftedStep[]): string {
  return cs.map((c) => `${c.from}: ${c.src}:${c.sport} → ${c.dst}:${c.dport} flags 0x${c.flags.toString(16)}${c.bytes ? ` +${c.bytes} bytes` : ''}`).join('; ');
}

/**
 * The rules the kernel matched, at each hook, that the reachability analysis (with the same host
 * description) says no packet gets to there: none may be (issue #5, "random sampling never hits a
 * rule reported unreachable", with the kernel's own packets). Returns them, and how many were checked.
 */
function analysisMisses(rules: string, host: HostModel, episodes: readonly KEpisode[], handles: ReadonlyMap<string, number>): { misses: string[]; checked: number } {
  const an = analyzeReachability(parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset, { host });
  const misses = new Set<string>();
  const seen = new Set<string>();
  for (const ep of episodes) {
    for (const run of ep.runs) {
      const hook = run.chain as Hook;
      for (const step of run.steps) {
        if (step.kind !== 'rule') continue;
        const index = handles.get(`${run.table}/${step.chain}/${step.handle}`);
        const rule = index === undefined ? undefined : an.emu.tables.get(run.table)?.chains.get(step.chain)?.rules[index];
        if (!rule) continue;
        const key = `${run.table} ${step.chain} #${index! + 1} at ${hook}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (!(an.reach(rule, run.table, step.chain).hits.get(hook)?.may.length ?? 0)) misses.add(`${key} (line ${rule.ref.line + 1}): the kernel matched it for ${ep.packet.src} > ${ep.packet.dst}; the analysis has no packet there`);
      }
    }
  }
  return { misses: [...misses], checked: seen.size };
}

describe(`kernel trace: ${CASES} random rulesets and conversations (seeds ${SEED}..${SEED + CASES - 1})`, { skip: skip || (CASES === 0 ? 'NFLENS_TRACE_CASES=0' : false) }, () => {
  const host = skip ? undefined : hostOf(LAB_HOST_JSON);
  const lab = useLab(() => host!, 'nfr');

  it('every packet takes the same path through the same rules in the kernel and in the emulator', { timeout: 30 * 60_000 }, async () => {
    const failures: string[] = [];
    const fixed: number[] = [];
    const lostSeeds: number[] = [];
    const flaky: number[] = [];
    const unsound: string[] = [];
    let checkedHits = 0;
    let runs = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = SEED + i;
      const r = rng(seed);
      const rules = generateRules(r);
      const traffic = generateTraffic(r);
      // Then hand-made TCP segments, drawn from a stream of their own.
      const crafted = generateSegments(rng(seed + 7_919_000));
      const more = crafted.map((c) => () => sendSegment(c.from === 'host' ? lab().lab.hostNs : lab().lab.peerNs.get(c.from)!, c));
      const errors = parseIptables(rules, { backend: 'nft', family: 'ipv4' }).diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors.map((d) => d.message), [], `seed ${seed}: the generator wrote rules we call wrong:\n${rules}`);
      let res: TraceCaseResult | undefined;
      // xtables-monitor asks the kernel for each rule it prints; a burst of events can overflow
      // its netlink socket (ENOBUFS) and kill it. Such a case is run again with a new monitor.
      for (let attempt = 0; attempt < 3 && !res; attempt++) {
        try {
          res = await runTraceCase(lab().lab, lab().monitor(), host!, rules, traffic, i, { seed, more });
        } catch (e) {
          if (!(e instanceof TraceLost)) throw new Error(`seed ${seed}: ${(e as Error).message}\n${rules}`);
          if (lab().monitor().exited) await lab().restart();
        }
      }
      if (!res) {
        lostSeeds.push(seed);
        continue;
      }
      runs += res.result.episodes.reduce((a, e) => a + e.kernel.length, 0);
      const { misses, checked } = analysisMisses(rules, host!, res.episodes, res.handles);
      checkedHits += checked;
      if (misses.length) unsound.push(`seed ${seed} (replay: NFLENS_TRACE_SEED=${seed} NFLENS_TRACE_CASES=1 npm test -- kernel)\n${misses.join('\n')}\n--- rules\n${rules}`);
      const gap = KNOWN_TRACE_GAPS.get(seed);
      if (res.result.agree) {
        if (gap) fixed.push(seed);
        continue;
      }
      if (gap) continue;
      // The kernel's side can carry timing artefacts (a retransmission, an ACK sent before the
      // server process accepted): a disagreement counts only if the same case disagrees again.
      let again: TraceCaseResult | undefined;
      try {
        again = await runTraceCase(lab().lab, lab().monitor(), host!, rules, traffic, i, { seed, more });
      } catch {
        again = undefined;
      }
      if (again?.result.agree) {
        flaky.push(seed);
        continue;
      }
      failures.push(`seed ${seed} (replay: NFLENS_TRACE_SEED=${seed} NFLENS_TRACE_CASES=1 npm test -- kernel)\n--- rules\n${rules}--- traffic ${JSON.stringify(traffic)}${crafted.length ? `\n--- segments ${craftedText(crafted)}` : ''}\n--- kernel vs emulator\n${res.report}`);
    }
    console.log(`kernel trace: ${CASES} cases, ${runs} kernel chain runs compared, ${checkedHits} (rule, hook) matches checked against the reachability analysis (${unsound.length} cases with a rule it says no packet gets to), ${failures.length} new disagreements, ${KNOWN_TRACE_GAPS.size - fixed.length} known gaps, ${lostSeeds.length} traces lost${lostSeeds.length ? ` (seeds ${lostSeeds.join(', ')})` : ''}, ${flaky.length} disagreements that did not repeat${flaky.length ? ` (seeds ${flaky.join(', ')})` : ''}`);
    const lost = lostSeeds.length;
    // A case whose packets loop (e.g. DNAT back out of the interface they came from until the TTL
    // runs out) can overflow xtables-monitor every time; a few such cases say nothing either way.
    assert.ok(lost <= Math.ceil(CASES / 50), `${lost} of ${CASES} kernel traces were lost`);
    assert.ok(runs > CASES, 'the cases compared almost nothing: is tracing working?');
    assert.deepEqual(fixed, [], `these seeds now agree with the kernel: remove them from test/kernel/traceKnownGaps.ts`);
    assert.equal(failures.length, 0, failures.slice(0, 3).join('\n\n'));
    assert.equal(unsound.length, 0, unsound.slice(0, 3).join('\n\n'));
  });
});
