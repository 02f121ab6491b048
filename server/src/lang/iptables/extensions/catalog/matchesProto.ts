/**
 * Catalogued protocol matches, loaded implicitly by `-p NAME` (the rule parser
 * looks the match up by the protocol's name): esp, ah (IPv4 and IPv6 flavours),
 * ipcomp, sctp, dccp and mh (iptables 1.8.9 extensions/libxt_esp.c,
 * libipt_ah.c, libip6t_ah.c, libxt_ipcomp.c, libxt_sctp.c, libxt_dccp.c,
 * libip6t_mh.c). The kernel modules want the protocol pinned with `-p`,
 * except IPv6 ah, which walks the extension headers itself.
 */
import { xtStrtoui } from '../../cnum';
import { defineExtension, type AnyExtension } from '../../extension';
import { parseTcpPorts } from '../matches/tcp';
import { IPPROTO } from './util';

const spiOption = (name: string, doc: string) =>
  ({ name, id: 0, type: 'uint32rc', invert: true, doc } as const);

const esp = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'esp',
  summary: 'Matches the SPI of IPsec ESP packets (needs -p esp).',
  options: [spiOption('espspi', 'SPI or range min:max')],
  init: () => ({}),
  kernel: { proto: IPPROTO.ESP },
});

const ah4 = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'ah',
  family: 'ipv4',
  summary: 'Matches the SPI of IPsec AH packets (needs -p ah).',
  options: [spiOption('ahspi', 'SPI or range min:max')],
  init: () => ({}),
  kernel: { proto: IPPROTO.AH },
});

const ah6 = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'ah',
  family: 'ipv6',
  summary: 'Matches fields of the IPv6 Authentication Header (SPI, length, reserved bits).',
  options: [
    spiOption('ahspi', 'SPI or range min:max'),
    { name: 'ahlen', id: 1, type: 'uint32', invert: true, doc: 'header length' },
    { name: 'ahres', id: 2, type: 'none', doc: 'the reserved field is zero' },
  ],
  init: () => ({}),
});

const ipcomp = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'ipcomp',
  summary: 'Matches the CPI of IPComp packets (needs -p ipcomp / -p 108).',
  options: [
    { name: 'ipcompspi', id: 0, type: 'uint32rc', invert: true, doc: 'CPI or range min:max' },
    { name: 'compres', id: 1, type: 'none', doc: 'the reserved field is zero' },
  ],
  init: () => ({}),
  kernel: { proto: IPPROTO.COMP },
});

/* ---------------------------------------------------------------- sctp -- */

/** Chunk names with the flag letters each accepts (position = bit 7..0). */
const SCTP_CHUNKS: ReadonlyArray<[string, string]> = [
  ['DATA', '----IUBE'], ['INIT', '--------'], ['INIT_ACK', '--------'], ['SACK', '--------'],
  ['HEARTBEAT', '--------'], ['HEARTBEAT_ACK', '--------'], ['ABORT', '-------T'], ['SHUTDOWN', '--------'],
  ['SHUTDOWN_ACK', '--------'], ['ERROR', '--------'], ['COOKIE_ECHO', '--------'], ['COOKIE_ACK', '--------'],
  ['ECN_ECNE', '--------'], ['ECN_CWR', '--------'], ['SHUTDOWN_COMPLETE', '-------T'], ['I_DATA', '----IUBE'],
  ['RE_CONFIG', '--------'], ['PAD', '--------'], ['ASCONF', '--------'], ['ASCONF_ACK', '--------'],
  ['FORWARD_TSN', '--------'], ['I_FORWARD_TSN', '--------'],
];
const SCTP_MAX_FLAGGED = 4;

/** parse_sctp_chunk(): "ALL", "NONE" or NAME[:flags],… (strtok: empty pieces are skipped). */
function parseSctpChunks(list: string, fail: (m: string) => never): void {
  if (list.toUpperCase() === 'ALL' || list.toUpperCase() === 'NONE') return;
  const flagged = new Set<number>();
  for (const piece of list.split(',')) {
    if (piece === '') continue;
    const colon = piece.indexOf(':');
    const name = colon < 0 ? piece : piece.slice(0, colon);
    const idx = SCTP_CHUNKS.findIndex(([n]) => n === name.toUpperCase());
    if (idx < 0) fail(`Unknown sctp chunk \`${name}'`);
    if (colon < 0) continue;
    const valid = SCTP_CHUNKS[idx]![1];
    for (const ch of piece.slice(colon + 1)) {
      if (!valid.includes(ch.toUpperCase())) fail(`Invalid flags for chunk type ${idx}`);
      if (!flagged.has(idx)) {
        if (flagged.size === SCTP_MAX_FLAGGED) {
          fail('Number of chunk types with flags exceeds currently allowed limit. Increasing this limit involves changing IPT_NUM_SCTP_FLAGS and recompiling both the kernel space and user space modules');
        }
        flagged.add(idx);
      }
    }
  }
}

const SCTP_SRC = 1;
const SCTP_DST = 2;
const SCTP_CHUNK = 4;

