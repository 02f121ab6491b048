/**
 * The connection-tracking table (net/netfilter/nf_conntrack_core.c):
 * lookup by tuple in either direction, NEW/ESTABLISHED/RELATED/INVALID per
 * packet, a new entry stays unconfirmed until its first packet leaves
 * POSTROUTING (or INPUT), timeouts from the injected clock.
 */
import type { Clock } from './clock';
import {
  CT_ASSURED,
  CT_CONFIRMED,
  CT_SEEN_REPLY,
  invertTuple,
  tupleKey,
  zoneIdFor,
  type Conn,
  type CtDir,
  type CtInfo,
  type CtZone,
  type Tuple,
} from './ct';
import { flagsText, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_RST, type Packet } from './packet';
import { newTcpTrack, TCP_TIMEOUT, tcpFlagsValid, tcpIndex, tcpOpens, tcpStep, type TcpStep, type TcpTrack } from './tcpConntrack';

/** ICMP error types that carry the offending packet (RELATED). */
export const ICMP_ERRORS: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);
/**
 * The ICMP types that start a connection: echo, timestamp, information and address mask requests
 * (nf_conntrack_icmp_packet's valid_new). Any other ICMP packet of no known connection is INVALID.
 */
export const ICMP_REQUESTS: ReadonlySet<number> = new Set([8, 13, 15, 17]);
/** Echo/timestamp/info/mask requests and their replies. */
export const ICMP_REPLY_OF: Readonly<Record<number, number>> = { 8: 0, 13: 14, 15: 16, 17: 18, 0: 8, 14: 13, 16: 15, 18: 17 };
/** The replies to those requests: ESTABLISHED when they answer one, else INVALID (never NEW or RELATED). */
export const ICMP_REPLIES: ReadonlySet<number> = new Set(Object.keys(ICMP_REPLY_OF).map(Number).filter((t) => !ICMP_REQUESTS.has(t)));

/** Default timeouts in ms (nf_conntrack_proto_*.c); TCP's are in tcpConntrack.ts. */
const TIMEOUT = {
  udpUnreplied: 30_000,
  udpReplied: 120_000,
  icmp: 30_000,
  generic: 600_000,
};
/** How long after its first packet an answered UDP flow counts as a stream (2 s). */
const UDP_STREAM_AFTER = 2_000;

export function packetTuple(p: Packet): Tuple {
  if (p.proto === PROTO_TCP || p.proto === PROTO_UDP || p.proto === 132 || p.proto === 33 || p.proto === 136) {
    return { src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport };
  }
  if (p.proto === PROTO_ICMP) return { src: p.src, dst: p.dst, proto: p.proto, sport: p.icmpId, dport: p.icmpId };
  return { src: p.src, dst: p.dst, proto: p.proto, sport: 0, dport: 0 };
}

export interface CtLookup {
  readonly info: CtInfo;
  /** A new entry not yet in the table: confirmed when its packet survives. */
  readonly unconfirmed?: Conn;
  /** Why the packet is INVALID. */
  readonly why?: string;
}

export class ConntrackTable {
  private readonly byTuple = new Map<string, { conn: Conn; dir: 'ORIGINAL' | 'REPLY' }>();
  private nextId = 1;

  constructor(
    private readonly clock: Clock,
    private readonly tcpLoose: boolean,
  ) {}

  /**
   * The entry one of whose tuples is `t`, kept in the zone the packet's zone gives that direction
   * (____nf_conntrack_find: tuple and nf_ct_zone_equal for the direction found).
   */
  private find(t: Tuple, zone?: CtZone): { conn: Conn; dir: 'ORIGINAL' | 'REPLY' } | undefined {
    const orig = zoneIdFor(zone, 'ORIGINAL');
    const repl = zoneIdFor(zone, 'REPLY');
    let hit = this.byTuple.get(zonedKey(t, orig));
    if (hit && orig !== repl && hit.dir !== 'ORIGINAL') hit = undefined;
    if (!hit && orig !== repl) {
      hit = this.byTuple.get(zonedKey(t, repl));
      if (hit && hit.dir !== 'REPLY') hit = undefined;
    }
    if (!hit) return undefined;
    if (hit.conn.expires <= this.clock.now()) {
      this.remove(hit.conn);
      return undefined;
    }
    return hit;
  }

