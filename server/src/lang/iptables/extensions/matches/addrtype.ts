/**
 * addrtype match, revision 1 (extensions/libxt_addrtype.c; kernel
 * net/netfilter/xt_addrtype.c). Matches the routing type of the source or
 * destination address. The kernel's checkentry refuses --limit-iface-in in
 * rules reachable from OUTPUT/POSTROUTING, --limit-iface-out from
 * PREROUTING/INPUT, and BLACKHOLE, BROADCAST, PROHIBIT, THROW, NAT and
 * XRESOLVE for IPv6.
 */
import { defineExtension, type Hook } from '../../extension';
import { parseNameList } from './conntrack';

/** Route types (RTN_*), in kernel bit order: bit i of the mask is ADDR_TYPES[i]. */
export const ADDR_TYPES = [
  'UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST',
  'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE',
] as const;
export type AddrType = (typeof ADDR_TYPES)[number];

export interface AddrtypeMatch {
  /** --src-type: the source address must have one of these types (none, when inverted); in kernel bit order. */
  src?: { types: AddrType[]; invert: boolean };
  /** --dst-type: likewise for the destination address. */
  dst?: { types: AddrType[]; invert: boolean };
  /** Look the address up on the packet's input (`in`) or output (`out`) device only. */
  limitIface?: 'in' | 'out';
}

const O_SRC = 0;
const O_DST = 1;
const O_LIMIT_IN = 2;
const O_LIMIT_OUT = 3;

const IPV6_UNSUPPORTED: readonly AddrType[] = ['BROADCAST', 'BLACKHOLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'];

const typesText = (types: readonly AddrType[]): string => types.join(',');
const inHooks = (hooks: ReadonlySet<Hook>, list: readonly Hook[]): Hook[] => list.filter((h) => hooks.has(h));

export const addrtype = defineExtension<AddrtypeMatch>({
  kind: 'match',
  name: 'addrtype',
  summary: 'Matches the address type (LOCAL, UNICAST, BROADCAST, MULTICAST, …) of the source or destination address.',
  options: [
    { name: 'src-type', id: O_SRC, type: 'string', invert: true, doc: 'source address type(s), comma list (e.g. LOCAL)' },
    { name: 'dst-type', id: O_DST, type: 'string', invert: true, doc: 'destination address type(s), comma list (e.g. LOCAL)' },
    { name: 'limit-iface-in', id: O_LIMIT_IN, type: 'none', excl: [O_LIMIT_OUT], doc: "check the type on the packet's input interface only" },
    { name: 'limit-iface-out', id: O_LIMIT_OUT, type: 'none', excl: [O_LIMIT_IN], doc: "check the type on the packet's output interface only" },
  ],
  init: () => ({}),
  parse(c) {
    const arg = c.arg ?? '';
    // Kept in kernel bit order: the kernel stores a mask.
    const parse = (): AddrType[] => {
      const got = parseNameList(arg, ADDR_TYPES, (rest) => c.fail(`addrtype: bad type "${rest}" — known types: ${ADDR_TYPES.join(', ')}.`));
      return ADDR_TYPES.filter((t) => got.includes(t));
    };
    switch (c.option.id) {
      case O_SRC:
        c.data.src = { types: parse(), invert: c.invert };
        break;
      case O_DST:
        c.data.dst = { types: parse(), invert: c.invert };
        break;
      case O_LIMIT_IN:
        c.data.limitIface = 'in';
        break;
      case O_LIMIT_OUT:
        c.data.limitIface = 'out';
        break;
    }
  },
  finalCheck(c) {
    if (!(c.xflags & ((1 << O_SRC) | (1 << O_DST)))) c.fail('addrtype: you must specify --src-type or --dst-type');
  },
  kernel: {
    check(ctx) {
      const d = ctx.data;
      if (d.limitIface === 'out') {
        const bad = inHooks(ctx.hooks, ['PREROUTING', 'INPUT']);
        if (bad.length) return `--limit-iface-out is not valid in ${bad.join('/')}, where packets have no output interface yet. The kernel refuses the rule ("output interface limitation not valid in PREROUTING and INPUT").`;
      }
      if (d.limitIface === 'in') {
        const bad = inHooks(ctx.hooks, ['POSTROUTING', 'OUTPUT']);
        if (bad.length) return `--limit-iface-in is not valid in ${bad.join('/')}, where locally generated packets have no input interface. The kernel refuses the rule ("input interface limitation not valid in POSTROUTING and OUTPUT").`;
      }
      if (ctx.family === 'ipv6') {
        const used = [...(d.src?.types ?? []), ...(d.dst?.types ?? [])];
        const bad = IPV6_UNSUPPORTED.filter((t) => used.includes(t));
        if (bad.length) return `IPv6 has no ${bad.join('/')} address type: the kernel refuses the rule (only UNSPEC, UNICAST, LOCAL, ANYCAST, MULTICAST and UNREACHABLE work for IPv6).`;
      }
      return undefined;
    },
  },
  save(d) {
    const out: string[] = [];
    if (d.src?.types.length) out.push(`${d.src.invert ? '! ' : ''}--src-type ${typesText(d.src.types)}`);
    if (d.dst?.types.length) out.push(`${d.dst.invert ? '! ' : ''}--dst-type ${typesText(d.dst.types)}`);
    if (d.limitIface === 'in') out.push('--limit-iface-in');
    if (d.limitIface === 'out') out.push('--limit-iface-out');
    return out.join(' ');
  },
  describe(d) {
    const parts: string[] = [];
    if (d.src) parts.push(`source address type ${d.src.invert ? 'not ' : ''}${d.src.types.join('/')}`);
    if (d.dst) parts.push(`destination address type ${d.dst.invert ? 'not ' : ''}${d.dst.types.join('/')}`);
    if (d.limitIface) parts.push(`looked up on the ${d.limitIface === 'in' ? 'input' : 'output'} interface only`);
    return parts.join(', ');
  },
});
