/**
 * One host's IPv4 path through netfilter (the kernel's order of hooks,
 * tables and conntrack/NAT steps):
 *
 *   in  ──► PREROUTING: raw · conntrack · mangle · nat(DNAT) ──► routing ─┬─► INPUT: mangle · filter · security · nat(SNAT) · confirm ──► socket
 *                                                                       └─► FORWARD: mangle · filter · security ─┐
 *   socket ──► routing ──► OUTPUT: raw · conntrack · mangle · nat(DNAT, reroute) · filter · security ─┐          │
 *                                                                                                    ▼          ▼
 *                                                     POSTROUTING: mangle · nat(SNAT/MASQUERADE) · confirm ──► out (lo: back to PREROUTING)
 *
 * nat chains run only for a connection's first packet per manip type; later
 * packets and replies are rewritten from the conntrack entry. Frames between
 * two ports of one bridge pass PREROUTING/FORWARD/POSTROUTING only when
 * bridge-nf-call-iptables is on.
 */
import type { Hook } from '../lang/iptables/extension';
import type { Clock, Rng } from './clock';
import type { EmuRule, EmuRuleset } from './compile';
import { ConntrackTable, ICMP_ERRORS } from './conntrack';
import { errorReply } from './errorReply';
import type { NatRequest, TargetContext } from './context';
import type { CtInfo, CtZone } from './ct';
import { martianAddress, Router } from './host/routing';
import type { HostModel, Listener } from './host/model';
import { applyBinding, chooseBinding, natDone, natPacket, markNatDone, type Manip } from './nat';
import { clonePacket, ip4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_RST, type Packet } from './packet';
import { MemoryStore } from './store';
import type { Fate, RuleRef, TraceEvent } from './trace';
import { runTable, type TableResult, type UnknownAssumption } from './traverse';

export interface StackOptions {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly assume: UnknownAssumption;
}

/** Where a packet ended up on this host. */
export type Outcome =
  | { readonly fate: 'delivered'; readonly packet: Packet; readonly ct: CtInfo; readonly listener?: Listener; readonly kernelIcmp?: boolean }
  | { readonly fate: 'no-listener'; readonly packet: Packet; readonly ct: CtInfo }
  | { readonly fate: 'out'; readonly packet: Packet; readonly dev: string; readonly via?: number; readonly forwarded: boolean; readonly ct: CtInfo }
  | { readonly fate: 'bridged'; readonly packet: Packet; readonly dev: string; readonly port: string; readonly ct: CtInfo }
  | { readonly fate: Exclude<Fate, 'delivered' | 'no-listener' | 'forwarded' | 'sent' | 'bridged' | 'lost'>; readonly packet: Packet; readonly rule?: RuleRef; readonly rejectWith?: string; readonly detail: string; readonly ct?: CtInfo };

type Verdict = { readonly ok: true } | { readonly ok: false; readonly outcome: Outcome };

const UNTRACKED: CtInfo = { state: 'UNTRACKED', dir: 'ORIGINAL' };
/**
 * What the raw table sees before conntrack: no entry yet. xt_conntrack reports a packet without
 * an entry, not marked untracked, as INVALID (only NOTRACK's template makes it UNTRACKED).
 */
const NO_ENTRY: CtInfo = { state: 'INVALID', dir: 'ORIGINAL' };
/** A packet a CT put its template on, until conntrack: matches see the template, NEW. */
const TEMPLATE: CtInfo = { state: 'NEW', dir: 'ORIGINAL', template: true };
/** No conntrack entry because conntrack is not running at all. */
const CT_OFF: CtInfo = { state: 'INVALID', dir: 'ORIGINAL' };

