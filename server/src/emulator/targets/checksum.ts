/**
 * CHECKSUM (kernel net/netfilter/xt_CHECKSUM.c, checksum_tg): a packet whose
 * checksum was left for the network card to fill in (CHECKSUM_PARTIAL, not
 * GSO) gets it computed now; nothing else changes. The emulator does not
 * model checksums, so the packet is unchanged and we only note it.
 */
import type { ChecksumTarget } from '../../lang/iptables/extensions/targets/CHECKSUM';
import type { TargetEntry } from '../registry';

export const CHECKSUM: TargetEntry = {
  name: 'CHECKSUM',
  fn: (_d: ChecksumTarget, ctx) => {
    ctx.note('CHECKSUM --checksum-fill: if the checksum was left for offload, the kernel computes it now (checksums are not modelled; nothing visible changes)');
    return { kind: 'continue' };
  },
};
