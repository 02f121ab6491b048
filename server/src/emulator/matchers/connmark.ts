/**
 * connmark match (kernel net/netfilter/xt_connmark.c, connmark_mt):
 * (ct->mark & mask) == value, `!` inverts. A packet without a conntrack
 * entry (INVALID, UNTRACKED) never matches, inverted or not.
 */
import type { ConnmarkMatch } from '../../lang/iptables/extensions/matches/connmark';
import type { MatcherEntry } from '../registry';

export const connmark: MatcherEntry = {
  name: 'connmark',
  fn: (d: ConnmarkMatch, { ct }) => {
    const c = ct.conn;
    if (!c) return false;
    return (((c.mark & d.mask) >>> 0) === d.value >>> 0) !== d.invert;
  },
};
