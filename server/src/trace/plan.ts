/**
 * From a trace request as a person gives it (protocol, source and
 * destination by address or name, where the first packet comes from) to
 * the emulator's conversation, on a given host. Shared by `nflens trace`
 * and the editor's Trace Packet; problems are returned, never thrown.
 */
import type { ConversationSpec, Origin } from '../emulator/conversation';
import type { InferHints } from '../emulator/host/infer';
import type { HostModel } from '../emulator/host/model';
import { parseIpv4Strict } from '../lang/iptables/inet';
import { resolveEndpoint, type EndpointWords } from './endpoint';

export const TRACE_PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
export type TraceProtocol = (typeof TRACE_PROTOCOLS)[number];

/** Where the first packet comes from; nothing said: from where a named source peer is. */
export interface TraceOrigin {
  readonly local?: boolean;
  readonly iface?: string;
  /** A peer of the host sends it (its address is the default source). */
  readonly peer?: string;
}

/** What only a host inferred from the rules needs: the interface it leaves by, and whether the destination is this host. */
export interface InferGuess {
  readonly outIface?: string;
  /** Default true: a packet arriving on an interface is taken to be for the host. */
  readonly dstIsLocal?: boolean;
}

export interface TraceRequestSpec {
  readonly proto: string;
  /** An address or a name, optionally with ":PORT". */
  readonly src?: string;
  readonly sport?: number;
  readonly dst?: string;
  readonly dport?: number;
  readonly origin: TraceOrigin;
  readonly guess?: InferGuess;
}

export interface PlanWords {
  readonly src: EndpointWords;
  readonly dst: EndpointWords;
  /** Neither an interface, a local process nor a peer. */
  readonly noOrigin: string;
}

export function isTraceProtocol(p: string): p is TraceProtocol {
  return (TRACE_PROTOCOLS as readonly string[]).includes(p);
}

/** Hints for inferring a host from the rules: the interfaces named, and (arriving on one) the destination as its address. */
export function inferHintsFor(req: TraceRequestSpec): InferHints {
  const iface = req.origin.iface;
  const ifaces = [iface, req.guess?.outIface].filter((x): x is string => !!x);
  const dst = parseIpv4Strict((req.dst ?? '').split(':')[0] ?? '');
  const local = iface && !req.origin.local && (req.guess?.dstIsLocal ?? true) && dst !== undefined;
  return { ifaces, ...(local ? { localAddr: { addr: dst, iface } } : {}) };
}

const validPort = (p: number | undefined): boolean => p === undefined || (Number.isInteger(p) && p >= 0 && p <= 65535);

/**
 * The conversation `req` asks for on `host`. Names of peers and of the host
 * are looked up in `names` (the CLI knows names only from a description).
 */
export function planConversation(req: TraceRequestSpec, host: HostModel, words: PlanWords, names: HostModel | undefined): { readonly spec: ConversationSpec } | { readonly error: string } {
  if (!isTraceProtocol(req.proto)) return { error: `The protocol must be tcp, udp or icmp, not "${req.proto}".` };
  if (!validPort(req.sport) || !validPort(req.dport)) return { error: 'Ports are numbers from 0 to 65535.' };
  const sender = req.origin.peer !== undefined ? host.peers.find((p) => p.name === req.origin.peer) : undefined;
  if (req.origin.peer !== undefined && !sender) return { error: `${host.name} has no peer "${req.origin.peer}" (${host.peers.map((p) => p.name).join(', ') || 'none described'}).` };
  // A local process with no source given: the kernel picks it from the route (address 0 until then).
  const src = !req.src && !sender && req.origin.local ? { addr: 0 } : resolveEndpoint(req.src || sender?.name, words.src, sender ? host : names);
  const dst = resolveEndpoint(req.dst, words.dst, names);
  if (typeof src === 'string') return { error: src };
  if (typeof dst === 'string') return { error: dst };
  // A peer named as the source sends from where it is; the host named as the source is a local process.
  const local = !!req.origin.local || !!src.isHost;
  const iface = req.origin.iface ?? (sender ?? src.peer)?.via;
  let origin: Origin;
  if (sender) origin = { kind: 'peer', peer: sender };
  else if (local) origin = { kind: 'local' };
  else if (!iface) return { error: words.noOrigin };
  else {
    const peer = src.peer ?? host.peers.find((p) => p.addr === src.addr);
    origin = peer && (peer.via === iface || peer.port === iface) ? { kind: 'peer', peer } : { kind: 'iface', iface };
  }
  const sport = req.sport ?? src.port;
  const dport = req.dport ?? dst.port;
  const ports = req.proto !== 'icmp';
  return {
    spec: {
      proto: req.proto,
      src: src.addr,
      dst: dst.addr,
      origin,
      ...(ports && sport !== undefined ? { sport } : {}),
      ...(ports && dport !== undefined ? { dport } : {}),
    },
  };
}
