/**
 * MARK target, revision 2 (extensions/libxt_MARK.c; kernel
 * net/netfilter/xt_mark.c). Sets the packet's firewall mark (skb->mark);
 * usable in every table, does not end the rule walk.
 *
 * Every form becomes one operation: new mark = (mark & ~mask) ^ value.
 * Exactly one of the five options is allowed.
 */
import { defineExtension } from '../../extension';

export type MarkOp = 'set-xmark' | 'set-mark' | 'and-mark' | 'or-mark' | 'xor-mark';

export interface MarkTarget {
  /** The option used (for display; `value`/`mask` carry the effect). */
  op: MarkOp;
  /** new mark = (mark & ~mask) ^ value, all unsigned 32-bit. */
  value: number;
  mask: number;
}

const O_SET_MARK = 0;
const O_AND_MARK = 1;
const O_OR_MARK = 2;
const O_XOR_MARK = 3;
const O_SET_XMARK = 4;
const ANY = [O_SET_MARK, O_AND_MARK, O_OR_MARK, O_XOR_MARK, O_SET_XMARK];

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Plain words for "new = (old & ~mask) ^ value" on a 32-bit mark. */
export function describeMarkOp(what: string, value: number, mask: number): string {
  if (mask >>> 0 === 0xffffffff) return `set the ${what} to ${hex(value)}`;
  if (value === 0) return `clear bits ${hex(mask)} of the ${what}`;
  if (value === mask) return `set bits ${hex(value)} of the ${what}`;
  if (mask === 0) return `flip bits ${hex(value)} of the ${what}`;
  return `clear bits ${hex(mask)} of the ${what}, then flip bits ${hex(value)}`;
}

export const MARK = defineExtension<MarkTarget>({
  kind: 'target',
  name: 'MARK',
  summary: 'Sets the packet mark (used by routing rules, tc, and the mark match), then goes on with the next rule.',
  options: [
    { name: 'set-xmark', id: O_SET_XMARK, type: 'markmask32', excl: ANY, doc: 'value[/mask]: clear the mask bits, then XOR the value in' },
    { name: 'set-mark', id: O_SET_MARK, type: 'markmask32', excl: ANY, doc: 'value[/mask]: clear the mask bits, then OR the value in' },
    { name: 'and-mark', id: O_AND_MARK, type: 'uint32', excl: ANY, doc: 'bits: AND the mark with them' },
    { name: 'or-mark', id: O_OR_MARK, type: 'uint32', excl: ANY, doc: 'bits: OR them into the mark' },
    { name: 'xor-mark', id: O_XOR_MARK, type: 'uint32', excl: ANY, doc: 'bits: XOR the mark with them' },
  ],
  init: () => ({ op: 'set-xmark', value: 0, mask: 0 }),
  parse(c) {
    const d = c.data;
    const u = Number(c.val.u ?? 0n) >>> 0;
    const m = c.val.mark ?? { value: 0, mask: 0xffffffff };
    d.op = c.option.name as MarkOp;
    switch (c.option.id) {
      case O_SET_XMARK:
        d.value = m.value >>> 0;
        d.mask = m.mask >>> 0;
        break;
      case O_SET_MARK:
        d.value = m.value >>> 0;
        d.mask = (m.value | m.mask) >>> 0;
        break;
      case O_AND_MARK:
        d.value = 0;
        d.mask = ~u >>> 0;
        break;
      case O_OR_MARK:
        d.value = u;
        d.mask = u;
        break;
      case O_XOR_MARK:
        d.value = u;
        d.mask = 0;
        break;
    }
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required');
  },
  save: (d) => `--set-xmark ${hex(d.value)}/${hex(d.mask)}`,
  describe: (d) => `${describeMarkOp('packet mark', d.value, d.mask)}, then continue`,
});
