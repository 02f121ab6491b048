/** mark match (kernel net/netfilter/xt_mark.c, mark_mt): (skb->mark & mask) == value, `!` inverts. */
import type { MarkMatch } from '../../lang/iptables/extensions/matches/mark';
import type { MatcherEntry } from '../registry';

export const mark: MatcherEntry = {
  name: 'mark',
  fn: (d: MarkMatch, { packet: p }) => ((((p.mark & d.mask) >>> 0) === d.value >>> 0) !== d.invert),
};
