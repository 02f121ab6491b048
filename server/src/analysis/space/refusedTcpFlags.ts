/**
 * TCP flag combinations conntrack refuses (tcp_error's tcp_valid_flags, PSH, ECE and CWR aside:
 * SYN+FIN, no flags, FIN without ACK, …): a TCP packet with one is INVALID whatever its connection,
 * so no such packet is ever NEW, ESTABLISHED or RELATED. Kernel-checked in
 * test/kernel/tcpStates.kernel.test.ts.
 */
import { tcpFlagsValid } from '../../emulator/tcpConntrack';
import { CT_STATES, Field, type Space } from './fields';
import { fromRanges, isEmptySet, overlaps, single, within, type IntSet } from './intSet';
import { intersectSets, where, type PacketSet } from './packetSet';

/** The TcpFlags field's values conntrack refuses. */
export const REFUSED_TCP_FLAGS: IntSet = fromRanges(Array.from({ length: 256 }, (_, v) => v).filter((v) => !tcpFlagsValid(v)).map((v) => [v, v] as [number, number]));

const TRACKED: IntSet = fromRanges(['NEW', 'ESTABLISHED', 'RELATED'].map((n) => CT_STATES.indexOf(n as never)).map((i) => [i, i] as [number, number]));

/** TCP packets with refused flags in a tracked state: packets that never exist. */
export function refusedTcpTracked(space: Space): PacketSet {
  let s = cache.get(space);
  if (!s) cache.set(space, (s = intersectSets(intersectSets(where(space, Field.Proto, single(6)), where(space, Field.TcpFlags, REFUSED_TCP_FLAGS)), where(space, Field.Ct, TRACKED))));
  return s;
}
const cache = new WeakMap<Space, PacketSet>();

/** Whether some of these flag values are refused (a rule testing them accepts packets that are only ever INVALID or UNTRACKED). */
export function someRefused(flags: IntSet): boolean {
  return overlaps(flags, REFUSED_TCP_FLAGS);
}

/** Whether every one of these flag values is refused (a NULL or XMAS scan rule). */
export function allRefused(flags: IntSet): boolean {
  return !isEmptySet(flags) && within(flags, REFUSED_TCP_FLAGS);
}
