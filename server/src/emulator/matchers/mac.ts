/**
 * mac match (kernel net/netfilter/xt_mac.c, mac_mt): the Ethernet source
 * address, `!` inverts. A packet whose device is not Ethernet-like (lo,
 * tun, or a locally generated packet with no input device) has no MAC
 * header and never matches, inverted or not. The kernel allows the match
 * only in PREROUTING, INPUT and FORWARD.
 */
import type { MacMatch } from '../../lang/iptables/extensions/matches/mac';
import { unknown } from '../context';
import type { IfaceKind } from '../host/model';
import type { MatcherEntry } from '../registry';

/** Device kinds whose frames carry an Ethernet header (ARPHRD_ETHER). */
const ETHER: ReadonlySet<IfaceKind> = new Set<IfaceKind>(['ethernet', 'bridge', 'veth', 'vxlan', 'dummy']);

function macBytes(text: string): number[] | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((x) => !/^[0-9a-fA-F]{1,2}$/.test(x))) return undefined;
  return parts.map((x) => parseInt(x, 16));
}

export const mac: MatcherEntry = {
  name: 'mac',
  fn: (d: MacMatch, { packet: p, hook, host }) => {
    if (hook === 'OUTPUT' || hook === 'POSTROUTING' || !p.iif) return false;
    if (p.srcMac !== undefined) {
      const b = macBytes(p.srcMac);
      if (!b) return unknown(`the packet's source MAC "${p.srcMac}" is not a MAC address`);
      return b.every((x, i) => x === d.address[i]) !== d.invert;
    }
    const dev = host.iface(p.iif);
    if (dev && !ETHER.has(dev.kind) && dev.kind !== 'other') return false; // lo, tun: no Ethernet header
    return unknown(`the source MAC address of the packet arriving on ${p.iif} is not known`);
  },
};
