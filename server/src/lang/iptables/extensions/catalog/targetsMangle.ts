/**
 * Catalogued targets that rewrite packet fields or marks, mostly bound to the
 * mangle table: DSCP, TOS, TTL, HL, ECN, TCPOPTSTRIP, HMARK, SECMARK,
 * CONNSECMARK, DNPT, SNPT (iptables 1.8.9 extensions/libxt_*.c, libipt_*.c,
 * libip6t_*.c; kernel net/netfilter/xt_*.c, net/ipv[46]/netfilter/*).
 */
import { xtStrtoui } from '../../cnum';
import { defineExtension, type AnyExtension, type Hook } from '../../extension';
import type { ExtOption } from '../../xtoptions';
import { classToDscp } from './matchesIp';
import { F, IPPROTO } from './util';

const DSCP = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'DSCP',
  summary: 'Rewrites the DSCP bits of the IPv4 TOS / IPv6 traffic class byte (mangle table).',
  options: [
    { name: 'set-dscp', id: 0, type: 'uint8', min: 0, max: 0x3f, excl: [1], doc: 'DSCP value 0-63' },
    { name: 'set-dscp-class', id: 1, type: 'string', excl: [0], doc: 'class name: CS0-CS7, BE, AF11-AF43, EF' },
  ],
  init: () => ({}),
  parse(c) {
    if (c.option.id === 1) classToDscp(c.arg ?? '', (m) => c.fail(m));
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('DSCP target: Parameter --set-dscp is required');
  },
  kernel: { table: 'mangle' },
});

const TOS_ANY = [0, 1, 2, 3];

const TOS = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'TOS',
  summary: 'Rewrites the IPv4 TOS / IPv6 traffic class byte (mangle table; revision 1).',
  options: [
    { name: 'set-tos', id: 0, type: 'tosmask', max: 0x3f, excl: TOS_ANY, doc: 'value[/mask] or a symbolic name' },
    { name: 'and-tos', id: 1, type: 'uint8', excl: TOS_ANY, doc: 'binary AND with this value' },
    { name: 'or-tos', id: 2, type: 'uint8', excl: TOS_ANY, doc: 'binary OR with this value' },
    { name: 'xor-tos', id: 3, type: 'uint8', excl: TOS_ANY, doc: 'binary XOR with this value' },
  ],
  init: () => ({}),
  finalCheck(c) {
    if (!(c.xflags & 0xf)) c.fail('TOS: An action is required');
  },
  kernel: { table: 'mangle' },
});

/** TTL (IPv4) and HL (IPv6): set, decrement or increment; the kernel keeps them to mangle. */
function hopTarget(name: 'TTL' | 'HL', prefix: 'ttl' | 'hl', family: 'ipv4' | 'ipv6', summary: string): AnyExtension {
  const any = [0, 1, 2];
  const opts: ExtOption[] = [
    { name: `${prefix}-set`, id: 0, type: 'uint8', excl: any, doc: 'set to this value' },
    { name: `${prefix}-dec`, id: 2, type: 'uint8', min: 1, excl: any, doc: 'decrement by this amount (1-255)' },
    { name: `${prefix}-inc`, id: 1, type: 'uint8', min: 1, excl: any, doc: 'increment by this amount (1-255)' },
  ];
  return defineExtension<Record<string, never>>({
    kind: 'target',
    name,
    family,
    summary,
    options: opts,
    init: () => ({}),
    finalCheck(c) {
      if (!(c.xflags & 7)) c.fail(`${name}: You must specify an action`);
    },
    kernel: { table: 'mangle' },
  });
}

const TTL = hopTarget('TTL', 'ttl', 'ipv4', 'Sets, decrements or increments the IPv4 TTL (mangle table).');
const HL = hopTarget('HL', 'hl', 'ipv6', 'Sets, decrements or increments the IPv6 hop limit (mangle table).');

interface EcnTarget {
  tcp: boolean;
}

const ECN = defineExtension<EcnTarget>({
  kind: 'target',
  name: 'ECN',
  family: 'ipv4',
  summary: 'Clears or sets ECN bits in the IPv4 header and TCP flags (mangle table).',
  options: [
    { name: 'ecn-tcp-remove', id: 0, type: 'none', excl: [1, 2], doc: 'remove ECN bits from the TCP header' },
    { name: 'ecn-tcp-cwr', id: 1, type: 'uint8', min: 0, max: 1, excl: [0], doc: 'set the TCP CWR bit (0 or 1)' },
    { name: 'ecn-tcp-ece', id: 2, type: 'uint8', min: 0, max: 1, excl: [0], doc: 'set the TCP ECE bit (0 or 1)' },
    { name: 'ecn-ip-ect', id: 3, type: 'uint8', min: 0, max: 3, doc: 'set the IP ECT codepoint (0-3)' },
  ],
  init: () => ({ tcp: false }),
  parse(c) {
    if (c.option.id !== 3) c.data.tcp = true;
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('ECN target: An operation is required');
  },
  kernel: {
    table: 'mangle',
    check: (ctx) => (ctx.data.tcp && (ctx.protoNum !== IPPROTO.TCP || ctx.protoInvert) ? 'cannot use operation on non-tcp rule (add "-p tcp")' : undefined),
  },
});

