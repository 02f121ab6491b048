/**
 * A conversation between a client and a server, packet by packet, through
 * the host: a TCP handshake, data and close; one UDP exchange; or an ICMP
 * echo and reply. Each packet enters where its sender is (an interface, a
 * local process, a container behind a bridge port) and the outcome decides
 * who gets it; the far end answers what it received, so replies show the
 * un-NAT on the way back. A peer that is another modelled host (a
 * workspace's other Docker hosts) receives and answers through its own stack.
 */
import type { ManualClock } from './clock';
import type { HostModel, Listener, Peer } from './host/model';
import { inNet } from './host/routing';
import { errorReply } from './errorReply';
import type { HostStack, Outcome } from './netstack';
import { clonePacket, ip4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, type Packet } from './packet';
import type { TraceEvent } from './trace';

export type Origin =
  | { readonly kind: 'iface'; readonly iface: string }
  | { readonly kind: 'local' }
  | { readonly kind: 'peer'; readonly peer: Peer };

export interface ConversationSpec {
  readonly proto: 'tcp' | 'udp' | 'icmp';
  readonly src: number;
  readonly sport?: number;
  readonly dst: number;
  readonly dport?: number;
  readonly origin: Origin;
  readonly title?: string;
  readonly payload?: string;
  /** A second leg: the conversation this one continues (a proxy's own connection) and why. */
  readonly linkedTo?: number;
  readonly why?: string;
}

/** Another modelled host a peer stands for: what it is sent goes through its own stack, and so does its answer. */
export interface RemoteHost {
  readonly stack: HostStack;
  /** Its interface this host's packets arrive on. */
  readonly iface: string;
}

/** Where a packet sent towards `addr` out of `dev` arrives. */
type Endpoint =
  | { readonly kind: 'local'; readonly listener?: Listener }
  | { readonly kind: 'peer'; readonly peer: Peer }
  | { readonly kind: 'assumed'; readonly addr: number; readonly dev: string };

export interface ConversationResult {
  readonly events: TraceEvent[];
  /** The client's packets reached the server and the server's replies came back. */
  readonly completed: boolean;
  /** What the server saw as the client's address and port. */
  readonly serverSaw?: { readonly src: number; readonly sport: number; readonly dst: number; readonly dport: number };
  readonly summary: string;
  /** The local listener that accepted the connection (docker-proxy forwards it on). */
  readonly acceptedBy?: Listener;
}

interface Step {
  readonly label: string;
  readonly from: 'client' | 'server';
  readonly flags: number;
  readonly data?: boolean;
}

const TCP_STEPS: readonly Step[] = [
  { label: 'SYN', from: 'client', flags: TCP_SYN },
  { label: 'SYN-ACK', from: 'server', flags: TCP_SYN | TCP_ACK },
  { label: 'ACK', from: 'client', flags: TCP_ACK },
  { label: 'data', from: 'client', flags: TCP_PSH | TCP_ACK, data: true },
  { label: 'FIN', from: 'client', flags: TCP_FIN | TCP_ACK },
  { label: 'FIN-ACK', from: 'server', flags: TCP_FIN | TCP_ACK },
  { label: 'last ACK', from: 'client', flags: TCP_ACK },
];

export function basePacket(proto: number, src: number, dst: number): Packet {
  return {
    src, dst, proto, sport: 0, dport: 0, tcpFlags: 0, tcpOptions: [], icmpType: 0, icmpCode: 0, icmpId: 0,
    length: 60, ttl: 64, tos: 0, fragOffset: 0, mark: 0, iif: '', oif: '', pktType: 'host', localOrigin: false,
  };
}

export class ConversationRunner {
  private n = 0;
  constructor(
    private readonly stack: HostStack,
    private readonly clock: ManualClock,
    private readonly conversationId: number,
    private readonly remoteOf: (peer: Peer) => RemoteHost | undefined = () => undefined,
  ) {}

  private get host(): HostModel {
    return this.stack.host;
  }

  /** The peer (or this host) that receives a packet leaving through `dev` to `addr`. */
  private endpointFor(dev: string, addr: number, port?: string): Endpoint {
    const peers = this.host.peers;
    const exact = peers.find((p) => p.addr === addr && (p.via === dev || (port !== undefined && p.port === port)));
    if (exact) return { kind: 'peer', peer: exact };
    const any = peers.find((p) => p.addr === addr);
    if (any) return { kind: 'peer', peer: any };
    return { kind: 'assumed', addr, dev };
  }

