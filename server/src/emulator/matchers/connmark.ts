/**
 * connmark match (kernel net/netfilter/xt_connmark.c, connmark_mt):
 * (ct->mark & mask) == value, `!` inverts. A packet without a conntrack
 * entry (INVALID, UNTRACKED) never matches, inverted or not; one with a CT
 * template (raw) reads the template's mark, 0.
 */
import type { ConnmarkMatch } from '../../lang/iptables/extensions/matches/connmark';
import type { MatcherEntry } from '../registry';

export const connmark: MatcherEntry = {
  name: 'connmark',
  fn: (d: ConnmarkMatch, { ct }) => {
    const c = ct.conn;
    // A CT template (raw, before conntrack) is a connection to nf_ct_get, with mark 0.
    const mark = c ? c.mark : ct.template ? 0 : undefined;
    if (mark === undefined) return false;
    return (((mark & d.mask) >>> 0) === d.value >>> 0) !== d.invert;
  },
};
