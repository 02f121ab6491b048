/**
 * iprange match, revision 1 (extensions/libxt_iprange.c; kernel
 * net/netfilter/xt_iprange.c). Inclusive address ranges "a-b" (or one
 * address). Only numeric addresses: no host names, no /mask. A reversed range
 * loads (iptables only warns) and never matches.
 */
import { ipv4ToString, ipv6ToString, numericToIpv4, parseIpv6 } from '../../inet';
import { defineExtension } from '../../extension';

/** IPv4 as an unsigned 32-bit number, IPv6 as 8 groups of 16 bits. */
export type RangeAddr = number | number[];

export interface AddrRange {
  /** Inclusive bounds; from > to never matches. */
  from: RangeAddr;
  to: RangeAddr;
  invert: boolean;
}

export interface IprangeMatch {
  family: 'ipv4' | 'ipv6';
  src?: AddrRange;
  dst?: AddrRange;
}

const O_SRC = 0;
const O_DST = 1;

function compare(a: RangeAddr, b: RangeAddr): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = a as number[];
  const y = b as number[];
  for (let i = 0; i < 8; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

const addrText = (a: RangeAddr): string => (typeof a === 'number' ? ipv4ToString(a) : ipv6ToString(a));

export const iprange = defineExtension<IprangeMatch>({
  kind: 'match',
  name: 'iprange',
  summary: 'Matches source or destination addresses in an inclusive range a-b.',
  options: [
    { name: 'src-range', id: O_SRC, type: 'string', invert: true, doc: 'source address range: ip[-ip]' },
    { name: 'dst-range', id: O_DST, type: 'string', invert: true, doc: 'destination address range: ip[-ip]' },
  ],
  init: (rule) => ({ family: rule.family }),
  parse(c) {
    const arg = c.arg ?? '';
    const optName = c.option.id === O_SRC ? '--src-range' : '--dst-range';
    const dash = arg.indexOf('-');
    const specs = dash < 0 ? [arg, arg] : [arg.slice(0, dash), arg.slice(dash + 1)];
    const bounds = specs.map((s): RangeAddr => {
      const a = c.data.family === 'ipv4' ? numericToIpv4(s) : parseIpv6(s);
      if (a === undefined) {
        return c.fail(`iprange: Bad value for "${optName}" option: "${s}" — give numeric ${c.data.family === 'ipv4' ? 'IPv4' : 'IPv6'} addresses as from-to, without a mask or host name.`);
      }
      return a;
    }) as [RangeAddr, RangeAddr];
    if (compare(bounds[0], bounds[1]) > 0) {
      c.warn(`xt_iprange: range ${specs[0]}-${specs[1]} is reversed and will never match`, 'never-matches');
    }
    const r: AddrRange = { from: bounds[0], to: bounds[1], invert: c.invert };
    if (c.option.id === O_SRC) c.data.src = r;
    else c.data.dst = r;
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail("iprange match: You must specify `--src-range' or `--dst-range'");
  },
  save(d) {
    const out: string[] = [];
    if (d.src) out.push(`${d.src.invert ? '! ' : ''}--src-range ${addrText(d.src.from)}-${addrText(d.src.to)}`);
    if (d.dst) out.push(`${d.dst.invert ? '! ' : ''}--dst-range ${addrText(d.dst.from)}-${addrText(d.dst.to)}`);
    return out.join(' ');
  },
  describe(d) {
    const parts: string[] = [];
    if (d.src) parts.push(`source ${d.src.invert ? 'outside' : 'in'} ${addrText(d.src.from)}–${addrText(d.src.to)}`);
    if (d.dst) parts.push(`destination ${d.dst.invert ? 'outside' : 'in'} ${addrText(d.dst.from)}–${addrText(d.dst.to)}`);
    return parts.join(', ');
  },
});
