/**
 * ttl match, IPv4 only (extensions/libipt_ttl.c; kernel net/netfilter/xt_hl.c).
 * ip6tables has the hop-limit twin, hl.
 */
import { defineExtension } from '../../extension';

export interface TtlMatch {
  /** eq / ne (! --ttl-eq) / lt / gt, compared with `value`. */
  op: 'eq' | 'ne' | 'lt' | 'gt';
  value: number;
}

const O_EQ = 0;
const O_LT = 1;
const O_GT = 2;
const ANY = [O_EQ, O_LT, O_GT];

export const ttl = defineExtension<TtlMatch>({
  kind: 'match',
  name: 'ttl',
  family: 'ipv4',
  summary: "Compares the IPv4 packet's time-to-live (ip6tables: use -m hl).",
  options: [
    { name: 'ttl-lt', id: O_LT, type: 'uint8', excl: ANY, doc: 'TTL less than the value' },
    { name: 'ttl-gt', id: O_GT, type: 'uint8', excl: ANY, doc: 'TTL greater than the value' },
    { name: 'ttl-eq', id: O_EQ, type: 'uint8', invert: true, excl: ANY, doc: 'TTL equal to the value' },
    { name: 'ttl', id: O_EQ, type: 'uint8', excl: ANY, doc: 'old name of --ttl-eq' },
  ],
  init: () => ({ op: 'eq', value: 0 }),
  parse(c) {
    c.data.value = Number(c.val.u ?? 0n);
    c.data.op = c.option.id === O_LT ? 'lt' : c.option.id === O_GT ? 'gt' : c.invert ? 'ne' : 'eq';
  },
  finalCheck(c) {
    if (!ANY.some((o) => c.xflags & (1 << o))) {
      c.fail("TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt", 'Add e.g. "--ttl-eq 64".');
    }
  },
  save: (d) => `${d.op === 'ne' ? '! --ttl-eq' : `--ttl-${d.op}`} ${d.value}`,
  describe: (d) => `TTL ${({ eq: '=', ne: '≠', lt: '<', gt: '>' } as const)[d.op]} ${d.value}`,
});
