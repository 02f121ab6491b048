/**
 * CONNMARK (kernel net/netfilter/xt_connmark.c, connmark_tg_shift, used by
 * revisions 1 and 2). With no connection (untracked or INVALID packets) it
 * does nothing. Otherwise, with `shift` the left or right shift by
 * shift_bits of a 32-bit value:
 *
 *   set:     ctmark = shift((ctmark & ~ctmask) ^ ctmark-value)   (the whole result is shifted)
 *   save:    ctmark = (ctmark & ~ctmask) ^ shift(mark & nfmask)
 *   restore: mark   = (mark & ~nfmask) ^ shift(ctmark & ctmask)
 *
 * The connection mark is not part of the packet, so each change is noted.
 */
import type { ConnmarkTarget } from '../../lang/iptables/extensions/targets/CONNMARK';
import type { TargetEntry } from '../registry';
import { hex } from './extras';

/** The kernel refuses shifts over 31; a 32-bit shift by 32 would be undefined in C, so treat it as clearing. */
function shift(v: number, d: ConnmarkTarget): number {
  const bits = d.shiftBits;
  if (bits === 0) return v >>> 0;
  if (bits > 31) return 0;
  return d.shiftDir === 'right' ? v >>> bits : (v << bits) >>> 0;
}

/** The new (ctmark, mark) pair CONNMARK computes, exported for tests. */
export function connmarkApply(d: ConnmarkTarget, ctmark: number, mark: number): { ctmark: number; mark: number } {
  switch (d.mode) {
    case 'set':
      return { ctmark: shift(((ctmark & ~d.ctmask) ^ d.ctmark) >>> 0, d), mark };
    case 'save':
      return { ctmark: ((ctmark & ~d.ctmask) ^ shift(mark & d.nfmask, d)) >>> 0, mark };
    case 'restore':
      return { ctmark, mark: ((mark & ~d.nfmask) ^ shift(ctmark & d.ctmask, d)) >>> 0 };
  }
}

export const CONNMARK: TargetEntry = {
  name: 'CONNMARK',
  fn: (d: ConnmarkTarget, ctx) => {
    const conn = ctx.conn;
    if (!conn) {
      ctx.note(`CONNMARK: the packet has no connection (${ctx.ct.state}), so there is no connection mark to ${d.mode === 'restore' ? 'restore from' : 'change'}; nothing happens`);
      return { kind: 'continue' };
    }
    const r = connmarkApply(d, conn.mark, ctx.packet.mark);
    if (d.mode === 'restore') {
      ctx.note(`CONNMARK --restore-mark: packet mark ${hex(ctx.packet.mark)} → ${hex(r.mark)} (connection mark ${hex(conn.mark)})`);
      ctx.packet.mark = r.mark;
    } else {
      ctx.note(`CONNMARK ${d.mode === 'save' ? '--save-mark' : '--set-xmark'}: connection mark ${hex(conn.mark)} → ${hex(r.ctmark)}${d.mode === 'save' ? ` (packet mark ${hex(ctx.packet.mark)})` : ''}`);
      conn.mark = r.ctmark;
    }
    return { kind: 'continue' };
  },
};
