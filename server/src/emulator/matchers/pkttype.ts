/**
 * pkttype match (kernel net/netfilter/xt_pkttype.c, pkttype_mt): the
 * link-layer class skb->pkt_type, `!` inverts. Locally generated packets
 * carry PACKET_HOST ("unicast") until a looped-back multicast/broadcast copy
 * becomes PACKET_LOOPBACK, which the kernel reports as multicast (for a
 * multicast destination) or broadcast; Packet.pktType already holds that
 * resolved class.
 */
import type { PacketType, PkttypeMatch } from '../../lang/iptables/extensions/matches/pkttype';
import type { Packet } from '../packet';
import type { MatcherEntry } from '../registry';

const CLASS: Readonly<Record<Packet['pktType'], PacketType>> = { host: 'unicast', broadcast: 'broadcast', multicast: 'multicast', otherhost: 'otherhost' };

export const pkttype: MatcherEntry = {
  name: 'pkttype',
  fn: (d: PkttypeMatch, { packet: p }) => (CLASS[p.pktType] === d.type) !== d.invert,
};
