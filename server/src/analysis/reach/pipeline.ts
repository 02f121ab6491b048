/**
 * The hooks in the order packets meet them, and the tables at each hook in
 * priority order, with conntrack between raw and mangle: the flows entering
 * the host (PREROUTING) and leaving its processes (OUTPUT) pushed through
 * every table, routed to INPUT or FORWARD, and out through POSTROUTING.
 * Routing is free unless a host model says which addresses are local: a
 * packet may then be delivered or forwarded, whichever its rules allow.
 */
import type { EmuRuleset } from '../../emulator/compile';
import type { Hook } from '../../lang/iptables/extension';
import { ctValues, Field, NO_IFACE, type Space } from '../space/fields';
import { range, single, subtract, type IntSet } from '../space/intSet';
import { all, assign, intersectSets, mapField, NONE, subtractSets, unionSets, where, type PacketSet } from '../space/packetSet';
import { impossibleConnmarks, writesConnmark } from './connmarks';
import { ctTemplates } from './ctTemplates';
import { join, mapFlow, NO_FLOW, restrict, type Flow } from './flow';
import { ICMP_CONNECTED, icmpErrors, ICMP_NEW, ICMP_RELATED } from './icmpTypes';
import { loopbackMartians, martians, MULTICAST } from './martians';
import type { Recorder } from './recorder';
import { rejectReplyPackets } from './rejectReplies';
import { neverAnswered, type NeverAnswered } from './trackedAnswers';
import { Walker } from './walk';
import type { WalkMemo } from './walkMemo';

const icmpTypesBut = (types: IntSet): IntSet => subtract(range(0, 65535), types);

/**
 * ICMP packets in state NEW that are no request: conntrack never gives them that state (a reply, or an
 * error about no connection, is INVALID: nf_conntrack_icmp_packet's valid_new).
 */
export function icmpNeverNew(space: Space): PacketSet {
  return icmpInState(space, 'NEW', icmpTypesBut(ICMP_NEW));
}

/**
 * ICMP packets in a state conntrack never gives them: NEW but no request (icmpNeverNew); ESTABLISHED
 * but neither a request nor a reply (a connection's tuples hold a request and its inverse, the reply;
 * no other type is looked up as one of them); RELATED but no error (icmp_error makes only errors
 * RELATED, to the connection of the packet they quote; no helper expects ICMP). Types past 18 are
 * none of these: INVALID only. Untracked packets are not in the state field's NEW..RELATED.
 */
export function icmpStatesNever(space: Space): PacketSet {
  let s = statesNever.get(space);
  if (!s) statesNever.set(space, (s = unionSets(unionSets(icmpNeverNew(space), icmpInState(space, 'ESTABLISHED', icmpTypesBut(ICMP_CONNECTED))), icmpInState(space, 'RELATED', icmpTypesBut(ICMP_RELATED)))));
  return s;
}
/** icmpStatesNever per space (each conntrack step and dead ICMP rule asks for it). */
const statesNever = new WeakMap<Space, PacketSet>();

function icmpInState(space: Space, state: 'NEW' | 'ESTABLISHED' | 'RELATED', types: IntSet): PacketSet {
  return intersectSets(intersectSets(where(space, Field.Ct, ctValues([state])), where(space, Field.Proto, single(1))), where(space, Field.Icmp, types));
}

/** All-hosts (224.0.0.1): every multicast-capable interface is a member. */
const ALL_HOSTS = single(0xe0000001);

