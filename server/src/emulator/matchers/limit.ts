/**
 * limit match (kernel net/netfilter/xt_limit.c, limit_mt and
 * limit_mt_check): one token bucket per rule, in the kernel's credits.
 *
 * - HZ × CREDITS_PER_JIFFY = 32000 credits per second (HZ=250: 128 per jiffy).
 * - cost = user2credits(avg), the bucket holds user2credits(avg × burst) and
 *   starts full; avg counts 1/10000 s (XT_LIMIT_SCALE).
 * - Each evaluation adds (jiffies elapsed × credits per jiffy) in 32-bit
 *   arithmetic, caps at the bucket size, and matches if it can pay the cost.
 *
 * iptables-nft 1.8.9 loads the rule as a native nftables limit instead,
 * whose nanosecond arithmetic is not modelled here.
 */
import { LIMIT_SCALE, type LimitMatch } from '../../lang/iptables/extensions/matches/limit';
import type { MatcherEntry } from '../registry';
import { HZ, jiffies, perMatch, pow2Below } from './stateful';

/** CREDITS_PER_JIFFY: POW2_BELOW32(0xFFFFFFFF / (HZ × 86400)). */
const CPJ = Number(pow2Below(BigInt(Math.floor(0xffffffff / (HZ * 86400)))));

/** user2credits(), in u32 arithmetic. */
export function limitCredits(user: number): number {
  const u = user >>> 0;
  if (u > Math.floor(0xffffffff / (HZ * CPJ))) return (Math.floor(u / LIMIT_SCALE) * HZ * CPJ) >>> 0;
  return Math.floor(((u * HZ * CPJ) >>> 0) / LIMIT_SCALE);
}

interface Bucket {
  /** jiffies of the last evaluation. */
  prev: number;
  credit: number;
  readonly cap: number;
  readonly cost: number;
}

export const limit: MatcherEntry = {
  name: 'limit',
  fn: (d: LimitMatch, ctx) => {
    const now = jiffies(ctx.clock.now());
    const rule = ctx.store.forRule(`${ctx.ruleId}\u0000limit`, () => new Map<LimitMatch, Bucket>());
    const b = perMatch(rule, d, () => {
      const cap = limitCredits(d.avg * d.burst); // r->avg * r->burst wraps at 32 bits
      return { prev: now, credit: cap, cap, cost: limitCredits(d.avg) };
    });
    // credit_increase is a u32: (jiffies elapsed × CPJ) mod 2^32.
    const increase = Math.imul((now - b.prev) >>> 0, CPJ) >>> 0;
    b.prev = now;
    let credit = (b.credit + increase) >>> 0;
    if (credit > b.cap) credit = b.cap;
    if (credit >= b.cost) {
      b.credit = credit - b.cost;
      return true;
    }
    b.credit = credit;
    return false;
  },
};
