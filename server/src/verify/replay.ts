/**
 * Replays the packets the kernel traced through the emulator and compares,
 * packet by packet, every base chain each one passed: the table and chain,
 * the packet's addresses and ports as it entered, and every rule that
 * matched (its position in its chain and its verdict) and the policy.
 *
 * Each kernel episode is injected where the kernel saw it start (arriving on
 * an interface, crossing a bridge, or leaving a local process), in the
 * kernel's order, so conntrack evolves the same way. Packets netfilter itself
 * makes (a REJECT's reply) are not injected: the emulator must produce them,
 * and they are compared with the kernel's.
 */
import type { Emulator } from '../emulator/index';
import { basePacket } from '../emulator/conversation';
import type { HostModel } from '../emulator/host/model';
import type { Outcome } from '../emulator/netstack';
import { ip4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../emulator/packet';
import type { TraceEvent } from '../emulator/trace';
import type { KEpisode, KPacket } from './kernelTrace';

const FLAG_BITS: Record<string, number> = { SYN: TCP_SYN, ACK: TCP_ACK, FIN: TCP_FIN, RST: TCP_RST, PSH: TCP_PSH, URG: TCP_URG };
const PING_LEN = 84;

export function parseIp(s: string): number {
  return s.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
}

/** "src:sport>dst:dport" (or "src>dst") of a packet the kernel traced, as chain runs name it. */
export function kAddr(k: KPacket): string {
  return k.sport !== undefined ? `${k.src}:${k.sport}>${k.dst}:${k.dport}` : `${k.src}>${k.dst}`;
}

/** The same words for an emulator packet. */
export function eAddr(p: Packet): string {
  return p.proto === PROTO_TCP || p.proto === PROTO_UDP ? `${ip4(p.src)}:${p.sport}>${ip4(p.dst)}:${p.dport}` : `${ip4(p.src)}>${ip4(p.dst)}`;
}

/** One matching rule (or the policy) in a base chain's run. */
export interface RunStep {
  readonly chain: string;
  /** Position in its chain; absent when the kernel named a handle the listing did not have. */
  readonly index?: number;
  readonly handle?: number;
  readonly policy?: boolean;
  /** ACCEPT, DROP, CONTINUE, JUMP:X, GOTO:X, RETURN, QUEUE, … */
  readonly verdict: string;
  /** Emulator only: matches of this rule it could not evaluate and decided by assumption. */
  readonly assumed?: readonly string[];
}

/** One base chain's run: the table, the hook, the packet's addresses and ports on entering, and what matched. */
export interface ChainRun {
  readonly table: string;
  readonly hook: string;
  readonly packet: string;
  readonly steps: readonly RunStep[];
}

export function stepText(s: RunStep): string {
  return s.policy ? `policy:${s.verdict}` : `${s.chain}#${s.index ?? `h${s.handle}`}:${s.verdict}`;
}

/** A run in the comparable form both sides are compared in. */
export function runText(r: ChainRun): string {
  return `${r.table} ${r.hook} ${r.packet} | ${r.steps.map(stepText).join(' ')}`;
}

export function kernelChainRuns(ep: KEpisode, handles: ReadonlyMap<string, number>): ChainRun[] {
  return ep.runs.map((r) => ({
    table: r.table,
    hook: r.chain,
    packet: kAddr(r.packet),
    steps: r.steps
      .filter((s) => s.kind !== 'return')
      .map((s): RunStep => {
        if (s.kind === 'policy') return { chain: s.chain, policy: true, verdict: s.verdict };
        const index = handles.get(`${r.table}/${s.chain}/${s.handle}`);
        return index !== undefined ? { chain: s.chain, index, verdict: s.verdict } : { chain: s.chain, handle: s.handle ?? -1, verdict: s.verdict };
      }),
  }));
}

/** One base chain's run in a comparable form. */
export function kernelRuns(ep: KEpisode, handles: ReadonlyMap<string, number>): string[] {
  return kernelChainRuns(ep, handles).map(runText);
}

function verdictName(e: Extract<TraceEvent, { type: 'verdict' }>): string {
  switch (e.verdict) {
    case 'REJECT':
      return 'DROP';
    case 'NAT':
      return 'ACCEPT';
    case 'JUMP':
    case 'GOTO':
      return `${e.verdict}:${e.detail}`;
    default:
      return e.verdict;
  }
}

/** The emulator's base-chain runs, each with the host it ran on. */
export function emulatorChainRuns(events: readonly TraceEvent[]): { host: string; run: ChainRun }[] {
  const out: { host: string; run: ChainRun & { steps: RunStep[] } }[] = [];
  let cur: Packet | undefined;
  let host = '';
  let run: (ChainRun & { steps: RunStep[] }) | undefined;
  let assumed: { readonly key: string; readonly what: readonly string[] } | undefined;
  const key = (r: { table: string; chain: string; index: number }): string => `${r.table}/${r.chain}/${r.index}`;
  for (const e of events) {
    if (e.type === 'rule') assumed = e.matched && e.assumed?.length ? { key: key(e.rule), what: e.assumed } : undefined;
    if (e.type === 'hook') {
      cur = e.packet;
      host = e.host;
      run = undefined;
    } else if (e.type === 'rewrite') cur = e.after;
    else if (e.type === 'table' && cur) {
      run = { table: e.table, hook: e.hook, packet: eAddr(cur), steps: [] };
      out.push({ host, run });
    } else if (e.type === 'verdict' && run) {
      if (e.verdict === 'POLICY') run.steps.push({ chain: e.chain, policy: true, verdict: `${e.detail}` });
      else if (e.rule) {
        const what = assumed?.key === key(e.rule) ? assumed.what : undefined;
        run.steps.push({ chain: e.rule.chain, index: e.rule.index, verdict: verdictName(e), ...(what ? { assumed: what } : {}) });
      }
    }
  }
  return out;
}

/** The emulator's base-chain runs in a comparable form, each with the host it ran on. */
export function emulatorHostRuns(events: readonly TraceEvent[]): { host: string; run: string }[] {
  return emulatorChainRuns(events).map((r) => ({ host: r.host, run: runText(r.run) }));
}

export function emulatorRuns(events: readonly TraceEvent[]): string[] {
  return emulatorHostRuns(events).map((r) => r.run);
}

export interface EpisodeComparison {
  readonly title: string;
  readonly kernel: readonly string[];
  readonly emulator: readonly string[];
  /** The same runs, field by field (to say where they part). */
  readonly runs: { readonly kernel: readonly ChainRun[]; readonly emulator: readonly ChainRun[] };
  readonly agree: boolean;
  readonly note?: string;
  /** The kernel's packet as it started (absent when the kernel sent no such packet). */
  readonly kernelPacket?: { readonly start: 'pre' | 'out'; readonly packet: KPacket };
}

export interface ReplayResult {
  readonly agree: boolean;
  readonly episodes: readonly EpisodeComparison[];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class Replayer {
  /** Packets as the emulator delivered or sent them: the inner headers of later ICMP errors, and echo requests. */
  private readonly sent: Packet[] = [];
  private readonly pings: Packet[] = [];
  private nextPingId = 0;

  constructor(
    private readonly emu: Emulator,
    private readonly host: HostModel,
    private readonly handles: ReadonlyMap<string, number>,
    /**
     * 'processes': what the host sends of its own comes from the lab's agents (root) or the kernel's sockets.
     * 'tunnel': an overlay host, whose own packets are VXLAN datagrams of bridged frames (no socket) or the kernel's.
     */
    private readonly senders: 'processes' | 'tunnel' = 'processes',
  ) {}

  private toPacket(k: KPacket): Packet {
    const proto = k.flags ? PROTO_TCP : k.sport !== undefined ? PROTO_UDP : PROTO_ICMP;
    const p = basePacket(proto, parseIp(k.src), parseIp(k.dst));
    p.length = k.len;
    p.ttl = k.ttl;
    if (proto !== PROTO_ICMP) {
      p.sport = k.sport!;
      p.dport = k.dport!;
    }
    if (k.flags) {
      p.tcpFlags = k.flags.reduce((a, f) => a | (FLAG_BITS[f] ?? 0), 0);
      if (p.tcpFlags & TCP_SYN) p.tcpOptions = [2];
    }
    if (proto === PROTO_ICMP) {
      if (k.len === PING_LEN) {
        // One ping, one reply: a reply answers the oldest unanswered request the other way.
        // Every ping has its own identifier (the trace does not show it): a reply reuses its request's.
        const asked = this.pings.findIndex((q) => q.src === p.dst && q.dst === p.src);
        p.icmpType = asked >= 0 ? 0 : 8;
        p.icmpId = asked >= 0 ? this.pings[asked]!.icmpId : 0x100 + this.nextPingId++;
        if (asked >= 0) this.pings.splice(asked, 1);
      } else {
        // An ICMP error from a host's stack: it quotes the packet it answers.
        p.icmpType = 3;
        p.icmpCode = 3;
        const inner = [...this.sent].reverse().find((q) => q.src === p.dst && q.dst === p.src);
        if (inner) p.inner = inner;
      }
    }
    return p;
  }

  private inject(ep: KEpisode, p: Packet): Outcome {
    const stack = this.emu.stack;
    if (ep.start === 'out') {
      // The lab's agents run as root; resets for closed ports and ICMP replies and errors come
      // from the kernel's own sockets. A reset from a port an agent listens on answers a segment that
      // reached its socket (a lone ACK or FIN, a SYN-ACK nobody asked for): the kernel sends it on that
      // socket's behalf and gives it that socket (ip_send_unicast_reply's skb_set_owner_edemux, in the
      // lab's Linux 6.18), so -m owner sees root (kernel trace seed 1211, hand-made segments).
      if (p.proto === PROTO_TCP && p.tcpFlags & TCP_RST) {
        if (this.host.listeners.some((l) => l.proto === 'tcp' && l.port === p.sport)) p.owner = { uid: 0, gid: 0, groups: [] };
        else p.socket = 'kernel';
      } else if (p.proto === PROTO_ICMP && p.icmpType !== 8) p.socket = 'kernel';
      // A VXLAN datagram carries a frame that came over a bridge from another namespace: no local socket.
      else if (this.senders === 'tunnel') p.socket = 'none';
      else p.owner = { uid: 0, gid: 0, groups: [] };
      return stack.send(p);
    }
    const iif = ep.packet.iif ?? '';
    const br = this.host.ifaces.get(iif);
    if (br?.kind === 'bridge') {
      const local = [...this.host.ifaces.values()].some((i) => i.addrs.some((a) => a.addr === p.dst));
      const from = this.host.peers.find((q) => q.addr === p.src && q.via === iif && q.port);
      const to = this.host.peers.find((q) => q.addr === p.dst && q.via === iif && q.port);
      if (!local && from?.port && to?.port) return stack.bridge(p, iif, from.port, to.port);
      return stack.receive(p, iif, undefined, from?.port);
    }
    return stack.receive(p, iif);
  }

  private record(o: Outcome, injected: Packet): void {
    if ((o.fate === 'out' || o.fate === 'delivered' || o.fate === 'bridged' || o.fate === 'no-listener') && 'packet' in o) {
      this.sent.push(o.packet);
      if (injected.proto === PROTO_ICMP && injected.icmpType === 8) this.pings.push(o.packet);
    }
  }

  private traced(fn: () => Outcome): { o: Outcome; events: TraceEvent[] } {
    const events: TraceEvent[] = [];
    const o = this.emu.stack.tracing((e) => events.push(e), fn);
    return { o, events };
  }

  run(episodes: readonly KEpisode[]): ReplayResult {
    const consumed = new Set<KEpisode>();
    const results: EpisodeComparison[] = [];
    const take = (pred: (e: KEpisode) => boolean, after: number): KEpisode | undefined => {
      for (let j = after; j < episodes.length; j++) {
        const e = episodes[j]!;
        if (!consumed.has(e) && pred(e)) {
          consumed.add(e);
          return e;
        }
      }
      return undefined;
    };
    for (let i = 0; i < episodes.length; i++) {
      const ep = episodes[i]!;
      if (consumed.has(ep)) continue;
      consumed.add(ep);
      this.emu.clock.advance(5);
      const p = this.toPacket(ep.packet);
      const { o, events } = this.traced(() => this.inject(ep, p));
      this.record(o, p);
      let kRuns = kernelChainRuns(ep, this.handles);
      const title = `${ep.start === 'out' ? 'local' : `in ${ep.packet.iif}`} ${kAddr(ep.packet)}${ep.packet.flags ? ` [${ep.packet.flags.join(' ')}]` : ''}${p.proto === PROTO_ICMP ? ` icmp type ${p.icmpType}` : ''}`;
      let note: string | undefined;
      if (events.some((e) => e.type === 'note' && e.text.startsWith('looped back through lo'))) {
        // The kernel traces the loopback re-entry as a new packet.
        const back = take((e) => e.start === 'pre' && e.packet.iif === 'lo', i + 1);
        if (back) kRuns = [...kRuns, ...kernelChainRuns(back, this.handles)];
        else note = 'the emulator looped the packet back through lo; the kernel traced no re-entry';
      }
      const eRuns = emulatorChainRuns(events).map((r) => r.run);
      const kernel = kRuns.map(runText);
      const emulator = eRuns.map(runText);
      results.push({ title, kernel, emulator, runs: { kernel: kRuns, emulator: eRuns }, agree: note === undefined && sameList(kernel, emulator), ...(note ? { note } : {}), kernelPacket: { start: ep.start, packet: ep.packet } });
      if (o.fate === 'rejected') this.generated(o as Outcome & { readonly fate: 'rejected' }, i, take, results);
    }
    return { agree: results.every((r) => r.agree), episodes: results };
  }

  /** The reply a REJECT sends: made by the emulator, compared with the kernel's. */
  private generated(o: Outcome & { readonly fate: 'rejected' }, i: number, take: (pred: (e: KEpisode) => boolean, after: number) => KEpisode | undefined, results: EpisodeComparison[]): void {
    const kind = o.rejectWith ?? 'icmp-port-unreachable';
    const made: { reply?: Packet } = {};
    const { o: out, events } = this.traced(() => {
      const r = this.emu.stack.sendRejectReply(o);
      if (r) made.reply = r.reply;
      return r?.outcome ?? o;
    });
    const reply = made.reply;
    if (!reply) return;
    this.record(out, reply);
    // Sent straight out of a bridge port: netfilter never sees it, so neither trace has it.
    if (!events.some((e) => e.type === 'hook')) return;
    const k = take((e) => e.start === 'out' && e.packet.src === ip4(reply.src) && e.packet.dst === ip4(reply.dst) && (reply.proto === PROTO_ICMP ? e.packet.sport === undefined : e.packet.sport === reply.sport), i + 1);
    const eRuns = emulatorChainRuns(events).map((r) => r.run);
    let kRuns = k ? kernelChainRuns(k, this.handles) : [];
    if (k && events.some((e) => e.type === 'note' && e.text.startsWith('looped back through lo'))) {
      const back = take((e) => e.start === 'pre' && e.packet.iif === 'lo', i + 1);
      if (back) kRuns = [...kRuns, ...kernelChainRuns(back, this.handles)];
    }
    const kernel = kRuns.map(runText);
    const emulator = eRuns.map(runText);
    const title = `generated by REJECT (${kind}) ${eAddr(reply)}`;
    results.push({ title, kernel, emulator, runs: { kernel: kRuns, emulator: eRuns }, agree: !!k && sameList(kernel, emulator), ...(k ? { kernelPacket: { start: k.start, packet: k.packet } } : { note: 'the kernel sent no such packet' }) });
  }
}

/** Both traces side by side, differences marked. */
export function renderComparison(r: ReplayResult): string {
  const lines: string[] = [];
  r.episodes.forEach((e, n) => {
    lines.push(`${e.agree ? ' ' : '≠'} packet ${n + 1}: ${e.title}${e.note ? `  (${e.note})` : ''}`);
    const len = Math.max(e.kernel.length, e.emulator.length);
    for (let i = 0; i < len; i++) {
      const k = e.kernel[i] ?? '—';
      const m = e.emulator[i] ?? '—';
      if (k === m) lines.push(`      both:     ${k}`);
      else lines.push(`    ≠ kernel:   ${k}`, `      emulator: ${m}`);
    }
  });
  return lines.join('\n');
}
