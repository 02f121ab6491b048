/** udp match (kernel net/netfilter/xt_tcpudp.c: udp_mt). */
import type { UdpMatch } from '../../lang/iptables/extensions/matches/udp';
import type { MatcherEntry } from '../registry';
import { PROTO_UDP } from '../packet';

const inRange = (p: number, r: readonly [number, number], invert: boolean): boolean => (p >= r[0] && p <= r[1]) !== invert;

export const udp: MatcherEntry = {
  name: 'udp',
  fn: (d: UdpMatch, { packet: p }) => {
    if (p.proto !== PROTO_UDP || p.fragOffset !== 0) return false;
    return inRange(p.sport, d.sport, d.sportInvert) && inRange(p.dport, d.dport, d.dportInvert);
  },
};
