/**
 * TCP packets conntrack never gives a state (nf_conntrack_proto_tcp.c; kernel-checked in
 * test/kernel/tcpStates.kernel.test.ts):
 * - a flag combination tcp_error refuses (PSH, ECE and CWR aside, anything but SYN, SYN+ACK, ACK,
 *   FIN+ACK, RST, RST+ACK, or SYN, ACK or FIN+ACK with URG: a NULL scan, SYN+FIN, an XMAS scan, FIN
 *   without ACK) is INVALID whatever its connection: never NEW, ESTABLISHED or RELATED;
 * - a SYN-ACK opens no connection, and in its connection's original direction before any answer
 *   it is invalid in every state it can meet: never NEW or RELATED.
 */
import { tcpFlagsValid, tcpIndex } from '../../emulator/tcpConntrack';
import { ctValues, Field, type Space } from './fields';
import { fromRanges, isEmptySet, overlaps, single, union, within, type IntSet } from './intSet';
import { intersectSets, unionSets, where, type PacketSet } from './packetSet';

const flagValues = (keep: (v: number) => boolean): IntSet => fromRanges(Array.from({ length: 256 }, (_, v) => v).filter(keep).map((v) => [v, v] as [number, number]));

/** The TcpFlags field's values conntrack refuses. */
export const REFUSED_TCP_FLAGS: IntSet = flagValues((v) => !tcpFlagsValid(v));
/** The values conntrack takes for a SYN-ACK. */
export const SYNACK_FLAGS: IntSet = flagValues((v) => tcpFlagsValid(v) && tcpIndex(v) === 'SYNACK');
const ODD = union(REFUSED_TCP_FLAGS, SYNACK_FLAGS);

/** TCP packets in a state conntrack never gives them. */
export function impossibleTcp(space: Space): PacketSet {
  let s = cache.get(space);
  if (!s) {
    const tcp = where(space, Field.Proto, single(6));
    const refused = intersectSets(where(space, Field.TcpFlags, REFUSED_TCP_FLAGS), where(space, Field.Ct, ctValues(['NEW', 'ESTABLISHED', 'RELATED'])));
    const synAck = intersectSets(where(space, Field.TcpFlags, SYNACK_FLAGS), where(space, Field.Ct, ctValues(['NEW', 'RELATED'])));
    cache.set(space, (s = intersectSets(tcp, unionSets(refused, synAck))));
  }
  return s;
}
const cache = new WeakMap<Space, PacketSet>();

/** Whether a flags test accepts some values impossibleTcp is about (its rule then leaves those packets out). */
export function someOddFlags(flags: IntSet): boolean {
  return overlaps(flags, ODD);
}

/** Why a flags test accepts no packet in some states, when that is so: every value refused, or every one a SYN-ACK or refused. */
export function oddFlagsNote(flags: IntSet): string | undefined {
  if (isEmptySet(flags) || !within(flags, ODD)) return undefined;
  return within(flags, REFUSED_TCP_FLAGS)
    ? 'conntrack calls a TCP packet INVALID, whatever its connection, unless its flags, PSH, ECE and CWR aside, are SYN, SYN+ACK, ACK, FIN+ACK, RST or RST+ACK, or SYN, ACK or FIN+ACK with URG'
    : 'conntrack never calls a SYN-ACK NEW or RELATED: a SYN-ACK opens no connection, and from the side that sent the SYN it is invalid; with FIN, RST or URG it is INVALID in every state';
}
