/**
 * `nflens verify RULES [--host HOSTFILE] --proto … --src … --dst …
 * (--in IFACE | --local) [--format text|json]`: the conversation `nflens
 * trace` would follow, sent for real through the kernel in throwaway
 * network namespaces (Linux, root), and the kernel's trace compared with
 * the emulator's. Exit status 0 when they agree, 1 at the first difference,
 * 2 on bad usage or a machine that cannot run the lab (the reason is said),
 * 3 when the lab could not give an answer. Nothing outside the namespaces
 * it creates is touched, and they are deleted also on failure or Ctrl-C.
 */
import { Emulator } from '../emulator/index';
import { ip4 } from '../emulator/packet';
import type { ConversationSpec } from '../emulator/conversation';
import { installAbortHandlers } from '../verify/cleanup';
import { firstDifference } from '../verify/firstDifference';
import { labCannotBuild, labConversation, type LabConversation } from '../verify/labConversation';
import { checkMachine, THIS_MACHINE, verifyTools, type MachineProbe } from '../verify/preconditions';
import { labPrefix, sweepStaleLabs } from '../verify/staleLabs';
import { KernelRefused, verifyOnKernel, type KernelRun } from '../verify/verifyOnKernel';
import { verifyText, type VerifyFailure, type VerifyReport } from '../verify/verifyReport';
import { prepareTrace, type TraceArgs, type TraceSetup } from './traceSetup';

/** Said when root is missing: how to get it without harm. */
export const ROOT_HOW = 'run it as root (sudo nflens verify …); for the editor, run VS Code or code-server as root, best in a throwaway VM: the lab creates network namespaces and loads rules into them';

export interface VerifyPlan {
  readonly setup: TraceSetup;
  readonly lab: LabConversation;
  readonly format: 'text' | 'json';
}

/** The usage problems and the conversation, checked before anything runs. Throws with the message for the user. */
export function planVerify(args: TraceArgs, warn: (s: string) => void): VerifyPlan {
  const f = args.flags;
  const format = f.get('format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new Error(`--format must be text or json (got "${format}")`);
  if ((f.get('backend') ?? 'nft') !== 'nft') throw new Error('verify loads the rules with iptables-nft-restore: --backend must be nft');
  if (f.has('workspace')) throw new Error('verify replays one host; overlay workspaces (--workspace) are compared with the kernel by test/kernel/trace.kernel.test.ts only');
  const assume = f.get('assume');
  if (assume !== undefined && assume !== 'match' && assume !== 'no-match') throw new Error('--assume must be match or no-match');
  const seed = f.get('seed');
  if (seed !== undefined && !/^\d+$/.test(seed)) throw new Error('--seed must be a whole number');
  const setup = prepareTrace(args, warn);
  if (setup.errorCount) throw new Error(`${args.rules} has load errors, so iptables-nft-restore would refuse it (see nflens check ${args.rules}); fix them first`);
  const cannot = labCannotBuild(setup.host);
  if (cannot) throw new Error(cannot);
  const lab = labConversation(setup.host, setup.spec);
  if ('error' in lab) throw new Error(lab.error);
  return { setup, lab, format };
}

export function conversationWords(spec: ConversationSpec, from: string): string {
  const port = (p: number | undefined, d: number): string => (spec.proto === 'icmp' ? '' : `:${p ?? d}`);
  const src = spec.src ? ip4(spec.src) : 'an address routing picks';
  const origin = spec.origin.kind === 'local' ? ' (a local process)' : spec.origin.kind === 'iface' ? ` arriving on ${spec.origin.iface}` : ` (${from})`;
  return `${spec.proto} ${src}${spec.sport !== undefined ? `:${spec.sport}` : ''}${origin} → ${ip4(spec.dst)}${port(spec.dport, 80)}`;
}

function reportOf(plan: VerifyPlan, k: KernelRun, assume: 'match' | 'no-match', seed: number): VerifyReport {
  const { setup, lab } = plan;
  const r = k.result;
  const emu = new Emulator(setup.analysis.parsed.ruleset, setup.host, { seed, assume }).trace(setup.spec);
  const diff = firstDifference(r.result, setup.analysis.parsed.ruleset, setup.text);
  const runs = r.result.episodes.reduce((n, e) => n + e.kernel.length, 0);
  const packets = r.result.episodes.length;
  const notes = [...lab.notes];
  if (k.unrepeated) {
    const d = firstDifference(k.unrepeated.result, setup.analysis.parsed.ruleset, setup.text);
    notes.push(`A first run differed (${d?.explanation ?? 'see below'}) but a second agreed: a timing artefact of the real TCP stacks, not of the rules.`);
  }
  const outcome = r.outcomes[0] ?? { ok: false, detail: 'not sent' };
  if (!diff && outcome.ok !== emu.completed) {
    notes.push(`The conversation ended differently (kernel: ${outcome.ok ? 'answered' : 'not answered'}; emulator: ${emu.completed ? 'completes' : 'does not complete'}), though every packet the kernel traced took the emulator's path: the difference is at the ends (who listens and answers), not in the rules.`);
  }
  if (packets === 0) notes.push('The kernel traced no packet of the conversation, so there was nothing to compare.');
  const summary = diff
    ? `The kernel and the emulator differ at packet ${diff.packet} of ${packets}: ${diff.explanation}.`
    : `The kernel and the emulator agree: ${packets} packet${packets === 1 ? '' : 's'}, ${runs} chain run${runs === 1 ? '' : 's'} compared rule by rule.`;
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
    notes,
    comparison: r.report,
  };
}

export async function runVerify(args: TraceArgs, out: (s: string) => void, err: (s: string) => void, machine: MachineProbe = THIS_MACHINE): Promise<number> {
  const json = args.flags.get('format') === 'json';
  const failed = (code: number, f: VerifyFailure): number => {
    err(`nflens verify: ${f.error}\n`);
    if (json) out(`${JSON.stringify(f, null, 2)}\n`);
    return code;
  };
  let plan: VerifyPlan;
  try {
    plan = planVerify(args, err);
  } catch (e) {
    return failed(2, { error: (e as Error).message });
  }
  const can = checkMachine(machine, verifyTools(plan.setup.spec.proto));
  if (!can.ok) return failed(2, { error: `cannot build the lab: ${can.why}${can.need === 'root' ? `; ${ROOT_HOW}` : ''}`, ...(can.need ? { need: can.need } : {}) });
  const assume = args.flags.get('assume') === 'no-match' ? 'no-match' : 'match';
  const seed = Number(args.flags.get('seed') ?? 1);
  const removeHandlers = installAbortHandlers(err);
  try {
    const swept = sweepStaleLabs();
    if (swept) err(`nflens verify: removed ${swept} namespace(s) an earlier, killed run left behind\n`);
    const k = await verifyOnKernel({
      host: plan.setup.host, labHost: plan.lab.labHost, rules: plan.setup.text, step: plan.lab.step, seed, assume, prefix: labPrefix(),
      progress: (what) => err(`nflens verify: ${what}…\n`),
    });
    const report = reportOf(plan, k, assume, seed);
    out(json ? `${JSON.stringify(report, null, 2)}\n` : verifyText(report));
    return report.verdict === 'agree' ? 0 : 1;
  } catch (e) {
    const msg = e instanceof KernelRefused ? e.message : `the lab failed: ${(e as Error).message}`;
    return failed(3, { error: msg });
  } finally {
    removeHandlers();
  }
}