  private key(c: Conn, dir: CtDir): string {
    return zonedKey(dir === 'ORIGINAL' ? c.orig : c.reply, zoneIdFor(c.zone, dir));
  }

  private remove(c: Conn): void {
    this.byTuple.delete(this.key(c, 'ORIGINAL'));
    this.byTuple.delete(this.key(c, 'REPLY'));
  }

  entries(): Conn[] {
    const seen = new Set<Conn>();
    for (const { conn } of this.byTuple.values()) seen.add(conn);
    return [...seen];
  }

  /** nf_conntrack_in(): what conntrack makes of this packet (`zone`: its CT template's, if any). */
  lookup(p: Packet, zone?: CtZone): CtLookup {
    const t = packetTuple(p);
    if (p.proto === PROTO_TCP && !tcpFlagsValid(p.tcpFlags)) {
      return { info: { state: 'INVALID', dir: 'ORIGINAL' }, why: `an invalid TCP flag combination (${flagsText(p.tcpFlags) || 'no flags'})` };
    }
    const hit = this.find(t, zone);
    if (hit) {
      const { conn, dir } = hit;
      // The state comes from the entry as it was before this packet (ctinfo); SEEN_REPLY is set only if the packet is valid.
      const established = dir === 'REPLY' || (conn.status & CT_SEEN_REPLY) !== 0;
      const info: CtInfo = { state: established ? 'ESTABLISHED' : 'NEW', dir, conn };
      if (conn.tcp) {
        const step = tcpStep(conn.tcp, dir, p.tcpFlags);
        if (step.kind === 'invalid') return { info: { state: 'INVALID', dir }, why: step.why };
        if (step.kind === 'reopen') {
          this.remove(conn);
          return this.lookup(p, zone);
        }
        if (step.kind === 'accept') this.tcpRefresh(conn, p, step);
      } else this.refresh(conn, p);
      if (dir === 'REPLY') conn.status |= CT_SEEN_REPLY;
      return { info };
    }
    if (p.proto === PROTO_ICMP && ICMP_ERRORS.has(p.icmpType) && p.inner) {
      // An ICMP error belongs to the connection of the packet it quotes.
      // The quoted packet went the other way: the error travels in the direction whose
      // tuple is the inverse of the quoted one (nf_conntrack_inet_error()).
      const inner = this.find(invertTuple(packetTuple(p.inner)), zone);
      if (inner) return { info: { state: 'RELATED', dir: inner.dir, conn: inner.conn } };
      return { info: { state: 'INVALID', dir: 'ORIGINAL' }, why: 'an ICMP error about no known connection' };
    }
    if (p.proto === PROTO_ICMP && !(p.icmpType in ICMP_REPLY_OF)) {
      return { info: { state: 'INVALID', dir: 'ORIGINAL' }, why: `ICMP type ${p.icmpType} starts no connection` };
    }
    if (p.proto === PROTO_ICMP && !ICMP_REQUESTS.has(p.icmpType)) {
      return { info: { state: 'INVALID', dir: 'ORIGINAL' }, why: 'an ICMP reply to no request' };
    }
    let tcp: TcpTrack | undefined;
    if (p.proto === PROTO_TCP) {
      // tcp_new(): the first packet of a connection is a SYN, or (with nf_conntrack_tcp_loose) a
      // plain ACK picked up mid-stream; a SYN-ACK, FIN or RST for no known connection is INVALID.
      if (!tcpOpens(p.tcpFlags, this.tcpLoose)) {
        const kind = tcpIndex(p.tcpFlags);
        return { info: { state: 'INVALID', dir: 'ORIGINAL' }, why: `a TCP ${kind} packet for no known connection${kind === 'ACK' ? ' (nf_conntrack_tcp_loose is off)' : ''}` };
      }
      tcp = newTcpTrack();
    }
    const conn: Conn = {
      id: this.nextId++,
      orig: t,
      reply: p.proto === PROTO_ICMP ? { ...invertTuple(t) } : invertTuple(t),
      status: 0,
      mark: 0,
      created: this.clock.now(),
      expires: this.clock.now() + this.initialTimeout(p),
      ...(tcp ? { tcp } : {}),
      ...(p.proto === PROTO_ICMP ? { icmpQuery: { type: p.icmpType, code: p.icmpCode } } : {}),
      ...(zone && zone.id !== 0 ? { zone } : {}),
    };
    if (tcp) {
      const step = tcpStep(tcp, 'ORIGINAL', p.tcpFlags);
      if (step.kind === 'accept') this.tcpRefresh(conn, p, step);
    }
    return { info: { state: 'NEW', dir: 'ORIGINAL', conn }, unconfirmed: conn };
  }

