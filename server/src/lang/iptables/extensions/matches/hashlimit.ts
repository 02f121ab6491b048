/**
 * hashlimit match, revision 3 (extensions/libxt_hashlimit.c; kernel
 * net/netfilter/xt_hashlimit.c): one token bucket per group of packets
 * (grouped by the --hashlimit-mode fields), in packets or bytes per time.
 */
import { xtStrtoul } from '../../cnum';
import { defineExtension } from '../../extension';
import type { Family } from '../../inet';
import { atoiI32, atollU64, rateForDisplay, rateUnit, UNIT_SECONDS, type RateUnit } from './rates';

/** XT_HASHLIMIT_SCALE_v2: in packet mode `avg` counts millionths of a second. */
const SCALE = 1000000n;
const BURST_MAX = 1000000n;
const BYTE_SHIFT = 4n;
const BYTE_EXPIRE = 15;
const BYTE_EXPIRE_BURST = 60;
const GC_INTERVAL = 1000;

export type HashlimitKey = 'srcip' | 'srcport' | 'dstip' | 'dstport';

export interface HashlimitMatch {
  /** upto: matches while the group is under the rate; above: once it is over it. */
  /** ("!" before the rate option flips it: XT_HASHLIMIT_INVERT.) */
  direction: 'upto' | 'above';
  /** What the rate counts. */
  unit: 'packets' | 'bytes';
  /**
   * packets: mean time between packets in 1/1000000 s (divided by the rate's
   * unit in seconds when --hashlimit-rate-match is on);
   * bytes: cost of a 16-byte chunk, UINT32_MAX / (bytes per second / 16 + 1).
   */
  avg: number;
  /** packets: bucket size in packets; bytes: number of extra full buckets (0 = none). */
  burst: number;
  /** Fields that make up a group; none = one bucket for everything. */
  mode: HashlimitKey[];
  /** Prefix lengths applied to the addresses before grouping. */
  srcmask: number;
  dstmask: number;
  /** Table name (/proc/net/ipt_hashlimit/NAME); rules with the same name share it. */
  name: string;
  /** Hash buckets and entries (0 = kernel default). */
  htableSize: number;
  htableMax: number;
  /** Garbage collection interval and idle-entry expiry, in milliseconds. */
  gcInterval: number;
  expire: number;
  /** --hashlimit-rate-match: measure the rate only, without limiting. */
  rateMatch: boolean;
  /** Measuring interval in seconds for rate-match (0 = not used). */
  interval: number;
  /** The rate as written (for hovers). */
  rateText?: string;
  /** Address family of the rule (the masks default to 32 or 128). */
  family: Family;
  /** Internal: seconds per rate unit (hashlimit_mt_udata.mult) and the burst as parsed. */
  mult: number;
  burstRaw: bigint;
}

const O_UPTO = 0;
const O_ABOVE = 1;
const O_MODE = 3;
const O_SRCMASK = 4;
const O_DSTMASK = 5;
const O_NAME = 6;
const O_BURST = 7;
const O_HTABLE_SIZE = 8;
const O_HTABLE_MAX = 9;
const O_HTABLE_GCINT = 10;
const O_HTABLE_EXPIRE = 11;
const O_RATEMATCH = 12;
const O_INTERVAL = 13;
const F = (id: number): number => 1 << id;

const U32MAX = 0xffffffffn;
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** bytes_to_cost(); undefined where iptables divides by zero (and dies of SIGFPE). */
function bytesToCost(bytes: bigint): bigint | undefined {
  const r = BigInt.asUintN(32, bytes >> BYTE_SHIFT);
  const d = BigInt.asUintN(32, r + 1n);
  return d === 0n ? undefined : U32MAX / d;
}

function costToBytes(cost: bigint): bigint {
  const r = cost ? U32MAX / cost : U32MAX;
  return U64((r - 1n) << BYTE_SHIFT);
}

const factor = (c: string | undefined): bigint => (c === 'm' ? 1048576n : c === 'k' ? 1024n : 1n);

/** CREDITS_PER_JIFFY × HZ / SCALE of user2credits() for revision 3: HZ=250 and HZ=1000 both give 137438953. */
const CREDITS_FACTOR = 137438953n;
const user2credits = (user: bigint): bigint => U64(user * CREDITS_FACTOR);
/** HZ × CREDITS_PER_JIFFY_BYTES (4194304000 for HZ=100…1000). */
const user2creditsByte = (user: bigint): bigint => (BigInt.asUintN(32, user) * 4194304000n) >> 32n;

