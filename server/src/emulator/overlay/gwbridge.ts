/**
 * docker_gwbridge: the bridge network libnetwork attaches every overlay
 * container to as its second interface (eth1), with the container's default
 * route through the bridge's gateway on the host. What a container sends
 * outside its overlay subnet therefore enters its host from a bridge port
 * and is routed, filtered and masqueraded by the host's own iptables.
 * libnetwork creates it with icc off and ip-masq on (createGWNetwork); its
 * subnet comes from the local pools, usually 172.18.0.0/16 next to docker0.
 */
import { inNet, maskOf } from '../host/routing';
import type { Iface, Peer, Route } from '../host/model';

export const GWBRIDGE = 'docker_gwbridge';

export interface GwBridge {
  /** Network address and prefix of the bridge's subnet. */
  readonly net: number;
  readonly prefix: number;
  /** The bridge's own address on the host, the containers' default gateway. */
  readonly gateway: number;
  /** False when the workspace does not describe it and Docker's usual default is taken. */
  readonly described: boolean;
}

export const DEFAULT_GWBRIDGE: GwBridge = { net: 0xac120000, prefix: 16, gateway: 0xac120001, described: false };

/** A container's end of docker_gwbridge, as the host model needs it. */
export interface GwbridgeMember {
  readonly name: string;
  readonly addr: number;
}

export function broadcastOf(g: GwBridge): number {
  return (g.net | ~maskOf(g.prefix)) >>> 0;
}

/** Whether `addr` can be a container's address on the bridge (inside, not network, broadcast or gateway). */
export function usableOn(g: GwBridge, addr: number): boolean {
  return inNet(addr, g.net, g.prefix) && addr !== g.net && addr !== broadcastOf(g) && addr !== g.gateway;
}

/**
 * Docker's IPAM hands out the first free address of the subnet; described
 * addresses are reserved first, the others are given in the order `wanted`
 * lists them (taken to be the order the containers started). Undefined when
 * the subnet is full.
 */
export function allocateAddresses(g: GwBridge, reserved: ReadonlySet<number>, wanted: number): Array<number | undefined> {
  const out: Array<number | undefined> = [];
  let next = (g.net + 1) >>> 0;
  const last = broadcastOf(g);
  for (let i = 0; i < wanted; i++) {
    while (next < last && (reserved.has(next) || next === g.gateway)) next++;
    out.push(next < last ? next : undefined);
    next++;
  }
  return out;
}

/** The host-side name of a container's veth on the bridge: "veth" and 7 hex digits, as Docker names them (ours from the name, Docker's random). */
export function gwbridgePort(container: string): string {
  let h = 2166136261;
  for (let i = 0; i < container.length; i++) h = Math.imul(h ^ container.charCodeAt(i), 16777619) >>> 0;
  return `veth${h.toString(16).padStart(8, '0').slice(0, 7)}`;
}

/** The bridge on a host, one veth port per container, its connected route, and the containers as peers behind their ports. */
export function gwbridgeLinks(g: GwBridge, members: readonly GwbridgeMember[]): { ifaces: Iface[]; route: Route; peers: Peer[] } {
  const port = (name: string): Iface => ({ name, kind: 'veth', up: true, addrs: [], mtu: 1500, master: GWBRIDGE, routeLocalnet: false, rpFilter: 0 });
  return {
    ifaces: [{ name: GWBRIDGE, kind: 'bridge', up: true, addrs: [{ addr: g.gateway, prefix: g.prefix }], mtu: 1500, routeLocalnet: false, rpFilter: 0 }, ...members.map((m) => port(gwbridgePort(m.name)))],
    route: { dst: g.net, prefix: g.prefix, dev: GWBRIDGE, src: g.gateway, metric: 0, origin: 'connected' },
    peers: members.map((m) => ({ name: m.name, addr: m.addr, via: GWBRIDGE, port: gwbridgePort(m.name), kind: 'container' as const })),
  };
}
