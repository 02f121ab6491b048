/**
 * Both sides of one conversation as packets that can be held against each
 * other: the emulator's trace cut at its `packet` events (what `nflens
 * trace` numbers Packet 1, 2, …) and the kernel's packets as the replay
 * listed them (loopback re-entries already joined to their packet). Each
 * packet gets the same key on both sides: where it started (arriving, or
 * from a local socket), its addresses and ports as it started, what kind of
 * packet it is, and its TCP flags. Pure.
 */
import type { Fate, RuleRef, TraceEvent } from '../emulator/trace';
import { PROTO_ICMP, PROTO_TCP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../emulator/packet';
import type { KPacket } from './kernelTrace';
import { eAddr, emulatorChainRuns, kAddr, type ChainRun, type ReplayResult } from './replay';

/** What a packet is to its conversation: the TCP handshake, close and reset, other TCP segments, a datagram, an echo or an ICMP error. */
export type PacketKind = 'syn' | 'syn-ack' | 'rst' | 'fin' | 'segment' | 'udp' | 'echo' | 'icmp-error';

export interface SidePacket {
  readonly start: 'pre' | 'out';
  /** "a:p>b:q" (or "a>b" for ICMP) as the packet started, before any NAT. */
  readonly addr: string;
  readonly kind: PacketKind;
  /** TCP flags, sorted names ("ACK FIN"); empty for UDP and ICMP. */
  readonly flags: string;
  readonly runs: readonly ChainRun[];
}

/** A packet of the emulator's trace. */
export interface TracedPacket extends SidePacket {
  readonly conversation: number;
  /** Its number in its conversation, as the trace tells it. */
  readonly n: number;
  readonly label: string;
  readonly dir: 'original' | 'reply';
  /** Whether netfilter sees it at all (a frame sent straight out of a bridge port is never traced). */
  readonly crosses: boolean;
  readonly fate?: { readonly fate: Fate; readonly detail: string; readonly rule?: RuleRef };
}

/** A packet the kernel traced. */
export interface KernelPacket extends SidePacket {
  /** 1-based, as the replay numbers it in the report. */
  readonly index: number;
  readonly title: string;
  readonly packet: KPacket;
}

const FLAG_NAMES: readonly (readonly [number, string])[] = [[TCP_ACK, 'ACK'], [TCP_FIN, 'FIN'], [TCP_PSH, 'PSH'], [TCP_RST, 'RST'], [TCP_SYN, 'SYN'], [TCP_URG, 'URG']];

function tcpKind(names: readonly string[]): PacketKind {
  if (names.includes('RST')) return 'rst';
  if (names.includes('SYN')) return names.includes('ACK') ? 'syn-ack' : 'syn';
  return names.includes('FIN') ? 'fin' : 'segment';
}

function emulatorKey(p: Packet): { kind: PacketKind; flags: string } {
  if (p.proto === PROTO_TCP) {
    const names = FLAG_NAMES.filter(([bit]) => p.tcpFlags & bit).map(([, n]) => n);
    return { kind: tcpKind(names), flags: names.join(' ') };
  }
  if (p.proto === PROTO_ICMP) return { kind: p.icmpType === 8 || p.icmpType === 0 ? 'echo' : 'icmp-error', flags: '' };
  return { kind: 'udp', flags: '' };
}

/** A ping's IP length (84: ping's default 56 bytes of data); the trace shows no ICMP type, so any other length is an error. */
const PING_LEN = 84;

export function kernelKey(k: KPacket): { kind: PacketKind; flags: string } {
  if (k.flags) {
    const names = [...k.flags].sort();
    return { kind: tcpKind(names), flags: names.join(' ') };
  }
  if (k.sport !== undefined) return { kind: 'udp', flags: '' };
  return { kind: k.len === PING_LEN ? 'echo' : 'icmp-error', flags: '' };
}

/** The trace's packets, in its order, each with the base-chain runs and fate it has there. */
export function tracedPackets(events: readonly TraceEvent[]): TracedPacket[] {
  const slices: TraceEvent[][] = [];
  for (const e of events) {
    if (e.type === 'packet') slices.push([e]);
    else if (e.type === 'conversation') slices.push([]);
    else slices[slices.length - 1]?.push(e);
  }
  const out: TracedPacket[] = [];
  for (const s of slices) {
    const head = s[0];
    if (head?.type !== 'packet') continue;
    const hook = s.find((e): e is Extract<TraceEvent, { type: 'hook' }> => e.type === 'hook');
    const fate = s.find((e): e is Extract<TraceEvent, { type: 'fate' }> => e.type === 'fate');
    const first = hook?.packet ?? head.packet;
    out.push({
      conversation: head.conversation, n: head.n, label: head.label, dir: head.dir,
      start: hook ? (hook.hook === 'OUTPUT' ? 'out' : 'pre') : 'local' in head.from ? 'out' : 'pre',
      addr: eAddr(first), ...emulatorKey(first),
      runs: emulatorChainRuns(s).map((r) => r.run),
      crosses: !!hook,
      ...(fate ? { fate: { fate: fate.fate, detail: fate.detail, ...(fate.rule ? { rule: fate.rule } : {}) } } : {}),
    });
  }
  return out;
}

/** Every packet the kernel traced, as the replay listed it (a REJECT reply the kernel never sent is not one). */
export function kernelPackets(r: ReplayResult): KernelPacket[] {
  const out: KernelPacket[] = [];
  r.episodes.forEach((e, i) => {
    if (!e.kernelPacket) return;
    const k = e.kernelPacket.packet;
    out.push({ index: i + 1, title: e.title, packet: k, start: e.kernelPacket.start, addr: kAddr(k), ...kernelKey(k), runs: e.runs.kernel });
  });
  return out;
}

/** The same packet with another client port: in its key and in every chain run's addresses. */
export function withPort<T extends SidePacket>(p: T, from: number, to: number): T {
  if (from === to) return p;
  const re = new RegExp(`:${from}(?=>|$)`, 'g');
  const swap = (s: string): string => s.replace(re, `:${to}`);
  return { ...p, addr: swap(p.addr), runs: p.runs.map((r) => ({ ...r, packet: swap(r.packet) })) };
}

/** The source port in a key ("a:p>b:q"), if it has ports. */
export function sourcePort(addr: string): number | undefined {
  const m = /^[\d.]+:(\d+)>/.exec(addr);
  return m ? Number(m[1]) : undefined;
}

/** The key without the source port: the same conversation from whatever port the client got. */
export function withoutSourcePort(addr: string): string {
  return addr.replace(/^([\d.]+):\d+>/, '$1:*>');
}
