/**
 * The emulator's own trace (what `nflens trace` and the trace panel show)
 * held against the packets the kernel traced. The replay (replay.ts) sends
 * the kernel's packets through the emulator and so never checks what the
 * trace itself does with its packets (who it says sends them, which socket,
 * what it assumes); this does, packet by packet: each packet of the trace
 * is paired with the kernel's packet of the same place, addresses, kind and
 * flags, and the chains both passed, the rules that matched (position,
 * verdict) and the fate must be the same.
 *
 * The lab's stand-ins must not make differences: the client's port is the
 * one the kernel gave (the caller traces again from it, or the leg's port
 * is put in place, and says so); the real TCP stacks' own segments (an
 * echo, acknowledgements, a FIN carrying data) are left out, and a segment
 * the kernel shaped differently is not compared; a retransmission, or the
 * sender giving up after the trace's last packet, is not a difference; and
 * packets from an address nothing in the lab answers from are not compared.
 * What is left out is said in the notes. Pure.
 */
import type { TraceEvent } from '../emulator/trace';
import { kernelPackets, sourcePort, tracedPackets, withoutSourcePort, withPort, type KernelPacket, type PacketKind, type TracedPacket } from './conversationPackets';
import type { KPacket } from './kernelTrace';
import { runText, type ReplayResult } from './replay';

export interface TraceCheckOptions {
  /** The kernel's packets of docker-proxy's leg (the trace's linked conversation). */
  readonly isLeg?: (k: KPacket) => boolean;
  /** An address nothing in the lab answers from: the trace's packets from it are not compared. */
  readonly silent?: string;
}

export interface PacketCheck {
  readonly status: 'agree' | 'differ' | 'skipped';
  /** A difference in the chain runs or the fate, a trace packet the kernel never traced, or a kernel packet the trace does not have. */
  readonly what?: 'runs' | 'fate' | 'missing' | 'extra';
  readonly trace?: TracedPacket;
  readonly kernel?: KernelPacket;
  /** Why it differs, or why it was not compared. */
  readonly why?: string;
}

export interface TraceCheck {
  readonly agree: boolean;
  /** The trace's packets in its order, then the kernel's packets it has no place for. */
  readonly checks: readonly PacketCheck[];
  /** What was left out, and the ports put in place. */
  readonly notes: readonly string[];
}

/** TCP segments the trace models only once each (ACK, data, FIN): the real stacks send more of them. */
const ownSegment = (k: PacketKind): boolean => k === 'segment' || k === 'fin';

function words(p: TracedPacket): string {
  return `its packet ${p.n} (${p.label}, ${p.start === 'out' ? 'local' : 'arriving'} ${p.addr}${p.flags ? ` [${p.flags}]` : ''})`;
}

/** Whether the trace has the packet stop outside netfilter (no route, not forwarding, a martian, lost, a drop by the stack), where the kernel's trace of it cannot show its fate. */
function stoppedOutside(t: TracedPacket): boolean {
  const last = t.runs[t.runs.length - 1]?.steps.at(-1)?.verdict;
  switch (t.fate?.fate) {
    case 'delivered':
    case 'no-listener':
    case 'forwarded':
    case 'sent':
    case 'bridged':
      return false;
    case 'dropped':
    case 'rejected':
    case 'queued':
      return last !== 'DROP' && last !== 'QUEUE';
    default:
      return true;
  }
}

const sameRuns = (t: TracedPacket, k: KernelPacket): boolean => t.runs.length === k.runs.length && t.runs.every((r, i) => runText(r) === runText(k.runs[i]!));

/** The kernel's packet for each of the trace's: same start, addresses, kind; the same flags and the conversation's order preferred. */
function pair(trace: readonly TracedPacket[], kernel: readonly KernelPacket[]): Map<TracedPacket, KernelPacket> {
  const used = new Set<KernelPacket>();
  const paired = new Map<TracedPacket, KernelPacket>();
  let last = -1;
  for (const t of trace) {
    if (!t.crosses) continue;
    const cands = kernel.filter((k) => !used.has(k) && k.start === t.start && k.addr === t.addr && k.kind === t.kind);
    const exact = cands.filter((k) => k.flags === t.flags);
    const after = (l: readonly KernelPacket[]): KernelPacket | undefined => l.find((k) => k.index > last);
    const k = after(exact) ?? exact[0] ?? after(cands) ?? cands[0];
    if (!k) continue;
    used.add(k);
    paired.set(t, k);
    last = k.index;
  }
  return paired;
}