  /** Sends a packet from an endpoint into the host. */
  private inject(from: Endpoint | Origin, p: Packet): Outcome {
    if (from.kind === 'local') return this.stack.send(p, undefined, true);
    if (from.kind === 'iface') return this.stack.receive(p, from.iface);
    if (from.kind === 'assumed') return this.stack.receive(p, from.dev);
    const peer = from.peer;
    const br = this.host.ifaces.get(peer.via);
    if (br?.kind === 'bridge' && peer.port) {
      const brAddr = br.addrs.find((a) => inNet(p.dst, a.addr, a.prefix));
      const target = this.host.peers.find((q) => q !== peer && q.addr === p.dst && q.via === peer.via && q.port);
      if (brAddr && brAddr.addr !== p.dst && target?.port) return this.stack.bridge(p, peer.via, peer.port, target.port);
      return this.stack.receive(p, peer.via, undefined, peer.port);
    }
    return this.stack.receive(p, peer.via);
  }

  private originToEndpoint(o: Origin): Endpoint {
    if (o.kind === 'local') return { kind: 'local' };
    if (o.kind === 'peer') return { kind: 'peer', peer: o.peer };
    return { kind: 'assumed', addr: 0, dev: o.iface };
  }

  private describe(e: Endpoint): string {
    if (e.kind === 'local') return 'this host';
    if (e.kind === 'peer') return `${e.peer.name} (${ip4(e.peer.addr)})`;
    return `${ip4(e.addr)} (assumed to exist behind ${e.dev})`;
  }

  run(spec: ConversationSpec, emit: (e: TraceEvent) => void): ConversationResult {
    const events: TraceEvent[] = [];
    const out = (e: TraceEvent): void => {
      events.push(e);
      emit(e);
    };
    const proto = spec.proto === 'tcp' ? PROTO_TCP : spec.proto === 'udp' ? PROTO_UDP : PROTO_ICMP;
    const sport = spec.sport ?? (proto === PROTO_ICMP ? 0 : 43210);
    const dport = spec.dport ?? (proto === PROTO_ICMP ? 0 : 80);
    const icmpId = 0x1234;
    const client = this.originToEndpoint(spec.origin);
    const title = spec.title ?? `${spec.proto} ${ip4(spec.src)}${proto === PROTO_ICMP ? '' : `:${sport}`} → ${ip4(spec.dst)}${proto === PROTO_ICMP ? '' : `:${dport}`}`;
    out({ type: 'conversation', id: this.conversationId, title, ...(spec.linkedTo !== undefined ? { linkedTo: spec.linkedTo } : {}), ...(spec.why ? { why: spec.why } : {}) });

    const steps: readonly Step[] = proto === PROTO_TCP
      ? TCP_STEPS
      : [{ label: proto === PROTO_UDP ? 'request' : 'echo request', from: 'client', flags: 0, data: true }, { label: proto === PROTO_UDP ? 'response' : 'echo reply', from: 'server', flags: 0, data: true }];

    // A local client without a bound address gets one from routing on its first packet, then keeps it.
    let clientSrc = spec.src;
    let server: Endpoint | undefined;
    let serverSaw: ConversationResult['serverSaw'];
    let completed = true;
    for (const step of steps) {
      this.clock.advance(10);
      const fromClient = step.from === 'client';
      let p: Packet;
      if (fromClient) {
        p = basePacket(proto, clientSrc, spec.dst);
        p.sport = sport;
        p.dport = dport;
      } else {
        if (!serverSaw) break;
        p = basePacket(proto, serverSaw.dst, serverSaw.src);
        p.sport = serverSaw.dport;
        p.dport = serverSaw.sport;
      }
      if (proto === PROTO_TCP) {
        p.tcpFlags = step.flags;
        if (step.flags & TCP_SYN) p.tcpOptions = [2];
        p.length = step.data ? 60 + (spec.payload ?? 'hello').length : 52;
        if (step.data) p.payload = spec.payload ?? 'hello\n';
      } else if (proto === PROTO_ICMP) {
        p.icmpType = fromClient ? 8 : 0;
        p.icmpId = icmpId;
        p.sport = 0;
        p.dport = 0;
        p.length = 84;
      } else {
        p.payload = spec.payload ?? 'ping';
        p.length = 28 + p.payload.length;
      }
      if (fromClient && spec.origin.kind === 'local' && p.src === 0) p.src = 0;
      const sender = fromClient ? client : server!;
      const remote = !fromClient && sender.kind === 'peer' ? this.remoteOf(sender.peer) : undefined;
      // A modelled host answers a ping itself (icmp_reply), from the kernel's ICMP socket.
      if (!fromClient && proto === PROTO_ICMP && (sender.kind === 'local' || remote)) p.socket = 'kernel';
      this.n++;
      out({
        type: 'packet',
        conversation: this.conversationId,
        n: this.n,
        label: step.label,
        dir: fromClient ? 'original' : 'reply',
        packet: clonePacket(p),
        host: remote ? remote.stack.host.name : this.host.name,
        from: sender.kind === 'local' || remote ? { local: true } : { iface: sender.kind === 'peer' ? sender.peer.via : sender.dev },
      });
      // A modelled host answers through its own stack first; what leaves it arrives here.
      const arriving = remote && sender.kind === 'peer' ? this.leaveRemote(remote, sender.peer, p, out) : p;
      if (!arriving) {
        completed = false;
        break;
      }
      const o = this.stack.tracing(out, () => this.inject(fromClient && spec.origin.kind !== 'peer' ? (spec.origin.kind === 'local' ? { kind: 'local' } : spec.origin) : sender, arriving));
      if (fromClient && clientSrc === 0) {
        for (let k = events.length - 1; k >= 0; k--) {
          const e = events[k]!;
          if (e.type === 'route' && e.src !== undefined) {
            clientSrc = e.src;
            break;
          }
        }
      }
      const reached = this.settle(o, out);
      if (!reached) {
        completed = false;
        break;
      }
      if (fromClient && !server) {
        server = reached.endpoint;
        serverSaw = { src: reached.packet.src, sport: reached.packet.sport, dst: reached.packet.dst, dport: reached.packet.dport };
        const peer = server.kind === 'peer' ? server.peer : undefined;
        const l4 = proto === PROTO_TCP ? 'tcp' : 'udp';
        if (peer?.listens && proto !== PROTO_ICMP && !peer.listens.some((l) => l.proto === l4 && l.port === reached.packet.dport)) {
          this.refuse(peer, reached.packet, out);
          completed = false;
          break;
        }
      } else if (!fromClient) {
        // The client must recognise the reply as coming from where it sent.
        const q = reached.packet;
        const ok = q.src === spec.dst && (proto === PROTO_ICMP || q.sport === dport) && q.dst === (spec.src || q.dst);
        if (!ok) {
          out({ type: 'note', text: `The client expected this reply from ${ip4(spec.dst)}${proto === PROTO_ICMP ? '' : `:${dport}`} but it comes from ${ip4(q.src)}${proto === PROTO_ICMP ? '' : `:${q.sport}`}: the client drops it.` });
          completed = false;
          break;
        }
      }
    }
    const summary = completed
      ? `The ${spec.proto} conversation completes${server ? `; the server is ${this.describe(server)}` : ''}${serverSaw ? ` and sees the client as ${ip4(serverSaw.src)}${proto === PROTO_ICMP ? '' : `:${serverSaw.sport}`}` : ''}.`
      : 'The conversation does not complete.';
    out({ type: 'note', text: summary });
    const acceptedBy = server?.kind === 'local' ? server.listener : undefined;
    return { events, completed, summary, ...(serverSaw ? { serverSaw } : {}), ...(acceptedBy ? { acceptedBy } : {}) };
  }

