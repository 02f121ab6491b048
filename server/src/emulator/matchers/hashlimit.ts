/**
 * hashlimit match, revision 3 (kernel net/netfilter/xt_hashlimit.c,
 * hashlimit_mt_common, rateinfo_init, rateinfo_recalc): one token bucket per
 * group of packets, in a table shared by every rule with the same
 * --hashlimit-name (ctx.store.shared).
 *
 * - Group key: the --hashlimit-mode fields (addresses under the src/dst
 *   prefix masks; ports only for port-carrying protocols), zero elsewhere.
 * - Packet mode: 64-bit credits, CREDITS_PER_JIFFY per jiffy; cost =
 *   user2credits(avg), bucket = user2credits(avg × burst), starting full.
 * - Byte mode: a one-second bucket refilled at CREDITS_PER_JIFFY_BYTES per
 *   jiffy; a packet costs (len/16 + 1) chunk costs; --hashlimit-burst gives
 *   that many extra full refills when the bucket runs short.
 * - --hashlimit-rate-match: counts packets (bytes) per interval; matches
 *   while the previous interval was not over the rate and this one is within
 *   the burst.
 * - --hashlimit-above inverts. An entry idle past --hashlimit-htable-expire
 *   is dropped by the garbage collector (every gcinterval ms from the table's
 *   creation), so its next packet starts with a full bucket again.
 *
 * The table's settings (mode, masks, rates, expiry) come from the rule that
 * created it: here, the first rule evaluated with that name (the kernel:
 * the first one loaded). Each rule's own --hashlimit-above decides inversion.
 */
import type { HashlimitMatch } from '../../lang/iptables/extensions/matches/hashlimit';
import type { Packet } from '../packet';
import type { MatcherEntry } from '../registry';
import { HZ, jiffies, msecsToJiffies, pow2Below } from './stateful';

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const U32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const BHZ = BigInt(HZ);
const SCALE = 1000000n; // XT_HASHLIMIT_SCALE_v2
/** CREDITS_PER_JIFFY (revision 2+): POW2_BELOW64(2^64-1 / (HZ × 86400)). */
const CPJ = pow2Below(((1n << 64n) - 1n) / (BHZ * 86400n));
/** CREDITS_PER_JIFFY_BYTES: POW2_BELOW32(0xFFFFFFFF / HZ). */
const CPJ_BYTES = pow2Below(0xffffffffn / BHZ);
const BYTES_FULL = CPJ_BYTES * BHZ;

function user2credits(user: bigint): bigint {
  if (SCALE >= BHZ * CPJ) return U64(user) / (SCALE / (BHZ * CPJ));
  return U64(U64(user) * ((BHZ * CPJ) / SCALE));
}

const user2creditsByte = (user: bigint): bigint => U32((U32(user) * BYTES_FULL) >> 32n);

/** Ports are read for these protocols (proto_ports_offset() == 0). */
const PORT_PROTOS: ReadonlySet<number> = new Set([6, 17, 33, 132, 136]);

const maskl = (a: number, len: number): number => (len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0);

interface Entry {
  /** jiffies. */
  expires: number;
  prev: number;
  // Token bucket.
  credit: bigint;
  cap: bigint;
  cost: bigint;
  // --hashlimit-rate-match.
  prevWindow: boolean;
  currentRate: bigint;
  rate: bigint;
  burst: bigint;
  interval: bigint;
}

interface Table {
  readonly cfg: HashlimitMatch;
  /** jiffies when the table was created (its garbage collector runs from then on). */
  readonly created: number;
  readonly entries: Map<string, Entry>;
}

function groupKey(cfg: HashlimitMatch, p: Packet): string {
  const m = cfg.mode;
  const src = m.includes('srcip') ? maskl(p.src, cfg.srcmask) : 0;
  const dst = m.includes('dstip') ? maskl(p.dst, cfg.dstmask) : 0;
  const ports = PORT_PROTOS.has(p.proto);
  const sport = m.includes('srcport') && ports ? p.sport : 0;
  const dport = m.includes('dstport') && ports ? p.dport : 0;
  return `${src}|${dst}|${sport}|${dport}`;
}

