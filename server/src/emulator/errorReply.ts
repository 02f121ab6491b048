/**
 * The answer a TCP/IP stack gives a packet it refuses: a TCP reset, or an
 * ICMP destination-unreachable error quoting the packet. Built the same way
 * by this host (REJECT, no listener) and by a peer that does not listen.
 */
import { ICMP_ERRORS } from './conntrack';
import { clonePacket, PROTO_ICMP, PROTO_TCP, TCP_ACK, TCP_RST, type Packet } from './packet';

/** REJECT --reject-with names and the ICMP codes they send (type 3). */
const ICMP_CODES: Readonly<Record<string, number>> = {
  'icmp-net-unreachable': 0, 'icmp-host-unreachable': 1, 'icmp-proto-unreachable': 2, 'icmp-port-unreachable': 3,
  'icmp-net-prohibited': 9, 'icmp-host-prohibited': 10, 'icmp-admin-prohibited': 13,
};

/**
 * `kind`: 'tcp-reset' or an icmp-* name. From the refused packet's destination
 * to its source; undefined when no answer is sent (a reset to a reset, an
 * ICMP error about an ICMP error).
 */
export function errorReply(p: Packet, kind: string): Packet | undefined {
  // A fresh packet: the default TTL (64), no mark, not the refused packet's metadata.
  const base: Packet = { ...clonePacket(p), src: p.dst, dst: p.src, sport: p.dport, dport: p.sport, mark: 0, ttl: 64, iif: '', oif: '', tcpOptions: [] };
  delete base.physIn;
  delete base.physOut;
  delete base.owner;
  if (kind === 'tcp-reset') {
    if (p.proto !== PROTO_TCP || p.tcpFlags & TCP_RST) return undefined;
    return { ...base, tcpFlags: TCP_RST | TCP_ACK, length: 40 };
  }
  if (p.proto === PROTO_ICMP && ICMP_ERRORS.has(p.icmpType)) return undefined;
  // The error quotes as much of the packet as fits in 576 bytes, with TOS 0xc0 (icmp_send()).
  return { ...base, proto: PROTO_ICMP, sport: 0, dport: 0, tcpFlags: 0, icmpType: 3, icmpCode: ICMP_CODES[kind] ?? 3, icmpId: 0, inner: clonePacket(p), length: 28 + Math.min(p.length, 548), tos: 0xc0 };
}
