/** comment match: always true (kernel net/netfilter/xt_comment.c). */
import type { MatcherEntry } from '../registry';

export const comment: MatcherEntry = { name: 'comment', fn: () => true };
