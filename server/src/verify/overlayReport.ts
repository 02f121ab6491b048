/**
 * The report of nflens verify --workspace, in the single host's format
 * (verifyReport.ts): agreement, or the first difference with the host it is
 * on and that host's rules file; the kernel's and the overlay trace's
 * outcomes; every crossing side by side. Pure.
 */
import type { TraceEvent } from '../emulator/trace';
import { firstOverlayDifference, type HostRules } from './firstDifference';
import type { OverlayLabPlan } from './overlayConversation';
import type { OverlayKernelRun } from './overlayOnKernel';
import type { VerifyReport } from './verifyReport';

/** The overlay trace the emulator tells (OverlayWorld.trace). */
export interface OverlayTraceResult {
  readonly completed: boolean;
  readonly summary: string;
  readonly events: readonly TraceEvent[];
}

const hostsWords = (hosts: readonly string[]): string => (hosts.length > 1 ? `${hosts.slice(0, -1).join(', ')} and ${hosts[hosts.length - 1]}` : hosts.join(''));

export function overlayReport(plan: OverlayLabPlan, rules: ReadonlyMap<string, HostRules>, trace: OverlayTraceResult, k: OverlayKernelRun): VerifyReport {
  const r = k.result.replay;
  const diff = firstOverlayDifference(r.episodes, rules);
  const packets = r.episodes.length;
  const runs = r.episodes.reduce((n, e) => n + e.kernel.length, 0);
  const hosts = plan.labWorkspace.hosts.map((h) => h.name);
  const notes = [...plan.notes];
  if (k.unrepeated) {
    const d = firstOverlayDifference(k.unrepeated.replay.episodes, rules);
    notes.push(`A first run differed (${d?.explanation ?? 'see below'}) but a second agreed: a timing artefact of the real TCP stacks, not of the rules.`);
  }
  const outcome = k.result.outcome;
  if (!diff && outcome.ok !== trace.completed) {
    notes.push(`The conversation ended differently (kernel: ${outcome.ok ? 'answered' : 'not answered'}; emulator: ${trace.completed ? 'completes' : 'does not complete'}), though every datagram the hosts traced took the emulator's path: the difference is at the ends, not in the rules.`);
  }
  if (packets === 0) notes.push('No host\'s netfilter traced a packet of the conversation, so there was nothing to compare.');
  const summary = diff
    ? `The kernel and the emulator differ at packet ${diff.packet} of ${packets}, on ${diff.host}: ${diff.explanation.replace(/^on [^,]*, /, '')}.`
    : `The kernel and the emulator agree: ${packets} host crossing${packets === 1 ? '' : 's'} (VXLAN datagrams through ${hostsWords(hosts)}), ${runs} chain run${runs === 1 ? '' : 's'} compared rule by rule.`;
  const s = plan.spec;
  return {
    verdict: diff ? 'differ' : 'agree',
    summary,
    conversation: `${s.proto} ${plan.from.name} (${plan.network} on ${plan.from.host}) → ${plan.to.name} (on ${plan.to.host})${s.dport !== undefined ? `:${s.dport}` : ''}`,
    host: `${hostsWords(hosts)} (overlay ${plan.network})`,
    hosts,
    packets,
    chainRuns: runs,
    kernelOutcome: outcome,
    emulatorOutcome: { completed: trace.completed, summary: trace.summary },
    ...(diff ? { firstDifference: diff } : {}),
    notes,
    comparison: r.report,
  };
}
