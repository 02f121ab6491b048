/**
 * The Docker part of a host description: whether docker-proxy handles
 * published ports, and which ports are published to which container. With
 * the proxy on (Docker's default) every published port is a local listener
 * that forwards to the container; with it off dockerd still binds the port
 * (so nothing else can) but never accepts: the DNAT rules do the work.
 */
import { prop, type JsonNode } from '../../lang/json';
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
    listeners.push(
      userlandProxy
        ? { proto, addr, port: hostPort, program: 'docker-proxy', forwardTo: { addr: peer.addr, port: containerPort } }
        : { proto, addr, port: hostPort, program: 'dockerd (port reserved, never accepts)' },
    );
  }
  return { userlandProxy, listeners };
}
