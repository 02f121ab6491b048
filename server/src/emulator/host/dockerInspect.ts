/**
 * Saved `docker inspect` output as host facts. A file may hold networks
 * (`docker network inspect`), containers (`docker inspect <container>`, see
 * containerInspect.ts) or both in one array (`docker inspect bridge web`
 * prints both); each object's shape says which. A network gives its Linux
 * bridge (docker0, or br-<id> for user networks), subnet, gateway and the
 * containers attached to it with their addresses. Containers become peers
 * behind their own bridge port, so traces between them cross the bridge as
 * frames do. Never throws: problems are diagnostics.
 */
import type { Diagnostic, Span } from '../../lang/diagnostic';
import { parseCidr4Strict, parseIpv4Strict } from '../../lang/iptables/inet';
import { parseJson, prop, type JsonNode } from '../../lang/json';
import { isContainerInspect, readContainer, withDockerContainers, type DockerContainer } from './containerInspect';
import { attachContainer, ensureBridge } from './dockerBridge';
import type { HostModel, Peer, Route } from './model';

export interface DockerNetwork {
  readonly name: string;
  readonly id?: string;
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

export interface DockerInspect {
  readonly networks: readonly DockerNetwork[];
  readonly containers: readonly DockerContainer[];
}

const str = (n: JsonNode | undefined): string | undefined => (n?.kind === 'string' ? n.value : undefined);

/** Networks and containers of saved `docker network inspect` / `docker inspect` output, told apart by shape. */
export function parseDockerInspect(text: string): { value: DockerInspect; diagnostics: Diagnostic[] } {
  const parsed = parseJson(text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const root = parsed.value;
  const items = root?.kind === 'array' ? root.items : root ? [root] : [];
  const networks: DockerNetwork[] = [];
  const containers: DockerContainer[] = [];
  for (const n of items) {
    if (isContainerInspect(n)) {
      const c = readContainer(n, diagnostics);
      if (c) containers.push(c);
    } else if (n.kind === 'object' && prop(n, 'Name') && prop(n, 'Driver')) networks.push(readNetwork(n));
    else diagnostics.push({ code: 'docker-inspect', severity: 'warning', message: 'Neither a network of `docker network inspect` (Name, Driver) nor a container of `docker inspect` (NetworkSettings, HostConfig, State): ignored.', span: n.span });
  }
  return { value: { networks, containers }, diagnostics };
}

/** Only the networks (containers in the file are left out, with a warning). */
export function parseNetworkInspect(text: string): { value: DockerNetwork[]; diagnostics: Diagnostic[] } {
  const r = parseDockerInspect(text);
  const extra: Diagnostic[] = r.value.containers.map((c) => ({ code: 'docker-inspect', severity: 'warning', message: `Container ${c.name}: not a network; ignored here.`, span: c.span }));
  return { value: [...r.value.networks], diagnostics: [...r.diagnostics, ...extra] };
}

function readNetwork(n: JsonNode): DockerNetwork {
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
  return {
    name, driver, icc: opt('com.docker.network.bridge.enable_icc') !== 'false', masquerade: opt('com.docker.network.bridge.enable_ip_masquerade') !== 'false',
    containers, span: n.span,
    ...(id ? { id } : {}),
    ...(bridge ? { bridge } : {}),
    ...(cidr ? { subnet: { addr: cidr.addr, prefix: cidr.prefix } } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
  };
}

/** The host with the bridge networks' bridges, ports and containers added (what the description already has wins). */
export function withDockerNetworks(host: HostModel, networks: readonly DockerNetwork[]): HostModel {
  const ifaces = new Map(host.ifaces);
  const peers: Peer[] = [...host.peers];
  const routes: Route[] = [...host.routes];
  const assumed = [...host.assumed];
  for (const net of networks) {
    if (!net.bridge || !net.subnet) continue;
    ensureBridge(ifaces, routes, { bridge: net.bridge, gateway: net.gateway ?? ((net.subnet.addr + 1) >>> 0), prefix: net.subnet.prefix });
    for (const c of net.containers) attachContainer(ifaces, peers, { name: c.name, addr: c.addr, bridge: net.bridge });
    if (!net.icc) assumed.push(`network ${net.name} has icc off: Docker adds a DROP rule for traffic between its containers (check the rules file has it)`);
  }
  return { ...host, ifaces, peers, routes, assumed };
}

/** Networks first, so containers find their network's bridge by name. */
export function withDockerInspect(host: HostModel, inspect: DockerInspect): HostModel {
  return withDockerContainers(withDockerNetworks(host, inspect.networks), inspect.containers, inspect.networks);
}
