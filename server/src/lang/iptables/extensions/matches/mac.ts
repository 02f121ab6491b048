/**
 * mac match (extensions/libxt_mac.c; kernel net/netfilter/xt_mac.c): the
 * Ethernet source address. The kernel registers it for PREROUTING, INPUT and
 * FORWARD only, so it is refused in rules reachable from OUTPUT or
 * POSTROUTING (through user chains too).
 */
import { defineExtension } from '../../extension';

export interface MacMatch {
  /** Six bytes of the source MAC address. */
  address: number[];
  /** Matches packets from any other address (packets without an Ethernet header never match). */
  invert: boolean;
}

export const macText = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');

export const mac = defineExtension<MacMatch>({
  kind: 'match',
  name: 'mac',
  summary: 'Matches the Ethernet source address (only in PREROUTING, INPUT and FORWARD).',
  options: [{ name: 'mac-source', id: 0, type: 'ethermac', mand: true, invert: true, doc: 'XX:XX:XX:XX:XX:XX' }],
  init: () => ({ address: [0, 0, 0, 0, 0, 0], invert: false }),
  parse(c) {
    c.data.address = [...(c.val.mac ?? [0, 0, 0, 0, 0, 0])];
    c.data.invert = c.invert;
  },
  kernel: { hooks: ['PREROUTING', 'INPUT', 'FORWARD'] },
  save: (d) => `${d.invert ? '! ' : ''}--mac-source ${macText(d.address)}`,
  describe: (d) => `source MAC ${d.invert ? 'not ' : ''}${macText(d.address)}`,
});