  /**
   * Decides who receives a packet after the host is done with it, and emits
   * the fate. Returns the receiving endpoint and the packet as it arrives,
   * or undefined when it never arrives.
   */
  private settle(o: Outcome, out: (e: TraceEvent) => void): { endpoint: Endpoint; packet: Packet } | undefined {
    switch (o.fate) {
      case 'delivered': {
        const who = o.kernelIcmp ? 'the kernel (ICMP)' : o.listener ? `${o.listener.program ?? 'a process'} listening on ${o.listener.proto}/${o.listener.port}` : 'the local socket of this connection';
        out({ type: 'fate', fate: 'delivered', packet: o.packet, detail: `delivered to ${who} on this host` });
        return { endpoint: o.listener ? { kind: 'local', listener: o.listener } : { kind: 'local' }, packet: o.packet };
      }
      case 'no-listener': {
        const tcp = o.packet.proto === PROTO_TCP;
        out({ type: 'fate', fate: 'no-listener', packet: o.packet, detail: `for this host, but nothing listens on ${tcp ? 'tcp' : 'udp'}/${o.packet.dport}: the kernel answers with ${tcp ? 'a TCP RST' : 'ICMP port unreachable'}` });
        const made = this.stack.replyFor(o.packet, tcp ? 'tcp-reset' : 'icmp-port-unreachable');
        // The TCP stack's reset comes from the kernel's own control socket.
        const reply = made && { ...made, socket: 'kernel' as const };
        if (reply) this.followReply(reply, out, tcp ? 'RST from the kernel' : 'ICMP port unreachable from the kernel');
        return undefined;
      }
      case 'out': {
        const ep = this.endpointFor(o.dev, o.packet.dst);
        if (ep.kind === 'assumed') out({ type: 'assume', what: `a host ${ip4(o.packet.dst)} exists behind ${o.dev}${o.via !== undefined ? ` (via gateway ${ip4(o.via)})` : ''} and answers` });
        out({ type: 'fate', fate: o.forwarded ? 'forwarded' : 'sent', dev: o.dev, packet: o.packet, detail: `${o.forwarded ? 'forwarded' : 'sent'} out of ${o.dev} to ${this.describe(ep)}` });
        const remote = ep.kind === 'peer' ? this.remoteOf(ep.peer) : undefined;
        if (remote && ep.kind === 'peer') return this.enterRemote(remote, ep, o.packet, out);
        return { endpoint: ep, packet: o.packet };
      }
      case 'bridged': {
        const peer = this.host.peers.find((p) => p.port === o.port);
        const ep: Endpoint = peer ? { kind: 'peer', peer } : { kind: 'assumed', addr: o.packet.dst, dev: o.dev };
        out({ type: 'fate', fate: 'bridged', dev: o.dev, packet: o.packet, detail: `switched by ${o.dev} to port ${o.port} (${this.describe(ep)})` });
        return { endpoint: ep, packet: o.packet };
      }
      case 'rejected': {
        out({ type: 'fate', fate: 'rejected', packet: o.packet, detail: o.detail, ...(o.rule ? { rule: o.rule } : {}) });
        const reply = this.stack.replyFor(o.packet, o.rejectWith ?? 'icmp-port-unreachable');
        if (reply) this.followReply(reply, out, `the REJECT reply (${o.rejectWith ?? 'icmp-port-unreachable'})`, o as Outcome & { readonly fate: 'rejected' });
        return undefined;
      }
      default:
        out({ type: 'fate', fate: o.fate, packet: o.packet, detail: o.detail, ...('rule' in o && o.rule ? { rule: o.rule } : {}) });
        return undefined;
    }
  }

