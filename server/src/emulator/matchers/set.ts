/**
 * set match (kernel net/netfilter/xt_set.c): membership in a named ipset.
 * The emulator does not know what the sets contain, so it cannot decide.
 */
import type { SetMatch } from '../../lang/iptables/extensions/matches/set';
import { unknown } from '../context';
import type { MatcherEntry } from '../registry';

export const set: MatcherEntry = {
  name: 'set',
  fn: (d: SetMatch) => unknown(`members of ipset "${d.setName}" are not known`),
};
