/**
 * A host and what surrounds it, as the topology view draws it: interfaces
 * (kind, addresses, the bridge each port belongs to), routes through
 * gateways, peers behind interfaces and containers behind bridge ports,
 * local listeners, and Docker's published ports with who serves them. An
 * overlay workspace is in overlayTopology.ts. Pure.
 */
import type { HostModel, IfaceKind } from '../emulator/host/model';
import { ip4 } from '../emulator/packet';
import type { Ruleset } from '../lang/iptables/ruleset';
import type { OverlayTopology } from './overlayTopology';
import { publishedService, type PublishedService } from './publishedService';
import type { HostSource } from './traceResult';

export interface TopologyIface {
  readonly name: string;
  readonly kind: IfaceKind;
  readonly up: boolean;
  readonly addresses: readonly string[];
  /** The bridge this interface is a port of. */
  readonly master?: string;
  readonly vxlan?: { readonly vni: number; readonly port: number; readonly local?: string };
}

export interface TopologyRoute {
  /** "default" or a network in CIDR. */
  readonly to: string;
  readonly dev: string;
  readonly via?: string;
  readonly type: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
}

export interface TopologyPeer {
  readonly name: string;
  readonly address: string;
  readonly kind: 'external' | 'container' | 'host';
  /** The interface of the host it is reached through (a container's: its bridge). */
  readonly via: string;
  /** A container's bridge port. */
  readonly port?: string;
  /** Services it answers on (absent: everything). */
  readonly listens?: ReadonlyArray<{ readonly proto: string; readonly port: number }>;
  /** Guessed from a DNAT rule, not described. */
  readonly inferred?: boolean;
}

export interface TopologyListener {
  readonly proto: string;
  readonly address: string;
  readonly port: number;
  readonly program?: string;
}

export interface TopologyPublished extends PublishedService {
  readonly proto: 'tcp' | 'udp';
  /** 0.0.0.0: every address of the host. */
  readonly hostIp: string;
  readonly hostPort: number;
  readonly container?: string;
  readonly containerAddress: string;
  readonly containerPort: number;
}

export interface HostTopology {
  readonly name: string;
  readonly source: HostSource;
  /** The description file (a path), when there is one. */
  readonly file?: string;
  /** The rules file (URI) traces of this host run through, when there is one. */
  readonly rulesUri?: string;
  readonly assumed: readonly string[];
  readonly ifaces: readonly TopologyIface[];
  /** Routes other than the connected ones (those follow from the addresses). */
  readonly routes: readonly TopologyRoute[];
  readonly peers: readonly TopologyPeer[];
  /** Local sockets other than published ports. */
  readonly listeners: readonly TopologyListener[];
  readonly published: readonly TopologyPublished[];
  /** The interface the default route leaves by. */
  readonly uplink?: string;
  readonly ipForward: boolean;
  /** dockerd's --userland-proxy when known. */
  readonly userlandProxy?: boolean;
}

export type Topology =
  | { readonly kind: 'host'; readonly host: HostTopology; readonly warnings: readonly string[] }
  | { readonly kind: 'overlay'; readonly overlay: OverlayTopology; readonly warnings: readonly string[] };

export function hostTopology(h: HostModel, o: { readonly source: HostSource; readonly file?: string; readonly rulesUri?: string; readonly rules?: Ruleset }): HostTopology {
  const uplink = h.routes.find((r) => r.prefix === 0 && (r.type ?? 'unicast') === 'unicast')?.dev;
  const peerAt = (addr: number): string | undefined => h.peers.find((p) => p.addr === addr)?.name;
  return {
    name: h.name,
    source: o.source,
    ...(o.file ? { file: o.file } : {}),
    ...(o.rulesUri ? { rulesUri: o.rulesUri } : {}),
    assumed: h.assumed,
    ifaces: [...h.ifaces.values()].map((i) => ({
      name: i.name, kind: i.kind, up: i.up, addresses: i.addrs.map((a) => `${ip4(a.addr)}/${a.prefix}`),
      ...(i.master ? { master: i.master } : {}),
      ...(i.vxlan ? { vxlan: { vni: i.vxlan.vni, port: i.vxlan.port, ...(i.vxlan.local !== undefined ? { local: ip4(i.vxlan.local) } : {}) } } : {}),
    })),
    routes: h.routes.filter((r) => r.origin !== 'connected').map((r) => ({
      to: r.prefix === 0 ? 'default' : `${ip4(r.dst)}/${r.prefix}`, dev: r.dev, ...(r.via !== undefined ? { via: ip4(r.via) } : {}), type: r.type ?? 'unicast',
    })),
    peers: h.peers.map((p) => ({
      name: p.name, address: ip4(p.addr), kind: p.kind, via: p.via,
      ...(p.port ? { port: p.port } : {}),
      ...(p.listens ? { listens: p.listens.map((l) => ({ proto: l.proto, port: l.port })) } : {}),
      ...(p.inferred ? { inferred: true } : {}),
    })),
    listeners: h.listeners.filter((l) => !l.publishes).map((l) => ({ proto: l.proto, address: ip4(l.addr), port: l.port, ...(l.program ? { program: l.program } : {}) })),
    published: h.listeners.flatMap((l) => {
      if (!l.publishes) return [];
      const container = peerAt(l.publishes.addr);
      return [{
        proto: l.proto, hostIp: ip4(l.addr), hostPort: l.port, ...(container ? { container } : {}),
        containerAddress: ip4(l.publishes.addr), containerPort: l.publishes.port, ...publishedService(o.rules, l),
      }];
    }),
    ...(uplink ? { uplink } : {}),
    ipForward: h.sysctls.ipForward,
    ...(h.userlandProxy !== undefined ? { userlandProxy: h.userlandProxy } : {}),
  };
}
