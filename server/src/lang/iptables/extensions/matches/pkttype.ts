/**
 * pkttype match (extensions/libxt_pkttype.c; kernel
 * net/netfilter/xt_pkttype.c): the link-layer class of the packet.
 */
import { defineExtension } from '../../extension';

/** PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST. */
export type PacketType = 'unicast' | 'broadcast' | 'multicast' | 'otherhost';

export interface PkttypeMatch {
  type: PacketType;
  invert: boolean;
}

const NAMES: Readonly<Record<string, PacketType>> = {
  unicast: 'unicast', broadcast: 'broadcast', multicast: 'multicast', otherhost: 'otherhost',
  bcast: 'broadcast', mcast: 'multicast', host: 'unicast',
};

const WORDS: Readonly<Record<PacketType, string>> = {
  unicast: 'addressed to this host', broadcast: 'link-layer broadcast', multicast: 'link-layer multicast', otherhost: 'addressed to another host (promiscuous)',
};

export const pkttype = defineExtension<PkttypeMatch>({
  kind: 'match',
  name: 'pkttype',
  summary: 'Matches the link-layer packet type: unicast, broadcast, multicast or otherhost.',
  options: [{ name: 'pkt-type', id: 0, type: 'string', mand: true, invert: true, doc: 'unicast, broadcast, multicast or otherhost' }],
  init: () => ({ type: 'unicast', invert: false }),
  parse(c) {
    const arg = c.arg ?? '';
    const key = arg.replace(/[A-Z]/g, (x) => x.toLowerCase()); // strcasecmp
    const t = Object.prototype.hasOwnProperty.call(NAMES, key) ? NAMES[key] : undefined;
    const fail: (m: string, hint?: string) => never = (m, h) => c.fail(m, h);
    if (!t) {
      fail(`Bad packet type '${arg}'`, 'Valid types: unicast, broadcast, multicast, otherhost.');
    }
    c.data.type = t;
    if (c.invert) c.data.invert = true;
  },
  save: (d) => `${d.invert ? '! ' : ''}--pkt-type ${d.type}`,
  describe: (d) => `${d.invert ? 'not ' : ''}${WORDS[d.type]}`,
});
