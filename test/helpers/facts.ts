/**
 * A rule's facts as a plain object, for comparing facts held by different
 * objects (a fast rule line's shape is its own facts; the full path's are a
 * CompactFacts).
 */
import type { RuleFacts } from '../../server/src/lang/iptables/ruleFacts';

/** Every fact (the type fails to compile when RuleFacts gains one that is not listed). */
const FACTS: Record<keyof RuleFacts, true> = {
  jumpTo: true, verdict: true, protoNum: true, protoInvert: true, protoText: true, uses: true, allowedNft: true, allowedLegacy: true,
  hasCheck: true, matches: true, shared: true, zeroSrc: true, zeroDst: true, unconditional: true, anyAddresses: true, countersSet: true, conntrack: true,
};

export function plainFacts(f: RuleFacts): Record<string, unknown> {
  return Object.fromEntries(Object.keys(FACTS).map((k) => [k, f[k as keyof RuleFacts]]));
}
