/**
 * What a REJECT sends back, as packets: TCP resets (flags RST, or RST+ACK when the rejected segment had
 * no ACK: nf_reject_ip_tcphdr_put) and ICMP destination-unreachable messages of the codes its
 * --reject-with names (the ruleset's: Space.rejects). Each carries the rejected packet's conntrack word
 * from the start (nf_ct_attach): its connection's, RELATED, or a bare one (INVALID) when that packet had
 * none; NOTRACK and CT leave it alone either way (checked in the kernel:
 * test/kernel/rejectReplyCt.kernel.test.ts).
 */
import { Field, NO_IFACE, type Space } from '../space/fields';
import { fromRanges, single } from '../space/intSet';
import { intersectSets, NONE, unionSets, where, type PacketSet } from '../space/packetSet';

const replies = new WeakMap<Space, PacketSet>();

/** The ruleset's REJECT replies as packets at OUTPUT: no input interface, any state, mark and output interface. */
export function rejectReplyPackets(space: Space): PacketSet {
  let s = replies.get(space);
  if (s) return s;
  const r = space.rejects;
  s = NONE;
  if (r.reset) s = intersectSets(where(space, Field.Proto, single(6)), where(space, Field.TcpFlags, fromRanges([[0x04, 0x04], [0x14, 0x14]])));
  if (r.codes.length) s = unionSets(s, intersectSets(where(space, Field.Proto, single(1)), where(space, Field.Icmp, fromRanges(r.codes.map((c) => [0x300 + c, 0x300 + c] as [number, number])))));
  if (s.length) s = intersectSets(s, where(space, Field.Iif, single(NO_IFACE)));
  replies.set(space, s);
  return s;
}
