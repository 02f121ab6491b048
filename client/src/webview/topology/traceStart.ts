/**
 * Where a click in the topology view starts Trace Packet…: the rules file
 * to trace through and the answers to pre-fill. A published port: from a
 * peer behind the uplink (or an address arriving on it) to the host's port;
 * a peer: from it to the host's first service; a container: to another
 * container (one that listens, if any) or to the outside; an overlay
 * container: to a container of its network on another host. The view uses
 * the same words for its buttons' labels. Pure.
 */
import type { HostTopology, Topology } from '../../../../server/src/trace/topology';
import type { OverlayTopology } from '../../../../server/src/trace/overlayTopology';
import type { SourceAnswer, TraceAnswers, TraceProto } from '../../traceInput/traceAnswers';
import type { TraceTarget } from './topologyMessages';

export interface TraceStart {
  /** The rules file (URI) the trace runs through. */
  readonly uri: string;
  readonly answers: TraceAnswers;
  /** "tcp client → docker-host:12580" */
  readonly words: string;
}

export type TraceStartResult = TraceStart | { readonly error: string };

/** An address from outside (RFC 5737 documentation range): where a "from outside" trace starts. */
export const OUTSIDE_SOURCE = '198.51.100.7';
/** …and where a container's way "to the outside" goes when no external peer is described. */
export const OUTSIDE_DESTINATION = '203.0.113.10';

interface Service {
  readonly proto: TraceProto;
  readonly dport?: number;
}

function words(a: TraceAnswers): string {
  const s = a.source;
  const from = s.kind === 'host' ? 'this host' : s.kind === 'peer' ? s.name : `${s.address} on ${a.iface ?? '?'}`;
  return `${a.proto} ${from} → ${a.dst}${a.dport !== undefined && a.proto !== 'icmp' ? `:${a.dport}` : ''}`;
}

function start(uri: string | undefined, answers: TraceAnswers, noRules: string): TraceStartResult {
  return uri ? { uri, answers, words: words(answers) } : { error: noRules };
}

/** The host's first service: a published port, else a listener, else a ping. */
function service(h: HostTopology): Service {
  const p = h.published.find((x) => x.proto === 'tcp') ?? h.published[0];
  if (p) return { proto: p.proto, dport: p.hostPort };
  const l = h.listeners.find((x) => x.proto === 'tcp' || x.proto === 'udp');
  return l ? { proto: l.proto as TraceProto, dport: l.port } : { proto: 'icmp' };
}

/** Where packets from outside arrive: the uplink, else the first interface that is neither loopback, bridge nor bridge port. */
function arrival(h: HostTopology): string | undefined {
  return h.uplink ?? h.ifaces.find((i) => i.kind !== 'loopback' && i.kind !== 'bridge' && !i.master)?.name ?? h.ifaces.find((i) => i.kind !== 'loopback')?.name;
}

/** Someone outside: a described peer behind the arrival interface, else an address arriving on it. */
function outsider(h: HostTopology): { source: SourceAnswer; iface?: string } | undefined {
  const iface = arrival(h);
  const peer = h.peers.find((p) => p.kind !== 'container' && p.via === iface) ?? h.peers.find((p) => p.kind === 'external');
  if (peer) return { source: { kind: 'peer', name: peer.name } };
  return iface ? { source: { kind: 'address', address: OUTSIDE_SOURCE }, iface } : undefined;
}

function withService(a: Omit<TraceAnswers, 'proto'>, s: Service): TraceAnswers {
  return { ...a, proto: s.proto, ...(s.dport !== undefined ? { dport: s.dport } : {}) };
}

function listenService(listens: ReadonlyArray<{ readonly proto: string; readonly port: number }> | undefined): Service | undefined {
  const l = listens?.find((x) => x.proto === 'tcp' || x.proto === 'udp');
  return l && { proto: l.proto as TraceProto, dport: l.port };
}