  /** A packet this host sent to a modelled host: through that host's stack, where it is delivered or not. */
  private enterRemote(remote: RemoteHost, ep: Endpoint & { readonly kind: 'peer' }, p: Packet, out: (e: TraceEvent) => void): { endpoint: Endpoint; packet: Packet } | undefined {
    const name = remote.stack.host.name;
    out({ type: 'note', text: `${name} receives it on ${remote.iface}` });
    const o = remote.stack.tracing(out, () => remote.stack.receive(p, remote.iface));
    if (o.fate === 'delivered') {
      const who = o.kernelIcmp ? 'the kernel (ICMP)' : o.listener ? `${o.listener.program ?? 'a process'} listening on ${o.listener.proto}/${o.listener.port}` : 'a local socket';
      out({ type: 'fate', fate: 'delivered', packet: o.packet, detail: `delivered to ${who} on ${name}` });
      return { endpoint: ep, packet: o.packet };
    }
    if (o.fate === 'no-listener' || o.fate === 'rejected') {
      this.remoteRefuses(remote, ep.peer, o, out);
      return undefined;
    }
    const why = o.fate === 'out' ? `${name} forwards it out of ${o.dev}; the trace follows it no further` : o.fate === 'bridged' ? `${name} switches it to ${o.port}; the trace follows it no further` : `on ${name}: ${o.detail}`;
    out({ type: 'fate', fate: o.fate === 'out' ? 'forwarded' : o.fate, packet: o.packet, detail: why, ...('rule' in o && o.rule ? { rule: o.rule } : {}) });
    return undefined;
  }

  /** A modelled host's own packet (its answer) through its stack; the packet as it leaves towards this host, if it does. */
  private leaveRemote(remote: RemoteHost, peer: Peer, p: Packet, out: (e: TraceEvent) => void): Packet | undefined {
    const name = remote.stack.host.name;
    const o = remote.stack.tracing(out, () => remote.stack.send(p));
    if (o.fate !== 'out') {
      out({ type: 'fate', fate: o.fate === 'delivered' || o.fate === 'no-listener' || o.fate === 'bridged' ? 'lost' : o.fate, packet: o.packet, detail: `the answer never leaves ${name}: ${'detail' in o ? o.detail : o.fate}`, ...('rule' in o && o.rule ? { rule: o.rule } : {}) });
      return undefined;
    }
    out({ type: 'fate', fate: 'sent', dev: o.dev, packet: o.packet, detail: `sent out of ${o.dev} of ${name} to ${this.host.name}` });
    out({ type: 'note', text: `${this.host.name} receives it on ${peer.via}` });
    return o.packet;
  }

