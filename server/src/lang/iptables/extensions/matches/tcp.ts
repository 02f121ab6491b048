/**
 * tcp match (extensions/libxt_tcp.c, old getopt API; kernel net/netfilter/xt_tcpudp.c).
 * `-p tcp --dport 80` loads it implicitly.
 */
import { xtStrtoui } from '../../cnum';
import { defineExtension } from '../../extension';
import { portByName } from '../../xtoptions';
import { ANY_PORT, describePorts, isAnyPort, portRangeText, type PortRange } from './ports';

export const TCP_FLAGS: Readonly<Record<string, number>> = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ALL: 0x3f, NONE: 0 };
const FLAG_ORDER = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'] as const;

export interface TcpMatch {
  sport: PortRange;
  sportInvert: boolean;
  dport: PortRange;
  dportInvert: boolean;
  /** `(flags & mask) == cmp`, or its negation. */
  flags?: { mask: number; cmp: number; invert: boolean };
  /** `--tcp-option N`: the option kind must be present. */
  option?: { kind: number; invert: boolean };
}

const F_SRC = 1;
const F_DST = 2;
const F_FLAGS = 4;
const F_OPTION = 8;

/** parse_tcp_ports: "a", "a:b", ":b", "a:"; names via /etc/services (tcp). */
export function parseTcpPorts(text: string, proto: string, fail: (m: string) => never): PortRange {
  const colon = text.indexOf(':');
  const one = (s: string): number => {
    const p = portByName(s, proto);
    return p === undefined ? fail(`invalid port/service \`${s}' specified`) : p;
  };
  if (colon < 0) {
    const p = one(text);
    return [p, p];
  }
  const lo = text.slice(0, colon);
  const hi = text.slice(colon + 1);
  const a = lo ? one(lo) : 0;
  const b = hi ? one(hi) : 0xffff;
  if (a > b) fail('invalid portrange (min > max)');
  return [a, b];
}

export function parseTcpFlagList(text: string, fail: (m: string) => never): number {
  let v = 0;
  for (const part of text.split(',')) {
    if (part === '') continue; // strtok skips empty fields
    const f = TCP_FLAGS[part.toUpperCase()];
    if (f === undefined) fail(`Unknown TCP flag \`${part}'`);
    v |= f;
  }
  return v;
}

export function tcpFlagsText(v: number): string {
  if (v === 0) return 'NONE';
  if ((v & 0x3f) === 0x3f) return 'ALL';
  return FLAG_ORDER.filter((f) => v & TCP_FLAGS[f]!).join(',');
}

