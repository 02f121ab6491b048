/** addrtype match (kernel net/netfilter/xt_addrtype.c, revision 1). */
import type { AddrtypeMatch } from '../../lang/iptables/extensions/matches/addrtype';
import type { MatcherEntry } from '../registry';

export const addrtype: MatcherEntry = {
  name: 'addrtype',
  fn: (d: AddrtypeMatch, ctx) => {
    const p = ctx.packet;
    // --limit-iface-in/out: only routes through that device count.
    const dev = d.limitIface === 'in' ? p.iif : d.limitIface === 'out' ? p.oif : undefined;
    if (d.src && d.src.types.includes(ctx.host.addrType(p.src, dev || undefined)) === d.src.invert) return false;
    if (d.dst && d.dst.types.includes(ctx.host.addrType(p.dst, dev || undefined)) === d.dst.invert) return false;
    return true;
  },
};
