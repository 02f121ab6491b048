/**
 * NFQUEUE (kernel net/netfilter/xt_NFQUEUE.c, nfqueue_tg_v3): the verdict
 * NF_QUEUE for queue `queue-num` (with --queue-balance one of the range,
 * by flow hash or, with --queue-cpu-fanout, by CPU), plus the bypass flag.
 * The emulator has no userspace programs: nothing listens on any queue.
 * Without a listener nf_queue() fails; the kernel then drops the packet,
 * unless --queue-bypass, in which case the packet goes on as if this table
 * had accepted it (nf_hook_slow moves to the next hook function).
 */
import type { NfqueueTarget } from '../../lang/iptables/extensions/targets/NFQUEUE';
import type { TargetEntry } from '../registry';

function queueText(d: NfqueueTarget): string {
  if (d.queuesTotal > 1) return `one of queues ${d.queueNum}-${d.queueNum + d.queuesTotal - 1} (chosen by ${d.cpuFanout ? 'CPU' : 'flow hash'})`;
  return `queue ${d.queueNum}`;
}

export const NFQUEUE: TargetEntry = {
  name: 'NFQUEUE',
  fn: (d: NfqueueTarget, ctx) => {
    if (d.bypass) {
      ctx.note(`NFQUEUE: nothing listens on ${queueText(d)} in the emulator; with --queue-bypass the packet is accepted by this table instead of being dropped`);
      return { kind: 'verdict', verdict: 'ACCEPT' };
    }
    ctx.note(`NFQUEUE: handed to userspace on ${queueText(d)}; a program there decides its fate, and with no program listening the kernel drops it`);
    return { kind: 'verdict', verdict: 'QUEUE' };
  },
};
