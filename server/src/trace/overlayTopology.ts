/**
 * An overlay workspace as the topology view draws it: each host with its
 * underlay address and docker_gwbridge, the overlay networks (subnet, VNI)
 * with the hosts their containers are on, and the VXLAN tunnels: libnetwork
 * keeps one between every two hosts that have containers on the same
 * network (UDP to port 4789 of the other's underlay address). Pure.
 */
import { ip4 } from '../emulator/packet';
import { VXLAN_PORT } from '../emulator/overlay/hostModel';
import type { Workspace } from '../emulator/overlay/workspace';

export interface OverlayTopologyHost {
  readonly name: string;
  /** The underlay address with its prefix (eth0). */
  readonly underlay: string;
  readonly gateway?: string;
  /** Its rules file as the workspace names it, and as a URI when it resolves. */
  readonly rules?: string;
  readonly rulesUri?: string;
  readonly gwbridge: { readonly subnet: string; readonly gateway: string; readonly described: boolean };
}

export interface OverlayTopologyNetwork {
  readonly name: string;
  readonly subnet: string;
  readonly vni: number;
  /** Hosts with containers on it, in workspace order. */
  readonly hosts: readonly string[];
}

export interface OverlayTopologyContainer {
  readonly name: string;
  readonly network: string;
  readonly host: string;
  readonly address: string;
  /** Its eth1 address on its host's docker_gwbridge. */
  readonly gwbridgeAddress?: string;
  /** The gwbridge address was allocated as Docker would, not described. */
  readonly gwbridgeAllocated: boolean;
}

export interface OverlayTunnel {
  /** The two hosts, in workspace order, and their underlay addresses. */
  readonly hosts: readonly [string, string];
  readonly addresses: readonly [string, string];
  readonly port: number;
  readonly networks: ReadonlyArray<{ readonly name: string; readonly vni: number }>;
}

export interface OverlayTopology {
  /** The workspace description (a path). */
  readonly file?: string;
  /** The host whose rules file the view was opened from. */
  readonly current?: string;
  readonly hosts: readonly OverlayTopologyHost[];
  readonly networks: readonly OverlayTopologyNetwork[];
  readonly containers: readonly OverlayTopologyContainer[];
  readonly tunnels: readonly OverlayTunnel[];
}

export function overlayTopology(ws: Workspace, o: { readonly file?: string; readonly current?: string; readonly rulesUri: (host: string) => string | undefined }): OverlayTopology {
  const networks = ws.networks.map((n) => ({
    name: n.name, subnet: `${ip4(n.subnet.addr)}/${n.subnet.prefix}`, vni: n.vni,
    hosts: ws.hosts.filter((h) => ws.containers.some((c) => c.network === n.name && c.host === h.name)).map((h) => h.name),
  }));
  const tunnels: OverlayTunnel[] = [];
  ws.hosts.forEach((a, i) => {
    for (const b of ws.hosts.slice(i + 1)) {
      const shared = networks.filter((n) => n.hosts.includes(a.name) && n.hosts.includes(b.name));
      if (shared.length) tunnels.push({ hosts: [a.name, b.name], addresses: [ip4(a.underlay), ip4(b.underlay)], port: VXLAN_PORT, networks: shared.map((n) => ({ name: n.name, vni: n.vni })) });
    }
  });
  return {
    ...(o.file ? { file: o.file } : {}),
    ...(o.current ? { current: o.current } : {}),
    hosts: ws.hosts.map((h) => {
      const rulesUri = o.rulesUri(h.name);
      return {
        name: h.name, underlay: `${ip4(h.underlay)}/${h.prefix}`, ...(h.gateway !== undefined ? { gateway: ip4(h.gateway) } : {}),
        ...(h.rules ? { rules: h.rules } : {}), ...(rulesUri ? { rulesUri } : {}),
        gwbridge: { subnet: `${ip4(h.gwbridge.net)}/${h.gwbridge.prefix}`, gateway: ip4(h.gwbridge.gateway), described: h.gwbridge.described },
      };
    }),
    networks,
    containers: ws.containers.map((c) => ({
      name: c.name, network: c.network, host: c.host, address: ip4(c.addr),
      ...(c.gwbridgeAddr !== undefined ? { gwbridgeAddress: ip4(c.gwbridgeAddr) } : {}), gwbridgeAllocated: c.gwbridgeAllocated,
    })),
    tunnels,
  };
}
