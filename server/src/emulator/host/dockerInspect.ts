/**
 * `docker network inspect` output saved in the workspace, as host facts: each
 * bridge network's Linux bridge (docker0, or br-<id> for user networks), its
 * subnet and gateway, and the containers attached to it with their addresses.
 * Containers become peers behind their own bridge port, so traces between
 * them cross the bridge as frames do. Never throws: problems are diagnostics.
 */
import type { Diagnostic, Span } from '../../lang/diagnostic';
import { parseCidr4Strict, parseIpv4Strict } from '../../lang/iptables/inet';
import { parseJson, prop, type JsonNode } from '../../lang/json';
import type { HostModel, Iface, Peer } from './model';

export interface DockerNetwork {
  readonly name: string;
  readonly driver: string;
  /** The Linux bridge of a bridge network. */
  readonly bridge?: string;
  readonly subnet?: { readonly addr: number; readonly prefix: number };
  readonly gateway?: number;
  readonly icc: boolean;
  readonly masquerade: boolean;
  readonly containers: readonly { readonly name: string; readonly addr: number; readonly mac?: string }[];
  readonly span: Span;
}

const str = (n: JsonNode | undefined): string | undefined => (n?.kind === 'string' ? n.value : undefined);

export function parseNetworkInspect(text: string): { value: DockerNetwork[]; diagnostics: Diagnostic[] } {
  const parsed = parseJson(text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const root = parsed.value;
  const items = root?.kind === 'array' ? root.items : root ? [root] : [];
  const value: DockerNetwork[] = [];
  for (const n of items) {
    if (n.kind !== 'object' || !prop(n, 'Name') || !prop(n, 'Driver')) {
      diagnostics.push({ code: 'docker-inspect', severity: 'warning', message: 'Not a network of `docker network inspect` (no Name and Driver): ignored.', span: n.span });
      continue;
    }
    const name = str(prop(n, 'Name')?.value) ?? '';
    const driver = str(prop(n, 'Driver')?.value) ?? '';
    const id = str(prop(n, 'Id')?.value) ?? '';
    const options = prop(n, 'Options')?.value;
    const opt = (k: string): string | undefined => str(prop(options, k)?.value);
    const configs = prop(prop(n, 'IPAM')?.value, 'Config')?.value;
    const v4 = configs?.kind === 'array' ? configs.items.find((c) => parseCidr4Strict(str(prop(c, 'Subnet')?.value) ?? '')) : undefined;
    const subnetText = str(prop(v4, 'Subnet')?.value);
    const cidr = subnetText ? parseCidr4Strict(subnetText) : undefined;
    const gateway = parseIpv4Strict(str(prop(v4, 'Gateway')?.value) ?? '');
    const containers: { name: string; addr: number; mac?: string }[] = [];
    const cs = prop(n, 'Containers')?.value;
    for (const c of cs?.kind === 'object' ? cs.props : []) {
      const cname = str(prop(c.value, 'Name')?.value) ?? c.key.slice(0, 12);
      const addrText = str(prop(c.value, 'IPv4Address')?.value) ?? '';
      const addr = parseIpv4Strict(addrText.split('/')[0] ?? '');
      const mac = str(prop(c.value, 'MacAddress')?.value);
      if (addr === undefined) continue; // an IPv6-only endpoint
      containers.push({ name: cname, addr, ...(mac ? { mac } : {}) });
    }
    const bridge = driver === 'bridge' ? (opt('com.docker.network.bridge.name') ?? (name === 'bridge' ? 'docker0' : `br-${id.slice(0, 12)}`)) : undefined;
    value.push({
      name, driver, icc: opt('com.docker.network.bridge.enable_icc') !== 'false', masquerade: opt('com.docker.network.bridge.enable_ip_masquerade') !== 'false',
      containers, span: n.span,
      ...(bridge ? { bridge } : {}),
      ...(cidr ? { subnet: { addr: cidr.addr, prefix: cidr.prefix } } : {}),
      ...(gateway !== undefined ? { gateway } : {}),
    });
  }
  return { value, diagnostics };
}

/** The host with the bridge networks' bridges, ports and containers added (what the description already has wins). */
export function withDockerNetworks(host: HostModel, networks: readonly DockerNetwork[]): HostModel {
  const ifaces = new Map(host.ifaces);
  const peers: Peer[] = [...host.peers];
  const assumed = [...host.assumed];
  for (const net of networks) {
    if (!net.bridge || !net.subnet) continue;
    if (!ifaces.has(net.bridge)) {
      const gw = net.gateway ?? ((net.subnet.addr + 1) >>> 0);
      ifaces.set(net.bridge, { name: net.bridge, kind: 'bridge', up: true, addrs: [{ addr: gw, prefix: net.subnet.prefix }], mtu: 1500, routeLocalnet: false, rpFilter: 0 });
    }
    for (const c of net.containers) {
      if (peers.some((p) => p.addr === c.addr && p.via === net.bridge)) continue;
      const port = `veth-${c.name}`.slice(0, 15);
      if (!ifaces.has(port)) ifaces.set(port, { name: port, kind: 'veth', up: true, addrs: [], mtu: 1500, routeLocalnet: false, rpFilter: 0, master: net.bridge } satisfies Iface);
      peers.push({ name: c.name, addr: c.addr, via: net.bridge, port, kind: 'container' });
    }
    if (!net.icc) assumed.push(`network ${net.name} has icc off: Docker adds a DROP rule for traffic between its containers (check the rules file has it)`);
  }
  const routes = [...host.routes];
  for (const net of networks) {
    if (!net.bridge || !net.subnet || routes.some((r) => r.dev === net.bridge && r.origin === 'connected')) continue;
    routes.push({ dst: net.subnet.addr, prefix: net.subnet.prefix, dev: net.bridge, src: net.gateway ?? ((net.subnet.addr + 1) >>> 0), metric: 0, origin: 'connected' });
  }
  return { ...host, ifaces, peers, routes, assumed };
}
