/** iprange match (kernel net/netfilter/xt_iprange.c, iprange_mt4): inclusive address ranges. */
import type { AddrRange, IprangeMatch } from '../../lang/iptables/extensions/matches/iprange';
import { unknown } from '../context';
import type { MatcherEntry } from '../registry';

/** true/false, or undefined for an IPv6 range (never on IPv4 packets). */
function inRange(r: AddrRange, a: number): boolean | undefined {
  if (typeof r.from !== 'number' || typeof r.to !== 'number') return undefined;
  // A reversed range contains nothing (and so always matches when inverted).
  return (a >= r.from && a <= r.to) !== r.invert;
}

export const iprange: MatcherEntry = {
  name: 'iprange',
  fn: (d: IprangeMatch, { packet: p }) => {
    for (const [r, a] of [[d.src, p.src], [d.dst, p.dst]] as const) {
      if (!r) continue;
      const ok = inRange(r, a);
      if (ok === undefined) return unknown('an IPv6 address range cannot be compared with an IPv4 packet');
      if (!ok) return false;
    }
    return true;
  },
};