/** tcp_optionmap of libxt_TCPOPTSTRIP.c. */
const TCP_OPTION_NAMES: ReadonlyMap<string, number> = new Map([
  ['wscale', 3], ['mss', 2], ['sack-permitted', 4], ['sack', 5], ['timestamp', 8], ['md5', 19],
]);

const TCPOPTSTRIP = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'TCPOPTSTRIP',
  summary: 'Removes TCP options from TCP packets (mangle table, needs -p tcp).',
  options: [{ name: 'strip-options', id: 0, type: 'string', doc: 'wscale,mss,sack-permitted,sack,timestamp,md5 or numbers 2-255' }],
  init: () => ({}),
  parse(c) {
    const seen = new Set<number>();
    for (const item of (c.arg ?? '').split(',')) {
      let option = TCP_OPTION_NAMES.get(item) ?? 0;
      if (option === 0) {
        const n = xtStrtoui(item, 0, 255);
        option = n ?? c.fail(`Bad TCP option value "${item}"`);
      }
      if (option < 2) c.fail('Option value may not be 0 or 1');
      if (seen.has(option)) c.fail(`Option "${item}" already specified`);
      seen.add(option);
    }
  },
  kernel: { table: 'mangle', proto: IPPROTO.TCP },
});

/* --------------------------------------------------------------- HMARK -- */

const H = {
  SADDR_MASK: 0, DADDR_MASK: 1, SPI: 2, SPI_MASK: 3, SPORT: 4, DPORT: 5, SPORT_MASK: 6, DPORT_MASK: 7,
  PROTO_MASK: 8, RND: 9, MODULUS: 10, OFFSET: 11, CT: 12, TYPE: 13,
} as const;
const PKT_MASK = [H.SADDR_MASK, H.DADDR_MASK, H.SPI_MASK, H.SPORT_MASK, H.DPORT_MASK, H.PROTO_MASK, H.SPORT, H.DPORT, H.SPI]
  .reduce((a: number, b: number) => a | F(b), 0);

/** hmark_parse(): tuple words may be abbreviated ("s" is src); first match in this order wins. */
const HMARK_TUPLE: ReadonlyArray<[string, number]> = [
  ['ct', H.CT], ['src', H.SADDR_MASK], ['dst', H.DADDR_MASK], ['sport', H.SPORT_MASK],
  ['dport', H.DPORT_MASK], ['proto', H.PROTO_MASK], ['spi', H.SPI_MASK],
];

interface Hmark {
  spi: boolean;
  port: boolean;
}

const HMARK = defineExtension<Hmark>({
  kind: 'target',
  name: 'HMARK',
  summary: 'Sets the packet mark from a hash of address/port/protocol fields (for load spreading).',
  options: [
    { name: 'hmark-tuple', id: H.TYPE, type: 'string', doc: 'fields to hash: ct,src,dst,sport,dport,proto,spi' },
    { name: 'hmark-src-prefix', id: H.SADDR_MASK, type: 'plenmask', doc: 'source prefix length to hash' },
    { name: 'hmark-dst-prefix', id: H.DADDR_MASK, type: 'plenmask', doc: 'destination prefix length to hash' },
    { name: 'hmark-sport-mask', id: H.SPORT_MASK, type: 'uint16', doc: 'mask for the source port' },
    { name: 'hmark-dport-mask', id: H.DPORT_MASK, type: 'uint16', doc: 'mask for the destination port' },
    { name: 'hmark-spi-mask', id: H.SPI_MASK, type: 'uint32', doc: 'mask for the SPI' },
    { name: 'hmark-sport', id: H.SPORT, type: 'uint16', doc: 'fixed source port value' },
    { name: 'hmark-dport', id: H.DPORT, type: 'uint16', doc: 'fixed destination port value' },
    { name: 'hmark-spi', id: H.SPI, type: 'uint32', doc: 'fixed SPI value' },
    { name: 'hmark-proto-mask', id: H.PROTO_MASK, type: 'uint16', doc: 'mask for the protocol' },
    { name: 'hmark-rnd', id: H.RND, type: 'uint32', doc: 'random seed (mandatory)' },
    { name: 'hmark-mod', id: H.MODULUS, type: 'uint32', min: 1, mand: true, doc: 'modulus of the hash (mandatory)' },
    { name: 'hmark-offset', id: H.OFFSET, type: 'uint32', doc: 'offset added to the result' },
  ],
  init: () => ({ spi: false, port: false }),
  parse(c) {
    if (c.option.id === H.SPI) c.data.spi = true;
    if (c.option.id === H.SPORT || c.option.id === H.DPORT) c.data.port = true;
    if (c.option.id !== H.TYPE) return;
    let arg = c.arg ?? '';
    const apply = (word: string): boolean => {
      const hit = HMARK_TUPLE.find(([n]) => word.length <= n.length && n.startsWith(word.toLowerCase()));
      if (!hit) return false;
      c.xflags |= F(hit[1]);
      return true;
    };
    for (let comma = arg.indexOf(','); comma >= 0; comma = arg.indexOf(',')) {
      if (comma === 0 || !apply(arg.slice(0, comma))) c.fail(`Bad type "${arg}"`);
      arg = arg.slice(comma + 1);
    }
    if (arg === '') c.fail('"--hmark-tuple" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto');
    if (!apply(arg)) c.fail(`Bad type "${arg}"`);
  },
  finalCheck(c) {
    const x = c.xflags;
    if (!(x & F(H.MODULUS))) c.fail('--hmark-mod is mandatory');
    if (!(x & F(H.RND))) c.fail('--hmark-rnd is mandatory');
    if (x & F(H.SPI_MASK) && x & (F(H.SPORT_MASK) | F(H.DPORT_MASK))) {
      c.fail('you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time');
    }
    if (!(x & PKT_MASK || x & F(H.CT))) c.fail('you have to specify --hmark-tuple at least');
  },
  kernel: { check: (ctx) => (ctx.data.spi && ctx.data.port ? 'spi-set and port-set can\'t be combined' : undefined) },
});

