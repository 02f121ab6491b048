/**
 * Soundness and completeness of the reachability analysis (issue #5) against
 * the emulator, on the kernel lab's random rulesets and host
 * (NFLENS_REACH_SEED, default 1; NFLENS_REACH_CASES, default 500).
 *
 * 1. Soundness: random concrete packets (NFLENS_REACH_PACKETS per ruleset,
 *    default 2000), biased towards what the rules mention, are walked
 *    through the host the way netstack.ts does (PREROUTING → routing → INPUT
 *    or FORWARD → POSTROUTING; OUTPUT → POSTROUTING, and through lo back in;
 *    frames bridged between two containers), every table with the
 *    emulator's own runTable. Their conntrack state is drawn at the
 *    conntrack step (NEW, ESTABLISHED, RELATED, INVALID; UNTRACKED after a
 *    NOTRACK; INVALID without an entry when no rule turns conntrack on),
 *    with connection marks and, when the ruleset has NAT rules, bindings
 *    that rewrite later packets. The nat chains run as in netstack: for a
 *    connection's first packet per manip (NEW, and RELATED ones that are no
 *    ICMP error, such as a REJECT's reset). Every rule a packet matches at a
 *    hook must have packets at that hook in the analysis (hits.may).
 * 2. Completeness: every witness (a packet of hits.must) is run through the
 *    tables of its hook from the first one; it must hit its rule. A witness
 *    is the packet at the rule, so when an earlier target of that hook may
 *    have rewritten it (MARK, CONNMARK, NOTRACK, NAT) entry variants (marks,
 *    connection marks, states) are tried, and a rule that still misses is
 *    only counted when such a target precedes it.
 * 3. A finding's example is taken by the rule it names.
 * 4. A rule called redundant changes nothing when taken out: its witnesses
 *    meet the same verdict, packet and log lines in its table, and random
 *    packets the same in every table on their way through the host.
 *
 * Replay one ruleset: NFLENS_REACH_SEED=N NFLENS_REACH_CASES=1. Print every
 * failure: NFLENS_REACH_ALL=1. List the (rule, hook) pairs the analysis calls
 * reachable that no sampled packet hit (its imprecision, or the sampler's):
 * NFLENS_REACH_UNCOVERED=1.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reachFindings } from '../../../server/src/analysis/findings';
import { analyzeReachability, type Reachability } from '../../../server/src/analysis/reachability';
import { witnessOf, type Witness } from '../../../server/src/analysis/space/witness';
import { manualClock, seededRng, type Rng as EmuRng } from '../../../server/src/emulator/clock';
import { compileRuleset, type EmuRule, type EmuRuleset } from '../../../server/src/emulator/compile';
import { ICMP_ERRORS, ICMP_REPLIES, ICMP_REQUESTS, packetTuple } from '../../../server/src/emulator/conntrack';
import type { NatRequest, TargetContext } from '../../../server/src/emulator/context';
import { CT_CONFIRMED, CT_DST_NAT, CT_DST_NAT_DONE, CT_SEEN_REPLY, CT_SRC_NAT, CT_SRC_NAT_DONE, invertTuple, type Conn, type CtInfo, type CtStateName, type Tuple } from '../../../server/src/emulator/ct';
import type { HostModel } from '../../../server/src/emulator/host/model';
import { martianAddress, Router } from '../../../server/src/emulator/host/routing';
import { parseHostFile } from '../../../server/src/emulator/index';
import { applyBinding, chooseBinding, markNatDone, natDone, natPacket, type Manip } from '../../../server/src/emulator/nat';
import { flagsText, ip4, packetText, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_SYN, type Packet } from '../../../server/src/emulator/packet';
import { MemoryStore } from '../../../server/src/emulator/store';
import type { RuleRef, TraceEvent } from '../../../server/src/emulator/trace';
import { runTable, type TableResult } from '../../../server/src/emulator/traverse';
import type { Hook } from '../../../server/src/lang/iptables/extension';
import type { ConnmarkMatch } from '../../../server/src/lang/iptables/extensions/matches/connmark';
import type { IcmpMatch } from '../../../server/src/lang/iptables/extensions/matches/icmp';
import type { IprangeMatch } from '../../../server/src/lang/iptables/extensions/matches/iprange';
import type { LengthMatch } from '../../../server/src/lang/iptables/extensions/matches/length';
import type { MarkMatch } from '../../../server/src/lang/iptables/extensions/matches/mark';
import type { MultiportMatch } from '../../../server/src/lang/iptables/extensions/matches/multiport';
import type { TcpMatch } from '../../../server/src/lang/iptables/extensions/matches/tcp';
import type { TtlMatch } from '../../../server/src/lang/iptables/extensions/matches/ttl';
import type { ConnmarkTarget } from '../../../server/src/lang/iptables/extensions/targets/CONNMARK';
import type { MarkTarget } from '../../../server/src/lang/iptables/extensions/targets/MARK';
import type { NatTarget } from '../../../server/src/lang/iptables/extensions/targets/NAT';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { generateRules, LAB_HOST_JSON, rng, type Rng } from '../../helpers/netlab/traceGenerator';
import { conditionText } from '../../../server/src/analysis/space/ruleMatch';

const FIRST_SEED = Number(process.env.NFLENS_REACH_SEED ?? 1);
const CASES = Number(process.env.NFLENS_REACH_CASES ?? 500);
/** Packets walked through the host per ruleset. */
const PACKETS = Number(process.env.NFLENS_REACH_PACKETS ?? 2000);

