/**
 * Trace events as JSON: dotted-quad addresses, 1-based source lines. What
 * `nflens trace --format json` prints and what the editor's trace panel
 * receives over the protocol, so both read the same shape.
 */
import { ip4, type Packet } from '../emulator/packet';
import type { Tuple } from '../emulator/ct';
import type { TraceEvent } from '../emulator/trace';

export interface JsonPacket {
  readonly src: string;
  readonly dst: string;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
  readonly tcpFlags?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly mark: number;
  readonly iif: string;
  readonly oif: string;
  /** Sent by the kernel itself, no process behind it: 'kernel' (its own sockets: resets, ICMP errors, echo replies) or 'none'. */
  readonly socket?: 'kernel' | 'none';
}

export interface JsonTuple {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly proto: number;
}

type PacketKey = 'packet' | 'before' | 'after' | 'inner' | 'outer';
type JsonField<K, V> = K extends PacketKey ? JsonPacket : K extends 'orig' | 'reply' ? JsonTuple : K extends 'via' | 'src' ? (V extends number | undefined ? string : V) : V;
type Jsonified<E> = E extends unknown ? { readonly [K in keyof E]: JsonField<K, E[K]> } : never;

/** A trace event as JSON. Rule references keep their shape; their `line` is 1-based. */
export type JsonTraceEvent = Jsonified<TraceEvent>;

export function jsonPacket(p: Packet): JsonPacket {
  return {
    src: ip4(p.src), dst: ip4(p.dst), proto: p.proto, sport: p.sport, dport: p.dport,
    ...(p.proto === 6 ? { tcpFlags: p.tcpFlags } : {}),
    ...(p.proto === 1 ? { icmpType: p.icmpType, icmpCode: p.icmpCode } : {}),
    mark: p.mark, iif: p.iif, oif: p.oif,
    ...(p.socket ? { socket: p.socket } : {}),
  };
}

function jsonTuple(t: Tuple): JsonTuple {
  return { src: ip4(t.src), dst: ip4(t.dst), sport: t.sport, dport: t.dport, proto: t.proto };
}

const PACKET_KEYS: ReadonlySet<string> = new Set<PacketKey>(['packet', 'before', 'after', 'inner', 'outer']);

/** The event for JSON: 1-based lines, readable addresses. */
export function toJsonEvent(e: TraceEvent): JsonTraceEvent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if ((k === 'rule' || k === 'from') && v && typeof v === 'object' && 'line' in v) out[k] = { ...(v as object), line: (v as { line: number }).line + 1 };
    else if (PACKET_KEYS.has(k) && v) out[k] = jsonPacket(v as Packet);
    else if ((k === 'orig' || k === 'reply') && v) out[k] = jsonTuple(v as Tuple);
    else if ((k === 'via' || k === 'src') && typeof v === 'number') out[k] = ip4(v);
    else out[k] = v;
  }
  return out as JsonTraceEvent;
}
