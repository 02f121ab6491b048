/**
 * What one host of an overlay workspace looks like to its own netfilter:
 * eth0 on the underlay, docker_gwbridge with a port per overlay container
 * on this host, the other hosts as peers, and the sockets Docker's overlay
 * needs. The overlay namespaces (br0, the VXLAN devices, the containers'
 * eth0) are not part of it: the host's iptables never see them.
 */
import type { HostModel, Iface } from '../host/model';
import { maskOf } from '../host/routing';
import { ip4 } from '../packet';
import { GWBRIDGE, gwbridgeLinks } from './gwbridge';
import type { OverlayHost, Workspace } from './workspace';

export const VXLAN_PORT = 4789;
/** Swarm's gossip (memberlist/networkdb), also serf's for classic overlay with a KV store. */
export const GOSSIP_PORT = 7946;

export function overlayHostModel(h: OverlayHost, ws: Workspace): HostModel {
  const mask = maskOf(h.prefix);
  const members = ws.containers.filter((c) => c.host === h.name && c.gwbridgeAddr !== undefined).map((c) => ({ name: c.name, addr: c.gwbridgeAddr! }));
  // Swarm mode creates docker_gwbridge on every node (the ingress sandbox joins it), so it exists even without containers.
  const gw = gwbridgeLinks(h.gwbridge, members);
  const base: Iface[] = [
    { name: 'lo', kind: 'loopback', up: true, addrs: [{ addr: 0x7f000001, prefix: 8 }], mtu: 65536, routeLocalnet: false, rpFilter: 0 },
    // eth0 before docker_gwbridge: MASQUERADE out of lo takes the first listed interface's address.
    { name: 'eth0', kind: 'ethernet', up: true, addrs: [{ addr: h.underlay, prefix: h.prefix }], mtu: 1500, routeLocalnet: false, rpFilter: 0 },
  ];
  const assumed: string[] = [];
  if (h.gateway === undefined) assumed.push(`${h.name} reaches the other hosts on the same link (no gateway described)`);
  if (!h.gwbridge.described) assumed.push(`${h.name}'s ${GWBRIDGE} is ${ip4(h.gwbridge.net)}/${h.gwbridge.prefix} with gateway ${ip4(h.gwbridge.gateway)} on the host (Docker's usual pick; not described)`);
  return {
    name: h.name,
    ifaces: new Map([...base, ...gw.ifaces].map((i) => [i.name, i])),
    routes: [
      { dst: (h.underlay & mask) >>> 0, prefix: h.prefix, dev: 'eth0', src: h.underlay, metric: 0, origin: 'connected' },
      gw.route,
      // Without a gateway the other hosts are taken to be on the same link.
      h.gateway !== undefined ? { dst: 0, prefix: 0, dev: 'eth0', via: h.gateway, metric: 0, origin: 'default' } : { dst: 0, prefix: 0, dev: 'eth0', metric: 0, origin: 'default' },
    ],
    sysctls: { ipForward: true, bridgeNfCallIptables: true, tcpLoose: true },
    listeners: [
      { proto: 'udp', addr: 0, port: VXLAN_PORT, program: 'the VXLAN device of the overlay networks' },
      { proto: 'tcp', addr: 0, port: GOSSIP_PORT, program: 'dockerd (overlay gossip)' },
      { proto: 'udp', addr: 0, port: GOSSIP_PORT, program: 'dockerd (overlay gossip)' },
    ],
    peers: [...ws.hosts.filter((o) => o !== h).map((o) => ({ name: o.name, addr: o.underlay, via: 'eth0', kind: 'host' as const })), ...gw.peers],
    assumed,
  };
}
