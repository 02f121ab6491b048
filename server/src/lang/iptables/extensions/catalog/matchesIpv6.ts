/**
 * Catalogued IPv6-only matches on extension headers and addresses: dst, hbh,
 * frag, rt, ipv6header, eui64, srh (iptables 1.8.9 extensions/libip6t_*.c;
 * kernel net/ipv6/netfilter/ip6t_*.c).
 */
import { defineExtension, type AnyExtension } from '../../extension';
import { parseIpv6 } from '../../inet';
import { PROTOCOL_NUMBERS } from '../../netdb';
import type { ExtOption } from '../../xtoptions';
import { cStrtoul } from './util';

const OPTS_MAX = 16;

/** parse_options() of dst/hbh: "type[:length],…", at most 16 entries. */
function parseHeaderOptions(ext: 'dst' | 'hbh', text: string, fail: (m: string) => never): void {
  const num = (s: string, what: string): number => {
    const r = cStrtoul(s, 0, 0);
    if (r.end === 0) fail(`${ext}: no valid digits in ${what} \`${s}'`);
    if (r.overflow) fail(`${what} \`${s}' specified too big: would overflow`);
    if (s !== '' && r.end !== s.length) fail(`${ext}: error parsing ${what} \`${s}'`);
    return Number(r.value & 0xffn);
  };
  let rest: string | undefined = text;
  let i = 0;
  for (; rest !== undefined && i < OPTS_MAX; i++) {
    const comma: number = rest.indexOf(',');
    const piece: string = comma < 0 ? rest : rest.slice(0, comma);
    rest = comma < 0 ? undefined : rest.slice(comma + 1);
    const colon = piece.indexOf(':');
    if (colon >= 0 && i === OPTS_MAX - 1) fail('too many ports specified');
    const type = num(colon < 0 ? piece : piece.slice(0, colon), 'opt');
    if (colon >= 0) {
      if (type === 0) fail(ext === 'dst' ? "PAD0 hasn't got length" : 'PAD0 has not got length');
      num(piece.slice(colon + 1), 'length');
    }
  }
  if (rest !== undefined) fail('too many addresses specified');
}

function optionsHeader(ext: 'dst' | 'hbh', summary: string): AnyExtension {
  return defineExtension<Record<string, never>>({
    kind: 'match',
    name: ext,
    family: 'ipv6',
    summary,
    options: [
      { name: `${ext}-len`, id: 0, type: 'uint32', invert: true, doc: 'header length (in 8-octet units, not counting the first)' },
      { name: `${ext}-opts`, id: 1, type: 'string', doc: 'type[:length],… options that must be present (in order)' },
    ],
    init: () => ({}),
    parse(c) {
      if (c.option.id === 1) parseHeaderOptions(ext, c.arg ?? '', (m) => c.fail(m));
    },
  });
}

const dst = optionsHeader('dst', 'Matches the IPv6 Destination Options header (length and options).');
const hbh = optionsHeader('hbh', 'Matches the IPv6 Hop-by-Hop Options header (length and options).');

const frag = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'frag',
  family: 'ipv6',
  summary: 'Matches IPv6 Fragment header fields (identification, first/more/last fragment).',
  options: [
    { name: 'fragid', id: 0, type: 'uint32rc', invert: true, doc: 'identification or range min:max' },
    { name: 'fraglen', id: 1, type: 'uint32', invert: true, doc: 'header length' },
    { name: 'fragres', id: 2, type: 'none', doc: 'the reserved fields are zero' },
    { name: 'fragfirst', id: 3, type: 'none', doc: 'first fragment' },
    { name: 'fragmore', id: 4, type: 'none', excl: [5], doc: 'more fragments follow' },
    { name: 'fraglast', id: 5, type: 'none', excl: [4], doc: 'last fragment' },
  ],
  init: () => ({}),
});

interface Rt {
  type?: { value: number; invert: boolean };
}

const RT_TYPE = 0;
const RT_ADDRS = 4;
const RT_HOPS = 16;

