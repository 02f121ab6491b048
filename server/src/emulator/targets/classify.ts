/**
 * CLASSIFY (kernel net/netfilter/xt_CLASSIFY.c, classify_tg): skb->priority
 * becomes MAJOR:MINOR (major << 16 | minor), which tc classifiers read to
 * pick a class. We record it on the packet (extras.priority) and note it.
 */
import type { ClassifyTarget } from '../../lang/iptables/extensions/targets/CLASSIFY';
import type { TargetEntry } from '../registry';
import { extras, hex } from './extras';

export const CLASSIFY: TargetEntry = {
  name: 'CLASSIFY',
  fn: (d: ClassifyTarget, ctx) => {
    extras(ctx.packet).priority = d.priority;
    ctx.note(`CLASSIFY: priority ${hex(d.priority)} — tc class ${d.major.toString(16)}:${d.minor.toString(16)}`);
    return { kind: 'continue' };
  },
};
