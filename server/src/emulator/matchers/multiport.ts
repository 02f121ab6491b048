/**
 * multiport match, revision 1 (kernel net/netfilter/xt_multiport.c,
 * ports_match_v1): the first port entry that contains the packet's source,
 * destination, or either port decides; `!` inverts. Later fragments never
 * match (the kernel reads no ports from them).
 */
import type { MultiportMatch } from '../../lang/iptables/extensions/matches/multiport';
import type { MatcherEntry } from '../registry';

export const multiport: MatcherEntry = {
  name: 'multiport',
  fn: (d: MultiportMatch, { packet: p }) => {
    if (p.fragOffset !== 0) return false;
    // The kernel reads the first four bytes of the transport header: source and destination port.
    const src = p.sport;
    const dst = p.dport;
    for (const [lo, hi] of d.ports) {
      const hit =
        d.field === 'source' ? src >= lo && src <= hi
        : d.field === 'destination' ? dst >= lo && dst <= hi
        : d.field === 'either' ? (src >= lo && src <= hi) || (dst >= lo && dst <= hi)
        : false;
      if (hit) return !d.invert;
    }
    return d.invert;
  },
};
