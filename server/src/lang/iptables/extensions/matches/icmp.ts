/**
 * icmp match, IPv4 (extensions/libipt_icmp.c and libxt_icmp.h; kernel
 * net/ipv4/netfilter/ip_tables.c, icmp_mt): ICMP type and code. `-p icmp
 * --icmp-type …` loads it implicitly; the kernel refuses it in a rule that
 * does not say `-p icmp`.
 */
import { xtStrtoul } from '../../cnum';
import { defineExtension } from '../../extension';

export interface IcmpTypeName {
  readonly name: string;
  readonly type: number;
  readonly codes: readonly [number, number];
}

const T = (name: string, type: number, lo = 0, hi = 0xff): IcmpTypeName => ({ name, type, codes: [lo, hi] });

/** icmp_codes[] of libxt_icmp.h, in its order (the order matters for ambiguity errors). */
export const ICMP_TYPE_NAMES: readonly IcmpTypeName[] = [
  T('any', 0xff), T('echo-reply', 0), T('pong', 0),
  T('destination-unreachable', 3), T('network-unreachable', 3, 0, 0), T('host-unreachable', 3, 1, 1),
  T('protocol-unreachable', 3, 2, 2), T('port-unreachable', 3, 3, 3), T('fragmentation-needed', 3, 4, 4),
  T('source-route-failed', 3, 5, 5), T('network-unknown', 3, 6, 6), T('host-unknown', 3, 7, 7),
  T('network-prohibited', 3, 9, 9), T('host-prohibited', 3, 10, 10), T('TOS-network-unreachable', 3, 11, 11),
  T('TOS-host-unreachable', 3, 12, 12), T('communication-prohibited', 3, 13, 13),
  T('host-precedence-violation', 3, 14, 14), T('precedence-cutoff', 3, 15, 15),
  T('source-quench', 4),
  T('redirect', 5), T('network-redirect', 5, 0, 0), T('host-redirect', 5, 1, 1),
  T('TOS-network-redirect', 5, 2, 2), T('TOS-host-redirect', 5, 3, 3),
  T('echo-request', 8), T('ping', 8),
  T('router-advertisement', 9), T('router-solicitation', 10),
  T('time-exceeded', 11), T('ttl-exceeded', 11), T('ttl-zero-during-transit', 11, 0, 0),
  T('ttl-zero-during-reassembly', 11, 1, 1),
  T('parameter-problem', 12), T('ip-header-bad', 12, 0, 0), T('required-option-missing', 12, 1, 1),
  T('timestamp-request', 13), T('timestamp-reply', 14),
  T('address-mask-request', 17), T('address-mask-reply', 18),
];

/** What --icmp-type / --icmpv6-type parsed to. */
export interface IcmpTypeSpec {
  type: number;
  /** Inclusive code range; lo > hi never matches. */
  codes: [number, number];
}

/** parse_range(): "n" or "n:m", numbers 0-255 as C reads them; returns the end index. */
function parseRange(s: string, from: number): { lo: number; hi: number; end: number } | undefined {
  const a = xtStrtoul(s, 0, 255, false, from);
  if (!a) return undefined;
  if (s[a.end] !== ':') return { lo: Number(a.value), hi: Number(a.value), end: a.end };
  const b = xtStrtoul(s, 0, 255, false, a.end + 1);
  if (!b) return undefined;
  return { lo: Number(a.value), hi: Number(b.value), end: b.end };
}

/**
 * __ipt_parse_icmp(): a name (any unambiguous case-insensitive prefix of one),
 * or TYPE[/CODE[:CODE]] in numbers. `label` is "ICMP" or "ICMPv6".
 */
export function parseIcmpType(text: string, names: readonly IcmpTypeName[], label: string, fail: (m: string) => never): IcmpTypeSpec {
  let found: IcmpTypeName | undefined;
  for (const n of names) {
    if (n.name.length < text.length || n.name.slice(0, text.length).toLowerCase() !== text.toLowerCase()) continue;
    if (found) fail(`Ambiguous ${label} type \`${text}': \`${found.name}' or \`${n.name}'? — spell the name out further.`);
    found = n;
  }
  if (found) return { type: found.type, codes: [found.codes[0], found.codes[1]] };
  const t = parseRange(text, 0);
  if (!t) fail(`Unknown ${label} type \`${text}' — use a type name, a number 0-255, or TYPE/CODE.`);
  const spec: IcmpTypeSpec = { type: t.lo, codes: [0, 0xff] };
  let end = t.end;
  if (text[end] === '/') {
    const c = parseRange(text, end + 1);
    if (!c) fail(`Unknown ${label} code \`${text}'`);
    spec.codes = [c.lo, c.hi];
    end = c.end;
  }
  if (end < text.length) fail(`unknown character ${text[end]}`);
  if (t.lo !== t.hi) fail(`${label} type range not supported — give one type (a code range TYPE/LO:HI is allowed).`);
  return spec;
}

/** The name iptables prints for a type/code pair, if it has one. */
export function icmpTypeName(spec: IcmpTypeSpec, names: readonly IcmpTypeName[]): string | undefined {
  return names.find((n) => n.type === spec.type && n.codes[0] === spec.codes[0] && n.codes[1] === spec.codes[1])?.name;
}

export interface IcmpMatch extends IcmpTypeSpec {
  /** Type 255 ("any") matches every ICMP packet. */
  invert: boolean;
}

export const icmp = defineExtension<IcmpMatch>({
  kind: 'match',
  name: 'icmp',
  family: 'ipv4',
  summary: 'Matches the ICMP type and code (needs -p icmp).',
  options: [{ name: 'icmp-type', id: 0, type: 'string', mand: true, invert: true, doc: 'type name, number, or type/code (e.g. echo-request, 8, 3/4, any)' }],
  init: () => ({ type: 0xff, codes: [0, 0xff], invert: false }),
  parse(c) {
    const spec = parseIcmpType(c.arg ?? '', ICMP_TYPE_NAMES, 'ICMP', (m) => c.fail(m));
    c.data.type = spec.type;
    c.data.codes = spec.codes;
    c.data.invert = c.invert;
  },
  kernel: { proto: 1 },
  save(d) {
    const neg = d.invert ? '! ' : '';
    if (d.type === 0xff) return `${neg}--icmp-type any`;
    return `${neg}--icmp-type ${d.type}${d.codes[0] !== 0 || d.codes[1] !== 0xff ? `/${d.codes[0]}` : ''}`;
  },
  describe(d) {
    const name = icmpTypeName(d, ICMP_TYPE_NAMES);
    const what = d.type === 0xff ? 'any ICMP type' : name ? `ICMP ${name}` : `ICMP type ${d.type}${d.codes[0] === 0 && d.codes[1] === 0xff ? '' : d.codes[0] === d.codes[1] ? ` code ${d.codes[0]}` : ` codes ${d.codes[0]}–${d.codes[1]}`}`;
    return d.invert ? `not ${what}` : what;
  },
});
