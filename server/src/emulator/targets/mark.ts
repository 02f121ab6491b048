/**
 * MARK (kernel net/netfilter/xt_mark.c, mark_tg, revision 2): the packet
 * mark becomes (mark & ~mask) ^ value. iptables turns every option into
 * that one operation (--set-mark v/m: mask = v|m; --and-mark b: value 0,
 * mask ~b; --or-mark b: value = mask = b; --xor-mark b: mask 0), and the
 * parser's data already carries the resulting value and mask.
 * The engine reports the change as a MARK rewrite at the end of the table.
 */
import type { MarkTarget } from '../../lang/iptables/extensions/targets/MARK';
import type { TargetEntry } from '../registry';
import { xmark } from './extras';

export const MARK: TargetEntry = {
  name: 'MARK',
  fn: (d: MarkTarget, ctx) => {
    ctx.packet.mark = xmark(ctx.packet.mark, d.value, d.mask);
    return { kind: 'continue' };
  },
};
