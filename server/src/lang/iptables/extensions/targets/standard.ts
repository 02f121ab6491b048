/** ACCEPT, DROP, RETURN and QUEUE: the standard target (verdicts, no options). */
import { defineExtension, type AnyExtension } from '../../extension';

const verdict = (name: string, summary: string): AnyExtension =>
  defineExtension<Record<string, never>>({
    kind: 'target',
    name,
    options: [],
    summary,
    init: () => ({}),
  });

export const STANDARD_TARGETS: readonly AnyExtension[] = [
  verdict('ACCEPT', 'Stops this table\'s traversal at this hook and lets the packet continue to the next table or hook.'),
  verdict('DROP', 'Discards the packet silently; nothing is sent back.'),
  verdict('RETURN', 'Returns to the rule after the jump that called this chain; in a built-in chain, applies the policy.'),
  verdict('QUEUE', 'Hands the packet to userspace queue 0 (dropped when nothing listens).'),
];
