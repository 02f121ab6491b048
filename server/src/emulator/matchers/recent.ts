/**
 * recent match, revision 1 (kernel net/netfilter/xt_recent.c, recent_mt):
 * named lists of addresses with the times (jiffies) they were seen, shared
 * by every rule with the same --name (ctx.store.shared).
 *
 * - The address (source, or destination with --rdest) is masked with the
 *   list's --mask (the kernel keeps the mask of the rule that created the
 *   list; here, the first rule evaluated with that name).
 * - With --rttl the entry must have the packet's TTL (a TTL of 0 on either
 *   side matches any); a forwarded packet's TTL is counted as it was before
 *   forwarding (the kernel adds 1 when there is an output device and no socket:
 *   also to a REJECT's reset and a VXLAN datagram, though they are not forwarded).
 * - Not in the list: --set adds it and matches; the others do not match.
 * - In the list: --set refreshes it and matches; --remove deletes it and
 *   matches; --rcheck/--update match when a time stamp lies within --seconds
 *   (if given) and, with --hitcount, at least that many do. --update then
 *   adds a time stamp (only when the match result, after `!`, is true).
 * - --reap drops the least recently updated entry of the list if its last
 *   stamp is older than --seconds (never the entry about to be updated).
 * - `!` inverts every answer. A list keeps at most 100 addresses
 *   (ip_list_tot): adding one more evicts the least recently updated.
 */
import type { RecentMatch } from '../../lang/iptables/extensions/matches/recent';
import { unknown } from '../context';
import type { MatcherEntry } from '../registry';
import { HZ, jiffies } from './stateful';

/** ip_list_tot, the module's default. */
const LIST_MAX = 100;

interface Entry {
  readonly addr: number;
  ttl: number;
  /** Time stamps, oldest first, at most the list's capacity. */
  stamps: number[];
  /** LRU order: higher is more recently updated. */
  lru: number;
}

interface List {
  readonly mask: number;
  /** Stamps kept per entry: at least 32, else the largest --hitcount rounded up to a power of two. */
  capacity: number;
  /** In insertion order (the order lookups find them in). */
  entries: Entry[];
  seq: number;
}

const roundupPow2 = (n: number): number => {
  let p = 1;
  while (p < n) p *= 2;
  return p;
};

function touch(l: List, e: Entry, now: number): void {
  e.stamps.push(now);
  if (e.stamps.length > l.capacity) e.stamps.splice(0, e.stamps.length - l.capacity);
  e.lru = ++l.seq;
}

function remove(l: List, e: Entry): void {
  l.entries.splice(l.entries.indexOf(e), 1);
}

export const recent: MatcherEntry = {
  name: 'recent',
  fn: (d: RecentMatch, ctx) => {
    const p = ctx.packet;
    if (d.mask.hostname !== undefined) return unknown(`--mask ${d.mask.hostname} is a host name resolved when the rules are loaded`);
    const now = jiffies(ctx.clock.now());
    const l = ctx.store.shared<List>('recent', d.name, () => ({ mask: d.mask.v4 ?? 0xffffffff, capacity: 32, entries: [], seq: 0 }));
    if (d.hitCount) l.capacity = Math.max(l.capacity, roundupPow2(d.hitCount));
    let ret = d.invert;
    const addr = ((d.side === 'dest' ? p.dst : p.src) & l.mask) >>> 0;
    // "use TTL as seen before forwarding": an output device and no socket of this namespace,
    // which also holds for local packets nothing owns (a REJECT's reset, a VXLAN datagram).
    const ttl = p.oif !== '' && (!p.localOrigin || p.socket === 'none') ? (p.ttl + 1) & 0xff : p.ttl;
    const want = d.rttl ? ttl : 0;
    const e = l.entries.find((x) => x.addr === addr && (want === x.ttl || want === 0 || x.ttl === 0));
    if (!e) {
      if (d.command !== 'set') return ret;
      if (l.entries.length >= LIST_MAX) remove(l, l.entries.reduce((a, b) => (b.lru < a.lru ? b : a)));
      const fresh: Entry = { addr, ttl, stamps: [], lru: 0 };
      touch(l, fresh, now);
      l.entries.push(fresh);
      return !ret;
    }
    if (d.command === 'set') ret = !ret;
    else if (d.command === 'remove') {
      remove(l, e);
      return !ret;
    } else {
      const time = now - d.seconds * HZ;
      let hits = 0;
      for (const stamp of e.stamps) {
        if (d.seconds && time > stamp) continue; // time_after(time, stamp)
        if (!d.hitCount || ++hits >= d.hitCount) {
          ret = !ret;
          break;
        }
      }
      if (d.reap && l.entries.length) {
        const oldest = l.entries.reduce((a, b) => (b.lru < a.lru ? b : a));
        const updating = d.command === 'update' && ret;
        if (!(oldest === e && updating) && time > oldest.stamps[oldest.stamps.length - 1]!) remove(l, oldest);
      }
    }
    if (d.command === 'set' || (d.command === 'update' && ret)) {
      touch(l, e, now);
      e.ttl = ttl;
    }
    return ret;
  },
};
