/**
 * mark match, revision 1 (extensions/libxt_mark.c; kernel
 * net/netfilter/xt_mark.c): tests the packet's nfmark under a mask.
 * iptables-nft turns it into a native "meta mark" expression (iptables/nft.c,
 * add_nft_mark), so with that backend the kernel's xt checks never see it.
 */
import { defineExtension } from '../../extension';

export interface MarkMatch {
  /** Matches when (nfmark & mask) == value, or != when inverted. */
  value: number;
  mask: number;
  invert: boolean;
}

export function markMaskText(value: number, mask: number): string {
  const v = `0x${(value >>> 0).toString(16)}`;
  return mask >>> 0 === 0xffffffff ? v : `${v}/0x${(mask >>> 0).toString(16)}`;
}

export const mark = defineExtension<MarkMatch>({
  kind: 'match',
  name: 'mark',
  summary: "Matches the packet's firewall mark (nfmark), optionally under a mask.",
  options: [{ name: 'mark', id: 0, type: 'markmask32', mand: true, invert: true, doc: 'value[/mask]: (nfmark & mask) == value' }],
  init: () => ({ value: 0, mask: 0xffffffff, invert: false }),
  parse(c) {
    const m = c.val.mark ?? { value: 0, mask: 0xffffffff };
    c.data.value = m.value >>> 0;
    c.data.mask = m.mask >>> 0;
    c.data.invert = c.invert;
  },
  nftNative: () => true,
  save: (d) => `${d.invert ? '! ' : ''}--mark ${markMaskText(d.value, d.mask)}`,
  describe: (d) =>
    d.mask === 0xffffffff
      ? `packet mark ${d.invert ? '≠' : '='} ${markMaskText(d.value, d.mask)}`
      : `packet mark & 0x${d.mask.toString(16)} ${d.invert ? '≠' : '='} 0x${d.value.toString(16)}`,
});
