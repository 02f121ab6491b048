/**
 * Per host, the base-chain runs the VXLAN datagrams of one conversation made
 * in the kernel and in the emulator's overlay world. The VXLAN source port
 * comes from the kernel's flow hash, so it is left out of the comparison.
 */
import type { TraceEvent } from '../emulator/trace';
import type { KEpisode } from './kernelTrace';
import { emulatorHostRuns, kernelRuns } from './replay';

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