function containerOut(h: HostTopology, name: string): TraceStartResult {
  const ext = h.peers.find((p) => p.kind === 'external' && p.via === h.uplink) ?? h.peers.find((p) => p.kind === 'external');
  const noRules = 'No rules file to trace through.';
  if (ext) return start(h.rulesUri, withService({ source: { kind: 'peer', name }, dst: ext.name }, listenService(ext.listens) ?? { proto: 'tcp', dport: 443 }), noRules);
  if (h.uplink) return start(h.rulesUri, { proto: 'tcp', source: { kind: 'peer', name }, dst: OUTSIDE_DESTINATION, dport: 443 }, noRules);
  return { error: `${h.name} has no default route and no external peer: nothing outside is known.` };
}

function hostStart(h: HostTopology, t: TraceTarget): TraceStartResult {
  const noRules = `No rules file to trace through: ${h.file ? 'the description names none and none is beside it' : 'none is open'}.`;
  switch (t.kind) {
    case 'port':
    case 'outside': {
      const who = t.kind === 'outside' ? { source: { kind: 'address', address: OUTSIDE_SOURCE } as const, iface: t.iface } : outsider(h);
      if (!who) return { error: `${h.name} has no interface packets from outside could arrive on.` };
      const dst = t.kind === 'port' && t.hostIp && t.hostIp !== '0.0.0.0' ? t.hostIp : h.name;
      const s = t.kind === 'port' ? { proto: t.proto, dport: t.port } : service(h);
      return start(h.rulesUri, withService({ source: who.source, dst, ...(who.iface ? { iface: who.iface } : {}) }, s), noRules);
    }
    case 'peer': {
      const p = h.peers.find((x) => x.name === t.name);
      if (!p) return { error: `${h.name} has no peer "${t.name}".` };
      return start(h.rulesUri, withService({ source: { kind: 'peer', name: p.name }, dst: h.name }, service(h)), noRules);
    }
    case 'container': {
      const c = h.peers.find((x) => x.name === t.name);
      if (!c) return { error: `${h.name} has no container "${t.name}".` };
      const others = h.peers.filter((x) => x.kind === 'container' && x.name !== c.name);
      const to = others.find((x) => listenService(x.listens)) ?? others[0];
      if (t.to === 'outside' || !to) return containerOut(h, c.name);
      return start(h.rulesUri, withService({ source: { kind: 'peer', name: c.name }, dst: to.name }, listenService(to.listens) ?? { proto: 'icmp' }), noRules);
    }
    default:
      return { error: 'This is not part of a single host.' };
  }
}

function overlayStart(o: OverlayTopology, t: TraceTarget): TraceStartResult {
  const uriOf = (host: string): string | undefined => o.hosts.find((h) => h.name === host)?.rulesUri ?? o.hosts.find((h) => h.rulesUri)?.rulesUri;
  const noRules = 'No host of the workspace has a rules file that can be read: nothing can be traced.';
  const ping = (src: string, dst: string, host: string): TraceStartResult => start(uriOf(host), { proto: 'icmp', source: { kind: 'peer', name: src }, dst }, noRules);
  if (t.kind === 'overlayContainer') {
    const c = o.containers.find((x) => x.name === t.name);
    if (!c) return { error: `The workspace has no container "${t.name}".` };
    const mates = o.containers.filter((x) => x.network === c.network && x.name !== c.name);
    const to = mates.find((x) => x.host !== c.host) ?? mates[0];
    if (to) return ping(c.name, to.name, c.host);
    const other = o.hosts.find((h) => h.name !== c.host);
    return other ? ping(c.name, other.name, c.host) : { error: `${c.name} is alone on its network and its host is the only one.` };
  }
  if (t.kind === 'tunnel') {
    for (const n of o.tunnels.find((x) => x.hosts.includes(t.from) && x.hosts.includes(t.to))?.networks ?? []) {
      const a = o.containers.find((c) => c.network === n.name && c.host === t.from);
      const b = o.containers.find((c) => c.network === n.name && c.host === t.to);
      if (a && b) return ping(a.name, b.name, t.from);
    }
    return { error: `No network has containers on both ${t.from} and ${t.to}.` };
  }
  return { error: 'This is not part of the overlay workspace.' };
}

export function traceStart(topology: Topology, target: TraceTarget): TraceStartResult {
  return topology.kind === 'host' ? hostStart(topology.host, target) : overlayStart(topology.overlay, target);
}
