/**
 * Several Docker hosts joined by overlay networks, each host with its own
 * rules, conntrack and routing. A packet between containers on two hosts
 * leaves its container into the overlay network's namespace (br0 + a VXLAN
 * device per VNI), is put into a VXLAN datagram (UDP to port 4789 of the
 * other host's underlay address) that the sending host's OUTPUT/POSTROUTING
 * and the receiving host's PREROUTING/INPUT see like any packet, and is taken
 * out again by VNI into the right network. The hosts' iptables never see the
 * container packets themselves; overlay networks are isolated even when
 * their subnets overlap. What a container sends outside its overlay subnet
 * leaves by eth1 on docker_gwbridge instead and is routed by its host
 * (egress.ts). One story across all hosts.
 */
import { parseIpv4Strict } from '../../lang/iptables/inet';
import type { Ruleset } from '../../lang/iptables/ruleset';
import { manualClock, seededRng, type ManualClock } from '../clock';
import { compileRuleset } from '../compile';
import { basePacket } from '../conversation';
import { inNet } from '../host/routing';
import { HostStack } from '../netstack';
import { clonePacket, ip4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_SYN, type Packet } from '../packet';
import type { TraceEvent } from '../trace';
import type { UnknownAssumption } from '../traverse';
import { traceEgress } from './egress';
import { overlayHostModel, VXLAN_PORT } from './hostModel';
import type { OverlayContainer, Workspace } from './workspace';

export { VXLAN_PORT } from './hostModel';

export interface OverlaySpec {
  readonly proto: 'icmp' | 'udp' | 'tcp';
  /** A container's name. */
  readonly src: string;
  /**
   * A container's name, a host's name, or an address: inside the source's
   * overlay subnet it goes over the overlay, outside it by eth1 on docker_gwbridge.
   */
  readonly dst: string;
  readonly dport?: number;
}

export interface OverlayResult {
  readonly completed: boolean;
  readonly events: TraceEvent[];
  readonly summary: string;
}

/** Linux picks the VXLAN source port from a hash of the inner flow (udp_flow_src_port), in the local port range. */
function vxlanSourcePort(p: Packet): number {
  let h = 2166136261;
  for (const x of [p.src, p.dst, p.proto, p.sport, p.dport, p.icmpId]) h = Math.imul(h ^ x, 16777619) >>> 0;
  return 32768 + (h % 28232);
}

export class OverlayWorld {
  private readonly stacks = new Map<string, HostStack>();
  private readonly clock: ManualClock;
  private conversations = 0;

  constructor(
    readonly ws: Workspace,
    rules: ReadonlyMap<string, Ruleset>,
    opts: { readonly seed?: number; readonly assume?: UnknownAssumption } = {},
  ) {
    this.clock = manualClock(1_000_000);
    for (const h of ws.hosts) {
      const rs = rules.get(h.name) ?? { family: 'ipv4' as const, tables: new Map() };
      this.stacks.set(h.name, new HostStack(overlayHostModel(h, ws), compileRuleset(rs), { clock: this.clock, rng: seededRng(opts.seed ?? 1), assume: opts.assume ?? 'match' }));
    }
  }

  private container(nameOrAddr: string, network?: string): OverlayContainer | undefined {
    return this.ws.containers.find((c) => c.name === nameOrAddr) ?? this.ws.containers.find((c) => c.network === network && ip4(c.addr) === nameOrAddr);
  }

  trace(spec: OverlaySpec, emit: (e: TraceEvent) => void = () => undefined): OverlayResult {
    const events: TraceEvent[] = [];
    const out = (e: TraceEvent): void => {
      events.push(e);
      emit(e);
    };
    const from = this.container(spec.src);
    if (!from) return { completed: false, events, summary: `No container "${spec.src}" in the workspace.` };
    const net = this.ws.networks.find((n) => n.name === from.network)!;
    const to = this.container(spec.dst, from.network);
    const host = to ? undefined : this.ws.hosts.find((h) => h.name === spec.dst);
    const dstAddr = to?.addr ?? host?.underlay ?? parseIpv4Strict(spec.dst);
    if (dstAddr === undefined) return { completed: false, events, summary: `"${spec.dst}" is neither a container, a host of the workspace nor an address.` };
    if (!to && !inNet(dstAddr, net.subnet.addr, net.subnet.prefix)) {
      const r = traceEgress(this.ws, this.stacks, this.clock, ++this.conversations, { proto: spec.proto, from, dst: dstAddr, dstLabel: spec.dst, ...(spec.dport !== undefined ? { dport: spec.dport } : {}) }, out);
      return { completed: r.completed, events, summary: r.summary };
    }
    const id = ++this.conversations;
    out({ type: 'conversation', id, title: `${spec.proto} ${from.name} (${ip4(from.addr)}, ${from.network} on ${from.host}) → ${spec.dst}${spec.dport ? `:${spec.dport}` : ''}` });
    if (to && to.network !== from.network) {
      out({ type: 'note', text: `${to.name} is on ${to.network}, ${from.name} on ${from.network}: overlay networks are isolated (separate namespaces and VNIs), even where their subnets overlap` });
      out({ type: 'fate', fate: 'lost', packet: basePacket(PROTO_ICMP, from.addr, to.addr), detail: `${from.name} cannot reach ${to.name}: they share no network` });
      return { completed: false, events, summary: 'The conversation does not complete.' };
    }
    const proto = spec.proto === 'tcp' ? PROTO_TCP : spec.proto === 'udp' ? PROTO_UDP : PROTO_ICMP;
    const steps = proto === PROTO_TCP
      ? [{ label: 'SYN', back: false, flags: TCP_SYN }, { label: 'SYN-ACK', back: true, flags: TCP_SYN | TCP_ACK }, { label: 'ACK', back: false, flags: TCP_ACK }]
      : [{ label: proto === PROTO_ICMP ? 'echo request' : 'request', back: false, flags: 0 }, { label: proto === PROTO_ICMP ? 'echo reply' : 'response', back: true, flags: 0 }];
    let n = 0;
    for (const step of steps) {
      this.clock.advance(10);
      const p = basePacket(proto, step.back ? dstAddr : from.addr, step.back ? from.addr : dstAddr);
      if (proto === PROTO_ICMP) {
        p.icmpType = step.back ? 0 : 8;
        p.icmpId = 0x4242;
        p.length = 84;
      } else {
        p.sport = step.back ? (spec.dport ?? 80) : 40000;
        p.dport = step.back ? 40000 : (spec.dport ?? 80);
        p.tcpFlags = step.flags;
        p.length = proto === PROTO_TCP ? 60 : 40;
      }
      const sender = step.back ? to : from;
      if (!sender || sender.network !== from.network) break;
      out({ type: 'packet', conversation: id, n: ++n, label: step.label, dir: step.back ? 'reply' : 'original', packet: clonePacket(p), host: sender.host, from: { iface: `${net.name} (overlay, in ${sender.name})` } });
      if (!this.carry(p, sender, net.name, out)) {
        return { completed: false, events, summary: 'The conversation does not complete.' };
      }
    }
    const done = !!to && to.network === from.network;
    const summary = done ? `The ${spec.proto} conversation completes between ${from.name} and ${to!.name} over ${net.name}.` : 'The conversation does not complete.';
    out({ type: 'note', text: summary });
    return { completed: done, events, summary };
  }

