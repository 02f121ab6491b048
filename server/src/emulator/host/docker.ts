/**
 * The Docker part of a host description: whether docker-proxy handles
 * published ports, and which ports are published to which container. With
 * the proxy on (Docker's default) every published port is a local listener
 * that forwards to the container; with it off dockerd still binds the port
 * (so nothing else can) but never accepts: the DNAT rules do the work.
 */
import { prop, type JsonNode } from '../../lang/json';
import { ip4 } from '../packet';
import type { Listener, Peer } from './model';
import type { Reader } from './file';

export const DOCKER_KEYS = ['userlandProxy', 'published'] as const;
export const PUBLISHED_KEYS = ['proto', 'hostIp', 'hostPort', 'container', 'containerPort'] as const;

export interface DockerFacts {
  readonly userlandProxy: boolean;
  /** Listeners the published ports add on the host. */
  readonly listeners: readonly Listener[];
}

export function readDocker(r: Reader, node: JsonNode | undefined, peers: readonly Peer[]): DockerFacts | undefined {
  if (!node || !r.obj(node, 'docker')) return undefined;
  r.known(node, DOCKER_KEYS, 'docker');
  const userlandProxy = r.bool(prop(node, 'userlandProxy')?.value, 'userlandProxy') ?? true;
  const listeners: Listener[] = [];
  for (const p of r.arr(prop(node, 'published')?.value, 'published')) {
    if (!r.obj(p, 'A published port')) continue;
    r.known(p, PUBLISHED_KEYS, 'a published port');
    const protoText = r.str(prop(p, 'proto')?.value, 'proto') ?? 'tcp';
    const proto = protoText === 'udp' ? 'udp' : 'tcp';
    const hostPort = r.num(prop(p, 'hostPort')?.value, 'hostPort', 1, 65535);
    const containerPort = r.num(prop(p, 'containerPort')?.value, 'containerPort', 1, 65535) ?? hostPort;
    const who = r.str(prop(p, 'container')?.value, 'container');
    const peer = peers.find((q) => q.name === who) ?? peers.find((q) => who !== undefined && q.addr === r.addr(prop(p, 'container')?.value, 'container'));
    if (hostPort === undefined || containerPort === undefined || !peer) {
      r.err(p.span, 'A published port needs "hostPort" and a "container" that is one of the peers (by name).');
      continue;
    }
    const addr = r.addr(prop(p, 'hostIp')?.value, 'hostIp') ?? 0;
    listeners.push(publishedListener({ proto, hostIp: addr, hostPort, containerAddr: peer.addr, containerPort }, userlandProxy));
  }
  return { userlandProxy, listeners };
}

export interface PublishedPort {
  readonly proto: 'tcp' | 'udp';
  /** 0 = every address of the host. */
  readonly hostIp: number;
  readonly hostPort: number;
  readonly containerAddr: number;
  readonly containerPort: number;
}

/** The host socket a published port is: docker-proxy forwarding to the container, or dockerd's reservation. */
export function publishedListener(p: PublishedPort, userlandProxy: boolean): Listener {
  const publishes = { addr: p.containerAddr, port: p.containerPort };
  return userlandProxy
    ? { proto: p.proto, addr: p.hostIp, port: p.hostPort, program: 'docker-proxy', forwardTo: publishes, publishes }
    : { proto: p.proto, addr: p.hostIp, port: p.hostPort, program: 'dockerd (port reserved, never accepts)', publishes };
}

/** A listener already bound where this one would be (the same port on an overlapping address): the first one wins. */
export function listenerClash(listeners: readonly Listener[], l: Listener): boolean {
  return listeners.some((x) => x.proto === l.proto && x.port === l.port && (x.addr === 0 || l.addr === 0 || x.addr === l.addr));
}

/** How a trace's assumption names a published port's listener. */
export function describePublished(p: PublishedPort, userlandProxy: boolean): string {
  const where = `${p.proto}/${p.hostPort}${p.hostIp ? ` of ${ip4(p.hostIp)}` : ''}`;
  return userlandProxy
    ? `docker-proxy listens on ${where} and forwards to ${ip4(p.containerAddr)}:${p.containerPort}`
    : `dockerd reserves ${where} but never accepts: the DNAT rules take connections to ${ip4(p.containerAddr)}:${p.containerPort}`;
}