/* --------------------------------------------------------- SECMARK etc -- */

const mangleOrSecurity = (t: string): string | undefined =>
  t === 'mangle' || t === 'security' ? undefined : `only valid in 'mangle' or 'security' table, not '${t}'`;

const SECMARK = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'SECMARK',
  summary: 'Sets the packet\'s security mark from an SELinux context (mangle or security table).',
  options: [{ name: 'selctx', id: 0, type: 'string', size: 256, mand: true, doc: 'SELinux security context' }],
  init: () => ({}),
  parse(c) {
    c.warn(`The SELinux context "${c.arg}" must be valid in the host's loaded policy when the rules are loaded, or the kernel refuses the rule.`, 'must-exist-at-load');
  },
  // The context must also be valid for the loaded LSM policy (host-dependent).
  kernel: { check: (ctx) => mangleOrSecurity(ctx.table) },
});

const CONNSECMARK = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'CONNSECMARK',
  summary: 'Copies the security mark between packet and connection (mangle or security table).',
  options: [
    { name: 'save', id: 0, type: 'none', excl: [1], doc: 'copy the packet\'s security mark to the connection' },
    { name: 'restore', id: 1, type: 'none', excl: [0], doc: 'copy the connection\'s security mark to the packet' },
  ],
  init: () => ({}),
  finalCheck(c) {
    if (c.xflags === 0) c.fail('CONNSECMARK target: parameter required');
  },
  kernel: { check: (ctx) => mangleOrSecurity(ctx.table) },
});

/* ------------------------------------------------------------ DNPT/SNPT -- */

interface Npt {
  src?: { groups?: number[]; prefix: number };
  dst?: { groups?: number[]; prefix: number };
}

/** ip6t_npt_checkentry(): prefixes of at most 64 bits with no bits set past the prefix. */
function nptPrefixProblem(which: string, p: Npt['src']): string | undefined {
  if (!p) return undefined;
  if (p.prefix > 64) return `${which} prefix /${p.prefix} is longer than 64 bits`;
  const g = p.groups;
  if (!g) return undefined;
  for (let bit = p.prefix; bit < 128; bit++) {
    if ((g[bit >> 4]! >> (15 - (bit & 15))) & 1) return `${which} prefix has bits set past /${p.prefix}`;
  }
  return undefined;
}

function npt(name: 'DNPT' | 'SNPT', hooks: Hook[], summary: string): AnyExtension {
  return defineExtension<Npt>({
    kind: 'target',
    name,
    family: 'ipv6',
    summary,
    options: [
      { name: 'src-pfx', id: 1, type: 'hostmask', mand: true, doc: 'source prefix/len (len ≤ 64)' },
      { name: 'dst-pfx', id: 2, type: 'hostmask', mand: true, doc: 'destination prefix/len (len ≤ 64)' },
    ],
    init: () => ({}),
    parse(c) {
      const h = c.val.host;
      const v = { prefix: h?.prefix ?? 128, ...(h?.v6 ? { groups: h.v6 } : {}) };
      if (c.option.id === 1) c.data.src = v;
      else c.data.dst = v;
    },
    kernel: {
      table: 'mangle',
      hooks,
      check: (ctx) => nptPrefixProblem('source', ctx.data.src) ?? nptPrefixProblem('destination', ctx.data.dst),
    },
  });
}

const DNPT = npt('DNPT', ['PREROUTING', 'OUTPUT'], 'Stateless IPv6 prefix translation of the destination address (RFC 6296; mangle PREROUTING/OUTPUT).');
const SNPT = npt('SNPT', ['INPUT', 'POSTROUTING'], 'Stateless IPv6 prefix translation of the source address (RFC 6296; mangle INPUT/POSTROUTING).');

export const TARGETS_MANGLE: readonly AnyExtension[] = [DSCP, TOS, TTL, HL, ECN, TCPOPTSTRIP, HMARK, SECMARK, CONNSECMARK, DNPT, SNPT];
