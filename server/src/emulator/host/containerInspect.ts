/**
 * `docker inspect <container>` output saved in the workspace, as host facts:
 * each running container's addresses on its networks (NetworkSettings.Networks,
 * or the single NetworkSettings.IPAddress of Docker before 1.9) and its
 * published ports (NetworkSettings.Ports, else HostConfig.PortBindings).
 * Containers become peers behind their bridge; published ports become the
 * host sockets host/docker.ts makes of them. Never throws: problems are
 * diagnostics.
 */
import type { Diagnostic, Span } from '../../lang/diagnostic';
import { parseIpv4Strict } from '../../lang/iptables/inet';
import { prop, type JsonNode } from '../../lang/json';
import { ip4 } from '../packet';
import { attachContainer, bridgeHolding, ensureBridge, netOf } from './dockerBridge';
import { describePublished, listenerClash, publishedListener } from './docker';
import type { DockerNetwork } from './dockerInspect';
import type { HostModel, Iface, Peer, Route } from './model';

export interface ContainerEndpoint {
  /** The network's name (its key in NetworkSettings.Networks; "bridge" before Docker 1.9). */
  readonly network: string;
  readonly networkId?: string;
  /** The Linux bridge, as Docker before 1.9 reported it (NetworkSettings.Bridge). */
  readonly bridge?: string;
  readonly addr: number;
  readonly prefix: number;
  readonly gateway?: number;
}

export interface ContainerPort {
  readonly proto: 'tcp' | 'udp';
  /** 0 = every address of the host. */
  readonly hostIp: number;
  readonly hostPort: number;
  readonly containerPort: number;
}

export interface DockerContainer {
  /** Without the leading "/" Docker puts in Name. */
  readonly name: string;
  /** HostConfig.NetworkMode: "default", "bridge", a network's name, "host", "none", "container:ID". */
  readonly networkMode: string;
  readonly endpoints: readonly ContainerEndpoint[];
  readonly ports: readonly ContainerPort[];
  readonly span: Span;
}

const str = (n: JsonNode | undefined): string | undefined => (n?.kind === 'string' ? n.value : undefined);
const num = (n: JsonNode | undefined): number | undefined => (n?.kind === 'number' ? n.value : undefined);

/** What only a container's inspect output has (a network's has IPAM, Driver and Containers instead). */
export function isContainerInspect(n: JsonNode): boolean {
  return n.kind === 'object' && (!!prop(n, 'NetworkSettings') || !!prop(n, 'HostConfig') || !!prop(n, 'State'));
}

export function readContainer(n: JsonNode, diagnostics: Diagnostic[]): DockerContainer | undefined {
  const note = (span: Span, message: string, severity: 'warning' | 'info' = 'warning'): undefined => {
    diagnostics.push({ code: 'docker-inspect', severity, message, span });
    return undefined;
  };
  const name = (str(prop(n, 'Name')?.value) ?? '').replace(/^\//, '') || (str(prop(n, 'Id')?.value) ?? '').slice(0, 12) || 'container';
  const state = prop(n, 'State')?.value;
  const running = prop(state, 'Running')?.value;
  if (running?.kind === 'boolean' && !running.value) {
    note(running.span, `Container ${name} is not running: it has no address and publishes no port; left out.`);
    return undefined;
  }
  const hostConfig = prop(n, 'HostConfig')?.value;
  const networkMode = str(prop(hostConfig, 'NetworkMode')?.value) ?? 'default';
  const modeSpan = prop(hostConfig, 'NetworkMode')?.value.span ?? n.span;
  if (networkMode === 'host') return note(modeSpan, `Container ${name} uses the host's network: its sockets are the host's own (describe them as listeners); not a peer.`, 'info');
  if (networkMode === 'none') return note(modeSpan, `Container ${name} has no network (NetworkMode none); left out.`, 'info');
  if (networkMode.startsWith('container:')) return note(modeSpan, `Container ${name} shares the network of ${networkMode.slice(10, 22)}; it is that container's peer.`, 'info');
  const settings = prop(n, 'NetworkSettings')?.value;
  const endpoints = readEndpoints(settings, note);
  if (!endpoints.length) {
    note(settings?.span ?? n.span, `Container ${name} has no IPv4 address in NetworkSettings; left out.`);
    return undefined;
  }
  const ports = prop(settings, 'Ports')?.value;
  const bindings = ports?.kind === 'object' ? ports : prop(hostConfig, 'PortBindings')?.value;
  return { name, networkMode, endpoints, ports: readPorts(bindings, name, note), span: n.span };
}

type Note = (span: Span, message: string) => undefined;

function readEndpoints(settings: JsonNode | undefined, note: Note): ContainerEndpoint[] {
  const out: ContainerEndpoint[] = [];
  const endpoint = (n: JsonNode | undefined, network: string, extra: { networkId?: string; bridge?: string }): void => {
    const ipNode = prop(n, 'IPAddress')?.value;
    const text = str(ipNode) ?? '';
    if (!text) return; // not connected (or an IPv6-only endpoint)
    const addr = parseIpv4Strict(text);
    if (addr === undefined) return note(ipNode!.span, `"${text}" is not an IPv4 address; endpoint on ${network} left out.`);
    const prefix = num(prop(n, 'IPPrefixLen')?.value);
    const gateway = parseIpv4Strict(str(prop(n, 'Gateway')?.value) ?? '');
    out.push({
      network, addr, prefix: prefix !== undefined && prefix > 0 && prefix <= 32 ? prefix : 16,
      ...(gateway !== undefined ? { gateway } : {}),
      ...(extra.networkId ? { networkId: extra.networkId } : {}),
      ...(extra.bridge ? { bridge: extra.bridge } : {}),
    });
  };
  const networks = prop(settings, 'Networks')?.value;
  if (networks?.kind === 'object' && networks.props.length) {
    for (const p of networks.props) endpoint(p.value, p.key, { networkId: str(prop(p.value, 'NetworkID')?.value) ?? '' });
  } else {
    // Docker before 1.9: one endpoint on the default bridge, named in NetworkSettings.Bridge.
    endpoint(settings, 'bridge', { bridge: str(prop(settings, 'Bridge')?.value) ?? '' });
  }
  return out;
}

/** `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "53/udp": null}`: null is exposed, not published. */
function readPorts(bindings: JsonNode | undefined, name: string, note: Note): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const p of bindings?.kind === 'object' ? bindings.props : []) {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(p.key);
    const containerPort = m ? Number(m[1]) : NaN;
    if (!m || !(containerPort >= 1 && containerPort <= 65535)) {
      note(p.keySpan, `"${p.key}" is not PORT/PROTO (e.g. 80/tcp); ignored.`);
      continue;
    }
    if (p.value.kind !== 'array') continue; // null: exposed only
    if (m[2] === 'sctp') {
      note(p.keySpan, `${name}'s sctp port ${containerPort} is not modelled (tcp and udp only).`);
      continue;
    }
    for (const b of p.value.items) {
      const ipText = str(prop(b, 'HostIp')?.value) ?? '';
      if (ipText.includes(':')) continue; // the IPv6 twin of a binding; the model is IPv4
      const hostIp = ipText === '' ? 0 : parseIpv4Strict(ipText);
      const portText = str(prop(b, 'HostPort')?.value) ?? '';
      const hostPort = /^\d+$/.test(portText) ? Number(portText) : NaN;
      if (hostIp === undefined || !(hostPort >= 1 && hostPort <= 65535)) {
        note(b.span, portText === ''
          ? `${name}'s ${p.key} gets a host port Docker picks when the container starts, which this output does not say; ignored.`
          : `${name}'s ${p.key}: "${ipText}" / "${portText}" is not a host address and port; ignored.`);
        continue;
      }
      const port: ContainerPort = { proto: m[2] === 'udp' ? 'udp' : 'tcp', hostIp, hostPort, containerPort };
      if (!out.some((q) => q.proto === port.proto && q.hostIp === port.hostIp && q.hostPort === port.hostPort)) out.push(port);
    }
  }
  return out;
}

