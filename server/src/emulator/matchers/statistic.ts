/**
 * statistic match (kernel net/netfilter/xt_statistic.c, statistic_mt).
 * random: one draw per evaluation, matching when its low 31 bits are below
 * the rule's threshold (round(p × 2^31)). nth: a per-rule counter that
 * iptables starts at (every - 1) - packet; each evaluation advances it,
 * wrapping from every - 1 to 0, and the packet that brings it to 0 matches.
 * So the packets numbered packet, packet + every, … (from 0) match. `!`
 * inverts either. Only evaluations count: a rule whose earlier matches fail
 * does not advance the counter, as in the kernel.
 */
import type { StatisticMatch } from '../../lang/iptables/extensions/matches/statistic';
import type { MatcherEntry } from '../registry';
import { perMatch } from './stateful';

interface Nth {
  count: number;
}

export const statistic: MatcherEntry = {
  name: 'statistic',
  fn: (d: StatisticMatch, ctx) => {
    if (d.mode === 'random') {
      const hit = (ctx.rng.uint32() & 0x7fffffff) < d.probability;
      return hit !== d.invert;
    }
    const last = d.every - 1;
    const s = perMatch(ctx.store.forRule(`${ctx.ruleId}\u0000statistic`, () => new Map<StatisticMatch, Nth>()), d, () => ({ count: last - d.packet }));
    s.count = s.count === last ? 0 : s.count + 1;
    return (s.count === 0) !== d.invert;
  },
};