  /** __nf_conntrack_confirm(): the entry goes into the table. */
  confirm(conn: Conn): boolean {
    if (conn.status & CT_CONFIRMED) return false;
    // A clash with an existing entry (e.g. a NAT binding taken meanwhile) drops the packet in the kernel; here the first wins.
    if (this.byTuple.has(this.key(conn, 'ORIGINAL')) || this.byTuple.has(this.key(conn, 'REPLY'))) return false;
    conn.status |= CT_CONFIRMED;
    this.byTuple.set(this.key(conn, 'ORIGINAL'), { conn, dir: 'ORIGINAL' });
    this.byTuple.set(this.key(conn, 'REPLY'), { conn, dir: 'REPLY' });
    return true;
  }

  /** Whether a tuple is already used by some entry of the zone (NAT port selection must avoid it). */
  tupleTaken(t: Tuple, zone?: CtZone): boolean {
    return this.find(t, zone) !== undefined;
  }

  private initialTimeout(p: Packet): number {
    if (p.proto === PROTO_UDP) return TIMEOUT.udpUnreplied;
    if (p.proto === PROTO_ICMP) return TIMEOUT.icmp;
    return TIMEOUT.generic;
  }

  /**
   * The end of nf_conntrack_tcp_packet for a packet it accepts: the new timeout; an entry whose only
   * answer is a reset goes at once; ASSURED once a valid ACK follows the reply.
   */
  private tcpRefresh(c: Conn, p: Packet, step: Extract<TcpStep, { kind: 'accept' }>): void {
    const seenReply = (c.status & CT_SEEN_REPLY) !== 0;
    let timeout = step.index === 'RST' ? TCP_TIMEOUT.CLOSE : TCP_TIMEOUT[step.to];
    if (!seenReply) {
      if (p.tcpFlags & TCP_RST) {
        if (c.status & CT_CONFIRMED) this.remove(c);
        return;
      }
      // A retransmitted SYN does not renew the entry.
      if (step.index === 'SYN' && step.from === 'SYN_SENT') return;
      // A connection picked up mid-stream is not kept for days before it sees an answer.
      if (step.to === 'ESTABLISHED') timeout = Math.min(timeout, TCP_TIMEOUT.UNACK);
    } else if ((step.from === 'SYN_RECV' || step.from === 'ESTABLISHED') && step.to === 'ESTABLISHED') {
      c.status |= CT_ASSURED;
    }
    c.expires = this.clock.now() + timeout;
  }

  private refresh(c: Conn, p: Packet): void {
    const now = this.clock.now();
    if (p.proto === PROTO_UDP) {
      // nf_conntrack_udp_packet: an answered flow still active 2 s after its first packet is a stream,
      // kept longer and ASSURED; before that, or unanswered, the short timeout.
      const stream = (c.status & CT_SEEN_REPLY) !== 0 && now > c.created + UDP_STREAM_AFTER;
      c.expires = now + (stream ? TIMEOUT.udpReplied : TIMEOUT.udpUnreplied);
      if (stream) c.status |= CT_ASSURED;
    } else {
      c.expires = now + (p.proto === PROTO_ICMP ? TIMEOUT.icmp : TIMEOUT.generic);
    }
  }

}

/** A tuple under a zone number (zone 0: the tuple's own key). */
function zonedKey(t: Tuple, zone: number): string {
  return zone ? `${tupleKey(t)}|z${zone}` : tupleKey(t);
}
