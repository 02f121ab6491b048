/**
 * An overlay case's kernel traces replayed through the emulator: each host's
 * crossings through that host as the overlay world models it (its rules,
 * its overlay host model, its own conntrack), in that host's order; then
 * all of them in the conversation's order and held against the overlay
 * trace (overlayCompare.ts). Pure: the kernel's traces come in as data.
 */
import { Emulator } from '../emulator/index';
import { overlayHostModel } from '../emulator/overlay/hostModel';
import type { Workspace } from '../emulator/overlay/workspace';
import type { TraceEvent } from '../emulator/trace';
import type { UnknownAssumption } from '../emulator/traverse';
import type { HostRules } from './firstDifference';
import type { KEpisode } from './kernelTrace';
import { overlayComparison, type HostEpisode } from './overlayCompare';
import { renderComparison, Replayer, type ReplayResult } from './replay';

export interface OverlayReplay {
  readonly agree: boolean;
  readonly episodes: readonly HostEpisode[];
  /** Both sides, crossing by crossing. */
  readonly report: string;
}

export function replayOverlay(
  ws: Workspace, rules: ReadonlyMap<string, HostRules>, episodes: ReadonlyMap<string, readonly KEpisode[]>, handles: ReadonlyMap<string, ReadonlyMap<string, number>>,
  traceEvents: readonly TraceEvent[], seed: number, assume: UnknownAssumption,
): OverlayReplay {
  const replays = new Map<string, ReplayResult>();
  for (const h of ws.hosts) {
    const model = overlayHostModel(h, ws);
    const emu = new Emulator(rules.get(h.name)?.ruleset ?? { family: 'ipv4', tables: new Map() }, model, { seed, assume });
    replays.set(h.name, new Replayer(emu, model, handles.get(h.name) ?? new Map(), 'tunnel').run(episodes.get(h.name) ?? []));
  }
  const r = overlayComparison(ws.hosts.map((h) => h.name), replays, traceEvents);
  return { ...r, report: renderComparison(r) };
}
