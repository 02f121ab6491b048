/** Connection-tracking types shared by the conntrack table, matches and targets. */
import type { TcpTrack } from './tcpConntrack';

/** A connection tuple. For ICMP queries, sport and dport both hold the identifier. */
export interface Tuple {
  readonly src: number;
  readonly dst: number;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
}

/** IPS_* status bits (include/uapi/linux/netfilter/nf_conntrack_common.h). */
export const CT_EXPECTED = 1 << 0;
export const CT_SEEN_REPLY = 1 << 1;
export const CT_ASSURED = 1 << 2;
export const CT_CONFIRMED = 1 << 3;
export const CT_SRC_NAT = 1 << 4;
export const CT_DST_NAT = 1 << 5;
export const CT_SRC_NAT_DONE = 1 << 7;
export const CT_DST_NAT_DONE = 1 << 8;

/** A connection's zone: its number, and the directions whose tuples are in it (the other's are in zone 0). */
export interface CtZone {
  readonly id: number;
  readonly dir: 'both' | 'ORIGINAL' | 'REPLY';
}

/** The zone number a tuple of this direction is kept under (nf_ct_zone_id). */
export function zoneIdFor(z: CtZone | undefined, dir: CtDir): number {
  return z && (z.dir === 'both' || z.dir === dir) ? z.id : 0;
}

export type CtStateName = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';
export type CtDir = 'ORIGINAL' | 'REPLY';

export interface Conn {
  readonly id: number;
  readonly orig: Tuple;
  /** The tuple replies carry; NAT rewrites it when a binding is set up. */
  reply: Tuple;
  /** IPS_* bits. */
  status: number;
  /** ct mark (CONNMARK). */
  mark: number;
  /** Clock time (ms) at which the entry was made. */
  readonly created: number;
  /** Clock time (ms) at which the entry expires. */
  expires: number;
  /** Of a TCP connection: its state machine (tcpConntrack.ts). */
  readonly tcp?: TcpTrack;
  /** Its conntrack zone, when a CT template gave one (absent: zone 0 both ways). */
  readonly zone?: CtZone;
  /** The connection an ICMP error or expectation relates to. */
  readonly master?: Conn;
  /** Of an ICMP connection: the request that opened it (the kernel's tuples hold type and code where ports go). */
  readonly icmpQuery?: { readonly type: number; readonly code: number };
}

/** What conntrack says about one packet (skb->_nfct + ctinfo). */
export interface CtInfo {
  readonly state: CtStateName;
  readonly dir: CtDir;
  /** Absent for INVALID and UNTRACKED packets. */
  readonly conn?: Conn;
  /**
   * Put on the packet without a connection by the target that made it (nf_ct_attach of a REJECT
   * whose packet had none, e.g. an UNTRACKED one): the skb's conntrack word is set, so NOTRACK and
   * CT leave it alone, and conntrack calls it INVALID.
   */
  readonly attachedBare?: boolean;
  /**
   * A CT template is on the packet (raw, before conntrack): the kernel's matches see it as a
   * connection in state NEW, and later CT and NOTRACK rules leave it alone.
   */
  readonly template?: boolean;
}

export function tupleKey(t: Tuple): string {
  return `${t.proto}|${t.src}|${t.sport}|${t.dst}|${t.dport}`;
}

export function invertTuple(t: Tuple): Tuple {
  return { src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport };
}
