/**
 * CONNMARK target, revision 2 (extensions/libxt_CONNMARK.c; kernel
 * net/netfilter/xt_connmark.c). Sets the connection's mark, or copies marks
 * between the packet and its connection; does not end the rule walk.
 *
 *   set:     ctmark = (ctmark & ~ctmask) ^ ctmark-value
 *   save:    ctmark = (ctmark & ~ctmask) ^ ((mark & nfmask) shifted)
 *   restore: mark   = (mark & ~nfmask) ^ ((ctmark & ctmask) shifted)
 */
import { defineExtension } from '../../extension';
import { describeMarkOp } from './MARK';

export type ConnmarkMode = 'set' | 'save' | 'restore';

export interface ConnmarkTarget {
  mode: ConnmarkMode;
  /** set: the value XORed in after clearing `ctmask`. */
  ctmark: number;
  /** Bits of the connection mark affected (default all). */
  ctmask: number;
  /** Bits of the packet mark affected by save/restore (default all). */
  nfmask: number;
  /** save/restore: shift applied to the copied bits (0 = none). */
  shiftDir: 'left' | 'right';
  shiftBits: number;
}

const O_SET_MARK = 0;
const O_SAVE_MARK = 1;
const O_RESTORE_MARK = 2;
const O_AND_MARK = 3;
const O_OR_MARK = 4;
const O_XOR_MARK = 5;
const O_LEFT_SHIFT_MARK = 6;
const O_RIGHT_SHIFT_MARK = 7;
const O_SET_XMARK = 8;
const O_CTMASK = 9;
const O_NFMASK = 10;
const O_MASK = 11;
const OP_ANY = [O_SET_MARK, O_SAVE_MARK, O_RESTORE_MARK, O_AND_MARK, O_OR_MARK, O_XOR_MARK, O_SET_XMARK];

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

export const CONNMARK = defineExtension<ConnmarkTarget>({
  kind: 'target',
  name: 'CONNMARK',
  summary: 'Sets the connection mark, or copies the mark between packet and connection (--save-mark / --restore-mark), then goes on.',
  options: [
    { name: 'set-xmark', id: O_SET_XMARK, type: 'markmask32', excl: OP_ANY, doc: 'value[/ctmask]: clear the mask bits of the connection mark, then XOR the value in' },
    { name: 'set-mark', id: O_SET_MARK, type: 'markmask32', excl: OP_ANY, doc: 'value[/mask]: clear the mask bits of the connection mark, then OR the value in' },
    { name: 'and-mark', id: O_AND_MARK, type: 'uint32', excl: OP_ANY, doc: 'AND the connection mark with bits' },
    { name: 'or-mark', id: O_OR_MARK, type: 'uint32', excl: OP_ANY, doc: 'OR bits into the connection mark' },
    { name: 'xor-mark', id: O_XOR_MARK, type: 'uint32', excl: OP_ANY, doc: 'XOR the connection mark with bits' },
    { name: 'save-mark', id: O_SAVE_MARK, type: 'none', excl: OP_ANY, doc: 'copy the packet mark to the connection mark' },
    { name: 'restore-mark', id: O_RESTORE_MARK, type: 'none', excl: OP_ANY, doc: 'copy the connection mark to the packet mark' },
    { name: 'left-shift-mark', id: O_LEFT_SHIFT_MARK, type: 'uint8', min: 0, max: 32, doc: 'shift the copied bits left (0-32)' },
    { name: 'right-shift-mark', id: O_RIGHT_SHIFT_MARK, type: 'uint8', min: 0, max: 32, doc: 'shift the copied bits right (0-32)' },
    { name: 'ctmask', id: O_CTMASK, type: 'uint32', excl: [O_MASK], doc: 'bits of the connection mark to change' },
    { name: 'nfmask', id: O_NFMASK, type: 'uint32', excl: [O_MASK], doc: 'bits of the packet mark to use' },
    { name: 'mask', id: O_MASK, type: 'uint32', excl: [O_CTMASK, O_NFMASK], doc: 'sets both --ctmask and --nfmask' },
  ],
  init: () => ({ mode: 'set', ctmark: 0, ctmask: 0xffffffff, nfmask: 0xffffffff, shiftDir: 'left', shiftBits: 0 }),
  parse(c) {
    const d = c.data;
    const u = Number(c.val.u ?? 0n) >>> 0;
    const m = c.val.mark ?? { value: 0, mask: 0xffffffff };
    switch (c.option.id) {
      case O_SET_XMARK:
        Object.assign(d, { mode: 'set', ctmark: m.value >>> 0, ctmask: m.mask >>> 0 });
        break;
      case O_SET_MARK:
        Object.assign(d, { mode: 'set', ctmark: m.value >>> 0, ctmask: (m.value | m.mask) >>> 0 });
        break;
      case O_AND_MARK:
        Object.assign(d, { mode: 'set', ctmark: 0, ctmask: ~u >>> 0 });
        break;
      case O_OR_MARK:
        Object.assign(d, { mode: 'set', ctmark: u, ctmask: u });
        break;
      case O_XOR_MARK:
        Object.assign(d, { mode: 'set', ctmark: u, ctmask: 0 });
        break;
      case O_SAVE_MARK:
        d.mode = 'save';
        break;
      case O_RESTORE_MARK:
        d.mode = 'restore';
        break;
      case O_CTMASK:
        d.ctmask = u;
        break;
      case O_NFMASK:
        d.nfmask = u;
        break;
      case O_MASK:
        d.ctmask = u;
        d.nfmask = u;
        break;
      case O_LEFT_SHIFT_MARK:
      case O_RIGHT_SHIFT_MARK:
        d.shiftDir = c.option.id === O_LEFT_SHIFT_MARK ? 'left' : 'right';
        d.shiftBits = u;
        break;
    }
  },
  finalCheck(c) {
    if (!OP_ANY.some((id) => c.xflags & (1 << id))) c.fail('CONNMARK target: No operation specified');
  },
  // iptables takes shifts up to 32 (the last of --left/--right-shift-mark wins); the kernel only up to 31.
  kernel: {
    check: (ctx) => (ctx.data.shiftBits > 31 ? `a shift of ${ctx.data.shiftBits} bits: the kernel takes 0 to 31 (EINVAL).` : undefined),
  },
  save(d) {
    const main =
      d.mode === 'set'
        ? `--set-xmark ${hex(d.ctmark)}/${hex(d.ctmask)}`
        : `--${d.mode}-mark --nfmask ${hex(d.nfmask)} --ctmask ${hex(d.ctmask)}`;
    return d.shiftBits ? `${main} --${d.shiftDir}-shift-mark ${d.shiftBits}` : main;
  },
  describe(d) {
    const shift = d.shiftBits ? ` (shifted ${d.shiftDir} by ${d.shiftBits})` : '';
    if (d.mode === 'set') return `${describeMarkOp('connection mark', d.ctmark, d.ctmask)}, then continue`;
    if (d.mode === 'save') return `copy packet-mark bits ${hex(d.nfmask)}${shift} into connection-mark bits ${hex(d.ctmask)}, then continue`;
    return `copy connection-mark bits ${hex(d.ctmask)}${shift} into packet-mark bits ${hex(d.nfmask)}, then continue`;
  },
});
