/**
 * From a planned conversation to what the lab builds and sends: the
 * namespace the first packet leaves from, the traffic the agent there
 * sends, and the host description the lab is built from. That is the
 * user's description plus stand-ins where the emulator assumes someone the
 * description does not name: a source address arriving on an interface, a
 * remote destination behind a gateway (both get an address in the
 * namespace behind that interface), and a peer that answers on every port
 * (its agent listens on the one asked for). The emulator replays on the
 * user's description, not on this one.
 */
import type { ConversationSpec } from '../emulator/conversation';
import type { HostModel, Iface, Peer } from '../emulator/host/model';
import { Router } from '../emulator/host/routing';
import { ip4 } from '../emulator/packet';
import type { TrafficStep } from './traceCase';

export const SOURCE_STAND_IN = '(source)';
export const DESTINATION_STAND_IN = '(destination)';

export interface LabConversation {
  readonly labHost: HostModel;
  readonly step: TrafficStep;
  /** What the lab adds to the description, in words. */
  readonly notes: readonly string[];
  /** The destination when nothing in the lab has its address (the emulator assumes it answers; in the kernel nothing does). */
  readonly silent?: string;
}

/** Names `ip` gets after its `name`/`dev` keywords: what the kernel accepts, minus what a shell or sysctl path would read differently. */
const IFACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,14}$/;

/** An interface the lab builds as a veth to an "outside" namespace (not lo, a bridge or a bridge port). */
function isOutside(i: Iface | undefined): boolean {
  return !!i && i.kind !== 'loopback' && i.kind !== 'bridge' && !i.master;
}

/** Why the lab cannot build this host, if it cannot. */
export function labCannotBuild(host: HostModel): string | undefined {
  for (const i of host.ifaces.values()) {
    if (i.kind === 'loopback') continue;
    if (!IFACE_NAME.test(i.name)) return `the lab cannot build an interface named "${i.name}" (letters, digits, "_" and "-" only, at most 15)`;
    if (i.master && !host.peers.some((p) => p.port === i.name)) return `bridge port ${i.name} has no container peer behind it in the description (a peer with "port": "${i.name}")`;
    if (i.master && host.ifaces.get(i.master)?.addrs.length === 0) return `bridge ${i.master} has no address: the lab gives its containers addresses in the bridge's subnet`;
  }
  return undefined;
}

/** Why the lab has no namespace for a peer to send from, if it has none. */
function noNamespace(host: HostModel, p: Peer): string | undefined {
  if (p.kind === 'container') return p.port && host.ifaces.get(p.port)?.master ? undefined : `${p.name} has no bridge port in the description ("port"), so the lab has no namespace for it`;
  return isOutside(host.ifaces.get(p.via)) ? undefined : `${p.name} is reached through ${p.via}, which the lab does not build as a link to the outside`;
}

const OP = { tcp: 'tcp', udp: 'udp', icmp: 'ping' } as const;

export function labConversation(host: HostModel, spec: ConversationSpec): LabConversation | { readonly error: string } {
  const notes: string[] = [];
  let silent: string | undefined;
  const peers = [...host.peers];
  const ports = spec.proto !== 'icmp';
  const dport = spec.dport ?? 80;
  let from: string;
  let src: number | undefined;
  const standInSource = (iface: string): string => {
    peers.push({ name: SOURCE_STAND_IN, addr: spec.src, via: iface, kind: 'external' });
    notes.push(`The lab gives ${ip4(spec.src)} to the namespace behind ${iface} to send from.`);
    return SOURCE_STAND_IN;
  };
  const o = spec.origin;
  const router = new Router(host);
  if (o.kind === 'local') {
    if (spec.src && !router.isLocal(spec.src)) return { error: `a local process sends only from ${host.name}'s own addresses, and ${ip4(spec.src)} is not one of them` };
    from = 'host';
    src = spec.src || undefined;
  } else if (o.kind === 'peer') {
    const why = noNamespace(host, o.peer);
    if (why) return { error: why };
    if (spec.src !== o.peer.addr && o.peer.kind === 'container') return { error: `the lab sends from behind ${o.peer.port} only as ${o.peer.name} (${ip4(o.peer.addr)}), not from ${ip4(spec.src)}` };
    from = spec.src === o.peer.addr ? o.peer.name : standInSource(o.peer.via);
    src = spec.src;
  } else {
    const i = host.ifaces.get(o.iface);
    if (!i) return { error: `${host.name} has no interface "${o.iface}" in its description, so the lab cannot build it` };
    if (!isOutside(i)) {
      const what = i.kind === 'loopback' ? 'the loopback interface' : i.kind === 'bridge' ? 'a bridge: name a container behind it as --src' : 'a bridge port: name the container behind it as --src';
      return { error: `the lab cannot send a packet that arrives on ${o.iface}: it is ${what}` };
    }
    from = peers.find((p) => p.addr === spec.src && p.via === o.iface && p.kind !== 'container')?.name ?? standInSource(o.iface);
    src = spec.src;
  }
  // Whoever the packet is for answers in the lab as the emulator assumes it does.
  const target = peers.findIndex((p) => p.addr === spec.dst);
  if (target >= 0) {
    const p = peers[target]!;
    if (!p.listens && ports) peers[target] = { ...p, listens: [{ proto: spec.proto as 'tcp' | 'udp', addr: 0, port: dport }] };
  } else if (!router.isLocal(spec.dst)) {
    const route = router.lookupMain(spec.dst);
    if (route && (route.type ?? 'unicast') === 'unicast' && isOutside(host.ifaces.get(route.dev))) {
      peers.push({ name: DESTINATION_STAND_IN, addr: spec.dst, via: route.dev, kind: 'external', ...(ports ? { listens: [{ proto: spec.proto as 'tcp' | 'udp', addr: 0, port: dport }] } : {}) });
      notes.push(`The lab gives ${ip4(spec.dst)} to the namespace behind ${route.dev}, where it answers${ports ? ` on ${spec.proto}/${dport}` : ''} as the emulator assumes a remote host does.`);
    } else {
      notes.push(`Nothing in the lab has the address ${ip4(spec.dst)}: no answer will come back in the kernel.`);
      silent = ip4(spec.dst);
    }
  }
  const proxy = ports && router.isLocal(spec.dst) && host.listeners.some((l) => l.forwardTo && l.proto === spec.proto && l.port === dport && (l.addr === 0 || l.addr === spec.dst));
  // docker-proxy's own connection to the container is the second leg (proxyLeg.ts), sent when the emulator's trace opens it.
  if (proxy) notes.push(`The lab's agent holds ${spec.proto}/${dport} where docker-proxy would, and answers a connection it accepts.`);
  const step: TrafficStep = {
    from,
    op: OP[spec.proto],
    dst: ip4(spec.dst),
    ...(src ? { src: ip4(src) } : {}),
    ...(ports ? { dport } : {}),
    ...(ports && spec.sport !== undefined ? { sport: spec.sport } : {}),
  };
  return { labHost: { ...host, peers }, step, notes, ...(silent ? { silent } : {}) };
}