function init(cfg: HashlimitMatch, now: number): Entry {
  const e: Entry = { expires: 0, prev: now, credit: 0n, cap: 0n, cost: 0n, prevWindow: false, currentRate: 0n, rate: 0n, burst: 0n, interval: 0n };
  const avg = BigInt(cfg.avg);
  const burst = BigInt(cfg.burst);
  if (cfg.rateMatch) {
    if (cfg.unit === 'bytes') {
      const a = U32(avg);
      e.rate = U64(((a ? 0xffffffffn / a : 0xffffffffn) - 1n) << 4n);
      e.burst = burst ? U64(burst * e.rate) : e.rate;
    } else {
      e.rate = avg ? SCALE / avg : 0n;
      e.burst = U64(burst + e.rate);
    }
    e.interval = BigInt(cfg.interval);
  } else if (cfg.unit === 'bytes') {
    e.credit = BYTES_FULL;
    e.cost = user2creditsByte(avg);
    e.cap = burst;
  } else {
    e.credit = user2credits(U64(avg * burst));
    e.cost = user2credits(avg);
    e.cap = e.credit;
  }
  return e;
}

function recalc(cfg: HashlimitMatch, e: Entry, now: number): void {
  const delta = BigInt(now - e.prev);
  if (delta === 0n) return;
  if (cfg.rateMatch) {
    const interval = e.interval * BHZ;
    if (delta < interval) return;
    e.prev = now;
    e.prevWindow = U64(e.currentRate * interval) > U64(delta * e.rate);
    e.currentRate = 0n;
    return;
  }
  e.prev = now;
  let cap: bigint;
  if (cfg.unit === 'bytes') {
    const before = e.credit;
    e.credit = U64(e.credit + CPJ_BYTES * delta);
    cap = BYTES_FULL;
    if (before >= e.credit) {
      e.credit = cap;
      return;
    }
  } else {
    e.credit = U64(e.credit + U64(delta * CPJ));
    cap = e.cap;
  }
  if (e.credit > cap) e.credit = cap;
}

/** hashlimit_byte_cost(): may spend one of the burst refills. */
function byteCost(len: number, e: Entry): bigint {
  let cost = U64(BigInt((len >>> 4) + 1) * e.cost);
  if (cost > BYTES_FULL) cost = BYTES_FULL;
  if (e.credit < cost && e.cap) {
    e.cap--;
    e.credit = BYTES_FULL;
  }
  return U32(cost);
}

/** Whether the garbage collector has removed the entry by `now` (it runs at created + k × gcinterval). */
function collected(t: Table, e: Entry, now: number): boolean {
  if (now < e.expires) return false;
  const gc = Math.max(1, msecsToJiffies(t.cfg.gcInterval));
  const k = Math.max(1, Math.ceil((e.expires - t.created) / gc));
  return t.created + k * gc <= now;
}

export const hashlimit: MatcherEntry = {
  name: 'hashlimit',
  fn: (d: HashlimitMatch, ctx) => {
    const p = ctx.packet;
    const now = jiffies(ctx.clock.now());
    const t = ctx.store.shared<Table>('hashlimit', d.name, () => ({ cfg: d, created: now, entries: new Map() }));
    const cfg = t.cfg;
    const key = groupKey(cfg, p);
    let e = t.entries.get(key);
    if (e && collected(t, e, now)) {
      t.entries.delete(key);
      e = undefined;
    }
    if (!e) {
      e = init(cfg, now);
      t.entries.set(key, e);
    } else {
      recalc(cfg, e, now);
    }
    e.expires = now + msecsToJiffies(cfg.expire);
    const above = d.direction === 'above';
    if (cfg.rateMatch) {
      e.currentRate = U64(e.currentRate + (cfg.unit === 'bytes' ? BigInt(p.length) : 1n));
      return !e.prevWindow && e.currentRate <= e.burst ? !above : above;
    }
    const cost = cfg.unit === 'bytes' ? byteCost(p.length, e) : e.cost;
    if (e.credit >= cost) {
      e.credit -= cost;
      return !above;
    }
    return above;
  },
};