/** The tables of each hook in the kernel's order (conntrack sits between raw and the rest). */
const ORDER: Readonly<Record<Hook, readonly string[]>> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};
const NAT_MANIP: Readonly<Partial<Record<Hook, Manip>>> = { PREROUTING: 'dst', OUTPUT: 'dst', INPUT: 'src', POSTROUTING: 'src' };
const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP']);
/** Targets that change what later rules of the same hook see. */
const REWRITERS = new Set(['MARK', 'CONNMARK', 'NOTRACK', 'CT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'TTL', 'TOS', 'DSCP']);

/** What the raw table sees: conntrack has not run yet, no entry (xt_conntrack says INVALID; netstack passes this). */
const NO_CONN: CtInfo = { state: 'INVALID', dir: 'ORIGINAL' };
const UNTRACKED: CtInfo = { state: 'UNTRACKED', dir: 'ORIGINAL' };
/** After a CT template (raw): matches see it NEW. */
const TEMPLATE: CtInfo = { state: 'NEW', dir: 'ORIGINAL', template: true };
/** Conntrack off in the namespace. */
const CT_OFF: CtInfo = { state: 'INVALID', dir: 'ORIGINAL' };

const u32 = (v: number): number => v >>> 0;
const refId = (r: RuleRef): string => `${r.table}/${r.chain}/${r.index}/${r.line}`;

function hostOf(text: string): HostModel {
  const parsed = parseHostFile(text);
  assert.ok(parsed.value, parsed.diagnostics.map((d) => d.message).join('; '));
  return parsed.value.host;
}

// ------------------------------------------------------------------ values the rules mention

/** Field values worth trying: what the host and the rules name, and their neighbours. */
class Pool {
  readonly addrs = new Set<number>();
  readonly ports = new Set<number>([0, 22, 53, 80, 81, 1023, 1024, 8080, 40000, 65535]);
  readonly ifaces = new Set<string>(['wlan0']);
  readonly marks = new Set<number>([0]);
  /** Values some rule sets (MARK, CONNMARK --set-mark). */
  readonly setMarks = new Set<number>();
  readonly ttls = new Set<number>([1, 2, 63, 64, 65, 128, 255]);
  readonly lengths = new Set<number>([20, 40, 60, 84, 576, 1500, 65535]);
  readonly icmps: Array<[number, number]> = [[8, 0], [0, 0], [3, 3], [3, 1], [3, 13], [11, 0], [5, 1], [13, 0]];
  readonly flags = new Set<number>([0x02, 0x12, 0x10, 0x11, 0x04, 0x14, 0x18, 0x00, 0x01, 0x03, 0x06, 0xc2]);

  constructor(host: HostModel, emu: EmuRuleset) {
    const special = ['0.0.0.0', '255.255.255.255', '127.0.0.1', '127.1.2.3', '224.0.0.1', '239.255.255.250', '8.8.8.8', '192.168.1.1', '10.255.255.255', '1.2.3.4'];
    for (const s of special) this.addrs.add(u32(s.split('.').reduce((a, b) => a * 256 + Number(b), 0)));
    for (const i of host.ifaces.values()) {
      this.ifaces.add(i.name);
      for (const a of i.addrs) {
        this.addrs.add(u32(a.addr));
        if (a.prefix < 31) this.addrs.add(u32(a.addr | (2 ** (32 - a.prefix) - 1)));
      }
    }
    for (const p of host.peers) this.addrs.add(u32(p.addr));
    for (const t of emu.tables.values()) for (const c of t.chains.values()) for (const r of c.rules) this.harvest(r);
  }

  private addr(a: number): void {
    for (const d of [-1, 0, 1]) this.addrs.add(u32(a + d));
  }

  private port(lo: number, hi: number): void {
    for (const p of [lo - 1, lo, hi, hi + 1]) if (p >= 0 && p <= 65535) this.ports.add(p);
  }

  private harvest(r: EmuRule): void {
    for (const n of [r.src, r.dst]) {
      if (!n) continue;
      this.addr(n.addr);
      this.addr(u32(n.addr | ~n.mask));
    }
    for (const i of [r.iif, r.oif]) if (i) this.ifaces.add(i.prefix ? `${i.name}x9` : i.name);
    for (const m of r.matches) {
      const d = m.data;
      switch (m.name) {
        case 'tcp':
        case 'udp': {
          const t = d as TcpMatch;
          this.port(t.sport[0], t.sport[1]);
          this.port(t.dport[0], t.dport[1]);
          if (t.flags) {
            this.flags.add(t.flags.cmp);
            this.flags.add(t.flags.mask);
            this.flags.add(t.flags.cmp ^ t.flags.mask);
          }
          break;
        }
        case 'multiport':
          for (const [lo, hi] of (d as MultiportMatch).ports) this.port(lo, hi);
          break;
        case 'icmp': {
          const t = d as IcmpMatch;
          if (t.type !== 0xff) this.icmps.push([t.type, t.codes[0]], [t.type, Math.min(255, t.codes[1])]);
          break;
        }
        case 'iprange': {
          const t = d as IprangeMatch;
          for (const x of [t.src, t.dst]) if (x && typeof x.from === 'number' && typeof x.to === 'number') (this.addr(x.from), this.addr(x.to));
          break;
        }
        case 'mark':
        case 'connmark': {
          const t = d as MarkMatch | ConnmarkMatch;
          for (const v of [t.value, t.mask, t.value ^ t.mask, t.value | ~t.mask]) this.marks.add(u32(v));
          break;
        }
        case 'length': {
          const t = d as LengthMatch;
          for (const v of [t.range[0] - 1, t.range[0], t.range[1], t.range[1] + 1]) if (v >= 0 && v <= 65535) this.lengths.add(v);
          break;
        }
        case 'ttl': {
          const t = d as TtlMatch;
          for (const v of [t.value - 1, t.value, t.value + 1, t.value + 2]) if (v >= 0 && v <= 255) this.ttls.add(v);
          break;
        }
      }
    }
    const t = r.target;
    if (t.kind !== 'ext') return;
    const d = t.data;
    if (t.name === 'MARK') {
      const m = d as MarkTarget;
      for (const v of [m.value, m.mask, (~m.mask & 0xffffffff) ^ m.value]) (this.marks.add(u32(v)), this.setMarks.add(u32(v)));
    } else if (t.name === 'CONNMARK') {
      const c = d as ConnmarkTarget;
      if (c.mode !== 'save' && c.mode !== 'restore') (this.marks.add(u32(c.ctmark)), this.setMarks.add(u32(c.ctmark)));
    } else if (['DNAT', 'SNAT', 'REDIRECT', 'MASQUERADE', 'NETMAP'].includes(t.name)) {
      const n = d as NatTarget;
      if (n.addrs && n.addrs.min.family === 'ipv4' && n.addrs.max.family === 'ipv4') (this.addr(n.addrs.min.v4), this.addr(n.addrs.max.v4));
      if (n.ports) this.port(n.ports.min, n.ports.max);
    }
  }
}

function pickOf<T>(r: Rng, s: Iterable<T>): T {
  return r.pick([...s]);
}

function randomAddr(r: Rng, pool: Pool): number {
  return r.chance(0.85) ? pickOf(r, pool.addrs) : u32(Math.floor(r.next() * 2 ** 32));
}

function randomPacket(r: Rng, pool: Pool): Packet {
  const proto = r.pick([PROTO_TCP, PROTO_TCP, PROTO_TCP, PROTO_UDP, PROTO_UDP, PROTO_ICMP, PROTO_ICMP, 47, 0]);
  const ports = proto === PROTO_TCP || proto === PROTO_UDP;
  const port = (): number => (r.chance(0.85) ? pickOf(r, pool.ports) : r.int(65536));
  const [icmpType, icmpCode] = proto === PROTO_ICMP ? (r.chance(0.9) ? r.pick(pool.icmps) : [r.int(256), r.int(256)]) : [0, 0];
  const flags = proto === PROTO_TCP ? (r.chance(0.9) ? pickOf(r, pool.flags) : r.int(256)) : 0;
  return {
    src: randomAddr(r, pool),
    dst: randomAddr(r, pool),
    proto,
    sport: ports ? port() : 0,
    dport: ports ? port() : 0,
    tcpFlags: flags,
    tcpOptions: flags & TCP_SYN ? [2] : [],
    icmpType,
    icmpCode,
    icmpId: proto === PROTO_ICMP ? r.int(65536) : 0,
    length: r.chance(0.9) ? pickOf(r, pool.lengths) : 20 + r.int(65516),
    ttl: r.chance(0.9) ? pickOf(r, pool.ttls) : r.int(256),
    tos: 0,
    fragOffset: r.chance(0.05) ? 1 + r.int(8000) : 0,
    mark: r.chance(0.5) ? 0 : pickOf(r, pool.marks),
    iif: '',
    oif: '',
    pktType: r.pick(['host', 'host', 'host', 'host', 'broadcast', 'multicast', 'otherhost'] as const),
    localOrigin: false,
  };
}

// ------------------------------------------------------------------ the host, table by table

interface Seen {
  readonly hook: Hook;
  readonly packet: Packet;
  readonly ct: CtStateName;
  readonly conn?: { readonly mark: number; readonly status: number };
  /** How the packet got there ("sent", "arrived on eth0", "looped back", "bridged"), with the packet it started as. */
  readonly path: string;
}

/** Targets whose notes are log lines (what a user reads in the kernel log or from NFLOG). */
const LOGGING = new Set(['LOG', 'NFLOG', 'ULOG', 'TRACE']);

/**
 * The emulator's host pipeline (netstack.ts) with the conntrack lookup
 * replaced by a random draw, so that every state, connection mark and NAT
 * binding turns up. Records every rule that matches, per hook.
 */
class Host {
  readonly router: Router;
  private readonly store = new MemoryStore();
  private readonly clock = manualClock(1_000_000);
  private readonly erng: EmuRng;
  /** "hook|rule id" → the first packet that matched it there. */
  readonly matched = new Map<string, Seen>();
  /** The current packet's origin, for reports. */
  private path = '';
  get journey(): string {
    return this.path;
  }
  /** Whether connections may have NAT bindings: only the ruleset's own NAT rules make them. */
  private readonly binds: boolean;
  /** What LOG, NFLOG and TRACE rules wrote while set (the redundancy check compares them; the sampling keeps none). */
  notes: string[] | undefined;
  /** While set, what each table did to the packet, in order: its verdict, NAT request, untracking and the packet after (the redundancy check). */
  outcomes: string[] | undefined;

  constructor(
    readonly host: HostModel,
    readonly emu: EmuRuleset,
    readonly pool: Pool,
    readonly r: Rng,
    seed: number,
  ) {
    this.router = new Router(host);
    this.erng = seededRng(seed);
    this.binds = [...(emu.tables.get('nat')?.chains.values() ?? [])].some((c) => c.rules.some((x) => x.target.kind === 'ext' && NAT_TARGETS.has(x.target.name)));
  }

  private context(p: Packet, hook: Hook, table: string, ct: CtInfo, rule: EmuRule): TargetContext {
    return {
      packet: p,
      hook,
      table,
      ct,
      host: this.router,
      clock: this.clock,
      rng: this.erng,
      store: this.store,
      ruleId: rule.id,
      ...(ct.conn ? { conn: ct.conn } : {}),
      // (Only what logging targets write: other targets' notes describe rewrites, which the packet and verdict show.)
      note: (text) => void (rule.target.kind === 'ext' && LOGGING.has(rule.target.name) && this.notes?.push(text)),
    };
  }

  table(name: string, hook: Hook, p: Packet, ct: CtInfo): TableResult | undefined {
    const t = this.emu.tables.get(name);
    if (!t?.chains.has(hook)) return undefined;
    // (After a NOTRACK in this table, its later rules see the packet UNTRACKED.)
    let now = ct;
    const emit = (e: TraceEvent): void => {
      if (e.type !== 'rule' || !e.matched) return;
      const key = `${hook}|${refId(e.rule)}`;
      if (!this.matched.has(key)) this.matched.set(key, { hook, packet: { ...p, tcpOptions: [...p.tcpOptions] }, ct: now.state, ...(now.conn ? { conn: { mark: now.conn.mark, status: now.conn.status } } : {}), path: this.path });
    };
    const context = (rule: EmuRule, attached: 'untracked' | 'template' | undefined): TargetContext => this.context(p, hook, name, (now = attached === 'untracked' ? UNTRACKED : attached === 'template' ? TEMPLATE : ct), rule);
    const v = runTable({ table: t, hook, packet: p, context, emit, assume: 'match' }, hook);
    this.outcomes?.push(`${name} ${hook}: ${JSON.stringify({ verdict: v.verdict, rejectWith: v.rejectWith, nat: v.nat, notrack: v.notrack, p })}`);
    return v;
  }

  private filtering(hook: Hook, names: readonly string[], p: Packet, ct: CtInfo): boolean {
    for (const n of names) {
      const v = this.table(n, hook, p, ct);
      if (v && v.verdict !== 'ACCEPT') return false;
    }
    return true;
  }

  /** The conntrack step: a random state with a connection to match it. */
  private track(p: Packet, notrack: boolean): CtInfo {
    if (notrack) return UNTRACKED;
    if (!this.emu.conntrackActive) return CT_OFF;
    const r = this.r;
    const state = r.pick(['NEW', 'NEW', 'NEW', 'ESTABLISHED', 'ESTABLISHED', 'RELATED', 'INVALID'] as const);
    if (state === 'INVALID') return { state, dir: 'ORIGINAL' };
    // The states conntrack gives ICMP by type: NEW only a request (nf_conntrack_icmp_packet's valid_new),
    // ESTABLISHED a request (its way) or a reply (the other way), RELATED only an error.
    if (p.proto === PROTO_ICMP) {
      const request = ICMP_REQUESTS.has(p.icmpType);
      const possible = state === 'NEW' ? request : state === 'ESTABLISHED' ? request || ICMP_REPLIES.has(p.icmpType) : ICMP_ERRORS.has(p.icmpType);
      if (!possible) return { state: 'INVALID', dir: 'ORIGINAL' };
    }
    const fresh = state === 'NEW' && r.chance(0.7);
    const icmpWay = p.proto === PROTO_ICMP && state === 'ESTABLISHED' ? (ICMP_REQUESTS.has(p.icmpType) ? 'ORIGINAL' : 'REPLY') : undefined;
    const dir = icmpWay ?? (state === 'NEW' || r.chance(0.5) ? 'ORIGINAL' : 'REPLY');
    const t = packetTuple(p);
    const ports = p.proto === PROTO_TCP || p.proto === PROTO_UDP;
    const other = (): { a: number; p: number } => ({ a: randomAddr(r, this.pool), p: ports ? pickOf(r, this.pool.ports) : 0 });
    let orig: Tuple;
    let reply: Tuple;
    let status = 0;
    if (dir === 'ORIGINAL') {
      orig = t;
      reply = invertTuple(t);
    } else {
      reply = t;
      orig = invertTuple(t);
    }
    const binds = this.binds;
    // A later packet of an unanswered connection is NEW too: its binding is the one the nat chains
    // gave its first packet, which had the same tuple, so they decide again here.
    if (state === 'NEW' && !fresh) status = CT_CONFIRMED;
    if (state !== 'NEW') {
      status = CT_CONFIRMED | (state === 'ESTABLISHED' ? CT_SEEN_REPLY : 0);
      // Later packets: the nat hooks already ran (a RELATED reset may still meet the SRC ones).
      status |= CT_DST_NAT_DONE | (state !== 'RELATED' || r.chance(0.5) ? CT_SRC_NAT_DONE : 0);
      if (binds && r.chance(0.4)) {
        // A DNAT binding: the reply comes from elsewhere.
        const o = other();
        if (dir === 'ORIGINAL') reply = { ...reply, src: o.a, ...(ports ? { sport: o.p } : {}) };
        else orig = { ...orig, dst: o.a, ...(ports ? { dport: o.p } : {}) };
        status |= CT_DST_NAT;
      }
      if (binds && r.chance(0.4)) {
        const o = other();
        if (dir === 'ORIGINAL') reply = { ...reply, dst: o.a, ...(ports ? { dport: o.p } : {}) };
        else orig = { ...orig, src: o.a, ...(ports ? { sport: o.p } : {}) };
        status |= CT_SRC_NAT;
      }
    }
    const conn: Conn = { id: 1, orig, reply, status, mark: fresh ? 0 : pickOf(r, this.pool.marks), created: 0, expires: 1e15 };
    return { state, dir, conn };
  }

  /** netstack's nat(): the chain for a connection's first packet, then the binding's rewrite. */
  private nat(hook: Hook, manip: Manip, p: Packet, ct: CtInfo): void {
    const conn = ct.conn;
    if (!conn || ct.state === 'UNTRACKED' || ct.state === 'INVALID') return;
    const hasChain = !!this.emu.tables.get('nat')?.chains.has(hook);
    const icmpError = ct.state === 'RELATED' && p.proto === PROTO_ICMP && ICMP_ERRORS.has(p.icmpType);
    if (!icmpError && (ct.state === 'NEW' || ct.state === 'RELATED') && !natDone(conn, manip)) {
      const res = hasChain ? this.table('nat', hook, p, ct) : undefined;
      if (res?.nat) this.bind(res.nat, conn, manip, hook, p);
      else markNatDone(conn, manip);
    }
    natPacket(p, conn, ct.dir, manip);
  }

  private bind(req: NatRequest, conn: Conn, manip: Manip, hook: Hook, p: Packet): void {
    let fixed: number | undefined;
    if (req.kind === 'masquerade') fixed = this.router.primaryAddr(p.oif, p.dst);
    else if (req.kind === 'redirect') fixed = hook === 'OUTPUT' ? 0x7f000001 : this.router.primaryAddr(p.iif);
    const b = (req.kind === 'masquerade' || req.kind === 'redirect') && fixed === undefined ? undefined : chooseBinding(req, conn, manip, fixed, this.erng, () => false);
    if (b) applyBinding(conn, manip, b);
    else markNatDone(conn, manip);
  }

  /** A packet arriving on `iif` (from a peer, or looped back with its entry). */
  receive(p: Packet, iif: string, loopback?: CtInfo): void {
    p.iif = iif;
    p.oif = '';
    p.localOrigin = false;
    const raw = this.table('raw', 'PREROUTING', p, loopback ?? NO_CONN);
    if (raw && raw.verdict !== 'ACCEPT') return;
    const ct = loopback ?? this.track(p, !!raw?.notrack);
    if (!this.filtering('PREROUTING', ['mangle'], p, ct)) return;
    const dstBefore = p.dst;
    this.nat('PREROUTING', 'dst', p, ct);
    if (p.physIn && p.dst !== dstBefore && this.bridgedDnat(p, iif, ct)) return;
    this.routeInput(p, iif, ct);
  }

  /** A frame DNATed back behind the bridge it came from is switched, not routed. */
  private bridgedDnat(p: Packet, br: string, ct: CtInfo): boolean {
    if (this.host.ifaces.get(br)?.kind !== 'bridge') return false;
    const route = this.router.input(p.dst, br);
    if (route.kind !== 'unicast' || route.dev !== br) return false;
    const to = this.host.peers.find((q) => q.addr === p.dst && q.via === br && q.port);
    if (to?.port && to.port === p.physIn && !this.host.ifaces.get(to.port)?.hairpin) return true;
    p.oif = br;
    p.bridged = true;
    if (to?.port) p.physOut = to.port;
    if (!this.filtering('FORWARD', ORDER.FORWARD, p, ct)) return true;
    this.postrouting(p, br, ct);
    return true;
  }

  private routeInput(p: Packet, iif: string, ct: CtInfo): void {
    // Martians never get past routing (netstack's routeInput; test/kernel/martians.kernel.test.ts).
    if (martianAddress(p.src, p.dst, iif === 'lo' || !!this.host.ifaces.get(iif)?.routeLocalnet, iif !== 'lo' && this.router.isOwnAddress(p.src))) return;
    const route = this.router.input(p.dst, iif);
    if (route.kind === 'local' || route.kind === 'broadcast') {
      p.oif = '';
      if (!this.filtering('INPUT', ['mangle', 'filter', 'security'], p, ct)) return;
      this.nat('INPUT', 'src', p, ct);
      return;
    }
    if (route.kind !== 'unicast' || !this.host.sysctls.ipForward) return;
    // ip_forward(): a packet that would leave with TTL 0 is answered with time exceeded instead
    // (the kernel checks ttl <= 1 before the FORWARD hook; netstack lets it through with TTL 0).
    if (p.ttl <= 1) return;
    p.oif = route.dev!;
    p.ttl -= 1;
    if (!this.filtering('FORWARD', ORDER.FORWARD, p, ct)) return;
    this.postrouting(p, route.dev!, ct);
  }

  private postrouting(p: Packet, dev: string, ct: CtInfo): void {
    p.oif = dev;
    if (!this.filtering('POSTROUTING', ['mangle'], p, ct)) return;
    this.nat('POSTROUTING', 'src', p, ct);
    if (dev === 'lo' && p.localOrigin) {
      this.path += ', looped back through lo';
      this.receive(p, 'lo', ct);
    }
  }

  /** A packet a local process sends. */
  send(p: Packet): void {
    p.localOrigin = true;
    p.iif = '';
    p.pktType = 'host';
    let route = this.router.output(p.dst);
    if (route.kind !== 'local' && route.kind !== 'unicast') return;
    if (p.src === 0 && route.src !== undefined) p.src = route.src;
    p.oif = route.dev!;
    const raw = this.table('raw', 'OUTPUT', p, NO_CONN);
    if (raw && raw.verdict !== 'ACCEPT') return;
    const ct = this.track(p, !!raw?.notrack);
    const markBefore = p.mark;
    if (!this.filtering('OUTPUT', ['mangle'], p, ct)) return;
    const dstBefore = p.dst;
    this.nat('OUTPUT', 'dst', p, ct);
    if (p.dst !== dstBefore || p.mark !== markBefore) {
      route = this.router.output(p.dst);
      if (route.kind !== 'local' && route.kind !== 'unicast') return;
      if (p.src >>> 24 === 127 && route.kind !== 'local' && !this.router.iface(route.dev!)?.routeLocalnet) return;
      p.oif = route.dev!;
    }
    if (!this.filtering('OUTPUT', ['filter', 'security'], p, ct)) return;
    this.postrouting(p, route.dev!, ct);
  }

  /** A frame switched between two ports of a bridge, seen by iptables through br_netfilter. */
  bridge(p: Packet, br: string, inPort: string, outPort: string): void {
    if (!this.host.sysctls.bridgeNfCallIptables) return;
    p.iif = br;
    p.oif = '';
    p.physIn = inPort;
    p.bridged = true;
    p.localOrigin = false;
    const raw = this.table('raw', 'PREROUTING', p, NO_CONN);
    if (raw && raw.verdict !== 'ACCEPT') return;
    const ct = this.track(p, !!raw?.notrack);
    if (!this.filtering('PREROUTING', ['mangle'], p, ct)) return;
    const dstBefore = p.dst;
    this.nat('PREROUTING', 'dst', p, ct);
    if (p.dst !== dstBefore) {
      delete p.physOut;
      p.bridged = false;
      if (!this.bridgedDnat(p, br, ct)) this.routeInput(p, br, ct);
      return;
    }
    p.oif = br;
    p.physOut = outPort;
    if (!this.filtering('FORWARD', ORDER.FORWARD, p, ct)) return;
    this.postrouting(p, br, ct);
  }

  /** One random packet from a random place. */
  one(): void {
    const r = this.r;
    const p = randomPacket(r, this.pool);
    const from = r.int(10);
    const start = packetText(p);
    const bridges = [...this.host.ifaces.values()].filter((i) => i.kind === 'bridge');
    if (from < 4) {
      const names = [...this.pool.ifaces].filter((n) => n !== 'lo');
      const iif = r.pick(names);
      const ports = [...this.host.ifaces.values()].filter((i) => i.master === iif);
      if (ports.length && r.chance(0.5)) {
        p.physIn = r.pick(ports).name;
        p.bridged = false;
      }
      if (this.router.addrType(p.dst) === 'BROADCAST' && r.chance(0.7)) p.pktType = 'broadcast';
      this.path = `${start} arriving on ${iif}`;
      this.receive(p, iif);
    } else if (from < 6 && bridges.length) {
      const br = r.pick(bridges);
      const ports = [...this.host.ifaces.values()].filter((i) => i.master === br.name).map((i) => i.name);
      if (ports.length < 2) return;
      const a = r.pick(ports);
      // A switched frame is addressed to another host behind the bridge, never to this one.
      const route = this.router.input(p.dst, br.name);
      if (route.kind === 'local' || route.kind === 'broadcast' || p.dst >>> 24 === 127) p.dst = r.pick(this.host.peers.filter((q) => q.via === br.name).map((q) => q.addr).concat([u32(0x0a636363)]));
      const b = r.pick(ports.filter((x) => x !== a));
      this.path = `${packetText(p)} bridged from ${a} to ${b}`;
      this.bridge(p, br.name, a, b);
    } else {
      if (r.chance(0.5)) p.src = 0;
      this.path = `${start} sent by a local process`;
      this.send(p);
    }
  }

  // ---------------------------------------------------------------- one hook, for witnesses

  /**
   * The tables of one hook in order, from the first, with `state` as the
   * packet's conntrack state after the raw table (a NOTRACK there makes it
   * UNTRACKED): whether rule `id` matched.
   */
  atHook(hook: Hook, p: Packet, state: CtStateName, connmark: number, id: string): boolean {
    this.matched.clear();
    this.path = `witness at ${hook}`;
    const key = `${hook}|${id}`;
    const ctOf = (s: CtStateName): CtInfo => {
      if (!this.emu.conntrackActive) return s === 'UNTRACKED' ? UNTRACKED : CT_OFF;
      if (s === 'INVALID' || s === 'UNTRACKED') return { state: s, dir: 'ORIGINAL' };
      const t = packetTuple(p);
      const status = s === 'NEW' ? 0 : CT_CONFIRMED | CT_DST_NAT_DONE | CT_SRC_NAT_DONE | (s === 'ESTABLISHED' ? CT_SEEN_REPLY : 0);
      return { state: s, dir: 'ORIGINAL', conn: { id: 1, orig: t, reply: invertTuple(t), status, mark: connmark, created: 0, expires: 1e15 } };
    };
    let ct = ctOf(state);
    for (const name of ORDER[hook]) {
      if (name === 'raw') {
        const raw = this.table('raw', hook, p, NO_CONN);
        if (raw && raw.verdict !== 'ACCEPT') break;
        ct = raw?.notrack ? UNTRACKED : ctOf(state);
        continue;
      }
      if (name === 'nat') {
        const manip = NAT_MANIP[hook]!;
        const dstBefore = p.dst;
        this.nat(hook, manip, p, ct);
        if (hook === 'OUTPUT' && p.dst !== dstBefore) {
          const route = this.router.output(p.dst);
          if (route.kind !== 'local' && route.kind !== 'unicast') break;
          p.oif = route.dev!;
        }
        continue;
      }
      const v = this.table(name, hook, p, ct);
      if (v && v.verdict !== 'ACCEPT') break;
    }
    return this.matched.has(key);
  }
}

/** The first place two lists differ, with what each has there (undefined past its end). */
function firstDifference(a: readonly string[], b: readonly string[]): { a: string | undefined; b: string | undefined } | undefined {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return { a: a[i], b: b[i] };
  return undefined;
}

/** Findings once per analysis (steps 3 and 4 both read them). */
const findingsMemo = new WeakMap<Reachability, ReturnType<typeof reachFindings>>();
function findingsOf(rs: Parameters<typeof reachFindings>[0], an: Reachability, lines: readonly string[]): ReturnType<typeof reachFindings> {
  let f = findingsMemo.get(an);
  if (!f) findingsMemo.set(an, (f = reachFindings(rs, an, { lineText: (l) => lines[l] })));
  return f;
}

/** A conntrack state as a table sees it: a connection (with this mark) for the tracked states. */
function ctFor(p: Packet, s: CtStateName, connmark: number): CtInfo {
  if (s === 'INVALID' || s === 'UNTRACKED') return { state: s, dir: 'ORIGINAL' };
  const t = packetTuple(p);
  const status = s === 'NEW' ? 0 : CT_CONFIRMED | CT_DST_NAT_DONE | CT_SRC_NAT_DONE | (s === 'ESTABLISHED' ? CT_SEEN_REPLY : 0);
  return { state: s, dir: 'ORIGINAL', conn: { id: 1, orig: t, reply: invertTuple(t), status, mark: connmark, created: 0, expires: 1e15 } };
}

function witnessPacket(w: Witness): Packet {
  return {
    src: w.src,
    dst: w.dst,
    proto: w.proto,
    sport: w.sport,
    dport: w.dport,
    tcpFlags: w.tcpFlags,
    tcpOptions: [],
    icmpType: w.icmpType,
    icmpCode: w.icmpCode,
    icmpId: 0,
    length: w.length,
    ttl: w.ttl,
    tos: 0,
    fragOffset: w.fragment ? 1 : 0,
    mark: w.mark,
    iif: w.iif,
    oif: w.oif,
    pktType: w.pktType === 'unicast' ? 'host' : w.pktType,
    localOrigin: w.iif === '',
  };
}

function witnessText(w: Witness): string {
  const ports = w.proto === PROTO_TCP || w.proto === PROTO_UDP;
  const what = w.proto === PROTO_TCP ? ` [${flagsText(w.tcpFlags)}]` : w.proto === PROTO_ICMP ? ` [type ${w.icmpType} code ${w.icmpCode}]` : '';
  return `proto ${w.proto} ${ip4(w.src)}${ports ? `:${w.sport}` : ''} → ${ip4(w.dst)}${ports ? `:${w.dport}` : ''}${what} in=${w.iif || '-'} out=${w.oif || '-'} ct=${w.ctState} mark=0x${w.mark.toString(16)} connmark=0x${w.connmark.toString(16)} ttl=${w.ttl} len=${w.length} ${w.pktType}${w.fragment ? ' fragment' : ''}`;
}

function seenText(s: Seen): string {
  const p = s.packet;
  return `${packetText(p)} in=${p.iif || '-'} out=${p.oif || '-'} ct=${s.ct}${s.conn ? ` connmark=0x${s.conn.mark.toString(16)} status=0x${s.conn.status.toString(16)}` : ''} mark=0x${p.mark.toString(16)} ttl=${p.ttl} len=${p.length} ${p.pktType}${p.fragOffset ? ` frag@${p.fragOffset}` : ''}${p.physIn ? ` physin=${p.physIn}` : ''}${p.bridged ? ' bridged' : ''}${p.localOrigin ? ' local' : ''} (${s.path})`;
}

/** Whether some target that rewrites packets may run before `rule` at `hook` (in an earlier table, or anywhere in its own). */
function rewriterBefore(emu: EmuRuleset, hook: Hook, table: string): boolean {
  for (const name of ORDER[hook]) {
    const t = emu.tables.get(name);
    if (t?.chains.has(hook)) for (const c of t.chains.values()) for (const r of c.rules) if (r.target.kind === 'ext' && REWRITERS.has(r.target.name)) return true;
    if (name === table) break;
  }
  return false;
}

// ------------------------------------------------------------------ the test

interface Failure {
  readonly seed: number;
  readonly text: string;
  readonly what: string;
}

test(`reachability agrees with the emulator on ${CASES} random rulesets from seed ${FIRST_SEED}`, () => {
  const host = hostOf(LAB_HOST_JSON);
  const started = Date.now();
  const n = { rulesets: 0, rules: 0, unreachable: 0, witnessed: 0, confirmed: 0, viaVariant: 0, rewritten: 0, conditional: 0, sampledHits: 0, packets: 0, reachablePairs: 0, coveredPairs: 0, examples: 0, examplesTaken: 0, examplesMay: 0, redundant: 0 };
  const unsound: Failure[] = [];
  const incomplete: Failure[] = [];
  for (let seed = FIRST_SEED; seed < FIRST_SEED + CASES; seed++) {
    const text = generateRules(rng(seed));
    const parsed = parseIptables(text, { backend: 'nft', family: 'ipv4' });
    const rs = parsed.ruleset;
    const lines = text.split('\n');
    const an: Reachability = analyzeReachability(rs, { host });
    const emu = compileRuleset(rs);
    const pool = new Pool(host, emu);
    n.rulesets++;

    const byId = new Map<string, { table: string; chain: string; rule: EmuRule }>();
    for (const x of an.rules()) byId.set(x.rule.id, x);

    // 1. Soundness: sampled packets only hit rules the analysis says packets reach.
    const sim = new Host(host, emu, pool, rng(seed * 7919 + 17), seed);
    for (let i = 0; i < PACKETS; i++) sim.one();
    n.packets += PACKETS;
    const reported = new Set<string>();
    for (const [key, seen] of sim.matched) {
      n.sampledHits++;
      const id = key.slice(key.indexOf('|') + 1);
      const x = byId.get(id);
      assert.ok(x, `seed ${seed}: the emulator matched ${id}, which the analysis does not list`);
      const flow = an.reach(x.rule, x.table, x.chain).hits.get(seen.hook);
      if (flow && flow.may.length) continue;
      if (reported.has(id)) continue;
      reported.add(id);
      unsound.push({ seed, text, what: `${seen.hook}: ${x.table} ${x.chain} #${x.rule.ref.index + 1} (line ${x.rule.ref.line + 1}) "${lines[x.rule.ref.line] ?? x.rule.id}" matched by ${seenText(seen)}, but the analysis has no packet there` });
    }

    // 2. Completeness: every witness hits its rule.
    const probe = new Host(host, emu, pool, rng(seed), seed);
    for (const { table, chain, rule } of an.rules()) {
      n.rules++;
      const rr = an.reach(rule, table, chain);
      const hooks = [...rr.hits];
      if (hooks.every(([, f]) => f.may.length === 0)) n.unreachable++;
      for (const [hook, f] of hooks) {
        if (!f.may.length) continue;
        n.reachablePairs++;
        if (sim.matched.has(`${hook}|${rule.id}`)) n.coveredPairs++;
        else if (process.env.NFLENS_REACH_UNCOVERED) console.log(`uncovered seed ${seed} ${hook} ${table} ${chain} line ${rule.ref.line + 1}: ${lines[rule.ref.line]} ${f.must.length ? `witness ${witnessText(witnessOf(an.space, f.must)!)}` : `(${rr.facts.match.conditions.map(conditionText).join('; ') || 'no witness'})`}`);
      }
      const witnessed = hooks.filter(([, f]) => f.must.length > 0);
      if (!witnessed.length) {
        if (rr.facts.match.conditions.length && hooks.some(([, f]) => f.may.length > 0)) n.conditional++;
        continue;
      }
      n.witnessed++;
      let allOk = true;
      let rewritten = false;
      for (const [hook, flow] of witnessed) {
        const w = witnessOf(an.space, flow.must)!;
        if (probe.atHook(hook, witnessPacket(w), w.ctState, w.connmark, rule.id)) continue;
        // The witness is the packet at the rule: try entry packets an earlier target turns into it.
        const marks = new Set<number>([0, w.mark, ...pool.setMarks]);
        const cmarks = new Set<number>([0, w.connmark, ...pool.setMarks]);
        const states: CtStateName[] = [...new Set<CtStateName>([w.ctState, 'NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'])];
        let ok = false;
        search: for (const m of marks) {
          for (const c of cmarks) {
            for (const s of states) {
              if (probe.atHook(hook, { ...witnessPacket(w), mark: m }, s, c, rule.id)) {
                ok = true;
                break search;
              }
            }
          }
        }
        if (ok) {
          n.viaVariant++;
          continue;
        }
        allOk = false;
        if (rewriterBefore(emu, hook, table)) {
          rewritten = true;
          continue;
        }
        const line = lines[rule.ref.line] ?? rule.id;
        incomplete.push({ seed, text, what: `${hook}: ${table} ${chain} #${rule.ref.index + 1} (line ${rule.ref.line + 1}) "${line}": witness ${witnessText(w)} does not hit it in the emulator` });
      }
      if (allOk) n.confirmed++;
      else if (rewritten) n.rewritten++;
    }

    // 4. A rule called redundant changes no packet's fate: with its line taken out, its witnesses (packets
    // that get to it) meet the same verdict (reject, NAT request, notrack) in its table, leave it as the same
    // packet and are logged alike by LOG, NFLOG and TRACE rules; and random packets sent through the whole
    // host (as the sampling above sends them, with the same draws) meet the same in every table on their way.
    for (const d of findingsOf(rs, an, lines)) {
      if (d.code !== 'redundant-rule') continue;
      n.redundant++;
      const here = [...an.rules()].find((x) => x.rule.ref.line === d.span.start.line)!;
      const hook = here.chain as Hook;
      const without = compileRuleset(parseIptables(lines.filter((_, i) => i !== d.span.start.line).join('\n'), { backend: 'nft', family: 'ipv4' }).ruleset);
      const called = `"${lines[d.span.start.line]}" (line ${d.span.start.line + 1}) is called redundant, but without it`;
      const a = new Host(host, emu, pool, rng(seed), seed);
      const b = new Host(host, without, pool, rng(seed), seed);
      // The packets it takes first: a witness of each of its hit's boxes.
      const own = an.reach(here.rule, here.table, here.chain).hits.get(hook)?.must ?? [];
      for (const box of own.slice(0, 50)) {
        const w = witnessOf(an.space, [box])!;
        const p = witnessPacket(w);
        const ct = ctFor(p, emu.conntrackActive ? w.ctState : 'INVALID', w.connmark);
        const pa = { ...p, tcpOptions: [] };
        const pb = { ...p, tcpOptions: [] };
        a.notes = [];
        b.notes = [];
        const va = a.table(here.table, hook, pa, ct);
        const vb = b.table(here.table, hook, pb, ct);
        const fate = (v: TableResult | undefined, q: Packet, logged: readonly string[]): string => JSON.stringify({ verdict: v?.verdict, rejectWith: v?.rejectWith, nat: v?.nat, notrack: v?.notrack, q, logged });
        const fa = fate(va, pa, a.notes);
        const fb = fate(vb, pb, b.notes);
        a.notes = b.notes = undefined;
        if (fa === fb) continue;
        incomplete.push({ seed, text, what: `${called} ${packetText(p)} in=${p.iif || '-'} out=${p.oif || '-'} ct=${w.ctState} at ${hook} meets ${fb} instead of ${fa}` });
        break;
      }
      // Then random packets, each on its whole way through the host: only there do they meet this table in the
      // states and with the rewrites the tables and hooks before leave them (run through its table alone, an
      // untracked ICMP error met a nat INPUT rule, seed 150010, and TCP a nat INPUT NFLOG that a filter INPUT
      // REJECT of all TCP keeps it from, seed 60322).
      a.outcomes = [];
      b.outcomes = [];
      a.notes = [];
      b.notes = [];
      for (let i = 0; i < 300; i++) {
        a.one();
        b.one();
        const differs = firstDifference(a.outcomes, b.outcomes) ?? firstDifference(a.notes, b.notes);
        if (differs) {
          incomplete.push({ seed, text, what: `${called} a packet on its way through the host (${a.journey}) meets ${differs.b ?? 'nothing more'} instead of ${differs.a ?? 'nothing more'}` });
          break;
        }
        a.outcomes.length = b.outcomes.length = a.notes.length = b.notes.length = 0;
      }
      a.outcomes = b.outcomes = a.notes = b.notes = undefined;
    }

    // 3. A finding's example ("… would match it, but line N takes it first") is taken by line N, at a
    // hook where line N has packets, and never gets to the rule it is about.
    for (const d of findingsOf(rs, an, lines)) {
      if (!d.example || (d.code !== 'unreachable-rule' && d.code !== 'rule-after-terminal')) continue;
      n.examples++;
      const named = /but line (\d+) (?:takes|changes) it first/.exec(d.example.text);
      assert.ok(named, d.example.text);
      const w = d.example.packet as unknown as Witness;
      const blockers = [...an.rules()].filter((x) => x.rule.ref.line === Number(named[1]) - 1);
      const dead = [...an.rules()].filter((x) => x.rule.ref.line === d.span.start.line);
      let taken = false;
      let reachedDead = false;
      // An example said to get there only if undecided matches before it let it through is not held to it.
      const onlyMay = /, if the earlier rules whose conditions the analysis leaves undecided let it through$/.test(d.example.text);
      for (const b of blockers) {
        for (const [hook, f] of an.reach(b.rule, b.table, b.chain).hits) {
          if (!f.may.length) continue;
          if (probe.atHook(hook, witnessPacket(w), w.ctState, w.connmark, b.rule.id)) taken = true;
          if (dead.some((x) => probe.matched.has(`${hook}|${x.rule.id}`))) reachedDead = true;
        }
      }
      const what = `"${lines[d.span.start.line]}" (line ${d.span.start.line + 1}): ${d.message}`;
      if (reachedDead) unsound.push({ seed, text, what: `the example of ${what} gets to that rule in the emulator` });
      if (taken) n.examplesTaken++;
      else if (onlyMay) n.examplesMay++;
      else incomplete.push({ seed, text, what: `the example of ${what} is not taken by line ${named[1]} in the emulator` });
    }
  }
  const ms = Date.now() - started;
  console.log(
    `reachability vs emulator: ${n.rulesets} rulesets (seeds ${FIRST_SEED}-${FIRST_SEED + CASES - 1}), ${n.rules} rules, ${n.unreachable} unreachable, ${n.witnessed} witnessed, ` +
      `${n.confirmed} confirmed (${n.viaVariant} witness(es) through an entry variant), ${n.rewritten} unconfirmed after a rewriting target, ${n.conditional} conditional (no witness: undecidable matches); ` +
      `${n.redundant} rules called redundant (each taken out: a witness of each box it takes meets the same fate in its table, and 300 random packets on their way through the host in every table), ${n.examples} findings' examples, ${n.examplesTaken} taken by the line they name (${n.examplesMay} others only may get there); ` +
      `${n.packets} packets sampled hit ${n.sampledHits} (rule, hook) pairs = ${n.coveredPairs} of the ${n.reachablePairs} the analysis calls reachable; ${unsound.length} unsound, ${incomplete.length} incomplete; ${ms} ms`,
  );
  if (process.env.NFLENS_REACH_ALL) for (const f of [...unsound, ...incomplete]) console.log(`seed ${f.seed}: ${f.what}`);
  const show = (f: Failure): string => `seed ${f.seed} (NFLENS_REACH_SEED=${f.seed} NFLENS_REACH_CASES=1): ${f.what}\n${f.text}`;
  assert.deepEqual(unsound.slice(0, 5).map(show), [], `${unsound.length} rules hit by sampled packets are unreachable in the analysis`);
  assert.deepEqual(incomplete.slice(0, 5).map(show), [], `${incomplete.length} witnesses do not hit their rule`);
});

/**
 * Redundant rules, where the random rulesets above seldom make them (10 in 500): chains of exact ACCEPT
 * and DROP rules over a few sources, protocols and ports. Every rule called redundant is taken out, and
 * every packet of that small world (each source, protocol and port those rules name, and one none does)
 * must meet the same verdict in the table without it.
 */
/** Every packet of the small world below: each source, protocol and port its rules name, and ones none does. */
function smallWorld(): Packet[] {
  const out: Packet[] = [];
  for (const src of ['10.0.0.1', '10.0.0.7', '10.0.0.129', '10.0.1.1', '8.8.8.8']) {
    for (const proto of [PROTO_TCP, PROTO_UDP, PROTO_ICMP]) {
      for (const dport of proto === PROTO_ICMP ? [0] : [22, 50, 80, 443]) {
        out.push(witnessPacket({ src: u32(src.split('.').reduce((x, y) => x * 256 + Number(y), 0)), dst: u32(0x0a0a0a01), proto, sport: 40000, dport, icmpType: 8, icmpCode: 0, tcpFlags: TCP_SYN, iif: 'eth0', oif: '', ctState: 'NEW', mark: 0, connmark: 0, length: 60, ttl: 64, pktType: 'unicast', fragment: false } as Witness));
      }
    }
  }
  return out;
}

/** A chain of 2–8 exact ACCEPT and DROP rules over the small world's sources, protocols and ports. */
function smallChain(r: Rng): string[] {
  const sources = ['10.0.0.0/24', '10.0.0.0/25', '10.0.0.128/25', '10.0.1.0/24', '10.0.0.7'];
  const rules: string[] = [];
  for (let i = 0, n = 2 + r.int(7); i < n; i++) {
    const parts = ['-A INPUT'];
    if (r.chance(0.6)) parts.push(`${r.chance(0.15) ? '! ' : ''}-s ${r.pick(sources)}`);
    const proto = r.chance(0.6) ? r.pick(['tcp', 'udp', 'icmp']) : undefined;
    if (proto) parts.push(`-p ${proto}`);
    if (proto && proto !== 'icmp' && r.chance(0.5)) parts.push(`--dport ${r.pick(['22', '80', '22:80'])}`);
    parts.push(`-j ${r.pick(['ACCEPT', 'DROP'])}`);
    rules.push(parts.join(' '));
  }
  return ['*filter', `:INPUT ${r.pick(['ACCEPT', 'DROP'])} [0:0]`, ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''];
}

test('a rule no packet reaches names only blocking rules that really take some of its packets, first of all the example\'s', () => {
  const host = hostOf(LAB_HOST_JSON);
  const checked = { findings: 0, blockers: 0 };
  const wrong: string[] = [];
  for (let seed = 1; seed <= 300; seed++) {
    const lines = smallChain(rng(seed));
    const rs = parseIptables(lines.join('\n'), { backend: 'nft', family: 'ipv4' }).ruleset;
    const an = analyzeReachability(rs, { host });
    const emu = compileRuleset(rs);
    const pool = new Pool(host, emu);
    for (const d of reachFindings(rs, an, { lineText: (l) => lines[l] })) {
      if (d.code !== 'unreachable-rule' && d.code !== 'rule-after-terminal') continue;
      checked.findings++;
      // The packets its conditions accept: those it takes when moved to the top of the chain.
      const first = lines.findIndex((l) => l.startsWith('-A INPUT'));
      const moved = [...lines.slice(0, first), lines[d.span.start.line]!, ...lines.slice(first).filter((_, i) => i + first !== d.span.start.line)];
      const alone = new Host(host, compileRuleset(parseIptables(moved.join('\n'), { backend: 'nft', family: 'ipv4' }).ruleset), pool, rng(seed), seed);
      const real = new Host(host, emu, pool, rng(seed), seed);
      const takers = new Set<number>();
      for (const p of smallWorld()) {
        const v = alone.table('filter', 'INPUT', { ...p, tcpOptions: [] }, CT_OFF);
        if (v?.rule?.line !== first) continue;
        const w = real.table('filter', 'INPUT', { ...p, tcpOptions: [] }, CT_OFF);
        if (w?.rule) takers.add(w.rule.line);
      }
      for (const rel of d.related ?? []) {
        checked.blockers++;
        if (!takers.has(rel.span.start.line)) wrong.push(`seed ${seed}: line ${d.span.start.line + 1} names line ${rel.span.start.line + 1} (${rel.message}), which takes none of its packets\n${lines.join('\n')}`);
      }
    }
  }
  console.log(`blocking rules: ${checked.findings} findings on small chains, ${checked.blockers} blocking rules named, ${wrong.length} that take none of the rule's packets`);
  assert.ok(checked.findings >= 100, `only ${checked.findings} findings: the generator no longer exercises the check`);
  assert.deepEqual(wrong.slice(0, 3), []);
});

test('a rule called redundant changes no packet\'s fate: taken out, every packet of a small world meets the same verdict', () => {
  const host = hostOf(LAB_HOST_JSON);
  const sources = ['10.0.0.0/24', '10.0.0.0/25', '10.0.0.128/25', '10.0.1.0/24', '10.0.0.7'];
  const protos = ['tcp', 'udp', 'icmp'];
  const ports = ['22', '80', '22:80'];
  const checked = { rulesets: 0, redundant: 0, packets: 0 };
  const wrong: string[] = [];
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const rules: string[] = [];
    for (let i = 0, n = 2 + r.int(7); i < n; i++) {
      const parts = ['-A INPUT'];
      if (r.chance(0.6)) parts.push(`${r.chance(0.15) ? '! ' : ''}-s ${r.pick(sources)}`);
      const proto = r.chance(0.6) ? r.pick(protos) : undefined;
      if (proto) parts.push(`-p ${proto}`);
      if (proto && proto !== 'icmp' && r.chance(0.5)) parts.push(`--dport ${r.pick(ports)}`);
      parts.push(`-j ${r.pick(['ACCEPT', 'DROP'])}`);
      rules.push(parts.join(' '));
    }
    const head = ['*filter', `:INPUT ${r.pick(['ACCEPT', 'DROP'])} [0:0]`, ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
    const lines = [...head, ...rules, 'COMMIT', ''];
    const text = lines.join('\n');
    const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
    const an = analyzeReachability(rs, { host });
    checked.rulesets++;
    for (const d of reachFindings(rs, an, { lineText: (l) => lines[l] })) {
      if (d.code !== 'redundant-rule') continue;
      checked.redundant++;
      const emu = compileRuleset(rs);
      const without = compileRuleset(parseIptables(lines.filter((_, i) => i !== d.span.start.line).join('\n'), { backend: 'nft', family: 'ipv4' }).ruleset);
      const pool = new Pool(host, emu);
      const a = new Host(host, emu, pool, rng(seed), seed);
      const b = new Host(host, without, pool, rng(seed), seed);
      world: for (const src of ['10.0.0.1', '10.0.0.7', '10.0.0.129', '10.0.1.1', '8.8.8.8']) {
        for (const proto of [PROTO_TCP, PROTO_UDP, PROTO_ICMP]) {
          for (const dport of proto === PROTO_ICMP ? [0] : [22, 50, 80, 443]) {
            const p: Packet = { ...witnessPacket({ src: u32(src.split('.').reduce((x, y) => x * 256 + Number(y), 0)), dst: u32(0x0a0a0a01), proto, sport: 40000, dport, icmpType: 8, icmpCode: 0, tcpFlags: TCP_SYN, iif: 'eth0', oif: '', ctState: 'NEW', mark: 0, connmark: 0, length: 60, ttl: 64, pktType: 'unicast', fragment: false } as Witness) };
            checked.packets++;
            const va = a.table('filter', 'INPUT', { ...p, tcpOptions: [] }, CT_OFF);
            const vb = b.table('filter', 'INPUT', { ...p, tcpOptions: [] }, CT_OFF);
            if (va?.verdict === vb?.verdict) continue;
            wrong.push(`seed ${seed}: "${lines[d.span.start.line]}" called redundant, but without it ${packetText(p)} meets ${vb?.verdict} instead of ${va?.verdict}\n${text}`);
            break world;
          }
        }
      }
    }
  }
  console.log(`redundant rules: ${checked.rulesets} chains, ${checked.redundant} rules called redundant, ${checked.packets} packets compared, ${wrong.length} wrong`);
  assert.ok(checked.redundant >= 100, `only ${checked.redundant} redundant rules: the generator no longer exercises the check`);
  assert.deepEqual(wrong.slice(0, 3), []);
});
