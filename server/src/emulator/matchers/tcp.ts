/** tcp match (kernel net/netfilter/xt_tcpudp.c: tcp_mt). */
import type { TcpMatch } from '../../lang/iptables/extensions/matches/tcp';
import type { MatcherEntry } from '../registry';
import { PROTO_TCP } from '../packet';

const inRange = (p: number, r: readonly [number, number], invert: boolean): boolean => (p >= r[0] && p <= r[1]) !== invert;

export const tcp: MatcherEntry = {
  name: 'tcp',
  fn: (d: TcpMatch, { packet: p }) => {
    // Non-TCP packets never match (the kernel also refuses the rule without -p tcp).
    if (p.proto !== PROTO_TCP || p.fragOffset !== 0) return false;
    if (!inRange(p.sport, d.sport, d.sportInvert)) return false;
    if (!inRange(p.dport, d.dport, d.dportInvert)) return false;
    if (d.flags && (((p.tcpFlags & d.flags.mask) === d.flags.cmp) === d.flags.invert)) return false;
    if (d.option && (p.tcpOptions.includes(d.option.kind) === d.option.invert)) return false;
    return true;
  },
};