export const tcp = defineExtension<TcpMatch>({
  kind: 'match',
  name: 'tcp',
  oldApi: true,
  summary: 'Matches TCP ports, flags and options (needs -p tcp).',
  options: [
    { name: 'source-port', id: '1'.charCodeAt(0), hasArg: 1, invert: true, doc: 'source port or range a:b' },
    { name: 'sport', id: '1'.charCodeAt(0), hasArg: 1, invert: true, doc: 'source port or range a:b' },
    { name: 'destination-port', id: '2'.charCodeAt(0), hasArg: 1, invert: true, doc: 'destination port or range a:b' },
    { name: 'dport', id: '2'.charCodeAt(0), hasArg: 1, invert: true, doc: 'destination port or range a:b' },
    { name: 'syn', id: '3'.charCodeAt(0), hasArg: 0, invert: true, doc: 'SYN set and RST, ACK, FIN clear: a connection request' },
    { name: 'tcp-flags', id: '4'.charCodeAt(0), hasArg: 1, invert: true, doc: 'MASK COMP: the flags in MASK must equal COMP' },
    { name: 'tcp-option', id: '5'.charCodeAt(0), hasArg: 1, invert: true, doc: 'TCP option kind that must be present' },
  ],
  init: () => ({ sport: ANY_PORT, sportInvert: false, dport: ANY_PORT, dportInvert: false }),
  parse(c) {
    const d = c.data;
    const fail: (m: string) => never = (m) => c.fail(m);
    switch (String.fromCharCode(c.option.id)) {
      case '1':
        if (c.xflags & F_SRC) fail("Only one `--source-port' allowed");
        d.sport = parseTcpPorts(c.arg ?? '', 'tcp', fail);
        d.sportInvert = c.invert;
        c.xflags |= F_SRC;
        break;
      case '2':
        if (c.xflags & F_DST) fail("Only one `--destination-port' allowed");
        d.dport = parseTcpPorts(c.arg ?? '', 'tcp', fail);
        d.dportInvert = c.invert;
        c.xflags |= F_DST;
        break;
      case '3':
        if (c.xflags & F_FLAGS) fail("Only one of `--syn' or `--tcp-flags'  allowed");
        d.flags = { mask: 0x17, cmp: 0x02, invert: c.invert };
        c.xflags |= F_FLAGS;
        break;
      case '4': {
        if (c.xflags & F_FLAGS) fail("Only one of `--syn' or `--tcp-flags'  allowed");
        const next = c.peekArg();
        if (next === undefined || next[0] === '-' || next[0] === '!') fail('--tcp-flags requires two args.');
        const mask = parseTcpFlagList(c.arg ?? '', fail);
        const cmp = parseTcpFlagList(c.takeArg(), fail);
        d.flags = { mask, cmp, invert: c.invert };
        c.xflags |= F_FLAGS;
        break;
      }
      case '5': {
        if (c.xflags & F_OPTION) fail("Only one `--tcp-option' allowed");
        const n = xtStrtoui(c.arg ?? '', 1, 255);
        if (n === undefined) fail(`Bad TCP option "${c.arg}"`);
        d.option = { kind: n, invert: c.invert };
        c.xflags |= F_OPTION;
        break;
      }
    }
  },
  kernel: { proto: 6 },
  nftNative: (d) => !d.option && !(isAnyPort(d.sport) && isAnyPort(d.dport) && !d.sportInvert && !d.dportInvert && !d.flags),
  nftBuildCheck: (d, rule) =>
    !d.option && !(isAnyPort(d.sport) && isAnyPort(d.dport) && !d.sportInvert && !d.dportInvert && !d.flags) && rule.protoNum !== 6
      ? "TCP match requires '-p tcp'"
      : undefined,
  save(d) {
    const out: string[] = [];
    if (!isAnyPort(d.sport)) out.push(`${d.sportInvert ? '! ' : ''}--sport ${portRangeText(d.sport)}`);
    if (!isAnyPort(d.dport)) out.push(`${d.dportInvert ? '! ' : ''}--dport ${portRangeText(d.dport)}`);
    if (d.option) out.push(`${d.option.invert ? '! ' : ''}--tcp-option ${d.option.kind}`);
    if (d.flags) out.push(`${d.flags.invert ? '! ' : ''}--tcp-flags ${tcpFlagsText(d.flags.mask)} ${tcpFlagsText(d.flags.cmp)}`);
    return out.join(' ');
  },
  describe(d) {
    const parts: string[] = [];
    if (!isAnyPort(d.sport) || d.sportInvert) parts.push(describePorts('from', d.sport, d.sportInvert));
    if (!isAnyPort(d.dport) || d.dportInvert) parts.push(describePorts('to', d.dport, d.dportInvert));
    if (d.flags) {
      parts.push(d.flags.mask === 0x17 && d.flags.cmp === 0x02 ? `${d.flags.invert ? 'not ' : ''}a connection request (SYN without ACK/RST/FIN)` : `TCP flags ${tcpFlagsText(d.flags.mask)} ${d.flags.invert ? '≠' : '='} ${tcpFlagsText(d.flags.cmp)}`);
    }
    if (d.option) parts.push(`${d.option.invert ? 'without' : 'with'} TCP option ${d.option.kind}`);
    return parts.length ? `TCP ${parts.join(', ')}` : 'any TCP packet';
  },
});
