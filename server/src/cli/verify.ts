/**
 * `nflens verify RULES [--host HOSTFILE] --proto … --src … --dst …
 * (--in IFACE | --local) [--format text|json]`: the conversation `nflens
 * trace` would follow, sent for real through the kernel in throwaway
 * network namespaces (Linux, root), and the kernel's trace compared with
 * the emulator's (the kernel's packets replayed through it, and the
 * emulator's own trace held against them); when docker-proxy takes the
 * connection, its own connection to the container too. `nflens verify --workspace FILE --proto
 * … --src CONTAINER --dst CONTAINER[:PORT]`: the same across the hosts of
 * an overlay workspace, every host a namespace and the VXLAN hop between
 * them. Exit status 0 when they agree, 1 at the first difference, 2 on bad
 * usage or a machine that cannot run the lab (the reason is said), 3 when
 * the lab could not give an answer. Nothing outside the namespaces it
 * creates is touched, and they are deleted also on failure or Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Emulator } from '../emulator/index';
import { ip4 } from '../emulator/packet';
import type { ConversationSpec } from '../emulator/conversation';
import { parseWorkspace, type Workspace } from '../emulator/overlay/workspace';
import { OverlayWorld } from '../emulator/overlay/world';
import type { UnknownAssumption } from '../emulator/traverse';
import { analyzeIptables } from '../lang/iptables/analyze';
import { installAbortHandlers } from '../verify/cleanup';
import { firstDifference, firstTraceDifference, type HostRules } from '../verify/firstDifference';
import { labCannotBuild, labConversation, type LabConversation } from '../verify/labConversation';
import { overlayLabPlan, type OverlayLabPlan } from '../verify/overlayConversation';
import { verifyOverlayOnKernel } from '../verify/overlayOnKernel';
import { overlayReport, type OverlayTraceResult } from '../verify/overlayReport';
import { replayOverlay } from '../verify/overlayReplay';
import { renderComparison, type ReplayResult } from '../verify/replay';
import { checkTraceFromKernelPort, type TraceCheck } from '../verify/traceAgainstKernel';
import { renderTraceCheck } from '../verify/traceCheckText';
import { checkMachine, THIS_MACHINE, verifyTools, type MachineProbe } from '../verify/preconditions';
import { isLegPacket, markLeg, proxyLeg, type ProxyLeg } from '../verify/proxyLeg';
import { labPrefix, sweepStaleLabs } from '../verify/staleLabs';
import { KernelRefused, verifyOnKernel, type KernelRun } from '../verify/verifyOnKernel';
import { verifyText, type TraceAgreement, type VerifyFailure, type VerifyReport } from '../verify/verifyReport';
import { prepareTrace, type TraceArgs, type TraceSetup } from './traceSetup';

/** Said when root is missing: how to get it without harm. */
export const ROOT_HOW = 'run it as root (sudo nflens verify …); for the editor, run VS Code or code-server as root, best in a throwaway VM: the lab creates network namespaces and loads rules into them';

export interface VerifyPlan {
  readonly setup: TraceSetup;
  readonly lab: LabConversation;
  /** docker-proxy's own connection to the container, when the emulator's trace has it open one. */
  readonly leg?: ProxyLeg;
  readonly format: 'text' | 'json';
}

export interface OverlayVerifyPlan {
  readonly workspace: Workspace;
  readonly file: string;
  readonly rules: ReadonlyMap<string, HostRules>;
  readonly lab: OverlayLabPlan;
  readonly format: 'text' | 'json';
}

interface Common {
  readonly format: 'text' | 'json';
  readonly assume: UnknownAssumption;
  readonly seed: number;
}

