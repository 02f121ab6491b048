/** ICMP types as the Icmp field holds them (type × 256 + code, every code), by what conntrack does with them. */
import { ICMP_ERRORS, ICMP_REPLIES, ICMP_REQUESTS } from '../../emulator/conntrack';
import { Field, type Space } from '../space/fields';
import { fromRanges, single, type IntSet } from '../space/intSet';
import { intersectSets, where, type PacketSet } from '../space/packetSet';

export const icmpTypes = (types: Iterable<number>): IntSet => fromRanges([...types].map((t) => [t * 256, t * 256 + 255] as [number, number]));
/** The types that start a connection (conntrack.ts ICMP_REQUESTS). */
export const ICMP_NEW: IntSet = icmpTypes(ICMP_REQUESTS);
/** Those a connection holds: its requests and their replies. */
export const ICMP_CONNECTED: IntSet = icmpTypes([...ICMP_REQUESTS, ...ICMP_REPLIES]);
/** Errors, RELATED to the connection of the packet they quote. */
export const ICMP_RELATED: IntSet = icmpTypes(ICMP_ERRORS);

/** Every ICMP error. */
export function icmpErrors(space: Space): PacketSet {
  return intersectSets(where(space, Field.Proto, single(1)), where(space, Field.Icmp, ICMP_RELATED));
}
