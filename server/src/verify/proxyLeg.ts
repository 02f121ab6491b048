/**
 * docker-proxy's second leg: when the emulator's trace shows a local proxy
 * (docker-proxy) accepting the connection and opening its own to the
 * container, the lab sends that connection too, as docker-proxy does it: a
 * process in the host namespace connecting from the address routing picks
 * towards the container (the bridge's gateway address) to the container's
 * port. The container's agent listens there, as the emulator has it answer.
 * Pure.
 */
import type { HostModel } from '../emulator/host/model';
import { Router } from '../emulator/host/routing';
import { ip4 } from '../emulator/packet';
import type { TraceEvent } from '../emulator/trace';
import type { ReplayResult } from './replay';
import type { TrafficStep } from './traceCase';

export interface ProxyLeg {
  /** What the lab sends after the first leg. */
  readonly step: TrafficStep;
  /** The emulator's linked conversation: its id and title ("docker-proxy → 172.17.0.4:12580"). */
  readonly conversation: number;
  readonly title: string;
  /** The lab's host, its target listening on the leg's port. */
  readonly labHost: HostModel;
  readonly note: string;
}

/** The second leg the emulator's trace opened, if it opened one the lab can send. */
export function proxyLeg(labHost: HostModel, events: readonly TraceEvent[]): ProxyLeg | undefined {
  const conv = events.find((e): e is Extract<TraceEvent, { type: 'conversation' }> => e.type === 'conversation' && e.linkedTo !== undefined);
  if (!conv) return undefined;
  const first = events.find((e): e is Extract<TraceEvent, { type: 'packet' }> => e.type === 'packet' && e.conversation === conv.id && e.dir === 'original');
  if (!first) return undefined;
  const p = first.packet;
  const proto: 'tcp' | 'udp' | undefined = p.proto === 6 ? 'tcp' : p.proto === 17 ? 'udp' : undefined;
  if (!proto) return undefined;
  const src = p.src || new Router(labHost).output(p.dst).src;
  const peers = labHost.peers.map((q) => (q.addr === p.dst && !q.listens?.some((l) => l.proto === proto && l.port === p.dport) ? { ...q, listens: [...(q.listens ?? []), { proto, addr: 0, port: p.dport }] } : q));
  const step: TrafficStep = { from: 'host', op: proto, dst: ip4(p.dst), dport: p.dport, ...(src ? { src: ip4(src) } : {}) };
  return {
    step,
    conversation: conv.id,
    title: conv.title,
    labHost: { ...labHost, peers },
    note: `docker-proxy's own connection (${conv.title}) is sent after the first leg by a process in the host namespace${src ? ` from ${ip4(src)}` : ''}, as docker-proxy opens it, and compared too; the lab's agent stands in for docker-proxy on the first leg.`,
  };
}

/** Whether a kernel packet ("a:1>b:2", either way) belongs to the second leg. */
export function isLegPacket(leg: TrafficStep, src: string, dst: string, sport: number | undefined, dport: number | undefined): boolean {
  const there = dst === leg.dst && dport === leg.dport && (!leg.src || src === leg.src);
  const back = src === leg.dst && sport === leg.dport && (!leg.src || dst === leg.src);
  return there || back;
}

/** The second leg's packets marked in the comparison ("docker-proxy's leg: …"), and their numbers (1-based). */
export function markLeg(r: ReplayResult, leg: TrafficStep): { result: ReplayResult; packets: number[] } {
  const packets: number[] = [];
  const episodes = r.episodes.map((e, i) => {
    const k = e.kernelPacket?.packet;
    if (!k || !isLegPacket(leg, k.src, k.dst, k.sport, k.dport)) return e;
    packets.push(i + 1);
    return { ...e, title: `docker-proxy's leg: ${e.title}` };
  });
  return { result: { ...r, episodes }, packets };
}
