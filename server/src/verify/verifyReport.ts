/**
 * What `nflens verify` reports, as JSON (the editor reads it) and as text.
 * Agreement means: every packet the kernel traced, replayed through the
 * emulator, passed the same base chains, entered each with the same
 * addresses and ports, and matched the same rules with the same verdicts;
 * and for one host, the emulator's own trace of the conversation did the
 * same with each of its packets as the kernel did with its counterpart.
 * Imports only types, so the editor's client can word a report without the
 * lab's code.
 */
import type { FirstDifference, RuleAt } from './firstDifference';

export function ruleWords(r: RuleAt | undefined, verdict: string | undefined): string {
  if (!r) return 'nothing more matches';
  if (r.policy) return `the policy of ${r.table} ${r.chain} (${verdict})`;
  const where = r.line !== undefined ? `line ${r.line}` : `rule ${r.index ?? '?'} of ${r.chain}`;
  return `${where}${r.text ? ` (${r.text})` : ''} → ${verdict}`;
}

export interface VerifyReport {
  readonly verdict: 'agree' | 'differ';
  /** One sentence. */
  readonly summary: string;
  readonly conversation: string;
  /** The host it ran on; for an overlay workspace, its hosts in words. */
  readonly host: string;
  /** An overlay workspace: the hosts the lab built, each in its own namespace. */
  readonly hosts?: readonly string[];
  /** Packets the kernel traced (and the emulator replayed). */
  readonly packets: number;
  readonly chainRuns: number;
  readonly kernelOutcome: { readonly ok: boolean; readonly detail: string };
  readonly emulatorOutcome: { readonly completed: boolean; readonly summary: string };
  readonly firstDifference?: FirstDifference;
  /** One host: the emulator's own trace (what nflens trace shows) held against the kernel's packets. */
  readonly trace?: TraceAgreement;
  /** docker-proxy's own connection to the container, sent and compared after the first leg. */
  readonly secondLeg?: SecondLeg;
  /** What the lab added or could not do, and retries worth knowing about. */
  readonly notes: readonly string[];
  /** Both traces, packet by packet, differences marked. */
  readonly comparison: string;
  /** One host: the emulator's own trace against the kernel's packets, packet by packet, differences and what was left out marked. */
  readonly traceComparison?: string;
}

export interface TraceAgreement {
  readonly agree: boolean;
  /** The trace's packets (both conversations when docker-proxy opens its own). */
  readonly packets: number;
  /** Of them, held against the kernel's counterpart. */
  readonly compared: number;
  /** Packets of either side left out, each for a reason said in the notes or the comparison. */
  readonly skipped: number;
}

export interface SecondLeg {
  /** The emulator's linked conversation ("docker-proxy → 172.17.0.4:12580"). */
  readonly title: string;
  /** Its packets among the report's (1-based, as numbered there). */
  readonly packets: readonly number[];
  readonly agree: boolean;
  readonly kernelOutcome: { readonly ok: boolean; readonly detail: string };
  readonly emulatorOutcome: { readonly completed: boolean; readonly summary: string };
}

/** Why there is no report: bad usage or a machine that cannot run the lab (exit 2), or a lab that failed (exit 3). */
export interface VerifyFailure {
  readonly error: string;
  readonly need?: 'linux' | 'root' | 'tools' | 'netns';
}

export type VerifyJson = VerifyReport | VerifyFailure;

/** How a difference is marked: in the replay of the kernel's packets, or in the emulator's own trace. */
export function differenceMark(d: FirstDifference): string {
  return d.in === 'trace' ? ' (the trace itself differs)' : d.in === 'replay' ? ' (replay differs)' : '';
}

export function differenceLines(d: FirstDifference): string[] {
  const lines = d.in === 'trace' ? [`First difference${differenceMark(d)}: ${d.packetTitle}`] : [`First difference${differenceMark(d)}: packet ${d.packet} (${d.packetTitle})`];
  if (d.host) lines.push(`  on ${d.host}${d.rulesFile ? ` (rules: ${d.rulesFile})` : ''}`);
  if (d.hook || d.table) lines.push(`  hook ${d.hook ?? '?'}, table ${d.table ?? '?'}${d.chain ? `, chain ${d.chain}` : ''}`);
  const emu = d.in === 'trace' ? 'trace:    ' : 'emulator: ';
  if (d.what === 'rule') {
    lines.push(`  kernel:   ${ruleWords(d.kernel.rule, d.kernel.verdict)}`, `  ${emu}${ruleWords(d.emulator.rule, d.emulator.verdict)}`);
    if (d.emulator.assumed?.length) lines.push(`            not evaluated: ${d.emulator.assumed.join('; ')}`);
    if (d.kernel.packet) lines.push(`  packet:   ${d.kernel.packet}`);
    return lines;
  } else if (d.what === 'packet') {
    lines.push(`  kernel:   packet ${d.kernel.packet}`, `  ${emu}packet ${d.emulator.packet}`);
  } else if (d.what === 'chains') {
    lines.push(`  kernel:   ${d.kernel.run ?? 'no further chain'}`, `  ${emu}${d.emulator.run ?? 'no further chain'}`);
  }
  lines.push(`  ${d.explanation}`);
  return lines;
}

/** What the sender in the lab saw: "answered (echoed)", "not answered (ECONNREFUSED)". */
export function outcomeWords(o: VerifyReport['kernelOutcome']): string {
  const words = o.ok ? 'answered' : 'not answered';
  return o.detail && o.detail !== words && o.detail !== 'no answer' ? `${words} (${o.detail})` : words;
}

/** How the emulator's own trace went against the kernel, in words. */
export function traceWords(t: TraceAgreement): string {
  const of = `${t.compared} of its ${t.packets} packet${t.packets === 1 ? '' : 's'} held against the kernel's`;
  return `the emulator's own trace ${t.agree ? 'agrees' : 'differs'} (${of}${t.skipped ? `, ${t.skipped} left out` : ''})`;
}

export function verifyText(r: VerifyReport): string {
  const lines = [r.summary, `Conversation: ${r.conversation} on ${r.host}`];
  lines.push(`Kernel:   ${outcomeWords(r.kernelOutcome)}`, `Emulator: ${r.emulatorOutcome.summary}`);
  const leg = r.secondLeg;
  if (leg) {
    const which = leg.packets.length ? `packets ${leg.packets[0]}–${leg.packets[leg.packets.length - 1]}` : 'no packet traced';
    lines.push(`Second leg: ${leg.title} (${which}): ${leg.agree ? 'agrees' : 'differs'}; kernel: ${outcomeWords(leg.kernelOutcome)}; emulator: ${leg.emulatorOutcome.summary}`);
  }
  if (r.trace) lines.push(`Trace:    ${traceWords(r.trace)}`);
  if (r.firstDifference) lines.push('', ...differenceLines(r.firstDifference));
  if (r.notes.length) lines.push('', ...r.notes.map((n) => `Note: ${n}`));
  lines.push('', 'Kernel and emulator, packet by packet (≠ marks a difference):', r.comparison);
  if (r.traceComparison) lines.push('', 'The emulator\'s own trace (as nflens trace shows it) against the kernel\'s packets (≠ marks a difference, ~ what is left out):', r.traceComparison);
  return `${lines.join('\n')}\n`;
}
