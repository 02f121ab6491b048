/**
 * NFQUEUE target, revision 3 (extensions/libxt_NFQUEUE.c; kernel
 * net/netfilter/xt_NFQUEUE.c). Hands the packet to a userspace program
 * listening on an nfnetlink_queue number, which returns the verdict; with
 * no listener the packet is dropped, unless --queue-bypass.
 */
import { defineExtension } from '../../extension';

export interface NfqueueTarget {
  /** First (or only) queue number. */
  queueNum: number;
  /** Number of queues, from queueNum (> 1 with --queue-balance); 0 when the range wrapped. */
  queuesTotal: number;
  /** No listener: let the packet continue instead of dropping it. */
  bypass: boolean;
  /** Pick the queue by CPU instead of by flow hash. */
  cpuFanout: boolean;
}

const O_QUEUE_NUM = 0;
const O_QUEUE_BALANCE = 1;
const O_QUEUE_BYPASS = 2;
const O_QUEUE_CPU_FANOUT = 3;

export const NFQUEUE = defineExtension<NfqueueTarget>({
  kind: 'target',
  name: 'NFQUEUE',
  summary: 'Hands the packet to a userspace program on an nfnetlink queue, which decides its fate (dropped if nobody listens, unless --queue-bypass).',
  options: [
    { name: 'queue-num', id: O_QUEUE_NUM, type: 'uint16', excl: [O_QUEUE_BALANCE], doc: 'queue number 0-65535 (default 0)' },
    { name: 'queue-balance', id: O_QUEUE_BALANCE, type: 'uint16rc', max: 65534, excl: [O_QUEUE_NUM], doc: 'first:last: spread flows over these queues' },
    { name: 'queue-bypass', id: O_QUEUE_BYPASS, type: 'none', doc: 'accept the packet when no program listens' },
    { name: 'queue-cpu-fanout', id: O_QUEUE_CPU_FANOUT, type: 'none', also: [O_QUEUE_BALANCE], doc: 'choose the queue by CPU (needs --queue-balance)' },
  ],
  init: () => ({ queueNum: 0, queuesTotal: 1, bypass: false, cpuFanout: false }),
  parse(c) {
    const d = c.data;
    switch (c.option.id) {
      case O_QUEUE_NUM:
        d.queueNum = Number(c.val.u ?? 0n);
        break;
      case O_QUEUE_BALANCE: {
        const r = c.val.range ?? [];
        if (c.val.nvals !== 2) c.fail(`Bad range "${c.arg}" — write --queue-balance first:last.`);
        const lo = Number(r[0]);
        const hi = Number(r[1]);
        if (lo >= hi) c.fail(`${lo} should be less than ${hi}`);
        d.queueNum = lo;
        // A 16-bit field: 0:65535 wraps to 0 queues, which the kernel refuses.
        d.queuesTotal = (hi - lo + 1) & 0xffff;
        break;
      }
      case O_QUEUE_BYPASS:
        d.bypass = true;
        break;
      case O_QUEUE_CPU_FANOUT:
        d.cpuFanout = true;
        break;
    }
  },
  kernel: {
    check: (ctx) =>
      ctx.data.queuesTotal === 0
        ? 'number of total queues is 0 — the range covers 65536 queues, which does not fit the kernel\'s 16-bit count: use at most 1:65535 or 0:65534.'
        : undefined,
  },
  save(d) {
    const q = d.queuesTotal > 1 ? `--queue-balance ${d.queueNum}:${d.queueNum + d.queuesTotal - 1}` : `--queue-num ${d.queueNum}`;
    return [q, d.bypass ? '--queue-bypass' : '', d.cpuFanout ? '--queue-cpu-fanout' : ''].filter(Boolean).join(' ');
  },
  describe: (d) =>
    `hand the packet to userspace queue ${d.queuesTotal > 1 ? `${d.queueNum}–${d.queueNum + d.queuesTotal - 1} (${d.cpuFanout ? 'by CPU' : 'by flow'})` : d.queueNum}${d.bypass ? '; accept it if nobody listens' : '; dropped if nobody listens'}`,
});
