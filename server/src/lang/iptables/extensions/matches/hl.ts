/**
 * hl match, IPv6 only (extensions/libip6t_hl.c; kernel net/netfilter/xt_hl.c):
 * the hop limit, IPv6's TTL. iptables has the IPv4 twin, ttl.
 */
import { defineExtension } from '../../extension';

export interface HlMatch {
  /** eq / ne (! --hl-eq) / lt / gt, compared with `value`. */
  op: 'eq' | 'ne' | 'lt' | 'gt';
  value: number;
}

const O_EQ = 0;
const O_LT = 1;
const O_GT = 2;
const ANY = [O_EQ, O_LT, O_GT];

export const hl = defineExtension<HlMatch>({
  kind: 'match',
  name: 'hl',
  family: 'ipv6',
  summary: "Compares the IPv6 packet's hop limit (iptables: use -m ttl).",
  options: [
    { name: 'hl-lt', id: O_LT, type: 'uint8', excl: ANY, doc: 'hop limit less than the value' },
    { name: 'hl-gt', id: O_GT, type: 'uint8', excl: ANY, doc: 'hop limit greater than the value' },
    { name: 'hl-eq', id: O_EQ, type: 'uint8', invert: true, excl: ANY, doc: 'hop limit equal to the value' },
    { name: 'hl', id: O_EQ, type: 'uint8', excl: ANY, doc: 'old name of --hl-eq' },
  ],
  init: () => ({ op: 'eq', value: 0 }),
  parse(c) {
    c.data.value = Number(c.val.u ?? 0n);
    c.data.op = c.option.id === O_LT ? 'lt' : c.option.id === O_GT ? 'gt' : c.invert ? 'ne' : 'eq';
  },
  finalCheck(c) {
    if (!ANY.some((o) => c.xflags & (1 << o))) {
      c.fail("HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'", 'Add e.g. "--hl-eq 64".');
    }
  },
  save: (d) => `${d.op === 'ne' ? '! --hl-eq' : `--hl-${d.op}`} ${d.value}`,
  describe: (d) => `hop limit ${({ eq: '=', ne: '≠', lt: '<', gt: '>' } as const)[d.op]} ${d.value}`,
});
