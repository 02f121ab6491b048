/**
 * CHECKSUM target (extensions/libxt_CHECKSUM.c; kernel
 * net/netfilter/xt_CHECKSUM.c, `.table = "mangle"`). Fills in a missing
 * checksum of a packet whose checksum was left for hardware offload (old
 * DHCP clients on virtual machines); the kernel logs that it should be
 * avoided.
 */
import { defineExtension } from '../../extension';

export interface ChecksumTarget {
  /** --checksum-fill: compute the checksum now. */
  fill: boolean;
}

export const CHECKSUM = defineExtension<ChecksumTarget>({
  kind: 'target',
  name: 'CHECKSUM',
  summary: 'Computes a checksum left for hardware offload (mangle table), then goes on with the next rule.',
  options: [{ name: 'checksum-fill', id: 0, type: 'none', mand: true, doc: 'fill in the checksum' }],
  init: () => ({ fill: false }),
  parse(c) {
    c.data.fill = true;
  },
  kernel: { table: 'mangle' },
  save: (d) => (d.fill ? '--checksum-fill' : ''),
  describe: () => 'fill in the packet checksum, then continue',
});
