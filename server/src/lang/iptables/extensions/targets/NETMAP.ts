/**
 * NETMAP target (extensions/libipt_NETMAP.c, libip6t_NETMAP.c; kernel
 * net/netfilter/xt_NETMAP.c). Maps a whole network 1:1 onto another: the
 * host bits are kept, the network bits replaced. nat table; in PREROUTING
 * and OUTPUT it rewrites the destination, in POSTROUTING and INPUT the source.
 *
 * `--to` is an address with an optional prefix length or mask, parsed like
 * other xtables host/mask options (a mask that is not contiguous counts as
 * a full-length prefix).
 */
import { defineExtension } from '../../extension';
import { ipv4ToString, ipv6ToString } from '../../inet';
import type { NatAddress } from './NAT';

export interface NetmapTarget {
  /** Network to map onto (host bits cleared) and its prefix length. */
  to?: { base: NatAddress; prefix: number };
  /** Host name given instead of an address: resolved by iptables at load time. */
  hostname?: string;
}

function clearHostBits(addr: NatAddress, prefix: number): NatAddress {
  if (addr.family === 'ipv4') {
    const mask = prefix <= 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { family: 'ipv4', v4: (addr.v4 & mask) >>> 0 };
  }
  const v6 = addr.v6.map((g, i) => {
    const bits = Math.max(0, Math.min(16, prefix - 16 * i));
    return g & (bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff);
  });
  return { family: 'ipv6', v6 };
}

const text = (a: NatAddress): string => (a.family === 'ipv4' ? ipv4ToString(a.v4) : ipv6ToString(a.v6));

export const NETMAP = defineExtension<NetmapTarget>({
  kind: 'target',
  name: 'NETMAP',
  summary: 'Maps one network 1:1 onto another, keeping host bits (nat table: destination in PREROUTING/OUTPUT, source in POSTROUTING/INPUT).',
  options: [{ name: 'to', id: 0, type: 'hostmask', mand: true, doc: 'address[/prefix or mask]: the network to map onto' }],
  init: () => ({}),
  parse(c) {
    const h = c.val.host;
    if (!h) return;
    const max = c.rule.family === 'ipv4' ? 32 : 128;
    // A non-contiguous mask (prefix -1) leaves xtables with a full-length mask.
    const prefix = h.prefix >= 0 && h.prefix <= max ? h.prefix : max;
    if (h.hostname !== undefined) {
      c.data.hostname = h.hostname;
      return;
    }
    const addr: NatAddress | undefined =
      h.v4 !== undefined ? { family: 'ipv4', v4: h.v4 } : h.v6 !== undefined ? { family: 'ipv6', v6: h.v6 } : undefined;
    if (addr) c.data.to = { base: clearHostBits(addr, prefix), prefix };
  },
  kernel: { table: 'nat', hooks: ['PREROUTING', 'POSTROUTING', 'OUTPUT', 'INPUT'] },
  save: (d) => (d.to ? `--to ${text(d.to.base)}/${d.to.prefix}` : d.hostname ? `--to ${d.hostname}` : ''),
  describe: (d) =>
    d.to
      ? `map the address onto network ${text(d.to.base)}/${d.to.prefix}, keeping the host bits (destination before routing, source after)`
      : `map the address onto ${d.hostname ?? 'another network'}`,
});
