/**
 * limit match (extensions/libxt_limit.c; kernel net/netfilter/xt_limit.c).
 * A token bucket shared by every packet the rule sees. iptables-nft 1.8.9
 * turns it into a native nftables "limit" expression (iptables/nft.c,
 * add_nft_limit), so only the legacy backend runs xt_limit's overflow check.
 */
import { defineExtension } from '../../extension';
import { atoiU32, rateForDisplay, rateUnit, UNIT_SECONDS, type RateUnit } from './rates';

/** XT_LIMIT_SCALE: `avg` counts ten-thousandths of a second. */
export const LIMIT_SCALE = 10000;

export interface LimitMatch {
  /** Mean time between matching packets, in 1/10000 s (xt_rateinfo.avg); default 3/hour. */
  avg: number;
  /** Bucket size in packets (0..10000, default 5). */
  burst: number;
  /** The rate as written, for hovers (undefined: the 3/hour default). */
  rate?: { count: number; unit: RateUnit };
}

const O_LIMIT = 0;
const O_BURST = 1;

/** parse_rate(): avg in 1/10000 s, or undefined for a bad rate; fails for "Rate too fast". */
export function parseLimitRate(text: string, fail: (m: string) => never): { avg: number; count: number; unit: RateUnit } | undefined {
  const unit = rateUnit(text);
  if (!unit) return undefined;
  const r = atoiU32(text);
  if (r === 0) return undefined;
  const avg = Math.floor((LIMIT_SCALE * UNIT_SECONDS[unit]) / r);
  if (avg === 0) fail(`Rate too fast "${text}"`);
  return { avg, count: r, unit };
}

/** HZ × CREDITS_PER_JIFFY of xt_limit.c: 32000 for HZ=250 (Debian) and HZ=1000 alike. */
const HZ_CPJ = 32000n;
const U32 = (v: bigint): bigint => BigInt.asUintN(32, v);

/** xt_limit's user2credits(), in 32-bit arithmetic. */
function user2credits(user: bigint): bigint {
  if (user > 0xffffffffn / HZ_CPJ) return U32((user / BigInt(LIMIT_SCALE)) * HZ_CPJ);
  return U32(user * HZ_CPJ) / BigInt(LIMIT_SCALE);
}

function rateText(avg: number): string {
  const r = rateForDisplay(BigInt(avg), BigInt(LIMIT_SCALE));
  return r ? `${r.count}/${r.unit}` : 'inf';
}

export const limit = defineExtension<LimitMatch>({
  kind: 'match',
  name: 'limit',
  summary: 'Matches at most a given average rate of packets (a token bucket shared by all packets of the rule).',
  options: [
    { name: 'limit', id: O_LIMIT, type: 'string', doc: 'average rate N[/second|/minute|/hour|/day] (default 3/hour)' },
    { name: 'limit-burst', id: O_BURST, type: 'uint32', min: 0, max: 10000, doc: 'packets allowed in a burst above the average (default 5)' },
  ],
  init: () => ({ avg: Math.floor((LIMIT_SCALE * 3600) / 3), burst: 5 }),
  parse(c) {
    const fail: (m: string, hint?: string) => never = (m, h) => c.fail(m, h);
    if (c.option.id === O_LIMIT) {
      const arg = c.arg ?? '';
      const r = parseLimitRate(arg, (m) => fail(m, 'At most 10000 packets per second (XT_LIMIT_SCALE): a faster rate cannot be expressed.'));
      if (!r) fail(`bad rate "${arg}"'`, 'Write a rate such as 10/second, 5/min, 100/hour or 2/day (the unit may be shortened to any prefix).');
      c.data.avg = r.avg;
      c.data.rate = { count: r.count, unit: r.unit };
    } else {
      c.data.burst = Number(c.val.u ?? 0n);
    }
  },
  // iptables-nft 1.8.9 always builds a native nftables limit expression.
  nftNative: () => true,
  kernel: {
    check(ctx) {
      const { avg, burst } = ctx.data;
      if (burst === 0) {
        return 'the kernel refuses --limit-burst 0 (xt_limit: "Overflow, try lower"). iptables-nft accepts it (its native limit treats 0 as 5); iptables-legacy does not.';
      }
      if (user2credits(U32(BigInt(avg) * BigInt(burst))) < user2credits(BigInt(avg))) {
        return `the kernel refuses --limit ${rateText(avg)} with --limit-burst ${burst}: average interval × burst overflows its 32-bit credit counter (xt_limit: "Overflow, try lower"). Lower the burst or raise the rate. (iptables-nft does not have this limit.)`;
      }
      return undefined;
    },
  },
  save(d) {
    return `--limit ${rateText(d.avg)}${d.burst !== 5 ? ` --limit-burst ${d.burst}` : ''}`;
  },
  describe(d) {
    return `at most ${rateText(d.avg)} on average, bursts of up to ${d.burst} packet${d.burst === 1 ? '' : 's'}`;
  },
});
