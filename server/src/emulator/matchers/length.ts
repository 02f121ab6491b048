/** length match (kernel net/netfilter/xt_length.c, length_mt): the IPv4 total length in [min, max], `!` inverts. */
import type { LengthMatch } from '../../lang/iptables/extensions/matches/length';
import type { MatcherEntry } from '../registry';

export const length: MatcherEntry = {
  name: 'length',
  fn: (d: LengthMatch, { packet: p }) => (p.length >= d.range[0] && p.length <= d.range[1]) !== d.invert,
};
