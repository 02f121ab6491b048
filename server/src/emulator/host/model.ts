/**
 * What the emulator knows about the machine the rules run on: interfaces
 * and their addresses, routes, the sysctls that change the packet path, and
 * local listeners. Built from a host description file, or inferred from the
 * rules; every inferred fact is listed in `assumed`, and traces say so.
 */

export interface IfAddr {
  readonly addr: number;
  readonly prefix: number;
}

export type IfaceKind = 'loopback' | 'ethernet' | 'bridge' | 'veth' | 'vxlan' | 'dummy' | 'tun' | 'other';

export interface Iface {
  readonly name: string;
  readonly kind: IfaceKind;
  readonly up: boolean;
  /** Addresses, the primary first (MASQUERADE and REDIRECT use it). */
  readonly addrs: readonly IfAddr[];
  readonly mtu: number;
  readonly mac?: string;
  /** The bridge this interface is a port of. */
  readonly master?: string;
  /** A bridge port in hairpin mode: frames may go back out of the port they came in on. */
  readonly hairpin?: boolean;
  /** net.ipv4.conf.<if>.route_localnet */
  readonly routeLocalnet: boolean;
  /** net.ipv4.conf.<if>.rp_filter (0 off, 1 strict, 2 loose): noted, not enforced. */
  readonly rpFilter: 0 | 1 | 2;
  /** VXLAN: network identifier and UDP port. */
  readonly vxlan?: { readonly vni: number; readonly port: number; readonly local?: number };
}

export interface Route {
  /** Destination network. */
  readonly dst: number;
  readonly prefix: number;
  readonly dev: string;
  readonly via?: number;
  /** Preferred source address. */
  readonly src?: number;
  readonly metric: number;
  /** 'connected' routes come from interface addresses. */
  readonly origin: 'connected' | 'static' | 'default';
  /** blackhole / unreachable / prohibit routes. */
  readonly type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
}

export interface Listener {
  readonly proto: 'tcp' | 'udp';
  /** 0 = any address. */
  readonly addr: number;
  readonly port: number;
  /** Who listens (e.g. "sshd", "docker-proxy"). */
  readonly program?: string;
  /** For docker-proxy: where it forwards. */
  readonly forwardTo?: { readonly addr: number; readonly port: number };
  /** A Docker published port (proxied or only reserved): the container address and port it is for. */
  readonly publishes?: { readonly addr: number; readonly port: number };
}

export interface Sysctls {
  /** net.ipv4.ip_forward */
  readonly ipForward: boolean;
  /** net.bridge.bridge-nf-call-iptables (br_netfilter loaded) */
  readonly bridgeNfCallIptables: boolean;
  /** net.netfilter.nf_conntrack_tcp_loose */
  readonly tcpLoose: boolean;
}

/** A host the emulator can route to: an external peer, a container, another host. */
export interface Peer {
  readonly name: string;
  readonly addr: number;
  /** Interface of this host it is reached through (for containers: the bridge). */
  readonly via: string;
  /** For containers: the bridge port (veth) it sits behind. */
  readonly port?: string;
  readonly kind: 'external' | 'container' | 'host';
  /** Services it answers on (absent: it answers everything it is sent). */
  readonly listens?: readonly Listener[];
  /** Guessed from the rules (a DNAT target), not described: saved `docker inspect` output replaces it. */
  readonly inferred?: boolean;
}

export interface HostModel {
  readonly name: string;
  readonly ifaces: ReadonlyMap<string, Iface>;
  /** The main routing table, connected routes included. */
  readonly routes: readonly Route[];
  readonly sysctls: Sysctls;
  readonly listeners: readonly Listener[];
  readonly peers: readonly Peer[];
  /** dockerd's --userland-proxy, when described or seen in the rules (absent: unknown; Docker's default is on). */
  readonly userlandProxy?: boolean;
  /** Facts that were inferred rather than described, in words. */
  readonly assumed: readonly string[];
}
