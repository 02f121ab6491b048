/**
 * icmp match (kernel net/ipv4/netfilter/ip_tables.c, icmp_match and
 * icmp_type_code_match): type 255 ("any") matches every ICMP packet,
 * otherwise the type must equal and the code lie in [lo, hi]; `!` inverts,
 * so "! --icmp-type any" never matches. Later fragments never match.
 */
import type { IcmpMatch } from '../../lang/iptables/extensions/matches/icmp';
import { PROTO_ICMP } from '../packet';
import type { MatcherEntry } from '../registry';

export const icmp: MatcherEntry = {
  name: 'icmp',
  fn: (d: IcmpMatch, { packet: p }) => {
    // The kernel refuses the match without "-p icmp", so other protocols never get here.
    if (p.proto !== PROTO_ICMP || p.fragOffset !== 0) return false;
    const hit = d.type === 0xff || (p.icmpType === d.type && p.icmpCode >= d.codes[0] && p.icmpCode <= d.codes[1]);
    return hit !== d.invert;
  },
};