  /** A modelled host refuses (no listener, REJECT): its kernel's answer goes out through its stack and back into this host. */
  private remoteRefuses(remote: RemoteHost, peer: Peer, o: Outcome, out: (e: TraceEvent) => void): void {
    const name = remote.stack.host.name;
    const tcp = o.packet.proto === PROTO_TCP;
    const rejected = o.fate === 'rejected' ? (o as Outcome & { readonly fate: 'rejected' }) : undefined;
    const kind = rejected ? (rejected.rejectWith ?? 'icmp-port-unreachable') : tcp ? 'tcp-reset' : 'icmp-port-unreachable';
    out(rejected
      ? { type: 'fate', fate: 'rejected', packet: o.packet, detail: `on ${name}: ${rejected.detail}`, ...(rejected.rule ? { rule: rejected.rule } : {}) }
      : { type: 'fate', fate: 'no-listener', packet: o.packet, detail: `for ${name}, but nothing listens on ${tcp ? 'tcp' : 'udp'}/${o.packet.dport}: its kernel answers with ${tcp ? 'a TCP RST' : 'ICMP port unreachable'}` });
    const made = remote.stack.replyFor(o.packet, kind);
    // A closed port's reset comes from the kernel's own control socket.
    const reply = made && !rejected ? { ...made, socket: 'kernel' as const } : made;
    if (!reply) return;
    this.n++;
    out({ type: 'packet', conversation: this.conversationId, n: this.n, label: `${kind === 'tcp-reset' ? 'RST' : kind} from ${name}`, dir: 'reply', packet: clonePacket(reply), host: name, from: { local: true } });
    const sent = remote.stack.tracing(out, () => (rejected ? remote.stack.sendRejectReply(rejected)?.outcome : undefined) ?? remote.stack.send(reply));
    if (sent.fate !== 'out') {
      out({ type: 'fate', fate: sent.fate === 'delivered' || sent.fate === 'no-listener' || sent.fate === 'bridged' ? 'lost' : sent.fate, packet: sent.packet, detail: `it never leaves ${name}` });
      return;
    }
    out({ type: 'fate', fate: 'sent', dev: sent.dev, packet: sent.packet, detail: `sent out of ${sent.dev} of ${name} to ${this.host.name}` });
    out({ type: 'note', text: `${this.host.name} receives it on ${peer.via}` });
    this.settle(this.stack.tracing(out, () => this.inject({ kind: 'peer', peer }, sent.packet)), out);
  }

  /** A peer that does not listen on the port answers with a TCP reset or ICMP port unreachable, back through the host. */
  private refuse(peer: Peer, got: Packet, out: (e: TraceEvent) => void): void {
    const tcp = got.proto === PROTO_TCP;
    out({ type: 'note', text: `${peer.name} does not listen on ${tcp ? 'tcp' : 'udp'}/${got.dport}: it answers with ${tcp ? 'a TCP reset' : 'ICMP port unreachable'}` });
    const r = errorReply(got, tcp ? 'tcp-reset' : 'icmp-port-unreachable');
    if (!r) return;
    r.localOrigin = false;
    this.n++;
    out({ type: 'packet', conversation: this.conversationId, n: this.n, label: tcp ? 'RST' : 'port unreachable', dir: 'reply', packet: clonePacket(r), host: this.host.name, from: { iface: peer.via } });
    const o = this.stack.tracing(out, () => this.inject({ kind: 'peer', peer }, r));
    this.settle(o, out);
  }

  /** A packet the host itself sends back (REJECT, RST, port unreachable): traced through OUTPUT. */
  private followReply(reply: Packet, out: (e: TraceEvent) => void, label: string, rejected?: Outcome & { readonly fate: 'rejected' }): void {
    this.n++;
    out({ type: 'packet', conversation: this.conversationId, n: this.n, label, dir: 'reply', packet: clonePacket(reply), host: this.host.name, from: { local: true } });
    const o = this.stack.tracing(out, () => (rejected ? this.stack.sendRejectReply(rejected)?.outcome : undefined) ?? this.stack.send(reply));
    if (o.fate === 'out') out({ type: 'fate', fate: 'sent', dev: o.dev, packet: o.packet, detail: `sent out of ${o.dev} back to the client` });
    else if (o.fate === 'delivered') out({ type: 'fate', fate: 'delivered', packet: o.packet, detail: 'delivered back to the local client' });
    else out({ type: 'fate', fate: o.fate === 'no-listener' ? 'delivered' : o.fate, packet: o.packet, detail: 'detail' in o ? o.detail : o.fate });
  }
}