function compared(t: TracedPacket, k: KernelPacket): PacketCheck {
  if (!sameRuns(t, k)) {
    if (t.flags !== k.flags) {
      return { status: 'skipped', trace: t, kernel: k, why: `the kernel's TCP stack sent this segment as [${k.flags}] where the trace has [${t.flags}], and the chains differ: not compared` };
    }
    return { status: 'differ', what: 'runs', trace: t, kernel: k };
  }
  return { status: 'agree', trace: t, kernel: k };
}

/** One conversation of the trace against the kernel's packets of it. */
function compareConversation(trace: readonly TracedPacket[], kernel: readonly KernelPacket[], silent: string | undefined, notes: string[], which = ''): PacketCheck[] {
  const paired = pair(trace, kernel);
  const checks: PacketCheck[] = [];
  const lastPaired = Math.max(-1, ...trace.map((t, i) => (paired.has(t) ? i : -1)));
  const extras = kernel.filter((k) => ![...paired.values()].includes(k));
  let merged = 0;
  let unanswered = false;
  trace.forEach((t, i) => {
    const k = paired.get(t);
    if (k) return void checks.push(compared(t, k));
    if (!t.crosses) return void checks.push({ status: 'skipped', trace: t, why: 'netfilter never sees it (in the kernel neither)' });
    if (silent && (t.addr.startsWith(`${silent}:`) || t.addr.startsWith(`${silent}>`))) {
      unanswered = true;
      return void checks.push({ status: 'skipped', trace: t, why: `the trace assumes ${silent} answers; nothing in the lab has that address` });
    }
    // Whatever follows an answer the lab cannot give never happens in the kernel.
    if (unanswered) return void checks.push({ status: 'skipped', trace: t, why: `it follows ${silent}'s answer, which nothing in the lab gives` });
    if (t.kind === 'segment' && i < lastPaired) {
      merged++;
      return void checks.push({ status: 'skipped', trace: t, why: 'the kernel\'s TCP stack sent no segment of this shape (it acknowledged or closed in other segments)' });
    }
    const instead = extras.filter((x) => !ownSegment(x.kind));
    const lastKernel = kernel[kernel.length - 1];
    // The host's own answer (a reset, an ICMP error): say what in the trace made it answer.
    const cause = trace[i - 1]?.fate;
    const because = cause && (cause.fate === 'no-listener' || cause.fate === 'rejected') ? ` (the trace sends it because its packet ${trace[i - 1]!.n} is ${cause.detail})` : '';
    checks.push({
      status: 'differ', what: 'missing', trace: t,
      why: `the emulator's trace has ${words(t)}${because}, but the kernel traced no such packet${
        instead.length ? `; it traced ${instead.map((x) => `packet ${x.index} (${x.title})`).join(', ')} instead` : lastKernel ? `; the kernel's conversation ends with its packet ${lastKernel.index} (${lastKernel.title})` : '; the kernel traced no packet of this conversation'}`,
    });
  });
  if (merged) notes.push(`${which}${merged} TCP segment${merged === 1 ? '' : 's'} of the trace the kernel's stacks sent in another shape ${merged === 1 ? 'is' : 'are'} not compared.`);
  const final = [...trace].reverse().find((t) => t.crosses);
  const pairedKernel = [...paired.values()];
  let own = 0;
  let repeats = 0;
  let givingUp = 0;
  for (const k of extras) {
    if (ownSegment(k.kind)) own++;
    else if (pairedKernel.some((p) => p.start === k.start && p.addr === k.addr && p.kind === k.kind && p.flags === k.flags)) repeats++;
    else if (final && k.start === final.start && k.addr === final.addr) givingUp++;
    else if (final && stoppedOutside(final)) {
      // The same chains, but the trace has its last packet go no further: the kernel's answer shows it did.
      checks.push({ status: 'differ', what: 'fate', trace: final, kernel: k, why: `the emulator's trace has ${words(final)} go no further (${final.fate?.detail ?? 'no fate'}), but in the kernel it did: the kernel traced its packet ${k.index} (${k.title}) after it` });
      continue;
    } else {
      const ends = final ? `the trace's conversation ends with ${words(final)}${final.fate ? `: ${final.fate.detail}` : ''}` : 'the trace has no packet netfilter sees';
      checks.push({ status: 'differ', what: 'extra', kernel: k, why: `the kernel traced its packet ${k.index} (${k.title}), which the emulator's trace does not have: ${ends}` });
      continue;
    }
    checks.push({ status: 'skipped', kernel: k, why: ownSegment(k.kind) ? 'a TCP segment the trace has no place for' : 'sent again, or the sender giving up' });
  }
  if (own) notes.push(`${which}The kernel traced ${own} TCP segment${own === 1 ? '' : 's'} the trace has no place for (the lab's echo and acknowledgements, or segments after the trace's conversation ended); the replay compares them.`);
  if (repeats + givingUp) notes.push(`${which}${repeats + givingUp} kernel packet${repeats + givingUp === 1 ? '' : 's'} repeat${repeats + givingUp === 1 ? 's' : ''} one the trace has or come${repeats + givingUp === 1 ? 's' : ''} from its last sender giving up (a retransmission, a reset after the lab's timeout); not held against the trace.`);
  return checks;
}