const sctp = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'sctp',
  oldApi: true,
  summary: 'Matches SCTP ports and chunk types (needs -p sctp).',
  options: [
    { name: 'source-port', id: '1'.charCodeAt(0), hasArg: 1, invert: true, doc: 'source port or range a:b' },
    { name: 'sport', id: '1'.charCodeAt(0), hasArg: 1, invert: true, doc: 'source port or range a:b' },
    { name: 'destination-port', id: '2'.charCodeAt(0), hasArg: 1, invert: true, doc: 'destination port or range a:b' },
    { name: 'dport', id: '2'.charCodeAt(0), hasArg: 1, invert: true, doc: 'destination port or range a:b' },
    { name: 'chunk-types', id: '3'.charCodeAt(0), hasArg: 1, invert: true, doc: 'all|any|only CHUNK[:flags],…' },
  ],
  init: () => ({}),
  parse(c) {
    const fail = (m: string): never => c.fail(m);
    switch (String.fromCharCode(c.option.id)) {
      case '1':
        if (c.xflags & SCTP_SRC) fail("Only one `--source-port' allowed");
        parseTcpPorts(c.arg ?? '', 'sctp', fail);
        c.xflags |= SCTP_SRC;
        break;
      case '2':
        if (c.xflags & SCTP_DST) fail("Only one `--destination-port' allowed");
        parseTcpPorts(c.arg ?? '', 'sctp', fail);
        c.xflags |= SCTP_DST;
        break;
      case '3': {
        if (c.xflags & SCTP_CHUNK) fail("Only one `--chunk-types' allowed");
        const next = c.peekArg();
        if (next === undefined || next[0] === '-' || next[0] === '!') fail('--chunk-types requires two args');
        const kind = (c.arg ?? '').toUpperCase();
        if (kind !== 'ANY' && kind !== 'ALL' && kind !== 'ONLY') fail('Match type has to be one of "ALL", "ANY" or "ONLY"');
        parseSctpChunks(c.takeArg(), fail);
        c.xflags |= SCTP_CHUNK;
        break;
      }
    }
  },
  kernel: { proto: IPPROTO.SCTP },
});

/* ---------------------------------------------------------------- dccp -- */

const DCCP_TYPES = ['REQUEST', 'RESPONSE', 'DATA', 'ACK', 'DATAACK', 'CLOSEREQ', 'CLOSE', 'RESET', 'SYNC', 'SYNCACK', 'INVALID'];

const dccp = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'dccp',
  summary: 'Matches DCCP ports, packet types and options (needs -p dccp).',
  options: [
    { name: 'source-port', id: 0, type: 'portrc', invert: true, doc: 'source port or range a:b' },
    { name: 'sport', id: 0, type: 'portrc', invert: true, doc: 'source port or range a:b' },
    { name: 'destination-port', id: 1, type: 'portrc', invert: true, doc: 'destination port or range a:b' },
    { name: 'dport', id: 1, type: 'portrc', invert: true, doc: 'destination port or range a:b' },
    { name: 'dccp-types', id: 2, type: 'string', invert: true, doc: 'REQUEST,RESPONSE,DATA,ACK,… (comma-separated)' },
    { name: 'dccp-option', id: 3, type: 'uint8', min: 1, max: 255, invert: true, doc: 'DCCP option number that must be present' },
  ],
  init: () => ({}),
  parse(c) {
    if (c.option.id !== 2) return;
    for (const t of (c.arg ?? '').split(',')) {
      if (t === '') continue;
      if (!DCCP_TYPES.includes(t.toUpperCase())) c.fail(`Unknown DCCP type \`${t}'`);
    }
  },
  kernel: { proto: IPPROTO.DCCP },
});

/* ------------------------------------------------------------------ mh -- */

const MH_NAMES: ReadonlyArray<[string, number]> = [
  ['binding-refresh-request', 0], ['brr', 0], ['home-test-init', 1], ['hoti', 1], ['careof-test-init', 2], ['coti', 2],
  ['home-test', 3], ['hot', 3], ['careof-test', 4], ['cot', 4], ['binding-update', 5], ['bu', 5],
  ['binding-acknowledgement', 6], ['ba', 6], ['binding-error', 7], ['be', 7],
];

/** name_to_type(): a (prefix of a) name — an exact one wins — or a number 0-255. */
function mhType(name: string, fail: (m: string) => never): number {
  const lower = name.toLowerCase();
  let match: number | undefined;
  for (const [n, v] of MH_NAMES) {
    if (n.startsWith(lower) && (match === undefined || n.length === lower.length)) match = v;
  }
  if (match !== undefined) return match;
  const num = xtStrtoui(name, 0, 255);
  return num ?? fail(`Invalid MH type \`${name}'`);
}

const mh = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'mh',
  family: 'ipv6',
  summary: 'Matches the Mobility Header type of Mobile IPv6 packets (needs -p mh).',
  options: [{ name: 'mh-type', id: 0, type: 'string', invert: true, doc: 'type or range a:b (number or name, e.g. binding-update)' }],
  init: () => ({}),
  parse(c) {
    const arg = c.arg ?? '';
    const fail = (m: string): never => c.fail(m);
    const colon = arg.indexOf(':');
    if (colon < 0) {
      mhType(arg, fail);
      return;
    }
    const lo = arg.slice(0, colon);
    const hi = arg.slice(colon + 1);
    const a = lo ? mhType(lo, fail) : 0;
    const b = hi ? mhType(hi, fail) : 0xff;
    if (a > b) fail('Invalid MH type range (min > max)');
  },
  kernel: { proto: IPPROTO.MH },
});

export const MATCHES_PROTO: readonly AnyExtension[] = [esp, ah4, ah6, ipcomp, sctp, dccp, mh];