const ORDER: Readonly<Record<Hook, readonly string[]>> = {
  PREROUTING: ['raw', 'conntrack', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'conntrack', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

/** The hooks a packet may have passed before it meets a hook (looped back through lo aside). */
const HOOKS_BEFORE: Readonly<Record<Hook, readonly Hook[]>> = {
  PREROUTING: [],
  INPUT: ['PREROUTING'],
  FORWARD: ['PREROUTING'],
  OUTPUT: [],
  POSTROUTING: ['PREROUTING', 'FORWARD', 'OUTPUT'],
};

/** The tables a packet meets before `table` at `hook`: every table of the hooks before it, then this hook's tables of higher priority. */
export function tablesBefore(hook: Hook, table: string): Array<{ readonly hook: Hook; readonly table: string }> {
  const out: Array<{ hook: Hook; table: string }> = [];
  for (const h of HOOKS_BEFORE[hook]) for (const t of ORDER[h]) if (t !== 'conntrack') out.push({ hook: h, table: t });
  for (const t of ORDER[hook]) {
    if (t === table) break;
    if (t !== 'conntrack') out.push({ hook, table: t });
  }
  return out;
}


export interface PipelineOptions {
  /** The destinations routing delivers locally (the host's addresses, broadcasts): they go to INPUT, the rest to FORWARD. */
  readonly local?: IntSet;
  /** Interfaces (indices) that are bridges whose frames iptables sees in FORWARD (br_netfilter); absent: any may be. */
  readonly bridges?: IntSet;
  /**
   * Where the host routes each destination (output interface by destination): example packets
   * (`must`) at FORWARD and OUTPUT keep only the interface routing really picks. `may` stays open.
   */
  readonly routes?: PacketSet;
  /** The sources the host's sockets send from (its own addresses), by output interface (for `must` at OUTPUT). */
  readonly sources?: PacketSet;
  /**
   * Interfaces (indices) with route_localnet on, where a loopback destination is routed; given with a
   * host description (none: routing drops 127.0.0.0/8 from every interface but lo). Absent: unknown.
   */
  readonly localnet?: IntSet;
}

const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP']);

/** Whether some nat rule has a NAT target (read up to the first: not copied into a list of a kube dump's 60,000 chains). */
function natBinds(rs: EmuRuleset): boolean {
  const nat = rs.tables.get('nat');
  if (!nat) return false;
  for (const c of nat.chains.values()) if (c.rules.some((r) => r.target.kind === 'ext' && NAT_TARGETS.has(r.target.name))) return true;
  return false;
}

/** What hover reads of the ruleset's conntrack rules, found once here (ruleFlows.ts stateNeeds). */
export interface ConntrackFacts {
  /** Whether some rule writes connection marks (connmarks.ts): looked for once, when first asked (a kube dump's edits never ask). */
  readonly writesConnmark: () => boolean;
  /** Some CT rule puts packets in a zone (ctTemplates.ts). */
  readonly zones: boolean;
}

export class Pipeline {
  readonly facts: ConntrackFacts;
  /** Whether some nat rule sets up bindings, which then rewrite every later packet of its connection. */
  private readonly binds: boolean;
  /** Whether some CT rule puts a template on packets: conntrack looks those (NEW in raw) up too. */
  private readonly templates: boolean;
  /** Packets `must` drops for want of a tracked answer (trackedAnswers.ts). */
  private readonly unanswered: NeverAnswered;
  /**
   * RELATED packets that are not ICMP errors: only a helper's expected connections are (no rule assigns
   * one: none; kernels since 4.7 assign none by themselves unless nf_conntrack_helper is set). `must` never has them then; `may` keeps them.
   */
  private readonly unexpected: PacketSet;
  /** Tracked packets with a connmark their connection cannot have (connmarks.ts): not in `must`. */
  private readonly unmarked: PacketSet;

  constructor(
    private readonly rs: EmuRuleset,
    private readonly space: Space,
    readonly rec: Recorder,
    /** Where the walks log what they record, and the previous analysis's walks to take. */
    private readonly memo: WalkMemo,
  ) {
    this.binds = natBinds(rs);
    const templates = ctTemplates(rs);
    this.templates = templates.template;
    this.unanswered = neverAnswered(rs, space, this.binds, templates);
    let writes: boolean | undefined;
    const writesOnce = (): boolean => (writes ??= writesConnmark(rs));
    this.unmarked = impossibleConnmarks(space, writesOnce);
    this.facts = { writesConnmark: writesOnce, zones: templates.zoned.length > 0 };
    this.unexpected = templates.helper ? NONE : subtractSets(where(space, Field.Ct, ctValues(['RELATED'])), icmpErrors(space));
  }

  private anyIface(): IntSet {
    return range(1, this.space.max[Field.Iif]!);
  }

  /**
   * Packets arriving on an interface, before conntrack has seen them (no entry: INVALID here);
   * those looped back through lo may already carry the entry they got in OUTPUT, in any state.
   */
  arriving(): Flow {
    let s = where(this.space, Field.Iif, this.anyIface());
    s = intersectSets(s, where(this.space, Field.Oif, single(NO_IFACE)));
    s = this.whole(s);
    const fresh = intersectSets(s, where(this.space, Field.Ct, ctValues(['INVALID'])));
    // A packet received has mark 0 (a new skb; one from another namespace is scrubbed): another mark needs
    // tc or the like, outside the dump (`may` only). On lo the sending process may have set one (SO_MARK):
    // left out of `must` too, which keeps it one box (a kube dump's nat PREROUTING walks it).
    const lo = where(this.space, Field.Iif, single(this.space.ifaces.indexOf('lo')));
    const unmarked = where(this.space, Field.Mark, single(0));
    // (Their state is OUTPUT's conntrack's: never NEW for an ICMP packet that is no request, nor UNTRACKED when no rule untracks.)
    const never = this.space.untracks ? icmpStatesNever(this.space) : unionSets(icmpStatesNever(this.space), where(this.space, Field.Ct, ctValues(['UNTRACKED'])));
    const looped = this.rs.conntrackActive ? subtractSets(intersectSets(s, lo), never) : NONE;
    return { may: unionSets(fresh, looped), must: subtractSets(intersectSets(fresh, unmarked), this.unanswered.looped) };
  }

  /** Packets local processes send, routed (they have an output interface at OUTPUT). */
  leaving(): PacketSet {
    let s = where(this.space, Field.Iif, single(NO_IFACE));
    s = intersectSets(s, where(this.space, Field.Oif, this.anyIface()));
    return intersectSets(this.whole(s), where(this.space, Field.Ct, ctValues(['INVALID'])));
  }

  /**
   * A REJECT's reset or ICMP error carries the rejected packet's conntrack entry from the start
   * (rejectReplies.ts): at raw OUTPUT it is RELATED already, with that connection's mark, and
   * conntrack leaves it so. (One to a packet without a connection is INVALID, as `leaving` has it.)
   * `may` only: whether a REJECT fires is the walks' business.
   */
  rejectReplies(): PacketSet {
    if (!this.rs.conntrackActive) return NONE; // no entry to carry: they leave as any packet does
    let s = rejectReplyPackets(this.space);
    if (s.length === 0) return NONE;
    s = intersectSets(s, where(this.space, Field.Oif, this.anyIface()));
    return intersectSets(this.whole(s), where(this.space, Field.Ct, ctValues(['RELATED'])));
  }

  /**
   * With conntrack running, the kernel reassembles fragments before any table sees them (defrag
   * hooks at priority -400, at PREROUTING and OUTPUT): no rule meets a later fragment, and a
   * forwarded datagram is fragmented again only after POSTROUTING. Without it, rules at
   * PREROUTING, FORWARD and POSTROUTING see each fragment, and a raw socket may send one.
   */
  private whole(s: PacketSet): PacketSet {
    return this.rs.conntrackActive ? intersectSets(s, where(this.space, Field.Frag, single(0))) : s;
  }

  /**
   * Local delivery reassembles a datagram before INPUT: there its fragments are one packet with
   * the first one's headers and the whole datagram's length (checked in the kernel:
   * test/kernel/fragments.kernel.test.ts). Later fragments are not in `may` any more, whatever
   * length the first fragment had; `must` keeps the packets that need no reassembly.
   */
  private reassembled(f: Flow): Flow {
    if (this.rs.conntrackActive) return f; // reassembled already, before PREROUTING
    const whole = where(this.space, Field.Frag, single(0));
    return { may: assign(intersectSets(f.may, whole), Field.Length, range(0, this.space.max[Field.Length]!)), must: intersectSets(f.must, whole) };
  }

  /** Every table at a hook, in order: what comes out. */
  hook(hook: Hook, entry: Flow): Flow {
    let f = entry;
    for (const name of ORDER[hook]) {
      if (name === 'conntrack') {
        f = this.conntrack(f, hook === 'OUTPUT' ? this.unanswered.output : this.unanswered.prerouting);
        continue;
      }
      if (name === 'nat') {
        f = this.nat(hook, f);
        continue;
      }
      const table = this.rs.tables.get(name);
      if (!table || !table.chains.get(hook)) continue;
      f = new Walker(table, hook, this.rec, this.memo).run(f);
    }
    return f;
  }

  /**
   * A nat hook, only when conntrack runs. The chain sees a connection's first packet: NEW ones,
   * and RELATED ones that are not ICMP errors when their connection has no binding for this
   * manip yet (a REJECT's reset meeting nat POSTROUTING). Every later packet (ESTABLISHED,
   * RELATED) is then rewritten from its connection's binding: to any address and port, as far
   * as we know; at OUTPUT the new destination is routed again.
   */
  private nat(hook: Hook, f: Flow): Flow {
    if (!this.rs.conntrackActive) return f;
    const isNew = where(this.space, Field.Ct, ctValues(['NEW']));
    let others: Flow = { may: subtractSets(f.may, isNew), must: subtractSets(f.must, isNew) };
    if (this.binds) {
      const later = intersectSets(others.may, where(this.space, Field.Ct, ctValues(['ESTABLISHED', 'RELATED'])));
      const fields = hook === 'PREROUTING' || hook === 'OUTPUT' ? [Field.Dst, Field.Dport, ...(hook === 'OUTPUT' ? [Field.Oif] : [])] : [Field.Src, Field.Sport];
      const moved = fields.reduce((s, fd) => assign(s, fd, fd === Field.Oif ? this.anyIface() : range(0, this.space.max[fd]!)), later);
      others = { may: unionSets(others.may, moved), must: others.must };
    }
    const table = this.rs.tables.get('nat');
    if (!table?.chains.get(hook)) return join(others, restrict(f, isNew));
    const related = subtractSets(where(this.space, Field.Ct, ctValues(['RELATED'])), icmpErrors(this.space));
    let first: Flow = { may: intersectSets(f.may, unionSets(isNew, related)), must: intersectSets(f.must, isNew) };
    if (hook === 'PREROUTING' || hook === 'INPUT') {
      // A packet looped back through lo got its bindings in OUTPUT and POSTROUTING: it passes
      // these chains by (when "lo" is only part of an "other interface" entry, it may do either).
      const lo = this.space.ifaces.indexOf('lo');
      const exact = this.space.ifaces.names[lo] === 'lo';
      const onLo = where(this.space, Field.Iif, single(lo));
      const looped = restrict(restrict(f, isNew), onLo);
      others = join(others, exact ? looped : { may: looped.may, must: NONE });
      if (exact) first = { may: subtractSets(first.may, onLo), must: subtractSets(first.must, onLo) };
    }
    return join(others, new Walker(table, hook, this.rec, this.memo).run(first));
  }

  /** Conntrack looks the packet up: untracked ones stay so; the others become NEW, ESTABLISHED, RELATED or INVALID. */
  private conntrack(f: Flow, unanswered: PacketSet): Flow {
    if (!this.rs.conntrackActive) return f;
    // Looked up: packets without an entry, and those with a CT template (NEW in raw; looped ones, NEW
    // from OUTPUT, are in `may` only and may be taken for them: they keep their state, which is one of these).
    const none = where(this.space, Field.Ct, ctValues(this.templates ? ['INVALID', 'NEW'] : ['INVALID']));
    const states = ctValues(['INVALID', 'NEW', 'ESTABLISHED', 'RELATED']);
    const step = (s: PacketSet): PacketSet => {
      const looked = assign(intersectSets(s, none), Field.Ct, states);
      // A union, not one list after the other: packets looped back through lo keep their state, and
      // overlap those conntrack has just looked up. Listed twice, a kube dump's nat PREROUTING got
      // each flow twice: every walk below met it twice, and hover showed it twice.
      return unionSets(subtractSets(s, none), looked);
    };
    const isNew = where(this.space, Field.Ct, ctValues(['NEW']));
    // A TCP packet surely starts a connection only when it is a bare SYN. An ICMP one gets only the
    // states its type allows (icmpStatesNever): NEW only a request (nf_conntrack_icmp_packet's
    // valid_new; a reply or an error about no connection is INVALID), ESTABLISHED only a request or a
    // reply, RELATED only an error.
    const icmpNever = icmpStatesNever(this.space);
    const oddNew = unionSets(intersectSets(intersectSets(isNew, where(this.space, Field.Proto, single(6))), where(this.space, Field.TcpFlags, subtract(range(0, 255), single(2)))), icmpNever);
    return { may: subtractSets(step(f.may), icmpNever), must: subtractSets(step(f.must), unionSets(unionSets(unionSets(oddNew, this.unexpected), this.unmarked), unanswered)) };
  }

  /**
   * What routing lets on to INPUT or FORWARD of the packets PREROUTING let through. `must` holds no
   * martian (martians.ts; without a host description route_localnet is taken as off, and only lo's
   * 127.0.0.1 is known to be the host's own, which routing refuses as a source from outside). `may` loses
   * only the loopback addresses on interfaces a host description gives without route_localnet: it
   * keeps the other martians, so that sets in words stay short ("from any address", not "from any
   * address except 0.0.0.0, 224.0.0.0/4, 255.255.255.255"; analysis README, "The walk").
   */
  private routable(pre: Flow, localnet: IntSet | undefined): Flow {
    const must = subtractSets(pre.must, martians(this.space, localnet ?? [], this.rec.routing.own));
    return localnet ? { may: subtractSets(pre.may, loopbackMartians(this.space, localnet)), must } : { may: pre.may, must };
  }

  /** The whole host: returns nothing, fills the recorder. */
  runAll(opts: PipelineOptions = {}): void {
    const arrived = this.hook('PREROUTING', this.arriving());
    const pre = this.routable(arrived, opts.localnet);
    const toLocal = opts.local ? where(this.space, Field.Dst, opts.local) : all(this.space);
    const toOthers = opts.local ? where(this.space, Field.Dst, subtract(range(0, 0xffffffff), opts.local)) : all(this.space);
    // With a description, a multicast destination is delivered when the host is a member of the group (a
    // process joined it; every interface is a member of all-hosts, 224.0.0.1), which it does not say: it
    // may be, surely only all-hosts. Routing forwards none without a multicast routing daemon: may, not must.
    const toMember = opts.local ? where(this.space, Field.Dst, MULTICAST) : NONE;
    const toAllHosts = opts.local ? where(this.space, Field.Dst, ALL_HOSTS) : NONE;
    const delivered = unionSets(intersectSets(pre.must, toLocal), intersectSets(pre.must, toAllHosts));
    this.hook('INPUT', this.reassembled({ may: unionSets(intersectSets(pre.may, toLocal), intersectSets(pre.may, toMember)), must: subtractSets(delivered, this.unanswered.input) }));
    // Forwarded: routed to some interface, TTL decremented (a packet with TTL 1 is answered with time exceeded instead).
    const ttlOk = intersectSets(toOthers, where(this.space, Field.Ttl, range(2, 255)));
    const routed = opts.local ? { may: intersectSets(pre.may, ttlOk), must: subtractSets(intersectSets(pre.must, ttlOk), toMember) } : restrict(pre, ttlOk);
    const fwdIn: Flow = {
      may: mapField(assign(routed.may, Field.Oif, this.anyIface()), Field.Ttl, (v) => v - 1),
      must: mapField(assign(routed.must, Field.Oif, this.anyIface()), Field.Ttl, (v) => v - 1),
    };
    // Frames a bridge switches between two of its ports (or a DNAT sends back behind it) pass
    // FORWARD with br_netfilter: in and out are the bridge, and the TTL is left alone.
    let bridged = NO_FLOW;
    const bridges = opts.bridges ?? this.anyIface();
    for (let i = 0; i < bridges.length; i += 2) {
      for (let b = bridges[i]!; b <= bridges[i + 1]!; b++) {
        const frames = restrict(arrived, intersectSets(toOthers, where(this.space, Field.Iif, single(b))));
        bridged = join(bridged, mapFlow(frames, (s) => assign(s, Field.Oif, single(b))));
      }
    }
    const routedIn: Flow = opts.routes ? { may: fwdIn.may, must: intersectSets(fwdIn.must, opts.routes) } : fwdIn;
    const forwarded = join(routedIn, bridged);
    const fwd = this.hook('FORWARD', { may: forwarded.may, must: subtractSets(forwarded.must, this.unanswered.forward) });
    const leaving = this.leaving();
    let sent: Flow = { may: unionSets(leaving, this.rejectReplies()), must: leaving };
    if (opts.routes) sent = { may: sent.may, must: intersectSets(sent.must, opts.routes) };
    if (opts.sources) sent = { may: sent.may, must: intersectSets(sent.must, opts.sources) };
    const out = this.hook('OUTPUT', sent);
    this.hook('POSTROUTING', join(fwd, out));
  }
}