/** Puts the kernel's client port in the trace's packets where the lab's client got another one from its kernel. */
function alignPorts(trace: readonly TracedPacket[], kernel: readonly KernelPacket[]): { trace: TracedPacket[]; from?: number; to?: number } {
  const t0 = trace.find((t) => t.crosses);
  const k0 = t0 && kernel.find((k) => k.start === t0.start && k.kind === t0.kind && withoutSourcePort(k.addr) === withoutSourcePort(t0.addr));
  const from = t0 && sourcePort(t0.addr);
  const to = k0 && sourcePort(k0.addr);
  if (from === undefined || to === undefined || from === to) return { trace: [...trace] };
  return { trace: trace.map((t) => withPort(t, from, to)), from, to };
}

/** The trace's events against the kernel's packets (as the replay listed them). */
export function checkTrace(events: readonly TraceEvent[], replay: ReplayResult, o: TraceCheckOptions = {}): TraceCheck {
  const all = tracedPackets(events);
  const kernel = kernelPackets(replay);
  const main = all[0]?.conversation;
  const notes: string[] = [];
  const isLeg = (k: KernelPacket): boolean => !!o.isLeg?.(k.packet);
  const mainPorts = alignPorts(all.filter((t) => t.conversation === main), kernel.filter((k) => !isLeg(k)));
  if (mainPorts.from !== undefined) notes.push(`The lab's client got port ${mainPorts.to} from its kernel where the trace's has ${mainPorts.from}; the trace's packets are compared with ${mainPorts.to} in its place.`);
  const checks = compareConversation(mainPorts.trace, kernel.filter((k) => !isLeg(k)), o.silent, notes);
  const linked = all.filter((t) => t.conversation !== main);
  if (linked.length && o.isLeg) {
    const legPorts = alignPorts(linked, kernel.filter(isLeg));
    if (legPorts.from !== undefined) notes.push(`docker-proxy's leg: the lab's stand-in for docker-proxy got port ${legPorts.to} from its kernel where the trace's proxy has ${legPorts.from}; the trace's packets are compared with ${legPorts.to} in its place.`);
    checks.push(...compareConversation(legPorts.trace, kernel.filter(isLeg), o.silent, notes, 'docker-proxy\'s leg: '));
  } else if (linked.length) {
    notes.push('The trace\'s linked conversation (docker-proxy\'s own connection) was not sent in the lab, so it is not compared.');
    checks.push(...linked.map((t): PacketCheck => ({ status: 'skipped', trace: t, why: 'the lab did not send this conversation' })));
  }
  return { agree: checks.every((c) => c.status !== 'differ'), checks, notes };
}

/**
 * The trace the user sees, from the port the kernel's client got: `trace`
 * runs the emulator for a client port (undefined: the trace's own choice),
 * and when the user named no port the trace is run again from the kernel's,
 * so both sides decide on the same packets.
 */
export function checkTraceFromKernelPort(trace: (sport?: number) => readonly TraceEvent[], portGiven: boolean, replay: ReplayResult, o: TraceCheckOptions = {}): TraceCheck {
  const first = trace();
  if (portGiven) return checkTrace(first, replay, o);
  const packets = tracedPackets(first);
  const t0 = packets.find((t) => t.crosses && t.conversation === packets[0]!.conversation);
  const k0 = t0 && kernelPackets(replay).find((k) => !o.isLeg?.(k.packet) && k.start === t0.start && k.kind === t0.kind && withoutSourcePort(k.addr) === withoutSourcePort(t0.addr));
  const from = t0 && sourcePort(t0.addr);
  const to = k0 && sourcePort(k0.addr);
  if (from === undefined || to === undefined || from === to) return checkTrace(first, replay, o);
  const r = checkTrace(trace(to), replay, o);
  return { ...r, notes: [`The lab's client got port ${to} from its kernel; the emulator's trace is compared as traced from that port (nflens trace uses ${from} when no port is given).`, ...r.notes] };
}
