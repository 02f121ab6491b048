/**
 * ttl match (kernel net/netfilter/xt_hl.c, ttl_mt): compares the IPv4 TTL.
 * In FORWARD and POSTROUTING the kernel has already decremented it
 * (ip_forward runs before the FORWARD hook); the packet carries that value.
 */
import type { TtlMatch } from '../../lang/iptables/extensions/matches/ttl';
import type { MatcherEntry } from '../registry';

export const ttl: MatcherEntry = {
  name: 'ttl',
  fn: (d: TtlMatch, { packet: p }) => {
    switch (d.op) {
      case 'eq':
        return p.ttl === d.value;
      case 'ne':
        return p.ttl !== d.value;
      case 'lt':
        return p.ttl < d.value;
      case 'gt':
        return p.ttl > d.value;
    }
  },
};
