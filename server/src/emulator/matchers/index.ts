/** Emulator matchers, one file each (the data types come from the parser's extensions). */
import type { MatcherEntry } from '../registry';
import { addrtype } from './addrtype';
import { comment } from './comment';
import { connmark } from './connmark';
import { conntrack, state } from './conntrack';
import { hashlimit } from './hashlimit';
import { icmp } from './icmp';
import { iprange } from './iprange';
import { length } from './length';
import { limit } from './limit';
import { mac } from './mac';
import { mark } from './mark';
import { multiport } from './multiport';
import { owner } from './owner';
import { physdev } from './physdev';
import { pkttype } from './pkttype';
import { recent } from './recent';
import { set } from './set';
import { statistic } from './statistic';
import { string } from './string';
import { tcp } from './tcp';
import { ttl } from './ttl';
import { u32 } from './u32';
import { udp } from './udp';

export const MATCHER_LIST: readonly MatcherEntry[] = [
  tcp, udp, comment, addrtype, conntrack, state,
  multiport, iprange, mark, connmark, mac, physdev, icmp,
  set, limit, hashlimit, recent, owner, statistic, length, ttl, pkttype, string, u32,
];
