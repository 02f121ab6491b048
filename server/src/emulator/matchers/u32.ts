/** u32 match (kernel net/netfilter/xt_u32.c): reads raw packet words we do not model. */
import { unknown } from '../context';
import type { MatcherEntry } from '../registry';

export const u32: MatcherEntry = {
  name: 'u32',
  fn: () => unknown('u32 expressions are not evaluated'),
};