/** The flags both kinds of verification read. Throws with the message for the user. */
function commonFlags(f: ReadonlyMap<string, string>): Common {
  const format = f.get('format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new Error(`--format must be text or json (got "${format}")`);
  if ((f.get('backend') ?? 'nft') !== 'nft') throw new Error('verify loads the rules with iptables-nft-restore: --backend must be nft');
  const assume = f.get('assume');
  if (assume !== undefined && assume !== 'match' && assume !== 'no-match') throw new Error('--assume must be match or no-match');
  const seed = f.get('seed');
  if (seed !== undefined && !/^\d+$/.test(seed)) throw new Error('--seed must be a whole number');
  return { format, assume: assume ?? 'match', seed: Number(seed ?? 1) };
}

/** The usage problems and the conversation, checked before anything runs. Throws with the message for the user. */
export function planVerify(args: TraceArgs, warn: (s: string) => void): VerifyPlan {
  const f = args.flags;
  if (f.has('workspace')) throw new Error('--workspace takes the place of the rules file: nflens verify --workspace FILE --proto … --src CONTAINER --dst CONTAINER[:PORT]');
  const { format, assume, seed } = commonFlags(f);
  const setup = prepareTrace(args, warn);
  if (setup.errorCount) throw new Error(`${args.rules} has load errors, so iptables-nft-restore would refuse it (see nflens check ${args.rules}); fix them first`);
  const cannot = labCannotBuild(setup.host);
  if (cannot) throw new Error(cannot);
  const lab = labConversation(setup.host, setup.spec);
  if ('error' in lab) throw new Error(lab.error);
  const leg = proxyLeg(lab.labHost, new Emulator(setup.analysis.parsed.ruleset, setup.host, { seed, assume }).trace(setup.spec).events);
  return leg
    ? { setup, lab: { ...lab, labHost: leg.labHost, notes: [...lab.notes, leg.note] }, leg, format }
    : { setup, lab, format };
}

/** `--workspace FILE`: each host's rules, and the conversation between two containers of one network. Throws with the message for the user. */
export function planOverlayVerify(flags: ReadonlyMap<string, string>, warn: (s: string) => void): OverlayVerifyPlan {
  const { format } = commonFlags(flags);
  const file = flags.get('workspace')!;
  for (const f of ['host', 'in', 'local', 'docker-inspect']) if (flags.has(f)) throw new Error(`--${f} is for one host; an overlay workspace's containers are named by --src and --dst`);
  const ws = parseWorkspace(readFileSync(file, 'utf8'));
  for (const d of ws.diagnostics) warn(`${file}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity}: ${d.message}\n`);
  if (ws.diagnostics.some((d) => d.severity === 'error')) throw new Error(`${file} has errors; fix them first`);
  const rules = new Map<string, HostRules>();
  for (const h of ws.value.hosts) {
    if (!h.rules) throw new Error(`${h.name} names no rules file in ${file}: the lab loads every host's rules`);
    const path = resolve(dirname(file), h.rules);
    const text = readFileSync(path, 'utf8');
    const analysis = analyzeIptables(text, { backend: 'nft', family: 'ipv4' });
    if (analysis.diagnostics.some((d) => d.severity === 'error')) throw new Error(`${path} (${h.name}) has load errors, so iptables-nft-restore would refuse it (see nflens check ${path}); fix them first`);
    rules.set(h.name, { ruleset: analysis.parsed.ruleset, text, file: path });
  }
  const src = flags.get('src');
  const dst = flags.get('dst');
  if (!src || !dst) throw new Error('--src names a container of the workspace, --dst a container of its network (with :PORT)');
  const lab = overlayLabPlan(ws.value, { proto: flags.get('proto') ?? 'tcp', src, dst });
  if ('error' in lab) throw new Error(lab.error);
  return { workspace: ws.value, file, rules, lab, format };
}

export function conversationWords(spec: ConversationSpec, from: string): string {
  const port = (p: number | undefined, d: number): string => (spec.proto === 'icmp' ? '' : `:${p ?? d}`);
  const src = spec.src ? ip4(spec.src) : 'an address routing picks';
  const origin = spec.origin.kind === 'local' ? ' (a local process)' : spec.origin.kind === 'iface' ? ` arriving on ${spec.origin.iface}` : ` (${from})`;
  return `${spec.proto} ${src}${spec.sport !== undefined ? `:${spec.sport}` : ''}${origin} → ${ip4(spec.dst)}${port(spec.dport, 80)}`;
}

/**
 * The emulator's own trace of the plan's conversation (what nflens trace
 * shows) held against a run's kernel packets: from the port the kernel's
 * client got unless the user named one, docker-proxy's leg against the
 * leg's packets, and nothing compared from an address no one in the lab has.
 */
export function traceCheckOf(plan: VerifyPlan, assume: UnknownAssumption, seed: number): (replay: ReplayResult) => TraceCheck {
  const { setup, lab, leg } = plan;
  const trace = (sport?: number): VerifyTraceEvents => new Emulator(setup.analysis.parsed.ruleset, setup.host, { seed, assume }).trace(sport === undefined ? setup.spec : { ...setup.spec, sport }).events;
  const portGiven = setup.spec.sport !== undefined || setup.spec.proto === 'icmp';
  return (replay) => checkTraceFromKernelPort(trace, portGiven, replay, {
    ...(leg ? { isLeg: (k) => isLegPacket(leg.step, k.src, k.dst, k.sport, k.dport) } : {}),
    ...(lab.silent ? { silent: lab.silent } : {}),
  });
}

type VerifyTraceEvents = ReturnType<Emulator['trace']>['events'];

function traceAgreement(c: TraceCheck): TraceAgreement {
  return {
    agree: c.agree,
    packets: c.checks.filter((x) => x.trace && x.what !== 'fate').length,
    compared: c.checks.filter((x) => x.trace && x.kernel && x.status !== 'skipped' && x.what !== 'fate').length,
    skipped: c.checks.filter((x) => x.status === 'skipped').length,
  };
}

export function reportOf(plan: VerifyPlan, k: KernelRun, assume: UnknownAssumption, seed: number): VerifyReport {
  const { setup, lab, leg } = plan;
  const rs = setup.analysis.parsed.ruleset;
  const emu = new Emulator(rs, setup.host, { seed, assume }).trace(setup.spec);
  const marked = leg ? markLeg(k.result.result, leg.step) : undefined;
  const result = marked?.result ?? k.result.result;
  const check = k.result.trace;
  const replayDiff = firstDifference(result, rs, setup.text);
  const traceDiff = check && firstTraceDifference(check, rs, setup.text);
  const diff = replayDiff ?? traceDiff;
  const runs = result.episodes.reduce((n, e) => n + e.kernel.length, 0);
  const packets = result.episodes.length;
  const notes = [...lab.notes, ...(check?.notes ?? [])];
  if (replayDiff && traceDiff) notes.push(`The emulator's own trace differs from the kernel too, at ${traceDiff.packetTitle}: ${traceDiff.explanation}.`);
  if (k.unrepeated) {
    const u = k.unrepeated;
    const d = firstDifference(u.result, rs, setup.text) ?? (u.trace && firstTraceDifference(u.trace, rs, setup.text));
    notes.push(`A first run differed (${d?.explanation ?? 'see below'}) but a second agreed: a timing artefact of the real TCP stacks, not of the rules.`);
  }
  const outcomes = k.result.outcomes;
  const outcome = outcomes[0] ?? { ok: false, detail: 'not sent' };
  if (!diff && outcome.ok !== emu.completed) {
    notes.push(`The conversation ended differently (kernel: ${outcome.ok ? 'answered' : 'not answered'}; emulator: ${emu.completed ? 'completes' : 'does not complete'}), though every packet the kernel traced took the emulator's path: the difference is at the ends (who listens and answers), not in the rules.`);
  }
  if (packets === 0) notes.push('The kernel traced no packet of the conversation, so there was nothing to compare.');
  const legWords = leg ? `, docker-proxy's own connection to the container included` : '';
  const traceWords = check ? `; the emulator's own trace agrees with them packet by packet` : '';
  const summary = replayDiff
    ? `The kernel and the emulator differ at packet ${replayDiff.packet} of ${packets}: ${replayDiff.explanation}.`
    : traceDiff
      ? `The emulator's own trace differs from the kernel at ${traceDiff.packetTitle}: ${traceDiff.explanation}. Replayed through the emulator, the kernel's own ${packets} packet${packets === 1 ? '' : 's'} agree.`
      : `The kernel and the emulator agree: ${packets} packet${packets === 1 ? '' : 's'}, ${runs} chain run${runs === 1 ? '' : 's'} compared rule by rule${legWords}${traceWords}.`;
  const emuLeg = emu.legs[0];
  return {
    verdict: diff ? 'differ' : 'agree',
    summary,
    conversation: conversationWords(setup.spec, lab.step.from),
    host: setup.host.name,
    packets,
    chainRuns: runs,
    kernelOutcome: outcome,
    emulatorOutcome: { completed: emu.completed, summary: emu.summary },
    ...(diff ? { firstDifference: diff } : {}),
    ...(check ? { trace: traceAgreement(check) } : {}),
    ...(leg && marked ? {
      secondLeg: {
        title: leg.title, packets: marked.packets, agree: marked.packets.every((n) => result.episodes[n - 1]!.agree),
        kernelOutcome: outcomes[1] ?? { ok: false, detail: 'not sent' },
        emulatorOutcome: emuLeg ? { completed: emuLeg.completed, summary: emuLeg.summary } : { completed: false, summary: 'no second leg' },
      },
    } : {}),
    notes,
    comparison: renderComparison(result),
    ...(check ? { traceComparison: renderTraceCheck(check) } : {}),
  };
}

export async function runVerify(args: TraceArgs, out: (s: string) => void, err: (s: string) => void, machine: MachineProbe = THIS_MACHINE): Promise<number> {
  const json = args.flags.get('format') === 'json';
  const failed = (code: number, f: VerifyFailure): number => {
    err(`nflens verify: ${f.error}\n`);
    if (json) out(`${JSON.stringify(f, null, 2)}\n`);
    return code;
  };
  const overlay = args.flags.has('workspace');
  let plan: VerifyPlan | OverlayVerifyPlan;
  try {
    plan = overlay ? planOverlayVerify(args.flags, err) : planVerify(args, err);
  } catch (e) {
    return failed(2, { error: (e as Error).message });
  }
  const proto = 'setup' in plan ? plan.setup.spec.proto : plan.lab.spec.proto;
  const can = checkMachine(machine, verifyTools(proto));
  if (!can.ok) return failed(2, { error: `cannot build the lab: ${can.why}${can.need === 'root' ? `; ${ROOT_HOW}` : ''}`, ...(can.need ? { need: can.need } : {}) });
  const assume = args.flags.get('assume') === 'no-match' ? 'no-match' : 'match';
  const seed = Number(args.flags.get('seed') ?? 1);
  const removeHandlers = installAbortHandlers(err);
  try {
    const swept = sweepStaleLabs();
    if (swept) err(`nflens verify: removed ${swept} namespace(s) an earlier, killed run left behind\n`);
    const progress = (what: string): void => err(`nflens verify: ${what}…\n`);
    const report = 'setup' in plan
      ? reportOf(plan, await verifyOnKernel({
        host: plan.setup.host, labHost: plan.lab.labHost, rules: plan.setup.text, steps: plan.leg ? [plan.lab.step, plan.leg.step] : [plan.lab.step], seed, assume, prefix: labPrefix(), progress,
        checkTrace: traceCheckOf(plan, assume, seed),
      }), assume, seed)
      : await runOverlay(plan, assume, seed, progress);
    out(json ? `${JSON.stringify(report, null, 2)}\n` : verifyText(report));
    return report.verdict === 'agree' ? 0 : 1;
  } catch (e) {
    const msg = e instanceof KernelRefused ? e.message : `the lab failed: ${(e as Error).message}`;
    return failed(3, { error: msg });
  } finally {
    removeHandlers();
  }
}

async function runOverlay(plan: OverlayVerifyPlan, assume: UnknownAssumption, seed: number, progress: (what: string) => void): Promise<VerifyReport> {
  const world = new OverlayWorld(plan.workspace, new Map([...plan.rules].map(([h, r]) => [h, r.ruleset])), { seed, assume });
  const trace: OverlayTraceResult = world.trace(plan.lab.spec);
  const k = await verifyOverlayOnKernel({
    plan: plan.lab, rules: plan.rules, prefix: labPrefix(), progress,
    compare: (episodes, handles) => replayOverlay(plan.workspace, plan.rules, episodes, handles, trace.events, seed, assume),
  });
  return overlayReport(plan.lab, plan.rules, trace, k);
}
