/**
 * From an overlay trace request (a container of the workspace to another
 * container of its network) to what the overlay lab builds and sends: the
 * network's hosts and containers, the traffic the source container's agent
 * sends, and where the destination's agent listens (the emulator has every
 * container answer). What the lab does not build is said, not run: the way
 * out by docker_gwbridge, and containers that share no network. Pure.
 */
import type { OverlaySpec } from '../emulator/overlay/world';
import type { OverlayContainer, Workspace } from '../emulator/overlay/workspace';
import { ip4 } from '../emulator/packet';
import type { AgentListen, Traffic } from './agents';

export interface OverlayRequest {
  readonly proto: string;
  readonly src: string;
  /** A container's name or address, with an optional :PORT. */
  readonly dst: string;
}

export interface OverlayLabPlan {
  /** The trace the emulator tells (what `nflens trace --workspace` and the editor's panel show). */
  readonly spec: OverlaySpec;
  readonly network: string;
  readonly from: OverlayContainer;
  readonly to: OverlayContainer;
  /** What the source container's agent sends. */
  readonly traffic: Traffic;
  /** Agents' listeners by container name. */
  readonly listen: ReadonlyMap<string, readonly AgentListen[]>;
  /** The workspace the lab builds: every host, this network and its containers. */
  readonly labWorkspace: Workspace;
  readonly notes: readonly string[];
}

const OP = { tcp: 'tcp', udp: 'udp', icmp: 'ping' } as const;

export function overlayLabPlan(ws: Workspace, req: OverlayRequest): OverlayLabPlan | { readonly error: string } {
  if (req.proto !== 'tcp' && req.proto !== 'udp' && req.proto !== 'icmp') return { error: '--proto must be tcp, udp or icmp' };
  const proto = req.proto;
  const from = ws.containers.find((c) => c.name === req.src);
  if (!from) return { error: `--src names a container of the workspace (${ws.containers.map((c) => c.name).join(', ') || 'it has none'}), not "${req.src}"` };
  const m = /^(.*?)(?::(\d+))?$/.exec(req.dst.trim())!;
  const name = m[1]!;
  const dport = proto === 'icmp' ? undefined : Number(m[2] ?? 80);
  const to = ws.containers.find((c) => c.name === name) ?? ws.containers.find((c) => c.network === from.network && ip4(c.addr) === name);
  if (!to) {
    return { error: `the lab builds the overlay networks between the hosts, not the way out by docker_gwbridge: "${name}" is not a container of ${from.network}, so ${from.name}'s packets to it would leave by docker_gwbridge, which nflens verify does not replay (nflens trace --workspace tells it)` };
  }
  if (to.network !== from.network) return { error: `${from.name} is on ${from.network} and ${to.name} on ${to.network}: they share no network, so nothing of theirs crosses a host's netfilter and there is nothing to compare` };
  if (to === from) return { error: `${from.name} sending to itself never leaves its namespace` };
  const net = ws.networks.find((n) => n.name === from.network);
  if (!net) return { error: `${from.name}'s network ${from.network} is not in the workspace` };
  const notes: string[] = [];
  if (to.host === from.host) notes.push(`${from.name} and ${to.name} are both on ${from.host}: br0 in ${net.name}'s namespace switches their packets, and no host's netfilter sees them.`);
  const listen = new Map<string, AgentListen[]>(dport !== undefined ? [[to.name, [{ proto, port: dport }]]] : []);
  if (dport !== undefined) notes.push(`${to.name}'s agent answers on ${proto}/${dport}, as the emulator has every container answer.`);
  const traffic: Traffic = { op: OP[proto], dst: ip4(to.addr), ...(dport !== undefined ? { dport } : {}) };
  return {
    spec: { proto, src: from.name, dst: to.name, ...(dport !== undefined ? { dport } : {}) },
    network: net.name,
    from,
    to,
    traffic,
    listen,
    labWorkspace: { hosts: ws.hosts, networks: [net], containers: ws.containers.filter((c) => c.network === net.name) },
    notes,
  };
}
