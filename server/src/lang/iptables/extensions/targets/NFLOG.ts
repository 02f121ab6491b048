/**
 * NFLOG target (extensions/libxt_NFLOG.c; kernel net/netfilter/xt_NFLOG.c,
 * and for iptables-nft the native nftables `log group` expression, built in
 * iptables/nft.c add_log()). Hands a copy of the packet to userspace over
 * nfnetlink_log (ulogd, tcpdump -i nflog:N); does not end the rule walk.
 *
 * The prefix is kept to 63 bytes in the xt structure (legacy), while
 * iptables-nft passes up to 127 bytes to the nftables log expression.
 */
import { truncateUtf8, utf8Length } from '../../../utf8';
import { defineExtension } from '../../extension';

export interface NflogTarget {
  /** nfnetlink_log group (default 0). */
  group: number;
  /** Prefix as the xt structure keeps it (legacy): at most 63 bytes. */
  prefix: string;
  /** Prefix as iptables-nft sends it: at most 127 bytes. */
  nftPrefix: string;
  /** --nflog-size: bytes of each packet copied to userspace (undefined = whole packet). */
  copyLen?: number;
  /** --nflog-range: accepted, never had an effect. */
  range?: number;
  /** Packets queued in the kernel before they are sent (default 0 = kernel default). */
  threshold: number;
}

const XT_PREFIX_MAX = 63;
const NFT_PREFIX_MAX = 127;

const O_GROUP = 0;
const O_PREFIX = 1;
const O_RANGE = 2;
const O_SIZE = 3;
const O_THRESHOLD = 4;

export const NFLOG = defineExtension<NflogTarget>({
  kind: 'target',
  name: 'NFLOG',
  summary: 'Sends a copy of the packet to a userspace logger (nfnetlink_log group), then goes on with the next rule.',
  options: [
    { name: 'nflog-group', id: O_GROUP, type: 'uint16', doc: 'netlink group 0-65535 the logger listens on' },
    { name: 'nflog-prefix', id: O_PREFIX, type: 'string', min: 1, size: XT_PREFIX_MAX + 1, doc: 'text passed along with each packet' },
    { name: 'nflog-range', id: O_RANGE, type: 'uint32', excl: [O_SIZE], doc: 'obsolete, has no effect: use --nflog-size' },
    { name: 'nflog-size', id: O_SIZE, type: 'uint32', excl: [O_RANGE], doc: 'bytes of each packet to copy' },
    { name: 'nflog-threshold', id: O_THRESHOLD, type: 'uint16', doc: 'packets to queue in the kernel before sending' },
  ],
  init: () => ({ group: 0, prefix: '', nftPrefix: '', threshold: 0 }),
  nftNative: () => true,
  parse(c) {
    const d = c.data;
    switch (c.option.id) {
      case O_GROUP:
        d.group = Number(c.val.u ?? 0n);
        break;
      case O_PREFIX: {
        const raw = c.arg ?? '';
        if (raw.includes('\n')) c.fail('Newlines not allowed in --log-prefix');
        d.prefix = c.val.str ?? raw;
        d.nftPrefix = utf8Length(raw) > NFT_PREFIX_MAX ? truncateUtf8(raw, NFT_PREFIX_MAX) : raw;
        if (utf8Length(raw) > XT_PREFIX_MAX) {
          c.warn(`NFLOG prefix truncated: iptables-legacy keeps ${XT_PREFIX_MAX} bytes ("${d.prefix}"), iptables-nft ${NFT_PREFIX_MAX}; the rest is silently dropped.`, 'nflog-prefix-truncated');
        }
        break;
      }
      case O_RANGE:
        d.range = Number(c.val.u ?? 0n);
        break;
      case O_SIZE:
        d.copyLen = Number(c.val.u ?? 0n);
        break;
      case O_THRESHOLD:
        d.threshold = Number(c.val.u ?? 0n);
        break;
    }
  },
  finalCheck(c) {
    if (c.xflags & (1 << O_RANGE)) {
      c.warn('warn: --nflog-range has never worked and is no longer supported, please use --nflog-size instead', 'nflog-range-obsolete');
    }
  },
  save(d) {
    const out: string[] = [];
    if (d.prefix !== '') out.push(`--nflog-prefix ${JSON.stringify(d.prefix)}`);
    if (d.group) out.push(`--nflog-group ${d.group}`);
    if (d.copyLen !== undefined) out.push(`--nflog-size ${d.copyLen}`);
    else if (d.range) out.push(`--nflog-range ${d.range}`);
    if (d.threshold) out.push(`--nflog-threshold ${d.threshold}`);
    return out.join(' ');
  },
  describe: (d) =>
    `send a copy to userspace log group ${d.group}${d.prefix ? ` with prefix "${d.prefix}"` : ''}${d.copyLen !== undefined ? ` (first ${d.copyLen} bytes)` : ''}, then continue`,
});