/** The bridge an endpoint sits behind, or why it is not modelled. */
function bridgeOf(ep: ContainerEndpoint, ifaces: ReadonlyMap<string, Iface>, networks: readonly DockerNetwork[]): { bridge: string; gateway?: number } | string {
  const net = networks.find((n) => n.name === ep.network || (ep.networkId && n.id && (n.id.startsWith(ep.networkId) || ep.networkId.startsWith(n.id))));
  if (net) return net.bridge ? { bridge: net.bridge, ...(net.gateway !== undefined ? { gateway: net.gateway } : {}) } : `network ${net.name} uses the ${net.driver} driver; only bridge networks are modelled`;
  if (ep.bridge) return { bridge: ep.bridge };
  const holding = bridgeHolding(ifaces, ep.addr);
  if (holding) return { bridge: holding };
  if (ep.network === 'bridge') return { bridge: 'docker0' };
  if (ep.networkId) return { bridge: `br-${ep.networkId.slice(0, 12)}` };
  return `network ${ep.network} is not known (no NetworkID; add its \`docker network inspect\` output)`;
}

/** The host with the containers behind their bridges and their published ports as host sockets (what the host already has wins). */
export function withDockerContainers(host: HostModel, containers: readonly DockerContainer[], networks: readonly DockerNetwork[] = []): HostModel {
  const ifaces = new Map(host.ifaces);
  const routes: Route[] = [...host.routes];
  const peers: Peer[] = [...host.peers];
  const listeners = [...host.listeners];
  const assumed = [...host.assumed];
  const proxy = host.userlandProxy ?? true;
  for (const c of containers) {
    const placed: ContainerEndpoint[] = [];
    for (const ep of c.endpoints) {
      const b = bridgeOf(ep, ifaces, networks);
      if (typeof b === 'string') {
        assumed.push(`container ${c.name} (${ip4(ep.addr)}) is left out: ${b}`);
        continue;
      }
      ensureBridge(ifaces, routes, { bridge: b.bridge, gateway: ep.gateway ?? b.gateway ?? (netOf(ep.addr, ep.prefix) + 1) >>> 0, prefix: ep.prefix });
      attachContainer(ifaces, peers, { name: c.name, addr: ep.addr, bridge: b.bridge });
      placed.push(ep);
    }
    // Docker maps published ports to the endpoint of the network the container was started on.
    const mode = c.networkMode === 'default' ? 'bridge' : c.networkMode;
    const target = placed.find((ep) => ep.network === mode) ?? placed[0];
    for (const p of target ? c.ports : []) {
      const published = { proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerAddr: target!.addr, containerPort: p.containerPort };
      const l = publishedListener(published, proxy);
      if (listenerClash(listeners, l)) continue;
      listeners.push(l);
      if (host.userlandProxy === undefined) assumed.push(`${describePublished(published, proxy)} (from docker inspect of ${c.name}; Docker's default userland proxy)`);
    }
  }
  return { ...host, ifaces, routes, peers, listeners, assumed };
}
