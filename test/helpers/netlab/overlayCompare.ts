/**
 * Per host, the base-chain runs the VXLAN datagrams of one conversation made
 * in the kernel and in the emulator's overlay world. The VXLAN source port
 * comes from the kernel's flow hash, so it is left out of the comparison.
 */
import { ip4, PROTO_TCP, PROTO_UDP, type Packet } from '../../../server/src/emulator/packet';
import type { TraceEvent } from '../../../server/src/emulator/trace';
import type { KEpisode } from './kernelTrace';
import { kernelRuns } from './replay';

const anySport = (s: string): string => s.replace(/:(\d+)>([\d.]+):4789\b/g, ':*>$2:4789');

/** Kernel runs of the datagrams carrying frames of `outerLen` bytes (other traffic, e.g. IGMP through the overlay, is left out). */
export function kernelOverlayRuns(episodes: ReadonlyMap<string, readonly KEpisode[]>, handles: ReadonlyMap<string, ReadonlyMap<string, number>>, outerLen: number): Map<string, string[]> {
  return new Map([...episodes].map(([host, eps]) => [host, eps.filter((e) => e.packet.len === outerLen).flatMap((e) => kernelRuns(e, handles.get(host)!)).map(anySport)]));
}

function addr(p: Packet): string {
  return p.proto === PROTO_TCP || p.proto === PROTO_UDP ? `${ip4(p.src)}:${p.sport}>${ip4(p.dst)}:${p.dport}` : `${ip4(p.src)}>${ip4(p.dst)}`;
}

export function emulatorOverlayRuns(events: readonly TraceEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let host = '';
  let cur: Packet | undefined;
  let run: { head: string; steps: string[]; host: string } | undefined;
  const all: { head: string; steps: string[]; host: string }[] = [];
  for (const e of events) {
    if (e.type === 'hook') {
      host = e.host;
      cur = e.packet;
      run = undefined;
    } else if (e.type === 'rewrite') cur = e.after;
    else if (e.type === 'table' && cur) {
      run = { head: `${e.table} ${e.hook} ${addr(cur)}`, steps: [], host };
      all.push(run);
    } else if (e.type === 'verdict' && run) {
      if (e.verdict === 'POLICY') run.steps.push(`policy:${e.detail}`);
      else if (e.rule) run.steps.push(`${e.rule.chain}#${e.rule.index}:${e.verdict === 'REJECT' ? 'DROP' : e.verdict === 'NAT' ? 'ACCEPT' : e.verdict === 'JUMP' || e.verdict === 'GOTO' ? `${e.verdict}:${e.detail}` : e.verdict}`);
    }
  }
  for (const r of all) out.set(r.host, [...(out.get(r.host) ?? []), anySport(`${r.head} | ${r.steps.join(' ')}`)]);
  return out;
}