  /** One packet from a container to its destination in the same overlay network. Returns whether it arrived. */
  private carry(p: Packet, sender: OverlayContainer, network: string, out: (e: TraceEvent) => void): boolean {
    const net = this.ws.networks.find((x) => x.name === network)!;
    const target = this.ws.containers.find((c) => c.network === network && c.addr === p.dst);
    if (!target) {
      const elsewhere = this.ws.containers.filter((c) => c.addr === p.dst && c.network !== network);
      out({ type: 'note', text: elsewhere.length
        ? `${ip4(p.dst)} is ${elsewhere.map((c) => `${c.name} on ${c.network}`).join(', ')}, not a member of ${network}: overlay networks are isolated, ${network}'s namespace knows no such neighbour (ARP gets no answer)`
        : `no container of ${network} has ${ip4(p.dst)}: ARP in ${network}'s namespace gets no answer` });
      out({ type: 'fate', fate: 'lost', packet: clonePacket(p), detail: `never delivered: nothing in ${network} answers for ${ip4(p.dst)}` });
      return false;
    }
    if (target.host === sender.host) {
      out({ type: 'note', text: `${target.name} is on the same host: br0 in ${network}'s namespace switches it; ${sender.host}'s iptables never see it` });
      out({ type: 'fate', fate: 'delivered', packet: clonePacket(p), detail: `delivered to ${target.name} (${network})` });
      return true;
    }
    const a = this.ws.hosts.find((h) => h.name === sender.host)!;
    const b = this.ws.hosts.find((h) => h.name === target.host)!;
    const outer = basePacket(PROTO_UDP, a.underlay, b.underlay);
    outer.sport = vxlanSourcePort(p);
    outer.dport = VXLAN_PORT;
    outer.length = p.length + 50;
    outer.inner = clonePacket(p);
    // The VXLAN device wraps a frame that came over br0 from a container's namespace: no
    // socket of this host sent it, so -m owner sees none (xt_owner: no socket, or another
    // namespace's, matches only fully inverted options; --socket-exists fails).
    outer.socket = 'none';
    out({ type: 'encap', action: 'encapsulate', host: a.name, network, vni: net.vni, inner: clonePacket(p), outer: clonePacket(outer) });
    const sa = this.stacks.get(a.name)!;
    const sent = sa.tracing(out, () => sa.send(outer));
    if (sent.fate !== 'out') {
      out({ type: 'fate', fate: sent.fate === 'delivered' || sent.fate === 'no-listener' ? 'lost' : sent.fate, packet: clonePacket(sent.packet), detail: `the VXLAN datagram never leaves ${a.name}: ${'detail' in sent ? sent.detail : sent.fate}`, ...('rule' in sent && sent.rule ? { rule: sent.rule } : {}) });
      return false;
    }
    out({ type: 'note', text: `underlay: ${a.name} (${ip4(a.underlay)}) → ${b.name} (${ip4(b.underlay)}), udp/${VXLAN_PORT}` });
    const sb = this.stacks.get(b.name)!;
    const got = sb.tracing(out, () => sb.receive(sent.packet, 'eth0'));
    if (got.fate !== 'delivered') {
      out({ type: 'fate', fate: got.fate === 'out' || got.fate === 'bridged' || got.fate === 'no-listener' ? 'lost' : got.fate, packet: clonePacket(got.packet), detail: `the VXLAN datagram never reaches ${b.name}'s VXLAN device: ${'detail' in got ? got.detail : got.fate}, so ${target.name} never gets the packet`, ...('rule' in got && got.rule ? { rule: got.rule } : {}) });
      return false;
    }
    out({ type: 'encap', action: 'decapsulate', host: b.name, network, vni: net.vni, inner: clonePacket(p), outer: clonePacket(got.packet) });
    out({ type: 'fate', fate: 'delivered', packet: clonePacket(p), detail: `delivered to ${target.name} (eth0 on ${network}, MTU 1450) on ${b.name}` });
    return true;
  }
}
