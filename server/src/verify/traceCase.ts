/**
 * One differential trace case: load rules into the lab's host namespace
 * (iptables-nft-restore, conntrack flushed, tracing table added), send the
 * traffic, wait for the kernel's trace to end (a marker datagram to
 * 127.1.2.3), then replay the kernel's packets through a fresh emulator
 * and compare.
 */
import { Emulator } from '../emulator/index';
import type { HostModel } from '../emulator/host/model';
import type { UnknownAssumption } from '../emulator/traverse';
import { parseIptables } from '../lang/iptables/restoreParser';
import { handleIndex, parseTrace, TRACE_TABLE, type KEpisode, type TraceMonitor } from './kernelTrace';
import { run, type Lab, type Traffic } from './lab';
import { renderComparison, Replayer, type ReplayResult } from './replay';

export const MARKER = '127.1.2.3';

/**
 * A connection the kernel's conntrack table holds when a case's traffic starts: its first
 * packet went from `src` to `dst` and a reply came back (conntrack -I, status SEEN_REPLY), so
 * packets of it are ESTABLISHED in either direction. The emulator's replay starts without it:
 * only the kernel's trace of such a case says anything.
 */
export interface EstablishedConn {
  readonly proto: 'tcp' | 'udp';
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  /** The connection's mark (what -m connmark reads). */
  readonly mark?: number;
}

/** conntrack -I's arguments for it (TCP needs a state: ESTABLISHED), without its mark (conntrackMarkArgs). */
export function conntrackInsertArgs(c: EstablishedConn): string[] {
  const state = c.proto === 'tcp' ? ['--state', 'ESTABLISHED'] : [];
  return ['-I', ...tupleArgs(c), ...state, '-u', 'SEEN_REPLY', '-t', '60'];
}

/**
 * conntrack -U's arguments that give it its mark, when it has one. (Given to -I with -u after it,
 * conntrack-tools 1.4.7 puts -u's status bits in the mark: --mark 1 -u SEEN_REPLY made mark=2.)
 */
export function conntrackMarkArgs(c: EstablishedConn): string[] | undefined {
  return c.mark ? ['-U', ...tupleArgs(c), '--mark', String(c.mark)] : undefined;
}

const tupleArgs = (c: EstablishedConn): string[] => ['-p', c.proto, '-s', c.src, '-d', c.dst, '--sport', String(c.sport), '--dport', String(c.dport)];

/** The kernel's trace of a case could not be read completely; the case says nothing. */
export class TraceLost extends Error {}

export interface TrafficStep extends Traffic {
  /** 'host' or a peer's name. */
  readonly from: string;
}

export interface TraceCaseResult {
  readonly result: ReplayResult;
  readonly episodes: readonly KEpisode[];
  /** What the senders saw (connection answered, refused, timed out). */
  readonly outcomes: readonly { ok: boolean; detail: string }[];
  readonly report: string;
  readonly kernelText: string;
  /** "table/chain/handle" → the rule's index in its chain, as the rules were loaded for the case. */
  readonly handles: ReadonlyMap<string, number>;
}

export interface TraceCaseOptions {
  /** The emulator's randomness (default 1). */
  readonly seed?: number;
  /** How the emulator decides the matches it cannot evaluate (the kernel decides them for real; default 'match'). */
  readonly assume?: UnknownAssumption;
  /** Connections put in the host's conntrack table before the traffic (conntrack -I). */
  readonly established?: readonly EstablishedConn[];
  /** Senders run after the traffic, before the end marker (a test's crafted packets). */
  readonly more?: ReadonlyArray<() => void>;
}

export async function runTraceCase(
  lab: Lab, monitor: TraceMonitor, host: HostModel, rules: string, traffic: readonly TrafficStep[], caseNo: number, options: TraceCaseOptions = {},
): Promise<TraceCaseResult> {
  const { seed = 1, assume = 'match', established = [], more = [] } = options;
  lab.quiesce();
  await new Promise((r) => setTimeout(r, 30));
  const rulesPath = lab.scratch('rules', rules);
  const tracePath = lab.scratch('trace.nft', TRACE_TABLE);
  const listing = lab.hostShell(`nft flush ruleset && iptables-nft-restore < ${rulesPath} && nft -f ${tracePath} && { conntrack -F >/dev/null 2>&1; true; } && nft -a list ruleset`);
  const handles = handleIndex(listing);
  for (const c of established) {
    run(['ip', 'netns', 'exec', lab.hostNs, 'conntrack', ...conntrackInsertArgs(c)]);
    const mark = conntrackMarkArgs(c);
    if (mark) run(['ip', 'netns', 'exec', lab.hostNs, 'conntrack', ...mark]);
  }
  const offset = monitor.length;
  const outcomes: { ok: boolean; detail: string }[] = [];
  for (const t of traffic) {
    const { from, ...rest } = t;
    outcomes.push(await lab.send(from, rest));
  }
  for (const send of more) send();
  const port = 20000 + (caseNo % 20000);
  await lab.send('host', { op: 'udp', dst: MARKER, dport: port, timeoutMs: 1 });
  const seen = await monitor.waitFor(offset, (t) => t.includes(`DST=${MARKER} `), 5000);
  if (!seen) throw new TraceLost(monitor.exited ? 'xtables-monitor died (its netlink socket overflowed?)' : 'the kernel trace never showed the end-of-case marker');
  await new Promise((r) => setTimeout(r, 20));
  const kernelText = monitor.since(offset);
  const all = parseTrace(kernelText);
  // The marker is sent after all the traffic: it and whatever it caused are not part of the case.
  const cut = all.findIndex((e) => e.packet.dst === MARKER);
  // Multicast (the kernel's own IGMP reports) is not modelled.
  const episodes = (cut >= 0 ? all.slice(0, cut) : all).filter((e) => !/^2(2[4-9]|3\d)\./.test(e.packet.dst));
  const parsed = parseIptables(rules, { backend: 'nft', family: 'ipv4' });
  const emu = new Emulator(parsed.ruleset, host, { seed, assume });
  const result = new Replayer(emu, host, handles).run(episodes);
  return { result, episodes, outcomes, report: renderComparison(result), kernelText, handles };
}
