/**
 * ULOG target, IPv4 only (extensions/libipt_ULOG.c). iptables 1.8.9 still
 * parses it, but the kernel module (ipt_ULOG) was removed in Linux 3.17:
 * iptables warns "Extension ULOG revision 0 not supported, missing kernel
 * module?" and the kernel then refuses the rule (ENOENT), so on any kernel
 * iptables 1.8.9 runs on the load fails. NFLOG replaces it.
 */
import { defineExtension } from '../../extension';

export interface UlogTarget {
  /** Netlink multicast group 1-32 (default 1). */
  nlGroup: number;
  /** Prefix, at most 31 bytes. */
  prefix: string;
  /** Bytes of each packet copied (0 = whole packet). */
  copyRange: bigint;
  /** Packets queued before sending, 1-50 (default 1). */
  queueThreshold: number;
}

const O_NLGROUP = 0;
const O_PREFIX = 1;
const O_CPRANGE = 2;
const O_QTHR = 3;

export const ULOG = defineExtension<UlogTarget>({
  kind: 'target',
  name: 'ULOG',
  family: 'ipv4',
  summary: 'Obsolete userspace logging target: removed from Linux 3.17, so the kernel refuses it. Use NFLOG.',
  options: [
    { name: 'ulog-nlgroup', id: O_NLGROUP, type: 'uint8', min: 1, max: 32, doc: 'netlink group 1-32' },
    { name: 'ulog-prefix', id: O_PREFIX, type: 'string', min: 1, size: 32, doc: 'text passed along with each packet' },
    { name: 'ulog-cprange', id: O_CPRANGE, type: 'uint64', doc: 'bytes of each packet to copy' },
    { name: 'ulog-qthreshold', id: O_QTHR, type: 'uint64', min: 1, max: 50, doc: 'packets to queue before sending (1-50)' },
  ],
  init: () => ({ nlGroup: 1, prefix: '', copyRange: 0n, queueThreshold: 1 }),
  parse(c) {
    const d = c.data;
    switch (c.option.id) {
      case O_NLGROUP:
        d.nlGroup = Number(c.val.u ?? 1n);
        break;
      case O_PREFIX:
        if ((c.arg ?? '').includes('\n')) c.fail('Newlines not allowed in --ulog-prefix');
        d.prefix = c.val.str ?? '';
        break;
      case O_CPRANGE:
        d.copyRange = c.val.u ?? 0n;
        break;
      case O_QTHR:
        d.queueThreshold = Number(c.val.u ?? 1n);
        break;
    }
  },
  kernel: {
    check: () =>
      'the kernel has no ULOG target any more (ipt_ULOG was removed in Linux 3.17): iptables warns "Extension ULOG revision 0 not supported, missing kernel module?" and the kernel refuses the rule (No such file or directory). Use "-j NFLOG" instead.',
  },
  save(d) {
    const out: string[] = [];
    if (d.prefix !== '') out.push(`--ulog-prefix ${JSON.stringify(d.prefix)}`);
    if (d.nlGroup !== 1) out.push(`--ulog-nlgroup ${d.nlGroup}`);
    if (d.copyRange) out.push(`--ulog-cprange ${d.copyRange}`);
    if (d.queueThreshold !== 1) out.push(`--ulog-qthreshold ${d.queueThreshold}`);
    return out.join(' ');
  },
  describe: (d) => `log to netlink group ${d.nlGroup} with the obsolete ULOG mechanism (not available in current kernels)`,
});