/** HOOK_TABLE_ORDER without the nat table (its two halves are placed by the pipeline). */
const FILTERING: Readonly<Record<Hook, readonly string[]>> = {
  PREROUTING: ['mangle'],
  INPUT: ['mangle', 'filter', 'security'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['mangle', 'filter', 'security'],
  POSTROUTING: ['mangle'],
};

/** The quoted header of an ICMP error, rewritten along with the outer one (the inverse manip). */
function quotedAfterNat(inner: Packet, conn: NonNullable<CtInfo['conn']>, dir: CtInfo['dir'], manip: Manip): Packet {
  const q = clonePacket(inner);
  const t = dir === 'ORIGINAL' ? conn.reply : conn.orig;
  const ports = q.proto === PROTO_TCP || q.proto === PROTO_UDP;
  // The quoted packet went the other way: where the outer destination changes, its source does.
  if (manip === 'dst') {
    q.src = t.src;
    if (ports) q.sport = t.sport;
  } else {
    q.dst = t.dst;
    if (ports) q.dport = t.dport;
  }
  return q;
}

export class HostStack {
  readonly router: Router;
  readonly conntrack: ConntrackTable;
  private readonly store = new MemoryStore();
  /**
   * Sockets local processes sent from ("proto/address/port"): what comes back
   * to them is theirs whether or not conntrack follows the connection (with
   * no rule needing conntrack, nothing marks it as a reply).
   */
  private readonly sockets = new Set<string>();
  private emit: (e: TraceEvent) => void = () => undefined;

  constructor(
    readonly host: HostModel,
    readonly rules: EmuRuleset,
    private readonly opts: StackOptions,
  ) {
    this.router = new Router(host);
    this.conntrack = new ConntrackTable(opts.clock, host.sysctls.tcpLoose);
  }

  /** Runs `fn` with trace events going to `emit`. */
  tracing<T>(emit: (e: TraceEvent) => void, fn: () => T): T {
    const prev = this.emit;
    this.emit = emit;
    try {
      return fn();
    } finally {
      this.emit = prev;
    }
  }

  // ---------------------------------------------------------------- tables

  private context(p: Packet, hook: Hook, table: string, ct: CtInfo, rule: EmuRule): TargetContext {
    const emit = this.emit;
    const ctx: TargetContext = {
      packet: p,
      hook,
      table,
      ct,
      host: this.router,
      clock: this.opts.clock,
      rng: this.opts.rng,
      store: this.store,
      ruleId: rule.id,
      ...(ct.conn ? { conn: ct.conn } : {}),
      note: (text: string) => emit({ type: 'log', rule: rule.ref, text }),
    };
    return ctx;
  }

  /** Runs one table's chain for this hook, if the table has it. */
  private table(name: string, hook: Hook, p: Packet, ct: CtInfo): ReturnType<typeof runTable> | undefined {
    const t = this.rules.tables.get(name);
    if (!t?.chains.has(hook)) return undefined;
    const before = clonePacket(p);
    const res = runTable(
      {
        table: t,
        hook,
        packet: p,
        context: (rule, attached) => this.context(p, hook, name, attached === 'untracked' ? UNTRACKED : attached === 'template' ? TEMPLATE : ct, rule),
        emit: this.emit,
        assume: this.opts.assume,
      },
      hook,
    );
    if (p.mark !== before.mark) this.emit({ type: 'rewrite', what: 'MARK', before, after: clonePacket(p) });
    else if (p.tos !== before.tos || p.ttl !== before.ttl) this.emit({ type: 'rewrite', what: p.tos !== before.tos ? 'TOS' : 'TTL', before, after: clonePacket(p) });
    return res;
  }

  /** The filtering tables of a hook, in priority order; stops at the first drop. */
  private filtering(hook: Hook, p: Packet, ct: CtInfo): Verdict {
    for (const name of FILTERING[hook]) {
      const r = this.table(name, hook, p, ct);
      if (!r || r.verdict === 'ACCEPT') continue;
      return { ok: false, outcome: this.stopped(r.verdict, p, r.rule, r.rejectWith, `${name} ${hook}`, ct) };
    }
    return { ok: true };
  }

  private stopped(verdict: 'DROP' | 'QUEUE' | 'REJECT' | 'ACCEPT', p: Packet, rule: RuleRef | undefined, rejectWith: string | undefined, where: string, ct?: CtInfo): Outcome {
    const ruleText = rule ? `line ${rule.line + 1}` : `the ${where} policy`;
    if (verdict === 'REJECT') {
      const o: Outcome = { fate: 'rejected', packet: clonePacket(p), detail: `rejected by ${ruleText} (${rejectWith ?? 'icmp-port-unreachable'})`, ...(rule ? { rule } : {}), ...(rejectWith ? { rejectWith } : {}), ...(ct ? { ct } : {}) };
      return o;
    }
    if (verdict === 'QUEUE') return { fate: 'queued', packet: clonePacket(p), detail: `queued to userspace by ${ruleText}; nothing answers in the emulator`, ...(rule ? { rule } : {}) };
    return { fate: 'dropped', packet: clonePacket(p), detail: `dropped by ${ruleText}`, ...(rule ? { rule } : {}) };
  }

  /** A nat hook: consult the chain for a connection's first packet, then rewrite from conntrack. */
  private nat(hook: Hook, manip: Manip, p: Packet, ct: CtInfo): void {
    const conn = ct.conn;
    const t = this.rules.tables.get('nat');
    const hasChain = !!t?.chains.has(hook);
    if (!conn || ct.state === 'UNTRACKED' || ct.state === 'INVALID') {
      if (hasChain) this.emit({ type: 'skip', table: 'nat', hook, reason: ct === CT_OFF ? 'connection tracking is off (no loaded rule needs it), so the nat chains never run' : ct.state === 'UNTRACKED' ? 'untracked packets are never NATed' : 'packets conntrack finds INVALID are never NATed' });
      return;
    }
    // An ICMP error about a NATed connection is translated from the binding (outer and quoted
    // header), never through the nat chains (nf_nat_icmp_reply_translation).
    const icmpError = ct.state === 'RELATED' && p.proto === PROTO_ICMP && ICMP_ERRORS.has(p.icmpType);
    if (icmpError) {
      if (hasChain) this.emit({ type: 'skip', table: 'nat', hook, reason: 'an ICMP error is rewritten from its connection\'s NAT binding, never through the nat chains' });
    } else if ((ct.state === 'NEW' || ct.state === 'RELATED') && !natDone(conn, manip)) {
      if (hasChain) {
        const r = this.table('nat', hook, p, ct);
        if (r?.nat) this.bind(r.nat, conn, manip, hook, p, r.rule, ct.dir);
        else markNatDone(conn, manip);
      } else markNatDone(conn, manip);
    } else if (hasChain) {
      const why = ct.state === 'NEW' ? 'this connection already went through it' : `the nat table only sees a connection's first packet (this one is ${ct.state})`;
      this.emit({ type: 'skip', table: 'nat', hook, reason: why });
    }
    const before = clonePacket(p);
    if (natPacket(p, conn, ct.dir, manip)) {
      if (icmpError && p.inner) p.inner = quotedAfterNat(p.inner, conn, ct.dir, manip);
      const what = ct.dir === 'ORIGINAL' ? (manip === 'dst' ? 'DNAT' : 'SNAT') : manip === 'dst' ? 'un-SNAT' : 'un-DNAT';
      this.emit({ type: 'rewrite', what, before, after: clonePacket(p), note: ct.dir === 'REPLY' ? 'reply rewritten back by conntrack' : 'rewritten from the connection\'s NAT binding' });
    }
  }

  /**
   * The binding a nat rule asks for, set on the connection, and applied to this packet the way it goes:
   * a REJECT's reset goes the reply way of the entry it belongs to, and a source binding made on it
   * leaves it as it is (nf_nat_packet rewrites a reply only for the other manip: kernel trace seed 300006).
   */
  private bind(req: NatRequest, conn: NonNullable<CtInfo['conn']>, manip: Manip, hook: Hook, p: Packet, rule: RuleRef | undefined, dir: CtInfo['dir']): void {
    let fixed: number | undefined;
    if (req.kind === 'masquerade') {
      fixed = this.router.primaryAddr(p.oif, p.dst);
      if (fixed === undefined) {
        this.emit({ type: 'note', text: `MASQUERADE: ${p.oif} has no IPv4 address, so the kernel drops the packet` });
        markNatDone(conn, manip);
        return;
      }
    } else if (req.kind === 'redirect') {
      fixed = hook === 'OUTPUT' ? 0x7f000001 : this.router.primaryAddr(p.iif);
      if (fixed === undefined) {
        this.emit({ type: 'note', text: `REDIRECT: ${p.iif} has no IPv4 address, so the kernel drops the packet` });
        markNatDone(conn, manip);
        return;
      }
    }
    const b = chooseBinding(req, conn, manip, fixed, this.opts.rng, (t) => this.conntrack.tupleTaken(t, conn.zone));
    if (!b) {
      this.emit({ type: 'note', text: 'NAT: no free tuple in the requested range; the kernel drops the packet' });
      markNatDone(conn, manip);
      return;
    }
    applyBinding(conn, manip, b);
    const what = req.kind === 'masquerade' ? 'MASQUERADE' : req.kind === 'redirect' ? 'REDIRECT' : req.kind === 'netmap' ? 'NETMAP' : manip === 'dst' ? 'DNAT' : 'SNAT';
    const before = clonePacket(p);
    if (!natPacket(p, conn, dir, manip)) {
      this.emit({ type: 'note', text: `${what}: binding set for the connection; this packet goes its reply way and keeps its addresses` });
      return;
    }
    const e: TraceEvent = { type: 'rewrite', what, before, after: clonePacket(p), note: [`binding set for the whole connection; replies are rewritten back`, ...b.notes].join('; '), ...(rule ? { rule } : {}) };
    this.emit(e);
    // natPacket already applied it; the caller's natPacket will find nothing more to change.
  }

  private track(p: Packet, raw: TableResult | undefined, notrack: boolean, existing?: CtInfo, why = 'looped back: conntrack keeps the entry from OUTPUT'): { ct: CtInfo; unconfirmed?: NonNullable<CtInfo['conn']> } {
    if (notrack) {
      this.emit({ type: 'conntrack', event: 'untracked', state: 'UNTRACKED', dir: 'ORIGINAL', mark: 0, note: 'NOTRACK in the raw table' });
      return { ct: UNTRACKED };
    }
    if (!this.rules.conntrackActive) {
      this.emit({ type: 'conntrack', event: 'untracked', state: 'UNTRACKED', dir: 'ORIGINAL', mark: 0, note: 'connection tracking is off in this namespace: no loaded rule needs it (no conntrack/state/connmark match, no NAT, CONNMARK or CT target), so nothing is tracked and the nat chains never run' });
      return { ct: CT_OFF };
    }
    if (existing?.attachedBare) {
      this.emit({ type: 'conntrack', event: 'invalid', state: 'INVALID', dir: existing.dir, mark: 0, note: "a REJECT's reply to a packet without a connection: it carries a bare conntrack word, which conntrack leaves as it is (INVALID)" });
      return { ct: existing };
    }
    if (existing) {
      this.emit({ type: 'conntrack', event: 'found', state: existing.state, dir: existing.dir, mark: existing.conn?.mark ?? 0, note: why });
      return { ct: existing };
    }
    const t = raw?.template?.zone;
    // A zone from the mark is read now, as conntrack looks the packet up (nf_ct_zone_tmpl).
    const zone: CtZone | undefined = t ? { id: t.fromMark ? p.mark & 0xffff : t.id, dir: t.dir } : undefined;
    const l = this.conntrack.lookup(p, zone);
    const c = l.info.conn;
    const zoned = c?.zone ? { zone: c.zone.id } : zone?.id ? { zone: zone.id } : {};
    const base = { state: l.info.state, dir: l.info.dir, mark: c?.mark ?? 0, ...(c ? { orig: c.orig, reply: c.reply } : {}), ...zoned };
    if (l.info.state === 'INVALID') this.emit({ type: 'conntrack', event: 'invalid', ...base, ...(l.why ? { note: l.why } : {}) });
    else if (l.unconfirmed) this.emit({ type: 'conntrack', event: 'new', ...base });
    else if (l.info.state === 'RELATED') this.emit({ type: 'conntrack', event: 'related', ...base });
    else this.emit({ type: 'conntrack', event: 'found', ...base });
    return l.unconfirmed ? { ct: l.info, unconfirmed: l.unconfirmed } : { ct: l.info };
  }

  private confirm(conn: NonNullable<CtInfo['conn']> | undefined): void {
    if (conn && this.conntrack.confirm(conn)) {
      this.emit({ type: 'conntrack', event: 'confirmed', state: 'NEW', dir: 'ORIGINAL', orig: conn.orig, reply: conn.reply, mark: conn.mark, ...(conn.zone ? { zone: conn.zone.id } : {}), note: 'the entry is now in the table' });
    }
  }

  private hook(hook: Hook, p: Packet): void {
    this.emit({ type: 'hook', hook, host: this.host.name, iif: p.iif, oif: p.oif, packet: clonePacket(p) });
  }

  // ---------------------------------------------------------------- paths

  /** A packet arriving on interface `iif` (from a peer, or looped back). */
  receive(pkt: Packet, iif: string, loopback?: CtInfo, physIn?: string): Outcome {
    const p = clonePacket(pkt);
    p.iif = iif;
    p.oif = '';
    p.localOrigin = false;
    if (physIn) {
      p.physIn = physIn;
      p.bridged = false;
    }
    this.hook('PREROUTING', p);
    // raw runs for looped-back packets too; NOTRACK then changes nothing (the packet already has its entry).
    const raw = this.table('raw', 'PREROUTING', p, loopback ?? NO_ENTRY);
    if (raw && raw.verdict !== 'ACCEPT') return this.stopped(raw.verdict, p, raw.rule, raw.rejectWith, 'raw PREROUTING');
    // One INVALID in OUTPUT carries no conntrack word: conntrack looks it up again here (in raw's zone).
    const kept = loopback && (loopback.conn || loopback.state !== 'INVALID' || loopback.attachedBare) ? loopback : undefined;
    const { ct, unconfirmed } = this.track(p, raw, !kept && !!raw?.notrack, kept);
    const pre = this.filtering('PREROUTING', p, ct);
    if (!pre.ok) return pre.outcome;
    const dstBefore = p.dst;
    this.nat('PREROUTING', 'dst', p, ct);
    if (p.physIn && p.dst !== dstBefore) {
      const again = this.bridgedDnat(p, iif, ct, unconfirmed);
      if (again) return again;
    }
    return this.routeInput(p, iif, ct, unconfirmed);
  }

  /**
   * br_nf_pre_routing_finish(): a frame that came in through a bridge port and was
   * DNATed to an address behind the same bridge is switched by the bridge, not routed:
   * to the new destination's port, or dropped when that is the port it came from and
   * the port is not in hairpin mode, or when nothing behind the bridge has the address
   * (its ARP request goes unanswered). Undefined when the new route leaves elsewhere.
   */
  private bridgedDnat(p: Packet, br: string, ct: CtInfo, unconfirmed: CtInfo['conn']): Outcome | undefined {
    if (this.host.ifaces.get(br)?.kind !== 'bridge') return undefined;
    const r = this.router.input(p.dst, br);
    if (r.kind !== 'unicast' || r.dev !== br) return undefined;
    const to = this.host.peers.find((q) => q.addr === p.dst && q.via === br && q.port);
    if (!to && !this.host.peers.some((q) => q.addr === p.dst && q.via === br)) {
      // br_nf_pre_routing_finish_bridge(): the bridge needs the new destination's MAC before it
      // forwards (FORWARD comes after); an ARP request nobody answers leaves the frame dropped.
      this.emit({ type: 'route', decision: 'forward', dev: br, reason: `DNAT sent the frame to ${ip4(p.dst)} behind the same bridge: br_netfilter hands it back to ${br}, which first asks for ${ip4(p.dst)}'s MAC address; nothing the description puts behind ${br} has that address, so the ARP request goes unanswered` });
      return { fate: 'dropped', packet: clonePacket(p), detail: `nobody behind ${br} answers ARP for ${ip4(p.dst)}: the bridge drops the frame before FORWARD` };
    }
    if (to?.port && to.port === p.physIn && !this.host.ifaces.get(to.port)?.hairpin) {
      this.emit({ type: 'route', decision: 'forward', dev: br, reason: `DNAT sent the frame to ${ip4(p.dst)}, behind the bridge port ${p.physIn} it came in on: br_netfilter hands it back to the bridge, which never sends a frame out of its own port without hairpin mode` });
      return { fate: 'dropped', packet: clonePacket(p), detail: `the bridge drops it: ${p.physIn} is not in hairpin mode` };
    }
    this.emit({ type: 'route', decision: 'forward', dev: br, reason: `DNAT sent the frame to ${ip4(p.dst)} behind the same bridge: br_netfilter hands it back to ${br}, which switches it${to?.port ? ` to ${to.port}` : ''}` });
    p.oif = br;
    p.bridged = true;
    if (to?.port) p.physOut = to.port;
    this.hook('FORWARD', p);
    const v = this.filtering('FORWARD', p, ct);
    if (!v.ok) return v.outcome;
    const out = this.postrouting(p, br, undefined, ct, unconfirmed, true);
    if (out.fate !== 'out' || !to?.port) return out;
    return { fate: 'bridged', packet: out.packet, dev: br, port: to.port, ct: out.ct };
  }

  private routeInput(p: Packet, iif: string, ct: CtInfo, unconfirmed: CtInfo['conn']): Outcome {
    const odd = martianAddress(p.src, p.dst, iif === 'lo' || !!this.host.ifaces.get(iif)?.routeLocalnet, iif !== 'lo' && this.router.isOwnAddress(p.src));
    if (odd) {
      this.emit({ type: 'route', decision: 'martian', reason: `${odd} arriving on ${iif}: a martian, dropped` });
      return { fate: 'martian', packet: clonePacket(p), detail: odd };
    }
    const r = this.router.input(p.dst, iif);
    if (r.kind === 'local' || r.kind === 'broadcast') {
      this.emit({ type: 'route', decision: 'local', ...(r.dev ? { dev: r.dev } : {}), reason: `${ip4(p.dst)} is ${r.kind === 'local' ? 'an address of this host' : 'a broadcast address'}: deliver locally (INPUT)` });
      return this.input(p, ct, unconfirmed);
    }
    if (r.kind === 'unicast') {
      // Looped back and now to be forwarded (a rewrite at PREROUTING moved its destination): its source is
      // one of the host's, which fib_validate_source refuses on input (a martian source).
      if (iif === 'lo' && this.router.isLocal(p.src)) {
        this.emit({ type: 'route', decision: 'martian', reason: `${ip4(p.src)} is an address of this host, on a packet arriving on lo to be forwarded to ${ip4(p.dst)}: a martian source, dropped` });
        return { fate: 'martian', packet: clonePacket(p), detail: 'a local source on a packet to forward' };
      }
      if (!this.host.sysctls.ipForward) {
        this.emit({ type: 'route', decision: 'not-forwarding', reason: `${ip4(p.dst)} is not local and net.ipv4.ip_forward is 0: the kernel drops it` });
        return { fate: 'not-forwarding', packet: clonePacket(p), detail: 'not for this host, and forwarding is off' };
      }
      this.emit({ type: 'route', decision: 'forward', dev: r.dev!, ...(r.via !== undefined ? { via: r.via } : {}), reason: `route to ${ip4(p.dst)} via ${r.dev}${r.via !== undefined ? ` (gateway ${ip4(r.via)})` : ''}` });
      return this.forward(p, r.dev!, r.via, ct, unconfirmed);
    }
    const martian = (p.dst >>> 24) === 127;
    this.emit({ type: 'route', decision: martian ? 'martian' : r.kind === 'unreachable' ? 'unreachable' : r.kind, reason: martian ? `${ip4(p.dst)} is a loopback address arriving on ${iif} (route_localnet is 0): a martian, dropped` : `no route to ${ip4(p.dst)}` });
    return martian
      ? { fate: 'martian', packet: clonePacket(p), detail: 'loopback destination from outside' }
      : { fate: 'no-route', packet: clonePacket(p), detail: `no route to ${ip4(p.dst)}` };
  }

  private input(p: Packet, ct: CtInfo, unconfirmed: CtInfo['conn']): Outcome {
    p.oif = '';
    this.hook('INPUT', p);
    const v = this.filtering('INPUT', p, ct);
    if (!v.ok) return v.outcome;
    this.nat('INPUT', 'src', p, ct);
    this.confirm(unconfirmed);
    return this.deliver(p, ct);
  }

  private deliver(p: Packet, ct: CtInfo): Outcome {
    if (p.proto === PROTO_ICMP) return { fate: 'delivered', packet: clonePacket(p), ct, kernelIcmp: true };
    if (p.proto !== PROTO_TCP && p.proto !== PROTO_UDP) return { fate: 'delivered', packet: clonePacket(p), ct };
    const proto = p.proto === PROTO_TCP ? 'tcp' : 'udp';
    const l = this.host.listeners.find((x) => x.proto === proto && x.port === p.dport && (x.addr === 0 || x.addr === p.dst));
    // Replies of locally opened connections go to that socket.
    if (!l && (ct.dir === 'REPLY' || this.sockets.has(`${p.proto}/${p.dst}/${p.dport}`))) return { fate: 'delivered', packet: clonePacket(p), ct };
    if (!l && p.proto === PROTO_TCP && p.tcpFlags & (TCP_ACK | TCP_RST) && ct.state !== 'NEW') return { fate: 'delivered', packet: clonePacket(p), ct };
    if (!l) return { fate: 'no-listener', packet: clonePacket(p), ct };
    return { fate: 'delivered', packet: clonePacket(p), ct, listener: l };
  }

  private forward(p: Packet, dev: string, via: number | undefined, ct: CtInfo, unconfirmed: CtInfo['conn']): Outcome {
    p.oif = dev;
    // ip_forward() drops a packet whose TTL would reach 0 before the FORWARD hook (and answers
    // with ICMP time exceeded, which we do not build); otherwise it takes one off the TTL.
    if (p.ttl <= 1) return { fate: 'dropped', packet: clonePacket(p), detail: `its TTL (${p.ttl}) runs out: the kernel drops it before FORWARD and answers with ICMP time exceeded`, ct };
    p.ttl -= 1;
    this.hook('FORWARD', p);
    const v = this.filtering('FORWARD', p, ct);
    if (!v.ok) return v.outcome;
    return this.postrouting(p, dev, via, ct, unconfirmed, true);
  }

  private postrouting(p: Packet, dev: string, via: number | undefined, ct: CtInfo, unconfirmed: CtInfo['conn'], forwarded: boolean): Outcome {
    p.oif = dev;
    this.hook('POSTROUTING', p);
    const v = this.filtering('POSTROUTING', p, ct);
    if (!v.ok) return v.outcome;
    this.nat('POSTROUTING', 'src', p, ct);
    this.confirm(unconfirmed);
    return { fate: 'out', packet: clonePacket(p), dev, forwarded, ct, ...(via !== undefined ? { via } : {}) };
  }

  /**
   * A packet sent by a local process (its source may be 0: routing picks it).
   * `attached`: conntrack information the sender already put on the packet
   * (a REJECT's reset or ICMP error belongs to the rejected connection, from
   * raw OUTPUT on: checked in the kernel, test/kernel/rejectReplyCt.kernel.test.ts).
   */
  send(pkt: Packet, attached?: CtInfo, fromSocket = false): Outcome {
    const p = clonePacket(pkt);
    p.localOrigin = true;
    p.iif = '';
    let r = this.router.output(p.dst);
    if (r.kind !== 'local' && r.kind !== 'unicast') {
      this.emit({ type: 'route', decision: 'unreachable', reason: `no route to ${ip4(p.dst)}: the sending process gets "Network is unreachable"` });
      return { fate: 'no-route', packet: clonePacket(p), detail: `no route to ${ip4(p.dst)}` };
    }
    if (p.src === 0 && r.src !== undefined) p.src = r.src;
    if (fromSocket && (p.proto === PROTO_TCP || p.proto === PROTO_UDP)) this.sockets.add(`${p.proto}/${p.src}/${p.sport}`);
    this.emit({ type: 'route', decision: r.kind === 'local' ? 'loopback' : 'output', dev: r.dev!, ...(r.via !== undefined ? { via: r.via } : {}), src: p.src, reason: r.kind === 'local' ? `${ip4(p.dst)} is local: out through lo, source ${ip4(p.src)}` : `route to ${ip4(p.dst)} via ${r.dev}, source ${ip4(p.src)}` });
    p.oif = r.dev!;
    this.hook('OUTPUT', p);
    // A REJECT's reply carries the rejected packet's entry from the start: raw sees it RELATED, with its connmark.
    const raw = this.table('raw', 'OUTPUT', p, attached ?? NO_ENTRY);
    if (raw && raw.verdict !== 'ACCEPT') return this.stopped(raw.verdict, p, raw.rule, raw.rejectWith, 'raw OUTPUT');
    const { ct, unconfirmed } = this.track(p, raw, !attached && !!raw?.notrack, attached, 'attached by the target that made this packet (nf_ct_attach)');
    const markBefore = p.mark;
    const mangle = this.table('mangle', 'OUTPUT', p, ct);
    if (mangle && mangle.verdict !== 'ACCEPT') return this.stopped(mangle.verdict, p, mangle.rule, mangle.rejectWith, 'mangle OUTPUT', ct);
    const dstBefore = p.dst;
    this.nat('OUTPUT', 'dst', p, ct);
    if (p.dst !== dstBefore || p.mark !== markBefore) {
      // ip_route_me_harder(): a new route for the new destination; the source stays.
      r = this.router.output(p.dst);
      if (r.kind !== 'local' && r.kind !== 'unicast') {
        this.emit({ type: 'route', decision: 'unreachable', reroute: true, reason: `re-routing after the rewrite: no route to ${ip4(p.dst)}` });
        return { fate: 'no-route', packet: clonePacket(p), detail: `no route to ${ip4(p.dst)}` };
      }
      if ((p.src >>> 24) === 127 && r.kind !== 'local' && !this.router.iface(r.dev!)?.routeLocalnet) {
        // __mkroute_output(): a loopback source may not leave through another device.
        this.emit({ type: 'route', decision: 'martian', dev: r.dev!, reroute: true, reason: `re-routing after the rewrite: ${ip4(p.dst)} is reached through ${r.dev}, but the source ${ip4(p.src)} is a loopback address and route_localnet is off there: the kernel drops the packet` });
        return { fate: 'martian', packet: clonePacket(p), detail: `loopback source ${ip4(p.src)} cannot leave through ${r.dev}` };
      }
      this.emit({ type: 'route', decision: r.kind === 'local' ? 'loopback' : 'output', dev: r.dev!, ...(r.via !== undefined ? { via: r.via } : {}), reroute: true, reason: `re-routed after ${p.dst !== dstBefore ? 'DNAT' : 'the mark change'}: ${ip4(p.dst)} via ${r.dev}; the source address ${ip4(p.src)} chosen before stays` });
      p.oif = r.dev!;
    }
    for (const name of ['filter', 'security']) {
      const t = this.table(name, 'OUTPUT', p, ct);
      if (t && t.verdict !== 'ACCEPT') return this.stopped(t.verdict, p, t.rule, t.rejectWith, `${name} OUTPUT`, ct);
    }
    const out = this.postrouting(p, r.dev!, r.via, ct, unconfirmed, false);
    if (out.fate !== 'out' || out.dev !== 'lo') return out;
    // Through the loopback device: the packet comes straight back in.
    this.emit({ type: 'note', text: 'looped back through lo: back into PREROUTING (nat chains are not consulted again)' });
    return this.receive(out.packet, 'lo', out.ct);
  }

  /** A frame switched between two ports of bridge `br` (br_netfilter decides whether iptables sees it). */
  bridge(pkt: Packet, br: string, inPort: string, outPort: string): Outcome {
    const p = clonePacket(pkt);
    if (!this.host.sysctls.bridgeNfCallIptables) {
      this.emit({ type: 'note', text: `bridged from ${inPort} to ${outPort} on ${br}: bridge-nf-call-iptables is off, so iptables never sees it` });
      return { fate: 'bridged', packet: p, dev: br, port: outPort, ct: UNTRACKED };
    }
    p.iif = br;
    p.oif = '';
    p.physIn = inPort;
    p.bridged = true;
    p.localOrigin = false;
    this.emit({ type: 'note', text: `bridged frame ${inPort} → ${outPort} on ${br}: with bridge-nf-call-iptables, iptables sees it (in=${br}, out=${br})` });
    this.hook('PREROUTING', p);
    const raw = this.table('raw', 'PREROUTING', p, NO_ENTRY);
    if (raw && raw.verdict !== 'ACCEPT') return this.stopped(raw.verdict, p, raw.rule, raw.rejectWith, 'raw PREROUTING');
    const { ct, unconfirmed } = this.track(p, raw, !!raw?.notrack);
    const pre = this.filtering('PREROUTING', p, ct);
    if (!pre.ok) return pre.outcome;
    const dstBefore = p.dst;
    this.nat('PREROUTING', 'dst', p, ct);
    if (p.dst !== dstBefore) {
      // DNAT changed the destination: br_netfilter routes the packet, or hands it back to
      // the bridge when the new destination is behind the same bridge.
      delete p.physOut;
      p.bridged = false;
      return this.bridgedDnat(p, br, ct, unconfirmed) ?? this.routeInput(p, br, ct, unconfirmed);
    }
    p.oif = br;
    p.physOut = outPort;
    this.hook('FORWARD', p);
    const v = this.filtering('FORWARD', p, ct);
    if (!v.ok) return v.outcome;
    const out = this.postrouting(p, br, undefined, ct, unconfirmed, true);
    if (out.fate !== 'out') return out;
    return { fate: 'bridged', packet: out.packet, dev: br, port: outPort, ct: out.ct };
  }

  /**
   * Sends what a REJECT sends back, the way the kernel does: a TCP reset carries
   * the rejected packet's conntrack entry (nf_ct_attach: RELATED) and, when the
   * rejected packet crossed a bridge under br_netfilter, goes straight out of
   * the bridge port it came in on, past OUTPUT and POSTROUTING; ICMP errors go
   * out through OUTPUT like any local packet.
   */
  sendRejectReply(o: Outcome & { readonly fate: 'rejected' }): { reply: Packet; outcome: Outcome } | undefined {
    const kind = o.rejectWith ?? 'icmp-port-unreachable';
    const reply = this.replyFor(o.packet, kind);
    if (!reply) return undefined;
    if (kind === 'tcp-reset' && o.packet.physIn) {
      this.emit({ type: 'note', text: `the reset goes straight out of bridge port ${o.packet.physIn}: for a bridged packet nf_send_reset writes the frame itself, so it passes neither OUTPUT nor POSTROUTING` });
      return { reply, outcome: { fate: 'out', packet: clonePacket(reply), dev: o.packet.physIn, forwarded: false, ct: UNTRACKED } };
    }
    // Both the reset and the ICMP error belong to the rejected packet's connection (RELATED); of a
    // packet without one (UNTRACKED) they carry a bare conntrack word: INVALID, and NOTRACK leaves them so.
    const attach: CtInfo | undefined = o.ct?.conn ? { state: 'RELATED', dir: o.ct.dir === 'ORIGINAL' ? 'REPLY' : 'ORIGINAL', conn: o.ct.conn }
      : this.rules.conntrackActive ? { state: 'INVALID', dir: 'ORIGINAL', attachedBare: true } : undefined;
    return { reply, outcome: this.send(reply, attach) };
  }

  /** The packet the host sends back when it rejects or has no listener. */
  replyFor(p: Packet, kind: string): Packet | undefined {
    // icmp_send() cannot answer a packet the kernel's own ICMP socket is sending (an echo
    // reply, an error): that socket is busy sending it.
    if (kind !== 'tcp-reset' && p.proto === PROTO_ICMP && p.localOrigin && [0, 14, 16, 18].includes(p.icmpType)) return undefined;
    const r = errorReply(p, kind);
    if (!r) return undefined;
    if (kind === 'tcp-reset') return { ...r, localOrigin: true, socket: 'none' };
    // The ICMP error comes from the quoted packet's destination only when that is this host;
    // otherwise from the address routing picks towards the sender.
    if (!this.router.isLocal(p.dst)) {
      const back = this.router.output(p.src);
      if (back.src !== undefined) r.src = back.src;
    }
    return { ...r, localOrigin: true, socket: 'kernel' };
  }
}
