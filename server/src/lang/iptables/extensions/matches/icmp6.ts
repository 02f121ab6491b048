/**
 * icmp6 match, IPv6 (extensions/libip6t_icmp6.c and libxt_icmp.h; kernel
 * net/ipv6/netfilter/ip6_tables.c, icmp6_match). ip6tables also loads it as
 * "icmpv6" and "ipv6-icmp", and implicitly for `-p icmpv6` / `-p ipv6-icmp`;
 * the kernel refuses it in a rule that does not pin protocol 58.
 */
import { defineExtension } from '../../extension';
import { icmpTypeName, parseIcmpType, type IcmpTypeName, type IcmpTypeSpec } from './icmp';

const T = (name: string, type: number, lo = 0, hi = 0xff): IcmpTypeName => ({ name, type, codes: [lo, hi] });

/** icmpv6_codes[] of libxt_icmp.h, in its order. There is no "any". */
export const ICMPV6_TYPE_NAMES: readonly IcmpTypeName[] = [
  T('destination-unreachable', 1), T('no-route', 1, 0, 0), T('communication-prohibited', 1, 1, 1),
  T('beyond-scope', 1, 2, 2), T('address-unreachable', 1, 3, 3), T('port-unreachable', 1, 4, 4),
  T('failed-policy', 1, 5, 5), T('reject-route', 1, 6, 6),
  T('packet-too-big', 2),
  T('time-exceeded', 3), T('ttl-exceeded', 3), T('ttl-zero-during-transit', 3, 0, 0),
  T('ttl-zero-during-reassembly', 3, 1, 1),
  T('parameter-problem', 4), T('bad-header', 4, 0, 0), T('unknown-header-type', 4, 1, 1), T('unknown-option', 4, 2, 2),
  T('echo-request', 128), T('ping', 128), T('echo-reply', 129), T('pong', 129),
  T('router-solicitation', 133), T('router-advertisement', 134),
  T('neighbour-solicitation', 135), T('neighbor-solicitation', 135),
  T('neighbour-advertisement', 136), T('neighbor-advertisement', 136),
  T('redirect', 137),
];

export interface Icmp6Match extends IcmpTypeSpec {
  invert: boolean;
}

export const icmp6 = defineExtension<Icmp6Match>({
  kind: 'match',
  name: 'icmp6',
  family: 'ipv6',
  summary: 'Matches the ICMPv6 type and code (needs -p icmpv6).',
  options: [{ name: 'icmpv6-type', id: 0, type: 'string', mand: true, invert: true, doc: 'type name, number, or type/code (e.g. echo-request, 128, 1/4)' }],
  init: () => ({ type: 0, codes: [0, 0xff], invert: false }),
  parse(c) {
    const spec = parseIcmpType(c.arg ?? '', ICMPV6_TYPE_NAMES, 'ICMPv6', (m) => c.fail(m));
    c.data.type = spec.type;
    c.data.codes = spec.codes;
    c.data.invert = c.invert;
  },
  kernel: { proto: 58 },
  save: (d) => `${d.invert ? '! ' : ''}--icmpv6-type ${d.type}${d.codes[0] !== 0 || d.codes[1] !== 0xff ? `/${d.codes[0]}` : ''}`,
  describe(d) {
    const name = icmpTypeName(d, ICMPV6_TYPE_NAMES);
    const what = name ? `ICMPv6 ${name}` : `ICMPv6 type ${d.type}${d.codes[0] === 0 && d.codes[1] === 0xff ? '' : d.codes[0] === d.codes[1] ? ` code ${d.codes[0]}` : ` codes ${d.codes[0]}–${d.codes[1]}`}`;
    return d.invert ? `not ${what}` : what;
  },
});
