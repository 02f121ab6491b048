/**
 * What a match or target sees when the emulator evaluates it: the packet,
 * the hook and table, conntrack's view, the host, the injected clock and
 * random source, and per-rule state (token buckets, counters, recent lists).
 * Matchers and targets are pure functions of their parsed data and this
 * context; one file each under matchers/ and targets/.
 */
import type { Hook } from '../lang/iptables/extension';
import type { Clock, Rng } from './clock';
import type { Conn, CtInfo } from './ct';
import type { Iface } from './host/model';
import type { Packet } from './packet';

export type AddrTypeName =
  | 'UNSPEC' | 'UNICAST' | 'LOCAL' | 'BROADCAST' | 'ANYCAST' | 'MULTICAST'
  | 'BLACKHOLE' | 'UNREACHABLE' | 'PROHIBIT' | 'THROW' | 'NAT' | 'XRESOLVE';

/** Read-only questions about the host. */
export interface HostView {
  /** The address type as the kernel's route lookup says (fib_frontend.c); with `dev`, only routes through it count. */
  addrType(addr: number, dev?: string): AddrTypeName;
  /** Whether the address is one of the host's own (all of 127/8 included). */
  isLocal(addr: number): boolean;
  iface(name: string): Iface | undefined;
  /** The primary address of an interface (MASQUERADE's choice), if it has one. */
  primaryAddr(dev: string, towards?: number): number | undefined;
}

/** State that survives from packet to packet (kept per emulator run). */
export interface StateStore {
  /** State owned by one rule (limit buckets, nth counters, quotas). */
  forRule<T>(ruleId: string, init: () => T): T;
  /** State shared by name across rules (recent lists, hashlimit tables). */
  shared<T>(kind: string, name: string, init: () => T): T;
}

export interface EvalContext {
  readonly packet: Packet;
  readonly hook: Hook;
  readonly table: string;
  readonly ct: CtInfo;
  readonly host: HostView;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly store: StateStore;
  /** Stable identity of the rule being evaluated (for per-rule state). */
  readonly ruleId: string;
}

/**
 * A match we cannot decide from what we know (an ipset's members, a u32
 * expression, a user the host description does not list): the engine applies
 * the unknown-match setting and records the assumption in the trace.
 */
export interface Unknown {
  readonly unknown: string;
}

export type MatchOutcome = boolean | Unknown;

export function unknown(why: string): Unknown {
  return { unknown: why };
}

export function isUnknown(o: MatchOutcome): o is Unknown {
  return typeof o === 'object';
}

/** Evaluates one match instance; data is the parser's typed data for it. */
export type Matcher<D> = (data: D, ctx: EvalContext) => MatchOutcome;

/** What a NAT target asks for; the engine sets up the binding once per connection. */
export interface NatRequest {
  readonly manip: 'src' | 'dst';
  readonly kind: 'snat' | 'dnat' | 'masquerade' | 'redirect' | 'netmap';
  /** Address range (absent: keep the address, e.g. port-only SNAT). */
  readonly addrMin?: number;
  readonly addrMax?: number;
  /** Port range (absent: keep the port if possible). */
  readonly portMin?: number;
  readonly portMax?: number;
  /** NETMAP: the new network and its prefix length. */
  readonly netmap?: { readonly addr: number; readonly prefix: number };
  readonly random: boolean;
  readonly persistent: boolean;
}

export type TargetOutcome =
  /** Non-terminating (LOG, MARK, CONNMARK, TRACE …): go on with the next rule. */
  | { readonly kind: 'continue' }
  | { readonly kind: 'verdict'; readonly verdict: 'ACCEPT' | 'DROP' | 'QUEUE' }
  /** REJECT: drop and send this reply. */
  | { readonly kind: 'reject'; readonly with: string }
  | { readonly kind: 'nat'; readonly nat: NatRequest }
  /** NOTRACK / CT --notrack: the packet is untracked; continue. */
  | { readonly kind: 'notrack' }
  /** CT with settings: a conntrack template goes on the packet (its zone decides the lookup); continue. */
  | { readonly kind: 'template'; readonly zone?: CtZoneTemplate }
  /** The target needs something we do not model; the engine records it. */
  | { readonly kind: 'unmodeled'; readonly why: string; readonly then: 'continue' | 'ACCEPT' | 'DROP' };

export interface TargetContext extends EvalContext {
  /** The packet, which marking targets change in place. */
  readonly packet: Packet;
  /** The connection, when there is one (CONNMARK, CT). */
  readonly conn?: Conn;
  /** Records what a logging target would print (LOG, NFLOG, TRACE). */
  note(text: string): void;
}

export type TargetFn<D> = (data: D, ctx: TargetContext) => TargetOutcome;

/**
 * A CT template's zone: its number (or the low 16 bits of the packet mark when conntrack looks the
 * packet up) and the directions whose tuples it applies to (the other's are in zone 0).
 */
export interface CtZoneTemplate {
  readonly id: number;
  readonly fromMark: boolean;
  readonly dir: 'both' | 'ORIGINAL' | 'REPLY';
}
