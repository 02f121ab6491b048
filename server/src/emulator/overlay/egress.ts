/**
 * The eth1 way out of an overlay container. A destination outside its
 * overlay subnet matches only the container's default route, through
 * docker_gwbridge's gateway, so the packet enters its host from the
 * container's bridge port and is routed there like any container's packet:
 * PREROUTING, then INPUT (the host itself) or FORWARD and POSTROUTING, where
 * Docker's MASQUERADE gives it the host's address. Another host of the
 * workspace receives and answers through its own stack; an address outside
 * the workspace is assumed to answer. The per-host conversation engine does
 * the work; this file only says who is where.
 */
import type { ManualClock } from '../clock';
import { inNet } from '../host/routing';
import { ConversationRunner, type RemoteHost } from '../conversation';
import type { HostStack } from '../netstack';
import { ip4 } from '../packet';
import type { TraceEvent } from '../trace';
import { GWBRIDGE } from './gwbridge';
import type { OverlayContainer, Workspace } from './workspace';

export interface EgressRequest {
  readonly proto: 'icmp' | 'udp' | 'tcp';
  readonly from: OverlayContainer;
  readonly dst: number;
  /** How the destination was named (a host's name, or the address). */
  readonly dstLabel: string;
  readonly dport?: number;
}

export interface EgressResult {
  readonly completed: boolean;
  readonly summary: string;
}

export function traceEgress(
  ws: Workspace,
  stacks: ReadonlyMap<string, HostStack>,
  clock: ManualClock,
  conversationId: number,
  req: EgressRequest,
  out: (e: TraceEvent) => void,
): EgressResult {
  const { from } = req;
  const stack = stacks.get(from.host);
  const peer = stack?.host.peers.find((p) => p.kind === 'container' && p.name === from.name);
  const net = ws.networks.find((n) => n.name === from.network);
  if (!stack || !peer || !net || from.gwbridgeAddr === undefined) {
    const summary = `${from.name} has no ${GWBRIDGE} address (its host is unknown or the bridge's subnet is full): it has no way out of ${from.network}.`;
    out({ type: 'note', text: summary });
    return { completed: false, summary };
  }
  const host = ws.hosts.find((h) => h.name === from.host)!;
  const prelude: TraceEvent[] = [
    ...stack.host.assumed.map((what): TraceEvent => ({ type: 'assume', what })),
    ...(from.gwbridgeAllocated ? [{ type: 'assume' as const, what: `${from.name}'s ${GWBRIDGE} address is ${ip4(from.gwbridgeAddr)}: the first free one on ${from.host}, taking the containers to have started in the order the workspace lists them (not described)` }] : []),
  ];
  for (const e of prelude) out(e);
  const g = host.gwbridge;
  const how = inNet(req.dst, g.net, g.prefix)
    ? `straight out of eth1 (${ip4(from.gwbridgeAddr)}), since ${GWBRIDGE}'s subnet ${ip4(g.net)}/${g.prefix} is connected there: the frame crosses ${from.host}'s bridge`
    : `by its default route: eth1 on ${GWBRIDGE} (${ip4(from.gwbridgeAddr)}), gateway ${ip4(g.gateway)} on ${from.host}, which routes it`;
  const why: TraceEvent = { type: 'note', text: `${ip4(req.dst)} is outside ${from.network} (${ip4(net.subnet.addr)}/${net.subnet.prefix}), so ${from.name} sends it ${how}; ${from.host}'s iptables see it` };
  const remoteOf = (p: { readonly kind: string; readonly name: string }): RemoteHost | undefined => {
    const s = p.kind === 'host' ? stacks.get(p.name) : undefined;
    return s && { stack: s, iface: 'eth0' };
  };
  const runner = new ConversationRunner(stack, clock, conversationId, remoteOf);
  const title = `${req.proto} ${from.name} (${ip4(from.gwbridgeAddr)} on ${GWBRIDGE} of ${from.host}) → ${req.dstLabel}${req.dstLabel === ip4(req.dst) ? '' : ` (${ip4(req.dst)})`}${req.dport ? `:${req.dport}` : ''}`;
  const r = runner.run(
    { proto: req.proto, src: from.gwbridgeAddr, dst: req.dst, ...(req.dport !== undefined ? { dport: req.dport } : {}), origin: { kind: 'peer', peer }, title },
    (e) => {
      out(e);
      // Why the packet goes this way belongs in the conversation, right after its title.
      if (e.type === 'conversation') out(why);
    },
  );
  return { completed: r.completed, summary: r.summary };
}
