/**
 * connmark match, revision 1 (extensions/libxt_connmark.c; kernel
 * net/netfilter/xt_connmark.c): tests the mark stored on the packet's
 * conntrack entry under a mask. No table or hook restriction.
 */
import { defineExtension } from '../../extension';
import { markMaskText } from './mark';

export interface ConnmarkMatch {
  /** Matches when (ctmark & mask) == value, or != when inverted; a packet without a conntrack entry never matches, inverted or not. */
  value: number;
  mask: number;
  invert: boolean;
}

export const connmark = defineExtension<ConnmarkMatch>({
  kind: 'match',
  name: 'connmark',
  summary: "Matches the connection's mark (ctmark), optionally under a mask.",
  options: [{ name: 'mark', id: 0, type: 'markmask32', mand: true, invert: true, doc: 'value[/mask]: (ctmark & mask) == value' }],
  init: () => ({ value: 0, mask: 0xffffffff, invert: false }),
  parse(c) {
    const m = c.val.mark ?? { value: 0, mask: 0xffffffff };
    c.data.value = m.value >>> 0;
    c.data.mask = m.mask >>> 0;
    c.data.invert = c.invert;
  },
  save: (d) => `${d.invert ? '! ' : ''}--mark ${markMaskText(d.value, d.mask)}`,
  describe: (d) =>
    d.mask === 0xffffffff
      ? `connection mark ${d.invert ? '≠' : '='} ${markMaskText(d.value, d.mask)}`
      : `connection mark & 0x${d.mask.toString(16)} ${d.invert ? '≠' : '='} 0x${d.value.toString(16)}`,
});
