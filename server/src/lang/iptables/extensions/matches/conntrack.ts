/**
 * conntrack match, revision 3 (extensions/libxt_conntrack.c; kernel
 * net/netfilter/xt_conntrack.c). Matches on the connection-tracking entry of
 * the packet: state, status, protocol, original/reply addresses and ports,
 * remaining lifetime and direction. The kernel adds no table, hook or
 * protocol restriction.
 */
import { ipv4ToString, ipv6ToString } from '../../inet';
import { defineExtension } from '../../extension';
import type { XtVal } from '../../xtoptions';

/** Connection states (XT_CONNTRACK_STATE_*), in the order iptables prints them. */
export type CtState = 'INVALID' | 'NEW' | 'RELATED' | 'ESTABLISHED' | 'UNTRACKED' | 'SNAT' | 'DNAT';
/** Conntrack status bits --ctstatus can test; NONE is the empty list. */
export type CtStatus = 'EXPECTED' | 'SEEN_REPLY' | 'ASSURED' | 'CONFIRMED';

export const CT_STATE_PRINT_ORDER: readonly CtState[] = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];
/** Order in which iptables tries the names (a word may be any prefix of one). */
const CT_STATE_PARSE_ORDER: readonly CtState[] = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'];
const CT_STATUS_PARSE_ORDER: readonly (CtStatus | 'NONE')[] = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];
const CT_STATUS_PRINT_ORDER: readonly CtStatus[] = ['EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];

export interface CtAddrMatch {
  /** IPv4 address as an unsigned 32-bit number, IPv6 as 8 groups of 16 bits; absent for a host name. */
  addr?: number | number[];
  /** A host name iptables resolves (to exactly one address) when the rule is loaded. */
  hostname?: string;
  /** Mask length: the kernel compares (tuple ^ addr) & mask; a non-contiguous mask counts as a full one. */
  prefix: number;
  /**
   * IPv4 with a written mask ("/32", "/255.255.255.255"): iptables fills only
   * the first 4 of the 16 mask bytes then, all 16 without one. Same packets
   * match, but the stored rules differ (so "-D" must repeat the spelling).
   */
  maskWritten?: true;
  invert: boolean;
}

export interface CtPortMatch {
  /** Inclusive range; lo > hi never matches. */
  range: [number, number];
  invert: boolean;
}

export interface ConntrackMatch {
  family: 'ipv4' | 'ipv6';
  /** --ctstate: the packet's state must be one of these (or none of them when inverted); in print order. */
  state?: { states: CtState[]; invert: boolean };
  /** --ctproto: layer-4 protocol number of the connection (0 = any). */
  proto?: { num: number; invert: boolean };
  origSrc?: CtAddrMatch;
  origDst?: CtAddrMatch;
  replSrc?: CtAddrMatch;
  replDst?: CtAddrMatch;
  origSrcPort?: CtPortMatch;
  origDstPort?: CtPortMatch;
  replSrcPort?: CtPortMatch;
  replDstPort?: CtPortMatch;
  /** --ctstatus: any of these bits set (an empty list, NONE, never matches unless inverted). */
  status?: { statuses: CtStatus[]; invert: boolean };
  /** --ctexpire: remaining lifetime in seconds, inclusive; lo > hi never matches. */
  expire?: { range: [number, number]; invert: boolean };
  /** --ctdir: packet direction within the connection. */
  direction?: 'ORIGINAL' | 'REPLY';
}

const O_STATE = 0;
const O_PROTO = 1;
const O_ORIGSRC = 2;
const O_ORIGDST = 3;
const O_REPLSRC = 4;
const O_REPLDST = 5;
const O_ORIGSRCPORT = 6;
const O_ORIGDSTPORT = 7;
const O_REPLSRCPORT = 8;
const O_REPLDSTPORT = 9;
const O_STATUS = 10;
const O_EXPIRE = 11;
const O_DIR = 12;

/**
 * A comma list where each word is a case-insensitive prefix of one of
 * `names` (the first that fits wins), as conntrack_ps_states/state_parse_states
 * read it. `bad(rest)` reports the unreadable word and what follows it.
 */
export function parseNameList<N extends string>(
  arg: string,
  names: readonly N[],
  bad: (rest: string) => never,
  trailingComma?: () => never,
): N[] {
  const out: N[] = [];
  const lookup = (word: string): N | undefined =>
    word === '' ? undefined : names.find((n) => n.length >= word.length && n.slice(0, word.length).toUpperCase() === word.toUpperCase());
  let rest = arg;
  for (let comma = rest.indexOf(','); comma >= 0; comma = rest.indexOf(',')) {
    const n = lookup(rest.slice(0, comma));
    if (n === undefined) bad(rest);
    if (!out.includes(n)) out.push(n);
    rest = rest.slice(comma + 1);
  }
  if (rest === '' && trailingComma) trailingComma();
  const n = lookup(rest);
  if (n === undefined) bad(rest);
  if (!out.includes(n)) out.push(n);
  return out;
}

export function parseCtStates(arg: string, fail: (m: string) => never): CtState[] {
  return parseNameList(arg, CT_STATE_PARSE_ORDER, (rest) =>
    fail(`Bad ctstate "${rest}" — states are INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED, SNAT and DNAT, separated by commas without spaces.`));
}

/** The states in iptables' print order: the kernel keeps a bit mask, so order and repeats do not matter. */
export function canonicalStates<S extends CtState>(states: readonly S[]): S[] {
  return CT_STATE_PRINT_ORDER.filter((s): s is S => (states as readonly CtState[]).includes(s));
}

export function ctStatesText(states: readonly CtState[]): string {
  return canonicalStates(states).join(',');
}

function addrOf(v: XtVal, family: 'ipv4' | 'ipv6', invert: boolean): CtAddrMatch {
  const full = family === 'ipv4' ? 32 : 128;
  const h = v.host;
  const prefix = h && h.prefix >= 0 && h.prefix <= full ? h.prefix : full;
  const out: CtAddrMatch = { prefix, invert };
  if (family === 'ipv4' && v.plen !== undefined && v.plen >= 0) out.maskWritten = true;
  if (h?.v4 !== undefined) out.addr = h.v4;
  else if (h?.v6 !== undefined) out.addr = [...h.v6];
  if (h?.hostname !== undefined) out.hostname = h.hostname;
  return out;
}

function addrText(a: CtAddrMatch, family: 'ipv4' | 'ipv6'): string {
  const full = family === 'ipv4' ? 32 : 128;
  const base = a.addr === undefined ? a.hostname ?? '?' : typeof a.addr === 'number' ? ipv4ToString(a.addr) : ipv6ToString(a.addr);
  return a.prefix === full ? base : `${base}/${a.prefix}`;
}

const portText = (p: CtPortMatch): string => (p.range[0] === p.range[1] ? String(p.range[0]) : `${p.range[0]}:${p.range[1]}`);
const neg = (b: boolean): string => (b ? '! ' : '');

export const conntrack = defineExtension<ConntrackMatch>({
  kind: 'match',
  name: 'conntrack',
  summary: 'Matches on the connection-tracking state of the packet (state, status, original/reply addresses and ports, lifetime, direction).',
  options: [
    { name: 'ctstate', id: O_STATE, type: 'string', invert: true, doc: 'INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED, SNAT, DNAT (comma list)' },
    { name: 'ctproto', id: O_PROTO, type: 'protocol', invert: true, doc: 'layer-4 protocol of the connection, by name or number' },
    { name: 'ctorigsrc', id: O_ORIGSRC, type: 'hostmask', invert: true, doc: 'original source address[/mask]' },
    { name: 'ctorigdst', id: O_ORIGDST, type: 'hostmask', invert: true, doc: 'original destination address[/mask]' },
    { name: 'ctreplsrc', id: O_REPLSRC, type: 'hostmask', invert: true, doc: 'reply source address[/mask]' },
    { name: 'ctrepldst', id: O_REPLDST, type: 'hostmask', invert: true, doc: 'reply destination address[/mask]' },
    { name: 'ctstatus', id: O_STATUS, type: 'string', invert: true, doc: 'NONE, EXPECTED, SEEN_REPLY, ASSURED, CONFIRMED (comma list)' },
    { name: 'ctexpire', id: O_EXPIRE, type: 'uint32rc', invert: true, doc: 'remaining lifetime in seconds: n or min:max' },
    { name: 'ctorigsrcport', id: O_ORIGSRCPORT, type: 'portrc', invert: true, doc: 'original source port or range a:b' },
    { name: 'ctorigdstport', id: O_ORIGDSTPORT, type: 'portrc', invert: true, doc: 'original destination port or range a:b' },
    { name: 'ctreplsrcport', id: O_REPLSRCPORT, type: 'portrc', invert: true, doc: 'reply source port or range a:b' },
    { name: 'ctrepldstport', id: O_REPLDSTPORT, type: 'portrc', invert: true, doc: 'reply destination port or range a:b' },
    { name: 'ctdir', id: O_DIR, type: 'string', doc: 'ORIGINAL or REPLY: direction of the packet in its connection' },
  ],
  init: (rule) => ({ family: rule.family }),
  parse(c) {
    const d = c.data;
    const inv = c.invert;
    const arg = c.arg ?? '';
    switch (c.option.id) {
      case O_STATE:
        d.state = { states: canonicalStates(parseCtStates(arg, (m) => c.fail(m))), invert: inv };
        break;
      case O_PROTO: {
        const num = c.val.protocol ?? 0;
        // iptables tests XT_INV_PROTO (0x40) on the conntrack invert flags,
        // where that bit belongs to --ctstatus: "! --ctstatus … --ctproto 0" is refused.
        if (num === 0 && d.status?.invert) {
          c.fail('conntrack: rule would never match protocol — (iptables mistakes the earlier "! --ctstatus" for a negated protocol here; put --ctproto first or drop "--ctproto 0", which matches anything).');
        }
        d.proto = { num, invert: inv };
        break;
      }
      case O_ORIGSRC:
        d.origSrc = addrOf(c.val, d.family, inv);
        break;
      case O_ORIGDST:
        d.origDst = addrOf(c.val, d.family, inv);
        break;
      case O_REPLSRC:
        d.replSrc = addrOf(c.val, d.family, inv);
        break;
      case O_REPLDST:
        d.replDst = addrOf(c.val, d.family, inv);
        break;
      case O_ORIGSRCPORT:
      case O_ORIGDSTPORT:
      case O_REPLSRCPORT:
      case O_REPLDSTPORT: {
        const r = c.val.ports ?? [0, 65535];
        const p: CtPortMatch = { range: [r[0], r[1]], invert: inv };
        if (c.option.id === O_ORIGSRCPORT) d.origSrcPort = p;
        else if (c.option.id === O_ORIGDSTPORT) d.origDstPort = p;
        else if (c.option.id === O_REPLSRCPORT) d.replSrcPort = p;
        else d.replDstPort = p;
        break;
      }
      case O_STATUS: {
        const names = parseNameList(arg, CT_STATUS_PARSE_ORDER, (rest) =>
          c.fail(`Bad ctstatus "${rest}" — statuses are NONE, EXPECTED, SEEN_REPLY, ASSURED and CONFIRMED, separated by commas without spaces.`));
        d.status = { statuses: CT_STATUS_PRINT_ORDER.filter((s) => names.includes(s)), invert: inv };
        break;
      }
      case O_EXPIRE: {
        const r = c.val.range ?? [0n];
        const lo = Number(r[0] ?? 0n);
        const hi = (c.val.nvals ?? 1) >= 2 ? Number(r[1] ?? 0n) : lo;
        d.expire = { range: [lo, hi], invert: inv };
        break;
      }
      case O_DIR: {
        const u = arg.toUpperCase();
        if (u === 'ORIGINAL' || u === 'REPLY') d.direction = u;
        else c.fail(`conntrack: Bad value for "--ctdir" option: "${arg}" — use ORIGINAL or REPLY.`);
        break;
      }
    }
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('conntrack: At least one option is required');
  },
  save(d) {
    const out: string[] = [];
    if (d.state) out.push(`${neg(d.state.invert)}--ctstate ${ctStatesText(d.state.states)}`);
    if (d.proto) out.push(`${neg(d.proto.invert)}--ctproto ${d.proto.num}`);
    const addrs: Array<[string, CtAddrMatch | undefined]> = [['ctorigsrc', d.origSrc], ['ctorigdst', d.origDst], ['ctreplsrc', d.replSrc], ['ctrepldst', d.replDst]];
    for (const [name, a] of addrs) if (a) out.push(`${neg(a.invert)}--${name} ${addrText(a, d.family)}`);
    const ports: Array<[string, CtPortMatch | undefined]> = [['ctorigsrcport', d.origSrcPort], ['ctorigdstport', d.origDstPort], ['ctreplsrcport', d.replSrcPort], ['ctrepldstport', d.replDstPort]];
    for (const [name, p] of ports) if (p) out.push(`${neg(p.invert)}--${name} ${p.range[1] === 0 ? p.range[0] : portText(p)}`);
    if (d.status) out.push(`${neg(d.status.invert)}--ctstatus ${d.status.statuses.length ? d.status.statuses.join(',') : 'NONE'}`);
    if (d.expire) out.push(`${neg(d.expire.invert)}--ctexpire ${d.expire.range[0] === d.expire.range[1] ? d.expire.range[0] : `${d.expire.range[0]}:${d.expire.range[1]}`}`);
    if (d.direction) out.push(`--ctdir ${d.direction}`);
    return out.join(' ');
  },
  describe(d) {
    const parts: string[] = [];
    if (d.state) parts.push(`connection state ${d.state.invert ? 'not ' : ''}${d.state.states.join('/')}`);
    if (d.status) parts.push(`status ${d.status.invert ? 'without' : 'with'} ${d.status.statuses.length ? d.status.statuses.join(' or ') : 'nothing (NONE never matches)'}`);
    if (d.proto) parts.push(`connection protocol ${d.proto.invert ? '≠' : '='} ${d.proto.num}`);
    const addrs: Array<[string, CtAddrMatch | undefined]> = [['original source', d.origSrc], ['original destination', d.origDst], ['reply source', d.replSrc], ['reply destination', d.replDst]];
    for (const [what, a] of addrs) if (a) parts.push(`${what} ${a.invert ? 'not ' : ''}${addrText(a, d.family)}`);
    const ports: Array<[string, CtPortMatch | undefined]> = [['original source port', d.origSrcPort], ['original destination port', d.origDstPort], ['reply source port', d.replSrcPort], ['reply destination port', d.replDstPort]];
    for (const [what, p] of ports) if (p) parts.push(`${what} ${p.invert ? 'not ' : ''}${portText(p)}`);
    if (d.expire) parts.push(`expires in ${d.expire.invert ? 'not ' : ''}${d.expire.range[0]}–${d.expire.range[1]} s`);
    if (d.direction) parts.push(d.direction === 'ORIGINAL' ? 'packet goes in the original direction' : 'packet is a reply');
    return parts.join(', ');
  },
});