const rt = defineExtension<Rt>({
  kind: 'match',
  name: 'rt',
  family: 'ipv6',
  summary: 'Matches IPv6 Routing header fields (type, segments left, length, type-0 addresses).',
  options: [
    { name: 'rt-type', id: RT_TYPE, type: 'uint32', invert: true, doc: 'routing type' },
    { name: 'rt-segsleft', id: 1, type: 'uint32rc', invert: true, doc: 'segments left, or range min:max' },
    { name: 'rt-len', id: 2, type: 'uint32', invert: true, doc: 'header length' },
    { name: 'rt-0-res', id: 3, type: 'none', doc: 'type 0: reserved field is zero' },
    { name: 'rt-0-addrs', id: RT_ADDRS, type: 'string', doc: 'type 0: address list a,b,… (up to 16)' },
    { name: 'rt-0-not-strict', id: 5, type: 'none', doc: 'type 0: the listed addresses need not be the whole list' },
  ],
  init: () => ({}),
  parse(c) {
    const needType0 = (opt: string): void => {
      const t = c.data.type;
      if (!(c.xflags & (1 << RT_TYPE)) || !t || t.value !== 0 || t.invert) c.fail(`\`--rt-type 0' required before \`--${opt}'`);
    };
    switch (c.option.id) {
      case RT_TYPE:
        c.data.type = { value: Number(c.val.u ?? 0n), invert: c.invert };
        break;
      case 3:
        needType0('rt-0-res');
        break;
      case RT_ADDRS: {
        needType0('rt-0-addrs');
        let rest: string | undefined = c.arg ?? '';
        let i = 0;
        for (; rest !== undefined && i < RT_HOPS; i++) {
          const comma: number = rest.indexOf(',');
          const a: string = comma < 0 ? rest : rest.slice(0, comma);
          rest = comma < 0 ? undefined : rest.slice(comma + 1);
          if (!parseIpv6(a)) c.fail(`bad address: ${a}`);
        }
        if (rest !== undefined) c.fail('too many addresses specified');
        break;
      }
      case 5:
        if (!(c.xflags & (1 << RT_ADDRS))) c.fail("`--rt-0-addr ...' required before `--rt-0-not-strict'");
        break;
    }
  },
});

/** ipv6header's own names (tried after /etc/protocols). */
const IPV6HEADER_NAMES: ReadonlyMap<string, number> = new Map([
  ['hop-by-hop', 0], ['protocol', 255], ['hop', 0], ['dst', 60], ['route', 43], ['frag', 44], ['auth', 51],
  ['esp', 50], ['none', 59], ['prot', 255], ['0', 0], ['60', 60], ['43', 43], ['44', 44], ['51', 51], ['50', 50],
  ['59', 59], ['255', 255],
]);
const IPV6HEADER_KNOWN = new Set([0, 60, 43, 44, 51, 50, 59, 255]);

const ipv6header = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'ipv6header',
  family: 'ipv6',
  summary: 'Matches the set of IPv6 extension headers a packet carries.',
  options: [
    { name: 'header', id: 0, type: 'string', mand: true, invert: true, doc: 'hop,dst,route,frag,auth,esp,none,prot (or numbers)' },
    { name: 'soft', id: 1, type: 'none', doc: 'match if any of the headers is present, not exactly these' },
  ],
  init: () => ({}),
  parse(c) {
    if (c.option.id !== 0) return;
    let any = 0;
    for (const name of (c.arg ?? '').split(',')) {
      if (name === '') continue;
      const proto = PROTOCOL_NUMBERS.get(name) ?? IPV6HEADER_NAMES.get(name);
      if (proto === undefined) return c.fail(`unknown header \`${name}' specified`);
      if (!IPV6HEADER_KNOWN.has(proto)) c.fail(`unknown header \`${proto}' specified`);
      any++;
    }
    if (any === 0) c.fail('ip6t_ipv6header: cannot parse header names');
  },
});

const eui64 = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'eui64',
  family: 'ipv6',
  summary: 'Matches when the source address\'s interface ID is the EUI-64 derived from the source MAC.',
  options: [],
  init: () => ({}),
  kernel: { hooks: ['PREROUTING', 'INPUT', 'FORWARD'] },
});

const srhNum = (name: string, id: number, type: 'uint8' | 'uint16', doc: string): ExtOption => ({ name, id, type, invert: true, doc });

const srh = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'srh',
  family: 'ipv6',
  summary: 'Matches fields of the IPv6 Segment Routing Header (revision 1).',
  options: [
    srhNum('srh-next-hdr', 0, 'uint8', 'next header value'),
    srhNum('srh-hdr-len-eq', 1, 'uint8', 'header length equals'),
    srhNum('srh-hdr-len-gt', 2, 'uint8', 'header length greater than'),
    srhNum('srh-hdr-len-lt', 3, 'uint8', 'header length less than'),
    srhNum('srh-segs-left-eq', 4, 'uint8', 'segments left equals'),
    srhNum('srh-segs-left-gt', 5, 'uint8', 'segments left greater than'),
    srhNum('srh-segs-left-lt', 6, 'uint8', 'segments left less than'),
    srhNum('srh-last-entry-eq', 7, 'uint8', 'last entry equals'),
    srhNum('srh-last-entry-gt', 8, 'uint8', 'last entry greater than'),
    srhNum('srh-last-entry-lt', 9, 'uint8', 'last entry less than'),
    srhNum('srh-tag', 10, 'uint16', 'tag value'),
    { name: 'srh-psid', id: 11, type: 'hostmask', invert: true, doc: 'previous segment address[/mask]' },
    { name: 'srh-nsid', id: 12, type: 'hostmask', invert: true, doc: 'next segment address[/mask]' },
    { name: 'srh-lsid', id: 13, type: 'hostmask', invert: true, doc: 'last segment address[/mask]' },
  ],
  init: () => ({}),
});

export const MATCHES_IPV6: readonly AnyExtension[] = [dst, hbh, frag, rt, ipv6header, eui64, srh];