function rateDisplay(d: HashlimitMatch): string {
  if (d.unit === 'bytes') {
    const r = costToBytes(BigInt(d.avg));
    const units: Array<[string, bigint]> = [['m', 1048576n], ['k', 1024n]];
    for (const [n, t] of units) {
      if (r >= t && bytesToCost(r & ~(t - 1n)) === BigInt(d.avg)) return `${r / t}${n}b/s`;
    }
    return `${r}b/s`;
  }
  const r = rateForDisplay(BigInt(d.avg), SCALE);
  return r ? `${r.count}/${r.unit}` : 'inf';
}

/** A byte-mode burst as print_bytes() shows it ("1mb"): the extra buckets times the bytes per bucket. */
function byteBurst(d: HashlimitMatch): string {
  const r = costToBytes(BigInt(d.avg)) * BigInt(d.burst);
  if (r >= 1048576n) return `${r / 1048576n}mb`;
  if (r >= 1024n) return `${r / 1024n}kb`;
  return `${r}b`;
}

export const hashlimit = defineExtension<HashlimitMatch>({
  kind: 'match',
  name: 'hashlimit',
  summary: 'Rate-limits per group of packets (by source/destination address and port), in packets or bytes per time.',
  options: [
    { name: 'hashlimit-upto', id: O_UPTO, type: 'string', invert: true, excl: [O_ABOVE], doc: 'match while the group is below this rate: N/sec|min|hour|day, or N[k|m]b/s' },
    { name: 'hashlimit-above', id: O_ABOVE, type: 'string', invert: true, excl: [O_UPTO], doc: 'match once the group is above this rate' },
    { name: 'hashlimit', id: O_UPTO, type: 'string', invert: true, excl: [O_ABOVE], doc: 'old name of --hashlimit-upto' },
    { name: 'hashlimit-srcmask', id: O_SRCMASK, type: 'plen', doc: 'prefix length applied to source addresses before grouping' },
    { name: 'hashlimit-dstmask', id: O_DSTMASK, type: 'plen', doc: 'prefix length applied to destination addresses before grouping' },
    { name: 'hashlimit-burst', id: O_BURST, type: 'string', doc: 'burst: packets (1..1000000, default 5), or bytes with k/m suffix in byte mode' },
    { name: 'hashlimit-htable-size', id: O_HTABLE_SIZE, type: 'uint32', doc: 'number of hash buckets' },
    { name: 'hashlimit-htable-max', id: O_HTABLE_MAX, type: 'uint32', doc: 'maximum number of entries' },
    { name: 'hashlimit-htable-gcinterval', id: O_HTABLE_GCINT, type: 'uint32', doc: 'milliseconds between garbage collections (default 1000)' },
    { name: 'hashlimit-htable-expire', id: O_HTABLE_EXPIRE, type: 'uint32', doc: 'milliseconds after which idle entries expire' },
    { name: 'hashlimit-mode', id: O_MODE, type: 'string', doc: 'comma-separated grouping fields: srcip, srcport, dstip, dstport' },
    { name: 'hashlimit-name', id: O_NAME, type: 'string', mand: true, min: 1, size: 32, doc: 'name of the table (shown in /proc/net/ipt_hashlimit/); required' },
    { name: 'hashlimit-rate-match', id: O_RATEMATCH, type: 'none', doc: 'only measure the rate; do not limit' },
    { name: 'hashlimit-rate-interval', id: O_INTERVAL, type: 'string', doc: 'seconds over which rate-match measures' },
  ],
  init: (rule) => {
    const full = rule.family === 'ipv6' ? 128 : 32;
    return {
      direction: 'upto', unit: 'packets', avg: 0, burst: 5, mode: [], srcmask: full, dstmask: full, name: '',
      htableSize: 0, htableMax: 0, gcInterval: GC_INTERVAL, expire: 0, rateMatch: false, interval: 0, family: rule.family, mult: 0, burstRaw: 5n,
    };
  },
  parse(c) {
    const d = c.data;
    const arg = c.arg ?? '';
    const fail: (m: string, hint?: string) => never = (m, h) => c.fail(m, h);
    switch (c.option.id) {
      case O_UPTO:
      case O_ABOVE: {
        const above = c.option.id === O_ABOVE;
        d.direction = above !== c.invert ? 'above' : 'upto';
        d.rateText = arg;
        // parse_bytes(): "N[k|m]b/s" anywhere in the text makes it a byte rate.
        const b = arg.indexOf('b/s');
        if (b > 0 && atollU64(arg) !== 0n) {
          const tmp = U64(atollU64(arg) * factor(arg[b - 1]));
          const cost = bytesToCost(tmp);
          if (cost === undefined) {
            fail(`hashlimit: the byte rate "${arg}" makes iptables divide by zero and crash (SIGFPE)`, 'Use a realistic byte rate.');
          }
          d.unit = 'bytes';
          d.avg = Number(cost);
          d.mult = BYTE_EXPIRE;
          break;
        }
        const unit: RateUnit | undefined = rateUnit(arg);
        const r = atollU64(arg);
        if (!unit || r === 0n) {
          fail(`hashlimit: Bad value for "--${above ? 'hashlimit-above' : 'hashlimit-upto'}" option: "${arg}"`,
            'Write a rate such as 100/sec, 20/minute, 5/hour, 1/day, or a byte rate such as 512kb/s.');
        }
        d.mult = UNIT_SECONDS[unit];
        const avg = (SCALE * BigInt(d.mult)) / r;
        if (avg === 0n) fail(`Rate too fast "${arg}"`, 'hashlimit counts in millionths of a second: at most 1000000 packets per second.');
        d.unit = 'packets';
        d.avg = Number(avg);
        break;
      }
      case O_BURST: {
        const v = xtStrtoul(arg, 1, 0xffffffffffffffffn, false);
        if (!v || (v.end === arg.length && v.value > BURST_MAX)) {
          fail('bad value for option "--hashlimit-burst", or out of range (1-1000000).');
        }
        d.burstRaw = U64(v.value * factor(arg[v.end]));
        break;
      }
      case O_MODE: {
        const mode: HashlimitKey[] = [];
        const keys: readonly string[] = ['srcip', 'srcport', 'dstip', 'dstport'];
        for (const tok of arg.split(/[,|]/)) {
          if (tok === '') continue;
          if (!keys.includes(tok)) {
            fail(`hashlimit: Bad value for "--hashlimit-mode" option: "${arg}"`, `"${tok}" is not one of srcip, srcport, dstip, dstport.`);
          }
          if (!mode.includes(tok as HashlimitKey)) mode.push(tok as HashlimitKey);
        }
        d.mode = mode;
        break;
      }
      case O_SRCMASK:
        // A non-contiguous mask gives -1, stored as 255 in the u8 field.
        d.srcmask = (c.val.plen ?? 0) < 0 ? 255 : c.val.plen ?? 0;
        break;
      case O_DSTMASK:
        d.dstmask = (c.val.plen ?? 0) < 0 ? 255 : c.val.plen ?? 0;
        break;
      case O_NAME:
        d.name = c.val.str ?? arg;
        break;
      case O_HTABLE_SIZE:
        d.htableSize = Number(c.val.u ?? 0n);
        break;
      case O_HTABLE_MAX:
        d.htableMax = Number(c.val.u ?? 0n);
        break;
      case O_HTABLE_GCINT:
        d.gcInterval = Number(c.val.u ?? 0n);
        break;
      case O_HTABLE_EXPIRE:
        d.expire = Number(c.val.u ?? 0n);
        break;
      case O_RATEMATCH:
        d.rateMatch = true;
        break;
      case O_INTERVAL: {
        const n = atoiI32(arg);
        if (n <= 0) fail(`hashlimit: Bad value for "--hashlimit-rate-interval" option: "${arg}"`, 'A positive number of seconds.');
        d.interval = n;
        break;
      }
    }
  },
  finalCheck(c) {
    const d = c.data;
    const x = c.xflags;
    if (!(x & (F(O_UPTO) | F(O_ABOVE)))) {
      c.fail('You have to specify --hashlimit', 'Give the rate with --hashlimit-upto or --hashlimit-above.');
    }
    if (!(x & F(O_HTABLE_EXPIRE))) d.expire = d.mult * 1000;
    if (d.unit === 'bytes') {
      let burst = 0n;
      if (x & F(O_BURST)) {
        const chunk = costToBytes(BigInt(d.avg));
        if (chunk === 0n) {
          c.fail(`hashlimit: a byte rate of "${d.rateText}" with a burst makes iptables divide by zero and crash (SIGFPE)`, 'Below 16 bytes per second a burst cannot be expressed: use a higher rate or drop --hashlimit-burst.');
        }
        if (d.burstRaw < chunk) {
          c.fail(`burst cannot be smaller than ${chunk}b`, 'In byte mode the burst is a number of bytes (e.g. 64kb), at least one second of the rate.');
        }
        burst = BigInt.asUintN(32, d.burstRaw) / chunk;
        if (d.burstRaw % chunk) burst = BigInt.asUintN(32, burst + 1n);
        if (!(x & F(O_HTABLE_EXPIRE))) d.expire = BYTE_EXPIRE_BURST * 1000;
      }
      d.burst = Number(burst);
    } else {
      if (d.burstRaw > BURST_MAX) c.fail('bad value for option "--hashlimit-burst", or out of range (1-1000000).');
      d.burst = Number(d.burstRaw);
    }
    if (d.rateMatch) {
      if (d.unit === 'packets') d.avg = Math.floor(d.avg / d.mult);
      if (d.interval === 0) d.interval = d.unit === 'bytes' ? 1 : d.mult;
    }
  },
  kernel: {
    check(ctx) {
      const d = ctx.data;
      if (d.name === '.' || d.name === '..' || d.name.includes('/')) {
        return `the kernel refuses the table name "${d.name}": it becomes a file in /proc/net/${ctx.family === 'ipv6' ? 'ip6t' : 'ipt'}_hashlimit/, so it cannot be "." or ".." or contain "/".`;
      }
      if (d.gcInterval === 0) return 'the kernel refuses --hashlimit-htable-gcinterval 0.';
      if (d.expire === 0) return 'the kernel refuses --hashlimit-htable-expire 0.';
      const full = ctx.family === 'ipv6' ? 128 : 32;
      if (d.srcmask > full || d.dstmask > full) {
        return 'the kernel refuses a non-contiguous --hashlimit-srcmask/--hashlimit-dstmask: give a prefix length or a mask like 255.255.255.0.';
      }
      const avg = BigInt(d.avg);
      if (d.rateMatch) {
        if (avg === 0n || avg > U32MAX) {
          return `the kernel refuses this rate with --hashlimit-rate-match ("invalid rate"): "${d.rateText}" is more than one packet per microsecond once divided over its time unit.`;
        }
      } else if (d.unit === 'bytes') {
        if (user2creditsByte(avg) === 0n) return `the kernel refuses the byte rate "${d.rateText}" ("overflow, rate too high").`;
      } else if (d.burst === 0 || user2credits(U64(avg * BigInt(d.burst))) < user2credits(avg)) {
        return `the kernel refuses rate "${d.rateText}" with burst ${d.burst}: interval × burst overflows its credit counter ("overflow, try lower"). Lower the burst or raise the rate.`;
      }
      return undefined;
    },
  },
  save(d) {
    const out: string[] = [d.direction === 'above' ? '--hashlimit-above' : '--hashlimit-upto'];
    let quantum: number;
    if (d.unit === 'bytes') {
      out.push(rateDisplay(d));
      quantum = d.burst ? BYTE_EXPIRE_BURST * 1000 : BYTE_EXPIRE * 1000;
      if (d.burst) out.push(`--hashlimit-burst ${byteBurst(d)}`);
    } else {
      const r = rateForDisplay(BigInt(d.avg), SCALE);
      out.push(r ? `${r.count}/${r.unit}` : 'inf');
      quantum = r ? Number(({ day: 86400, hour: 3600, min: 60, sec: 1 } as const)[r.unit]) * 1000 : 0;
      out.push(`--hashlimit-burst ${d.burst}`);
    }
    if (d.mode.length) {
      const order: HashlimitKey[] = ['srcip', 'srcport', 'dstip', 'dstport'];
      out.push(`--hashlimit-mode ${order.filter((k) => d.mode.includes(k)).join(',')}`);
    }
    out.push(`--hashlimit-name ${d.name}`);
    if (d.htableSize) out.push(`--hashlimit-htable-size ${d.htableSize}`);
    if (d.htableMax) out.push(`--hashlimit-htable-max ${d.htableMax}`);
    if (d.gcInterval !== GC_INTERVAL) out.push(`--hashlimit-htable-gcinterval ${d.gcInterval}`);
    if (d.expire !== quantum) out.push(`--hashlimit-htable-expire ${d.expire}`);
    const full = d.family === 'ipv6' ? 128 : 32;
    if (d.srcmask !== full) out.push(`--hashlimit-srcmask ${d.srcmask}`);
    if (d.dstmask !== full) out.push(`--hashlimit-dstmask ${d.dstmask}`);
    if (d.rateMatch) {
      out.push('--hashlimit-rate-match');
      if (d.interval !== 1) out.push(`--hashlimit-rate-interval ${d.interval}`);
    }
    return out.join(' ');
  },
  describe(d) {
    const groups = d.mode.length ? `per ${d.mode.join('+')}` : 'for all packets together';
    const rate = d.rateText ?? rateDisplay(d);
    if (d.rateMatch) return `${d.direction === 'above' ? 'above' : 'up to'} ${rate} ${groups} (measured over ${d.interval}s, not limited), table "${d.name}"`;
    const burst = d.unit === 'bytes' ? (d.burst ? `, burst ${byteBurst(d)}` : '') : `, burst ${d.burst} packet${d.burst === 1 ? '' : 's'}`;
    return `${d.direction === 'above' ? 'over' : 'up to'} ${rate} ${groups}${burst}, table "${d.name}"`;
  },
});
