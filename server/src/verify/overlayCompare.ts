/**
 * Per host, the base-chain runs the VXLAN datagrams of one conversation made
 * in the kernel and in the emulator's overlay world. The VXLAN source port
 * comes from the kernel's flow hash, so it is left out of the comparison.
 *
 * `overlayComparison` is what nflens verify --workspace reports: every
 * crossing the kernel traced (a datagram leaving or entering a host),
 * replayed through that host's emulator, in the conversation's order; and
 * the overlay trace itself (what the editor's panel shows) held against the
 * kernel's first crossings, so the datagrams it sends (who to, from where)
 * are checked too. Pure.
 */
import type { TraceEvent } from '../emulator/trace';
import type { KEpisode } from './kernelTrace';
import { conversationOrder, type Crossing } from './overlayOrder';
import { emulatorChainRuns, emulatorHostRuns, kernelRuns, runText, type ChainRun, type EpisodeComparison, type ReplayResult } from './replay';

const anySport = (s: string): string => s.replace(/:(\d+)>([\d.]+):4789\b/g, ':*>$2:4789');

/** Kernel runs of the datagrams carrying frames of `outerLen` bytes (other traffic, e.g. IGMP through the overlay, is left out). */
export function kernelOverlayRuns(episodes: ReadonlyMap<string, readonly KEpisode[]>, handles: ReadonlyMap<string, ReadonlyMap<string, number>>, outerLen: number): Map<string, string[]> {
  return new Map([...episodes].map(([host, eps]) => [host, eps.filter((e) => e.packet.len === outerLen).flatMap((e) => kernelRuns(e, handles.get(host)!)).map(anySport)]));
}

export function emulatorOverlayRuns(events: readonly TraceEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of emulatorHostRuns(events)) out.set(r.host, [...(out.get(r.host) ?? []), anySport(r.run)]);
  return out;
}

/** The overlay trace cut into host crossings: each starts where a packet enters a host (PREROUTING) or leaves a local sender (OUTPUT). */
export function emulatorCrossings(events: readonly TraceEvent[]): { host: string; runs: ChainRun[] }[] {
  const slices: TraceEvent[][] = [];
  for (const e of events) {
    if (e.type === 'hook' && (e.hook === 'PREROUTING' || e.hook === 'OUTPUT')) slices.push([e]);
    else slices[slices.length - 1]?.push(e);
  }
  return slices.map((s) => ({ host: (s[0] as Extract<TraceEvent, { type: 'hook' }>).host, runs: emulatorChainRuns(s).map((r) => r.run) }));
}

/** A comparison on one host of the workspace. */
export interface HostEpisode extends EpisodeComparison {
  readonly host: string;
}

const withoutSport = (r: ChainRun): ChainRun => ({ ...r, packet: anySport(r.packet) });

/** The crossing held against the overlay trace's crossing at the same place, when the replay agreed. */
function againstTrace(host: string, e: EpisodeComparison, w: { host: string; runs: ChainRun[] }): HostEpisode {
  const kernel = e.runs.kernel.map(withoutSport);
  const trace = w.runs.map(withoutSport);
  const k = kernel.map(runText);
  const m = trace.map(runText);
  const same = w.host === host && k.length === m.length && k.every((x, i) => x === m[i]);
  if (same) return { ...e, host, title: `${host}: ${e.title}` };
  return {
    host, title: `${host}: ${e.title}`, kernel: k, emulator: m, runs: { kernel, emulator: trace }, agree: false,
    note: w.host === host
      ? 'the overlay trace, as the panel shows it, differs from the kernel here; the kernel\'s own datagram replayed through the emulator agrees'
      : `the overlay trace has ${w.host}, not ${host}, here`,
  };
}

/** Each host's replay in the conversation's order, then held against the overlay trace's crossings. */
export function overlayComparison(hosts: readonly string[], replays: ReadonlyMap<string, ReplayResult>, traceEvents: readonly TraceEvent[]): { agree: boolean; episodes: HostEpisode[] } {
  const perHost = new Map<string, Crossing<EpisodeComparison>[]>(hosts.map((h) => [h, (replays.get(h)?.episodes ?? []).map((e) => ({ host: h, ...(e.kernelPacket ? { kernel: e.kernelPacket } : {}), item: e }))]));
  const ordered = conversationOrder(hosts, perHost);
  const told = emulatorCrossings(traceEvents);
  const episodes: HostEpisode[] = ordered.map((c, i) => {
    const w = told[i];
    return c.item.agree && w ? againstTrace(c.host, c.item, w) : { ...c.item, host: c.host, title: `${c.host}: ${c.item.title}` };
  });
  for (const w of told.slice(ordered.length)) {
    const emulator = w.runs.map(withoutSport);
    episodes.push({
      host: w.host, title: `${w.host}: a datagram of the overlay trace`, kernel: [], emulator: emulator.map(runText), runs: { kernel: [], emulator }, agree: false,
      note: 'the kernel traced no such crossing',
    });
  }
  return { agree: episodes.every((e) => e.agree), episodes };
}
