/**
 * The answers of Trace Packet… and the trace request they make: protocol,
 * who sends (an address arriving on an interface, this host, or a peer or
 * container by name), destination and port. Pure: also what the workspace
 * remembers between runs and what a rule's example packet pre-fills.
 */
import type { TraceParams } from '../../../server/src/protocol';
import type { InferGuess } from '../../../server/src/trace/plan';

export type TraceProto = 'tcp' | 'udp' | 'icmp';

export type SourceAnswer =
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'host' }
  | { readonly kind: 'peer'; readonly name: string };

export interface TraceAnswers {
  readonly proto: TraceProto;
  readonly source: SourceAnswer;
  /** An address or a name. */
  readonly dst: string;
  readonly dport?: number;
  /** Where an address source's first packet arrives. */
  readonly iface?: string;
  /** Kept from a rule's example packet. */
  readonly sport?: number;
  readonly guess?: InferGuess;
}

export const PROTOS: readonly TraceProto[] = ['tcp', 'udp', 'icmp'];

export const hasPorts = (p: TraceProto): boolean => p !== 'icmp';

export function answersToParams(uri: string, a: TraceAnswers): TraceParams {
  const ports = hasPorts(a.proto);
  const src = a.source.kind === 'address' ? a.source.address : a.source.kind === 'peer' ? a.source.name : '';
  const origin: TraceParams['origin'] = a.source.kind === 'host' ? { local: true } : a.source.kind === 'peer' ? { peer: a.source.name } : { iface: a.iface ?? '' };
  return {
    uri, proto: a.proto, src, dst: a.dst, origin,
    ...(ports && a.dport !== undefined ? { dport: a.dport } : {}),
    ...(ports && a.sport !== undefined ? { sport: a.sport } : {}),
    ...(a.guess ? { guess: a.guess } : {}),
  };
}

export function paramsToAnswers(p: TraceParams): TraceAnswers {
  const proto = (PROTOS as readonly string[]).includes(p.proto) ? (p.proto as TraceProto) : 'tcp';
  const o = p.origin;
  const source: SourceAnswer = 'local' in o ? { kind: 'host' } : 'peer' in o ? { kind: 'peer', name: o.peer } : { kind: 'address', address: p.src };
  return {
    proto, source, dst: p.dst,
    ...(p.dport !== undefined ? { dport: p.dport } : {}),
    ...(p.sport !== undefined ? { sport: p.sport } : {}),
    ...('iface' in o ? { iface: o.iface } : {}),
    ...(p.guess ? { guess: p.guess } : {}),
  };
}

/** "tcp client → docker-host:12580", "udp 198.51.100.7 on eth0 → 10.0.0.1:53". */
export function traceTitle(p: TraceParams): string {
  const o = p.origin;
  const port = (x: number | undefined): string => (x !== undefined && p.proto !== 'icmp' ? `:${x}` : '');
  const from = 'local' in o ? (p.src ? `${p.src} (this host)` : 'this host') : 'peer' in o ? p.src || o.peer : `${p.src} on ${o.iface}`;
  return `${p.proto} ${from}${'local' in o ? '' : port(p.sport)} → ${p.dst}${port(p.dport)}`;
}

/** Whether stored answers (from an older version, or hand-edited state) can be used. */
export function isTraceAnswers(x: unknown): x is TraceAnswers {
  if (!x || typeof x !== 'object') return false;
  const a = x as Record<string, unknown>;
  const s = a.source as Record<string, unknown> | undefined;
  const sourceOk = !!s && (s.kind === 'host' || (s.kind === 'peer' && typeof s.name === 'string') || (s.kind === 'address' && typeof s.address === 'string'));
  return (PROTOS as readonly unknown[]).includes(a.proto) && sourceOk && typeof a.dst === 'string' && (a.dport === undefined || typeof a.dport === 'number');
}
