/**
 * Seeded generator of iptables-restore files for the differential test
 * against the kernel (test/kernel/differential.kernel.test.ts).
 *
 * `generateFile(seed, index)` is a pure function of its arguments: file
 * `index` of run `seed` can be rebuilt alone. Even indices are valid files,
 * odd indices the same kind of file with one to three mutations.
 *
 * Valid files mix two sources:
 * - a grammar of valid rules per table and hook, with random values (own
 *   rules, user chains reached from chosen hooks, jumps and gotos, -N/-I/-D/
 *   -X/-P/-F/-Z commands, comments, counters, quoting, negations);
 * - "units": the kernel-verified snippets of the case tables (test/cases),
 *   with their user chains renamed, so that every modelled match and target
 *   appears (file 2k and 2k+1 focus on modelled extension k mod N).
 *
 * Valid files avoid what iptables-nft refuses although it looks valid (QUEUE,
 * "! -s x/0", -Z after "-c" counters, deleting a rule an "-I N" went next to;
 * see test/cases/differential.ts): mutations bring those in.
 *
 * Mutations (MUTATIONS; `generateFile(…, { mutations })` picks some only):
 * token edits (deleted/swapped/duplicated options, options before their
 * module, bad numbers, addresses and names, old "-s ! x" negation, stray
 * options such as -t/-w, typos, attached arguments), misplaced targets and
 * matches (directly and through user chains), jump loops, deep nesting,
 * unknown/undeclared/duplicate chains, policies, damaged COMMIT and table
 * lines, CRLF, blank and indented lines, long names and lines, counters,
 * commands (-X/-D/-I/-E/-Z/-N/-C), option soup from each extension's option
 * table, the case tables' refused snippets, and backend quirks.
 *
 * Nothing generated depends on the loading host (no host names, ipsets,
 * user names, nfacct objects, cgroup paths, missing kernel modules) except
 * where a case table says the outcome is fixed; values taken from the case
 * tables may still name a host or an estimator, which our warnings mark as
 * host-dependent (the test then leaves a failing load out).
 */
import { ALL_CASES } from '../cases';
import { allMatches, allTargets, isModeled } from '../../server/src/lang/iptables/extensions/registry';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { caseFile, expected, type RuleCase } from './ruleCases';

export type Family = 'ipv4' | 'ipv6';
type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
type TableName = 'filter' | 'nat' | 'mangle' | 'raw' | 'security';

export interface GeneratedFile {
  readonly seed: number;
  readonly index: number;
  readonly family: Family;
  readonly text: string;
  readonly mutated: boolean;
  /** What was done to the valid file (empty for valid files). */
  readonly mutations: readonly string[];
  /** The modelled extension this file is built around. */
  readonly focus: string;
}

// ---------------------------------------------------------------- random

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    if (a.length === 0) throw new Error('pick from empty list');
    return a[Math.floor(this.next() * a.length)]!;
  }
  weighted<T>(items: ReadonlyArray<readonly [number, T]>): T {
    const total = items.reduce((s, [w]) => s + w, 0);
    let x = this.next() * total;
    for (const [w, v] of items) {
      if ((x -= w) < 0) return v;
    }
    return items[items.length - 1]![1];
  }
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
  sample<T>(a: readonly T[], k: number): T[] {
    return this.shuffle([...a]).slice(0, Math.max(0, Math.min(k, a.length)));
  }
}

/** Per-file seed: a hash of the run seed and the file index. */
export function fileSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = (h + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// ---------------------------------------------------------------- tables

const BUILTINS: Record<TableName, readonly Hook[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};
const TABLES: readonly TableName[] = ['filter', 'nat', 'mangle', 'raw', 'security'];
const isTable = (t: string): t is TableName => (TABLES as readonly string[]).includes(t);

const subset = (hooks: ReadonlySet<Hook>, allowed: readonly Hook[]): boolean => [...hooks].every((h) => allowed.includes(h));

// ---------------------------------------------------------------- words

/** Splits a rule line into words, keeping double-quoted sections (and their quotes) intact. */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQuote) {
      cur += c;
      if (c === '\\' && i + 1 < text.length) cur += text[++i]!;
      else if (c === '"') inQuote = false;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (has) out.push(cur);
      cur = '';
      has = false;
      continue;
    }
    if (c === '"') inQuote = true;
    cur += c;
    has = true;
  }
  if (has) out.push(cur);
  return out;
}

const isOptionWord = (w: string): boolean => /^-/.test(w) && !/^-\d/.test(w);

/** Option groups of a rule: [start, end) word ranges of "[!] --opt args…". */
function optionGroups(words: readonly string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let i = 0;
  while (i < words.length) {
    const start = i;
    if (words[i] === '!') i++;
    if (i >= words.length || !isOptionWord(words[i]!)) {
      i = start + 1;
      continue;
    }
    i++;
    while (i < words.length && !isOptionWord(words[i]!) && words[i] !== '!') i++;
    out.push([start, i]);
  }
  return out;
}

/** A double-quoted iptables word with `"` and `\` escaped. */
function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// ---------------------------------------------------------------- values

const hex = (r: Rng, max: number): string => `0x${r.int(0, max).toString(16)}`;
const num32 = (r: Rng): string => r.weighted([[3, String(r.int(0, 255))], [2, hex(r, 0xffff)], [1, String(r.int(0, 0xffffffff))], [1, hex(r, 0xffffffff)]]);
const markVal = (r: Rng): string => (r.chance(0.4) ? `${num32(r)}/${r.pick(['0xff', '0xffff', '0xffffffff', '0xff00', '1', '0x10'])}` : num32(r));

function v4(r: Rng): string {
  const a = r.pick([10, 172, 192, 100, 198, 203, 1, 8, 93]);
  return `${a}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}`;
}
function v6(r: Rng): string {
  const h = (): string => r.int(0, 0xffff).toString(16);
  return r.weighted([
    [5, `2001:db8:${h()}::${h()}`],
    [2, `2001:db8:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`],
    [1, '::1'],
    [1, `fd00:${h()}::${h()}`],
    [1, `::ffff:${v4(r)}`],
    [1, `fe80::${h()}`],
  ]);
}
const MASKS4 = ['255.255.255.0', '255.255.0.0', '255.0.0.0', '255.255.255.252', '255.255.255.255', '0.0.0.0'];
function addr(r: Rng, fam: Family, single = false): string {
  if (fam === 'ipv4') {
    const one = (): string => r.weighted([
      [5, v4(r)],
      [6, `${v4(r)}/${r.int(0, 32)}`],
      [1, `${v4(r)}/${r.pick(MASKS4)}`],
      [1, '0.0.0.0/0'],
      [1, `10.${r.int(0, 255)}`],
    ]);
    if (!single && r.chance(0.08)) return `${one()},${one()}`;
    return one();
  }
  const one = (): string => r.weighted([[5, v6(r)], [6, `${v6(r)}/${r.int(0, 128)}`], [1, '::/0'], [1, `2001:db8::/${r.pick([32, 48, 56, 64])}`]]);
  if (!single && r.chance(0.08)) return `${one()},${one()}`;
  return one();
}
const IFACES = ['eth0', 'eth1', 'eth+', 'lo', 'wlan0', 'ens3', 'enp0s31f6', 'br-1a2b3c4d5e6f', 'docker0', 'veth+', 'wg0', 'tun+', 'ppp0', 'bond0.100'];
const iface = (r: Rng): string => (r.chance(0.03) ? 'abcdefghijklmno' : r.pick(IFACES));

const TCP_SERVICES = ['ssh', 'http', 'https', 'smtp', 'domain', 'ftp', 'telnet', 'pop3', 'imap2', 'mysql', 'postgresql', 'openvpn', 'sip'];
const UDP_SERVICES = ['domain', 'ntp', 'bootps', 'bootpc', 'tftp', 'snmp', 'syslog', 'isakmp', 'openvpn', 'sip', 'https'];
function port(r: Rng, proto: string): string {
  if (r.chance(0.15)) return r.pick(proto === 'udp' ? UDP_SERVICES : proto === 'tcp' ? TCP_SERVICES : ['80', '443']);
  return String(r.weighted([[3, r.int(1, 1023)], [2, r.int(1024, 65535)], [1, r.pick([0, 65535, 8080, 53])]]));
}
function portRange(r: Rng, proto: string, allowReversed: boolean): string {
  const k = r.int(0, 5);
  if (k <= 2) return port(r, proto);
  const a = r.int(0, 65535);
  const b = r.int(0, 65535);
  const [lo, hi] = allowReversed ? [a, b] : [Math.min(a, b), Math.max(a, b)];
  if (k === 3) return `${lo}:${hi}`;
  if (k === 4) return `${lo}:`;
  return `:${hi}`;
}

const ICMP_TYPES = ['echo-request', 'echo-reply', 'destination-unreachable', 'port-unreachable', 'host-unreachable', 'time-exceeded', 'ttl-zero-during-transit', 'parameter-problem', 'redirect', 'router-advertisement', 'timestamp-request', 'any', '8', '0', '3/3', '11/0', 'fragmentation-needed'];
const ICMP6_TYPES = ['echo-request', 'echo-reply', 'destination-unreachable', 'packet-too-big', 'time-exceeded', 'parameter-problem', 'router-solicitation', 'router-advertisement', 'neighbour-solicitation', 'neighbor-advertisement', 'redirect', '128', '1/4', '135', 'no-route'];
const CT_STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT'];
const STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'];
const CT_STATUS = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];
const ADDRTYPES4 = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT'];
const ADDRTYPES6 = ['UNSPEC', 'UNICAST', 'LOCAL', 'ANYCAST', 'MULTICAST', 'UNREACHABLE'];
const LOG_LEVELS = ['0', '1', '2', '3', '4', '5', '6', '7', 'emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug', 'panic'];
const REJECT4 = ['icmp-net-unreachable', 'net-unreach', 'icmp-host-unreachable', 'host-unreach', 'icmp-port-unreachable', 'port-unreach', 'icmp-proto-unreachable', 'proto-unreach', 'icmp-net-prohibited', 'net-prohib', 'icmp-host-prohibited', 'host-prohib', 'icmp-admin-prohibited', 'admin-prohib'];
const REJECT6 = ['icmp6-no-route', 'no-route', 'icmp6-adm-prohibited', 'adm-prohibited', 'icmp6-addr-unreachable', 'addr-unreach', 'icmp6-port-unreachable', 'port-unreach', 'icmp6-policy-fail', 'icmp6-reject-route'];

const WORDS = ['allow', 'block', 'ssh', 'web', 'dns', 'lan', 'wan', 'vpn', 'mgmt', 'guest', 'iot', 'backup', 'mail', 'docker', 'k8s', 'monitor'];
function text(r: Rng, maxLen = 40): string {
  const parts: string[] = [];
  const n = r.int(1, 4);
  for (let i = 0; i < n; i++) parts.push(r.pick(WORDS));
  let s = parts.join(r.pick([' ', '-', '_', ': ']));
  if (r.chance(0.1)) s += ' "quoted"';
  if (r.chance(0.05)) s += ' back\\slash';
  if (r.chance(0.1)) s += `: ${r.int(0, 9999)}`;
  return s.slice(0, maxLen);
}
/** A value as iptables-save writes it: bare when it can be, else quoted. */
function word(r: Rng, s: string): string {
  return /^[A-Za-z0-9_.:\/+-]+$/.test(s) && !r.chance(0.1) ? s : quote(s);
}
function listOf(r: Rng, items: readonly string[], max = 3): string {
  return r.sample(items, r.int(1, Math.min(max, items.length))).join(',');
}

// ---------------------------------------------------------------- own rules

interface ChainInfo {
  name: string;
  /** Hooks it may be reached from (its rules are valid in all of them). */
  hooks: Set<Hook>;
  /** Created with -N in the body rather than declared. */
  viaN: boolean;
  /**
   * The chain's kernel rules, in order, each pointing at the own rule text it
   * came from ("-s a,b" makes two), for -D/-I; `whole` until one is deleted.
   */
  rules: Array<{ body: string; whole: boolean }>;
  /** Rules that jump to it (own only), for -X safety. */
  referenced: boolean;
  /**
   * An "-I CHAIN N" went next to an existing rule: iptables-nft inserts
   * relative to that rule, so deleting rules here later would break the load.
   */
  insertRef?: boolean;
  scratch: boolean;
}

interface RuleCtx {
  family: Family;
  table: TableName;
  chain: string;
  builtin: boolean;
  hooks: ReadonlySet<Hook>;
  /** User chains this rule may jump to. */
  jumpable: ChainInfo[];
}

interface OwnRule {
  /** Text after "-A CHAIN". */
  body: string;
  jump?: string;
}

type Proto = { name: string; kind: 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'sctp' | 'other' | 'none'; negated: boolean };

function pickProto(r: Rng, fam: Family, need?: 'tcp' | 'udp' | 'tcpudp' | 'ports'): Proto {
  const P = (name: string, kind: Proto['kind'], negated = false): Proto => ({ name, kind, negated });
  const tcp = (): Proto => P(r.weighted([[8, 'tcp'], [1, '6'], [1, 'TCP']] as const), 'tcp');
  if (need === 'tcp') return tcp();
  if (need === 'udp') return P('udp', 'udp');
  if (need === 'tcpudp') return r.chance(0.6) ? tcp() : P(r.pick(['udp', '17']), 'udp');
  if (need === 'ports') return r.weighted<() => Proto>([[6, tcp], [3, () => P('udp', 'udp')], [1, () => P('sctp', 'sctp')]])();
  return r.weighted<() => Proto>([
    [8, () => P('none', 'none')],
    [6, () => P(r.pick(['tcp', 'tcp', '6']), 'tcp')],
    [4, () => P(r.pick(['udp', 'udp', '17']), 'udp')],
    [2, () => (fam === 'ipv4' ? P(r.pick(['icmp', '1']), 'icmp') : P(r.pick(['ipv6-icmp', 'icmpv6', '58']), 'icmp6'))],
    [1, () => P(r.pick(['gre', 'esp', 'ah', 'ospf', 'vrrp', 'igmp', '47', 'udplite', 'all']), 'other')],
    [1, () => P(r.pick(['tcp', 'udp', 'icmp', 'gre']), 'other', true)],
  ])();
}

function tcpOpts(r: Rng, explicit: boolean): string {
  const parts: string[] = [];
  if (explicit) parts.push('-m tcp');
  if (r.chance(0.4)) parts.push(`${r.chance(0.15) ? '! ' : ''}--sport ${portRange(r, 'tcp', false)}`);
  if (r.chance(0.7)) parts.push(`${r.chance(0.1) ? '! ' : ''}${r.pick(['--dport', '--dport', '--destination-port'])} ${portRange(r, 'tcp', false)}`);
  const f = r.int(0, 9);
  if (f === 0) parts.push(`${r.chance(0.3) ? '! ' : ''}--syn`);
  else if (f === 1) parts.push(`--tcp-flags ${r.pick(['SYN,ACK', 'FIN,SYN,RST,ACK', 'ALL', 'SYN,RST', 'URG,PSH'])} ${r.pick(['SYN', 'NONE', 'ACK', 'FIN,SYN', 'ALL'])}`);
  else if (f === 2) parts.push(`--tcp-option ${r.int(1, 255)}`);
  return parts.join(' ');
}
function udpOpts(r: Rng, explicit: boolean): string {
  const parts: string[] = [];
  if (explicit) parts.push('-m udp');
  if (r.chance(0.4)) parts.push(`${r.chance(0.15) ? '! ' : ''}--sport ${portRange(r, 'udp', true)}`);
  if (r.chance(0.7)) parts.push(`${r.chance(0.1) ? '! ' : ''}--dport ${portRange(r, 'udp', true)}`);
  return parts.join(' ');
}

function multiport(r: Rng): string {
  const n = r.int(1, 6);
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    if (r.chance(0.25)) {
      const a = r.int(1, 60000);
      items.push(`${a}:${a + r.int(1, 5000)}`);
    } else items.push(String(r.int(1, 65535)));
  }
  return `-m multiport ${r.chance(0.1) ? '! ' : ''}${r.pick(['--dports', '--sports', '--ports', '--destination-ports'])} ${items.join(',')}`;
}

type MatchGen = (r: Rng, ctx: RuleCtx, proto: Proto) => string | undefined;

const MATCH_GENS: ReadonlyArray<readonly [number, string, MatchGen]> = [
  [3, 'conntrack', (r, ctx) => {
    const o: string[] = [];
    const k = r.int(0, 5);
    if (k <= 2) o.push(`${r.chance(0.15) ? '! ' : ''}--ctstate ${listOf(r, CT_STATES)}`);
    if (k === 3) o.push(`--ctstatus ${listOf(r, CT_STATUS, 2)}`);
    if (k === 4) o.push(`--ctproto ${r.pick(['tcp', 'udp', '6', '17'])} --ctorigdstport ${r.int(1, 65535)}`);
    if (k === 5) o.push(`${r.chance(0.2) ? '! ' : ''}--ctorigsrc ${addr(r, ctx.family, true)}`);
    if (r.chance(0.15)) o.push(`--ctdir ${r.pick(['ORIGINAL', 'REPLY'])}`);
    if (r.chance(0.1)) o.push(`--ctexpire ${r.int(0, 100)}:${r.int(100, 100000)}`);
    return `-m conntrack ${o.join(' ')}`;
  }],
  [2, 'state', (r) => `-m state ${r.chance(0.1) ? '! ' : ''}--state ${listOf(r, STATES)}`],
  [1, 'addrtype', (r, ctx) => {
    const types = ctx.family === 'ipv4' ? ADDRTYPES4 : ADDRTYPES6;
    const o: string[] = [];
    if (r.chance(0.6)) o.push(`${r.chance(0.2) ? '! ' : ''}--src-type ${listOf(r, types, 2)}`);
    if (o.length === 0 || r.chance(0.5)) o.push(`${r.chance(0.2) ? '! ' : ''}--dst-type ${listOf(r, types, 2)}`);
    if (r.chance(0.2) && subset(ctx.hooks, ['PREROUTING', 'INPUT', 'FORWARD'])) o.push('--limit-iface-in');
    else if (r.chance(0.2) && subset(ctx.hooks, ['OUTPUT', 'POSTROUTING', 'FORWARD'])) o.push('--limit-iface-out');
    return `-m addrtype ${o.join(' ')}`;
  }],
  [1, 'iprange', (r, ctx) => {
    const one = (): string => {
      if (ctx.family === 'ipv4') {
        const a = r.int(0, 255);
        return r.chance(0.2) ? v4(r) : `10.0.${a}.${r.int(0, 100)}-10.0.${a}.${r.int(100, 255)}`;
      }
      return `2001:db8::${r.int(1, 0xff).toString(16)}-2001:db8::${r.int(0x100, 0xffff).toString(16)}`;
    };
    const o: string[] = [];
    if (r.chance(0.6)) o.push(`${r.chance(0.2) ? '! ' : ''}--src-range ${one()}`);
    if (o.length === 0 || r.chance(0.4)) o.push(`${r.chance(0.2) ? '! ' : ''}--dst-range ${one()}`);
    return `-m iprange ${o.join(' ')}`;
  }],
  [2, 'mark', (r) => `-m mark ${r.chance(0.2) ? '! ' : ''}--mark ${markVal(r)}`],
  [1, 'connmark', (r) => `-m connmark ${r.chance(0.2) ? '! ' : ''}--mark ${markVal(r)}`],
  [1, 'mac', (r, ctx) => {
    if (!subset(ctx.hooks, ['PREROUTING', 'INPUT', 'FORWARD'])) return undefined;
    const b = (): string => r.int(0, 255).toString(16).padStart(2, '0');
    return `-m mac ${r.chance(0.2) ? '! ' : ''}--mac-source ${[b(), b(), b(), b(), b(), b()].join(':')}`;
  }],
  [1, 'physdev', (r) => {
    const o: string[] = [];
    if (r.chance(0.6)) o.push(`${r.chance(0.2) ? '! ' : ''}--physdev-in ${iface(r)}`);
    if (r.chance(0.3)) o.push(`${r.chance(0.2) ? '! ' : ''}--physdev-is-in`);
    if (o.length === 0 || r.chance(0.3)) o.push('--physdev-is-bridged');
    if (o.includes('--physdev-is-bridged') && r.chance(0.4)) o.push(`--physdev-out ${iface(r)}`);
    return `-m physdev ${o.join(' ')}`;
  }],
  [1, 'limit', (r) => {
    const unit = r.pick(['second', 'sec', 's', '/minute', 'min', 'm']);
    const rate = unit.includes('m') ? r.int(1, 600) : r.int(1, 10000);
    const o = [`--limit ${rate}/${unit.replace('/', '')}`];
    if (r.chance(0.5)) o.push(`--limit-burst ${r.int(1, 200)}`);
    return `-m limit ${o.join(' ')}`;
  }],
  [1, 'hashlimit', (r, ctx) => {
    const o = [`--hashlimit-name ${r.pick(['h1', 'ssh', 'web-flood', 'dns', 'x'])}${r.int(0, 3)}`];
    o.push(`${r.chance(0.5) ? '--hashlimit-upto' : '--hashlimit-above'} ${r.int(1, 1000)}/${r.pick(['sec', 'second', 'min', 'minute'])}`);
    if (r.chance(0.4)) o.push(`--hashlimit-burst ${r.int(1, 100)}`);
    if (r.chance(0.5)) o.push(`--hashlimit-mode ${listOf(r, ['srcip', 'dstip', 'srcport', 'dstport'], 2)}`);
    if (r.chance(0.3)) o.push(`--hashlimit-srcmask ${r.int(0, ctx.family === 'ipv4' ? 32 : 128)}`);
    if (r.chance(0.2)) o.push(`--hashlimit-htable-expire ${r.int(1, 100000)}`);
    return `-m hashlimit ${o.join(' ')}`;
  }],
  [1, 'recent', (r) => {
    const cmd = r.pick(['--set', '--rcheck', '--update', '--remove']);
    const o = [`${r.chance(0.1) ? '! ' : ''}${cmd}`];
    if (r.chance(0.7)) o.push(`--name ${r.pick(['DEFAULT', 'ssh', 'portscan', 'bad'])}`);
    if (cmd === '--rcheck' || cmd === '--update') {
      if (r.chance(0.7)) o.push(`--seconds ${r.int(1, 3600)}`);
      if (r.chance(0.5)) o.push(`--hitcount ${r.int(1, 20)}`);
      if (r.chance(0.2) && o.some((x) => x.startsWith('--seconds'))) o.push('--reap');
      if (r.chance(0.2)) o.push('--rttl');
    }
    if (r.chance(0.3)) o.push(r.pick(['--rsource', '--rdest']));
    return `-m recent ${o.join(' ')}`;
  }],
  [1, 'owner', (r, ctx) => {
    if (!subset(ctx.hooks, ['OUTPUT', 'POSTROUTING'])) return undefined;
    const k = r.int(0, 3);
    const neg = r.chance(0.2) ? '! ' : '';
    if (k === 0) return `-m owner ${neg}--uid-owner ${r.int(0, 65534)}`;
    if (k === 1) {
      const a = r.int(0, 1000);
      return `-m owner ${neg}--uid-owner ${a}-${a + r.int(0, 1000)}`;
    }
    if (k === 2) return `-m owner ${neg}--gid-owner ${r.int(0, 65534)}${r.chance(0.3) ? ' --suppl-groups' : ''}`;
    return `-m owner ${neg}--socket-exists`;
  }],
  [1, 'statistic', (r) => {
    if (r.chance(0.5)) return `-m statistic --mode random ${r.chance(0.1) ? '! ' : ''}--probability ${r.pick(['0.5', '0.25', '0.01', '0.99', '1', '0', String(r.int(1, 99999) / 100000)])}`;
    const every = r.int(1, 20);
    return `-m statistic --mode nth --every ${every} --packet ${r.int(0, every - 1)}`;
  }],
  [1, 'length', (r) => {
    const a = r.int(0, 1500);
    return `-m length ${r.chance(0.2) ? '! ' : ''}--length ${r.pick([String(a), `${a}:${a + r.int(0, 64000)}`, `:${a}`, `${a}:`])}`;
  }],
  [1, 'ttl', (r, ctx) => {
    const n = r.int(0, 255);
    if (ctx.family === 'ipv4') return `-m ttl ${r.chance(0.5) ? `${r.chance(0.2) ? '! ' : ''}--ttl-eq ${n}` : `${r.pick(['--ttl-lt', '--ttl-gt'])} ${n}`}`;
    return `-m hl ${r.chance(0.5) ? `${r.chance(0.2) ? '! ' : ''}--hl-eq ${n}` : `${r.pick(['--hl-lt', '--hl-gt'])} ${n}`}`;
  }],
  [1, 'pkttype', (r) => `-m pkttype ${r.chance(0.2) ? '! ' : ''}--pkt-type ${r.pick(['unicast', 'broadcast', 'multicast', 'host', 'BROADCAST'])}`],
  [1, 'string', (r) => {
    const o = [`--algo ${r.pick(['bm', 'kmp'])}`];
    if (r.chance(0.7)) o.push(`${r.chance(0.15) ? '! ' : ''}--string ${word(r, text(r, 30))}`);
    else o.push(`--hex-string "|${Array.from({ length: r.int(1, 8) }, () => r.int(0, 255).toString(16).padStart(2, '0')).join(r.chance(0.3) ? ' ' : '')}|"`);
    if (r.chance(0.3)) {
      const from = r.int(0, 100);
      o.push(`--from ${from} --to ${from + r.int(0, 1000)}`);
    }
    if (r.chance(0.2) && o[0]!.includes('bm')) o.push('--icase');
    return `-m string ${r.chance(0.5) ? o.join(' ') : r.shuffle(o).join(' ')}`;
  }],
  [1, 'u32', (r) => `-m u32 ${r.chance(0.1) ? '! ' : ''}--u32 ${r.pick(['"0x0=0x0"', '"0>>22&0x3C@0>>16=0x0:0xFF"', '"6&0xFF=6&&0>>22&0x3C@12>>26&0x3C@0=0x10:0x20"', '"0=1,2,3"', '0=0x45000000:0x4500FFFF', '"4&0x3FFF=0x0"'])}`],
  [3, 'comment', (r) => `-m comment --comment ${word(r, text(r, r.chance(0.05) ? 255 : 60))}`],
];

function protoMatch(r: Rng, ctx: RuleCtx, p: Proto): string {
  if (p.negated || p.kind === 'none' || p.kind === 'other') return '';
  if (p.kind === 'tcp') return r.chance(0.75) ? tcpOpts(r, r.chance(0.5)) : r.chance(0.5) ? multiport(r) : '';
  if (p.kind === 'udp') return r.chance(0.75) ? udpOpts(r, r.chance(0.5)) : r.chance(0.5) ? multiport(r) : '';
  if (p.kind === 'sctp') return r.chance(0.5) ? `--dport ${port(r, 'sctp')}` : '';
  if (p.kind === 'icmp') return r.chance(0.8) ? `${r.chance(0.5) ? '-m icmp ' : ''}${r.chance(0.1) ? '! ' : ''}--icmp-type ${r.pick(ICMP_TYPES)}` : '';
  if (p.kind === 'icmp6') return r.chance(0.8) ? `${r.chance(0.5) ? '-m icmp6 ' : ''}${r.chance(0.1) ? '! ' : ''}--icmpv6-type ${r.pick(ICMP6_TYPES)}` : '';
  void ctx;
  return '';
}

/** A target valid in this table and these hooks: [text, protocol it needs]. */
type TargetPick = { text: string; need?: 'tcp' | 'udp' | 'tcpudp' | 'ports'; syn?: boolean; jump?: string };

function pickTarget(r: Rng, ctx: RuleCtx): TargetPick | undefined {
  const { table, hooks, family } = ctx;
  const opts: Array<[number, () => TargetPick | undefined]> = [];
  const add = (w: number, f: () => TargetPick | undefined): void => {
    opts.push([w, f]);
  };
  add(table === 'nat' ? 2 : 6, () => ({ text: `-j ${table === 'nat' ? r.pick(['ACCEPT', 'RETURN']) : r.pick(['ACCEPT', 'DROP', 'ACCEPT', 'DROP', 'RETURN'])}` }));
  add(1, () => undefined);
  if (ctx.jumpable.length) {
    add(5, () => {
      const c = r.pick(ctx.jumpable);
      return { text: `${r.chance(0.2) ? '-g' : '-j'} ${c.name}`, jump: c.name };
    });
  }
  add(2, () => {
    const o: string[] = [];
    if (r.chance(0.7)) o.push(`--log-prefix ${word(r, `${text(r, 20)}: `)}`);
    if (r.chance(0.5)) o.push(`--log-level ${r.pick(LOG_LEVELS)}`);
    for (const f of ['--log-tcp-sequence', '--log-tcp-options', '--log-ip-options', '--log-uid', '--log-macdecode']) if (r.chance(0.1)) o.push(f);
    return { text: `-j LOG ${o.join(' ')}`.trim() };
  });
  add(1, () => {
    const o: string[] = [];
    if (r.chance(0.7)) o.push(`--nflog-group ${r.int(0, 65535)}`);
    if (r.chance(0.5)) o.push(`--nflog-prefix ${word(r, text(r, 40))}`);
    if (r.chance(0.3)) o.push(`--nflog-threshold ${r.int(1, 100)}`);
    if (r.chance(0.2)) o.push(`--nflog-size ${r.int(0, 65535)}`);
    return { text: `-j NFLOG ${o.join(' ')}`.trim() };
  });
  add(1, () => {
    const k = r.int(0, 3);
    if (k === 0) return { text: '-j NFQUEUE' };
    if (k === 1) return { text: `-j NFQUEUE --queue-num ${r.int(0, 65535)}${r.chance(0.3) ? ' --queue-bypass' : ''}` };
    const a = r.int(0, 1000);
    return { text: `-j NFQUEUE --queue-balance ${a}:${a + r.int(1, 100)}${r.chance(0.3) ? ' --queue-cpu-fanout' : ''}${r.chance(0.3) ? ' --queue-bypass' : ''}` };
  });
  // (QUEUE is refused by iptables-nft: only mutations use it.)
  add(table === 'mangle' ? 4 : 1, () => {
    const k = r.int(0, 4);
    const opt = ['--set-mark', '--set-xmark', '--and-mark', '--or-mark', '--xor-mark'][k]!;
    return { text: `-j MARK ${opt} ${k < 2 ? markVal(r) : num32(r)}` };
  });
  add(table === 'mangle' ? 3 : 1, () => {
    const k = r.int(0, 3);
    if (k === 0) return { text: `-j CONNMARK --set-mark ${markVal(r)}` };
    if (k === 1) return { text: `-j CONNMARK --save-mark${r.chance(0.3) ? ` --nfmask ${hex(r, 0xffffffff)} --ctmask ${hex(r, 0xffffffff)}` : r.chance(0.3) ? ` --mask ${hex(r, 0xffff)}` : ''}` };
    if (k === 2) return { text: `-j CONNMARK --restore-mark${r.chance(0.3) ? ` --mask ${hex(r, 0xffff)}` : ''}` };
    return { text: `-j CONNMARK ${r.pick(['--and-mark', '--or-mark', '--xor-mark'])} ${num32(r)}` };
  });
  if (subset(hooks, ['FORWARD', 'OUTPUT', 'POSTROUTING'])) {
    add(table === 'mangle' ? 2 : 0.5, () => ({ text: `-j CLASSIFY --set-class ${r.int(0, 0xffff).toString(16)}:${r.int(0, 0xffff).toString(16)}` }));
  }
  if (table === 'filter') {
    add(4, () => {
      if (r.chance(0.2)) return { text: '-j REJECT --reject-with tcp-reset', need: 'tcp' };
      if (r.chance(0.3)) return { text: '-j REJECT' };
      return { text: `-j REJECT --reject-with ${r.pick(family === 'ipv4' ? REJECT4 : REJECT6)}` };
    });
  }
  if (table === 'raw') {
    add(2, () => ({ text: '-j NOTRACK' }));
    add(2, () => ({ text: '-j TRACE' }));
    add(3, () => {
      const k = r.int(0, 4);
      if (k === 0) return { text: '-j CT --notrack' };
      if (k === 1) return { text: `-j CT --zone ${r.int(0, 65535)}` };
      if (k === 2) return { text: '-j CT --helper ftp', need: 'tcp' };
      if (k === 3) return { text: `-j CT --ctevents ${listOf(r, ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark'], 4)}` };
      return { text: `-j CT --zone-orig ${r.int(0, 100)}${r.chance(0.5) ? ` --zone-reply ${r.int(0, 100)}` : ''}` };
    });
  }
  if (table === 'nat') {
    const ip = (): string => (family === 'ipv4' ? v4(r) : v6(r));
    const range = (withPort: boolean): string => {
      const a = ip();
      const base = family === 'ipv4' && r.chance(0.2) ? `${a}-${ip()}` : a;
      if (!withPort) return base;
      const p1 = r.int(1, 60000);
      const ports = r.chance(0.5) ? String(p1) : `${p1}-${p1 + r.int(1, 5000)}`;
      return family === 'ipv4' ? `${base}:${ports}` : `[${base}]:${ports}`;
    };
    if (subset(hooks, ['PREROUTING', 'OUTPUT'])) {
      add(5, () => {
        const withPort = r.chance(0.4);
        return { text: `-j DNAT --to-destination ${range(withPort)}${r.chance(0.1) ? ' --random' : ''}${r.chance(0.1) ? ' --persistent' : ''}`, ...(withPort ? { need: 'ports' as const } : {}) };
      });
      add(2, () => (r.chance(0.5) ? { text: '-j REDIRECT' } : { text: `-j REDIRECT --to-ports ${r.int(1, 60000)}${r.chance(0.3) ? `-${r.int(60001, 65535)}` : ''}${r.chance(0.2) ? ' --random' : ''}`, need: 'ports' }));
    }
    if (subset(hooks, ['POSTROUTING', 'INPUT'])) {
      add(4, () => {
        const withPort = r.chance(0.3);
        return { text: `-j SNAT --to-source ${range(withPort)}${r.chance(0.1) ? ' --random' : ''}${r.chance(0.1) ? ' --random-fully' : ''}${r.chance(0.1) ? ' --persistent' : ''}`, ...(withPort ? { need: 'ports' as const } : {}) };
      });
    }
    if (subset(hooks, ['POSTROUTING'])) {
      add(5, () => {
        if (r.chance(0.3)) return { text: `-j MASQUERADE --to-ports ${r.int(1024, 30000)}-${r.int(30001, 65535)}`, need: 'ports' };
        return { text: `-j MASQUERADE${r.chance(0.2) ? ' --random' : ''}${r.chance(0.2) ? ' --random-fully' : ''}` };
      });
    }
    add(1, () => ({ text: `-j NETMAP --to ${family === 'ipv4' ? `10.${r.int(0, 255)}.0.0/${r.int(8, 32)}` : `2001:db8:${r.int(0, 0xffff).toString(16)}::/${r.int(32, 128)}`}` }));
  }
  if (table === 'mangle') {
    if (subset(hooks, ['PREROUTING'])) {
      add(2, () => {
        const o = [`--on-port ${r.int(0, 65535)}`];
        if (r.chance(0.5)) o.push(`--on-ip ${family === 'ipv4' ? v4(r) : v6(r)}`);
        if (r.chance(0.5)) o.push(`--tproxy-mark ${markVal(r)}`);
        return { text: `-j TPROXY ${r.shuffle(o).join(' ')}`, need: 'tcpudp' };
      });
    }
    add(1, () => ({ text: '-j CHECKSUM --checksum-fill' }));
  }
  if (table === 'mangle' || table === 'filter') {
    add(1, () => {
      const maxMss = family === 'ipv4' ? 65495 : 65475;
      if (subset(hooks, ['FORWARD', 'OUTPUT', 'POSTROUTING']) && r.chance(0.6)) return { text: '-j TCPMSS --clamp-mss-to-pmtu', need: 'tcp', syn: true };
      return { text: `-j TCPMSS --set-mss ${r.int(500, Math.min(maxMss, 9000))}`, need: 'tcp', syn: true };
    });
  }
  return r.weighted(opts.map(([w, f]) => [w, f] as const))();
}

function genOwnRule(r: Rng, ctx: RuleCtx): OwnRule {
  const target = pickTarget(r, ctx);
  const proto = pickProto(r, ctx.family, target?.need);
  const parts: string[] = [];
  // Base options.
  if (r.chance(0.35)) parts.push(`${r.chance(0.15) ? '! ' : ''}${r.pick(['-s', '-s', '--source', '--src'])} ${addr(r, ctx.family)}`);
  if (r.chance(0.3)) parts.push(`${r.chance(0.15) ? '! ' : ''}${r.pick(['-d', '-d', '--destination'])} ${addr(r, ctx.family)}`);
  // A negated address list is refused, and iptables-nft refuses a negated all-zero mask: keep "!"
  // only with single addresses that have a mask.
  const multi = parts.some((p) => p.includes(','));
  for (let i = 0; i < parts.length; i++) {
    if (parts[i]!.startsWith('! ') && (multi || /\/(0|0\.0\.0\.0)$|^::\/0$/.test(parts[i]!.split(' ').pop()!))) parts[i] = parts[i]!.slice(2);
  }
  const inOk = !ctx.builtin || !['OUTPUT', 'POSTROUTING'].includes(ctx.chain);
  const outOk = !ctx.builtin || !['PREROUTING', 'INPUT'].includes(ctx.chain);
  if (inOk && r.chance(0.3)) parts.push(`${r.chance(0.15) ? '! ' : ''}-i ${iface(r)}`);
  if (outOk && r.chance(0.25)) parts.push(`${r.chance(0.15) ? '! ' : ''}-o ${iface(r)}`);
  if (proto.kind !== 'none') parts.push(`${proto.negated ? '! ' : ''}${r.chance(0.85) ? '-p' : '--protocol'} ${proto.name}`);
  if (ctx.family === 'ipv4' && proto.kind === 'none' && r.chance(0.03)) parts.push(`${r.chance(0.3) ? '! ' : ''}-f`);
  if (target?.syn) {
    parts.push(r.chance(0.6) ? `${r.chance(0.5) ? '-m tcp ' : ''}--syn` : '-m tcp --tcp-flags SYN,RST SYN');
  } else {
    const pm = protoMatch(r, ctx, proto);
    if (pm) parts.push(pm);
  }
  const nMatches = r.weighted([[4, 0], [4, 1], [2, 2], [1, 3]] as const);
  for (let i = 0; i < nMatches; i++) {
    const [, , gen] = r.weighted(MATCH_GENS.map((g) => [g[0], g] as const));
    const m = gen(r, ctx, proto);
    if (m) parts.push(m);
  }
  if (target) parts.push(target.text);
  if (r.chance(0.05) && target) {
    // Base options may follow the target.
    const extra = `-s ${addr(r, ctx.family, true)}`;
    if (!parts.some((p) => /(^|\s)(-s|--source|--src)\s/.test(p))) parts.push(extra);
  }
  const body = parts.filter(Boolean).join(' ');
  return target?.jump ? { body, jump: target.jump } : { body };
}

// ---------------------------------------------------------------- units

interface Unit {
  readonly table: TableName;
  readonly family: Family;
  readonly lines: readonly string[];
  /** User chains the unit declares (":X - [0:0]") and creates with -N. */
  readonly chains: readonly string[];
  readonly created: readonly string[];
  readonly okNft: boolean;
  readonly okLegacy: boolean;
  /** Modelled extensions it uses. */
  readonly exts: ReadonlySet<string>;
  /** Has a whole-table command (-F/-X/-Z without a chain). */
  readonly global: boolean;
}

const CHAIN_ARG_OPTS = new Set(['-A', '-I', '-D', '-N', '-X', '-F', '-Z', '-L', '-S', '-E', '-P', '-j', '-g', '-C', '--append', '--insert', '--delete', '--new-chain', '--delete-chain', '--flush', '--zero', '--rename-chain', '--policy', '--jump', '--goto', '--check']);

const OBJECT_NAME_OPTS = new Set(['--hashlimit-name', '--rateest-name', '--rateest', '--rateest1', '--rateest2']);

/**
 * Renames user chains in a rule line (words after chain-taking options, and
 * -E's second name), and with `objects`, kernel objects shared by name
 * (hashlimit tables, rate estimators), so units cannot clash with each other.
 */
function renameChains(line: string, map: ReadonlyMap<string, string>, objects?: string): string {
  if (map.size === 0 && !objects) return line;
  const w = splitWords(line);
  const before = w.join(' ');
  for (let i = 1; i < w.length; i++) {
    const prev = w[i - 1]!;
    if (objects && OBJECT_NAME_OPTS.has(prev) && /^[\w.-]{1,20}$/.test(w[i]!)) {
      w[i] = `${w[i]}${objects}`;
      continue;
    }
    const renamed = map.get(w[i]!);
    if (renamed === undefined) continue;
    if (CHAIN_ARG_OPTS.has(prev) || w[i - 2] === '-E' || w[i - 2] === '--rename-chain') w[i] = renamed;
  }
  // Untouched lines keep their own blanks (some cases depend on them).
  return w.join(' ') === before ? line : w.join(' ');
}

let unitCache: { ok: Unit[]; bad: Unit[]; byExt: Map<string, Unit[]>; modeled: string[] } | undefined;

function extsOf(c: RuleCase): Set<string> {
  const out = new Set<string>();
  // What the case writes, then what our parser loads (implicit protocol matches, verdicts).
  for (const m of caseFile(c).matchAll(/(?:^|\s)(?:-m|--match|-j|--jump)\s+"?([A-Za-z0-9_-]+)/g)) out.add(m[1] === 'icmpv6' || m[1] === 'ipv6-icmp' ? 'icmp6' : m[1]!);
  for (const backend of ['nft', 'legacy'] as const) {
    let parsed;
    try {
      parsed = parseIptables(caseFile(c), { backend, family: c.family ?? 'ipv4' });
    } catch {
      continue; // (the differential test reports parser crashes on its own files)
    }
    for (const t of parsed.file.tables) {
      for (const cmd of t.commands) {
        const rule = cmd.rule;
        if (!rule) continue;
        for (const m of rule.matches) out.add(m.name === 'ipv6-icmp' || m.name === 'icmpv6' ? 'icmp6' : m.name);
        if (rule.target?.kind === 'verdict') out.add(rule.target.name);
        if (rule.target?.kind === 'extension') out.add(rule.target.use.name);
      }
    }
  }
  return out;
}

function units(): NonNullable<typeof unitCache> {
  if (unitCache) return unitCache;
  const modeledSet = new Set([...allMatches(), ...allTargets()].filter(isModeled).map((e) => e.name));
  const modeled = [...modeledSet].sort();
  const ok: Unit[] = [];
  const bad: Unit[] = [];
  const byExt = new Map<string, Unit[]>();
  for (const { cases } of ALL_CASES) {
    for (const c of cases) {
      if (c.envDependent || c.ours !== undefined) continue;
      const lines = typeof c.rules === 'string' ? [c.rules] : [...c.rules];
      // iptables-nft 1.8.9 crashes on -R in some batches; -L/-S print; -h/-V end the load there
      // (which would make the rest of a generated file meaningless).
      if (lines.some((l) => /(^|\s)(-R|-L|-S|-h|-V|--help|--version)(\s|$)/.test(l))) continue;
      const table = (c.table ?? 'filter') as TableName;
      if (!isTable(table)) continue;
      const created = lines.flatMap((l) => {
        const m = /^-N\s+(\S+)|^-E\s+\S+\s+(\S+)/.exec(l);
        return m ? [(m[1] ?? m[2])!] : [];
      });
      const unit: Unit = {
        table,
        family: c.family ?? 'ipv4',
        lines,
        chains: c.chains ?? [],
        created,
        okNft: expected(c, 'nft') === 'ok',
        okLegacy: expected(c, 'legacy') === 'ok',
        exts: new Set([...extsOf(c)].filter((e) => modeledSet.has(e))),
        global: lines.some((l) => /^-[FXZ]\s*$/.test(l)),
      };
      if (unit.okNft && unit.okLegacy) {
        ok.push(unit);
        for (const e of unit.exts) {
          const arr = byExt.get(e) ?? [];
          arr.push(unit);
          byExt.set(e, arr);
        }
      } else bad.push(unit);
    }
  }
  // Extensions no valid unit shows (ULOG: this kernel has no ULOG): fall back to any unit.
  for (const e of modeled) {
    if (byExt.has(e)) continue;
    byExt.set(e, bad.filter((u) => u.exts.has(e)));
  }
  unitCache = { ok, bad, byExt, modeled };
  return unitCache;
}

/** Modelled extension names, in the order files focus on them. */
export function modeledExtensions(): string[] {
  return units().modeled;
}

// ---------------------------------------------------------------- file model

type LineKind = 'header' | 'comment' | 'blank' | 'table' | 'chain' | 'rule' | 'commit' | 'other';

interface Line {
  text: string;
  kind: LineKind;
  table?: TableModel;
  /** Rule lines: the chain the command names. */
  chain?: string;
}

interface TableModel {
  name: TableName;
  header: Line;
  commit: Line;
  chains: ChainInfo[];
}

interface FileModel {
  family: Family;
  lines: Line[];
  tables: TableModel[];
  eol: '\n' | '\r\n';
  finalNewline: boolean;
  /** Chain names used anywhere, to keep new names unique. */
  names: Set<string>;
}

const CHAIN_STEMS = ['DOCKER', 'DOCKER-USER', 'f2b-sshd', 'ufw-user-input', 'LOG_DROP', 'KUBE-SERVICES', 'KUBE-SEP', 'cali-fw', 'wan_in', 'lan_fwd', 'syn-flood', 'port-scan', 'ssh-guard', 'ALLOW', 'mychain', 'TCP', 'UDP', 'icmp-in', 'natrules', 'MARKS'];

/** How many kernel rules a rule text makes (one per source × destination address). */
function expansions(body: string): number {
  const w = splitWords(body);
  let n = 1;
  for (let i = 0; i + 1 < w.length; i++) if (/^(-s|-d|--source|--destination|--src|--dst)$/.test(w[i]!)) n *= w[i + 1]!.split(',').length;
  return n;
}

function chainName(r: Rng, used: Set<string>): string {
  for (;;) {
    let n = r.pick(CHAIN_STEMS);
    if (r.chance(0.6)) n += `${r.pick(['-', '_', ''])}${r.int(0, 999)}`;
    if (r.chance(0.03)) n = `${n}-${'X'.repeat(30)}`.slice(0, 28); // exactly the longest allowed name
    if (!used.has(n)) {
      used.add(n);
      return n;
    }
  }
}

function counters(r: Rng): string {
  return `[${r.weighted([[3, 0], [2, r.int(0, 100000)], [1, r.int(0, 2 ** 40)]] as const)}:${r.weighted([[3, 0], [2, r.int(0, 10000000)], [1, r.int(0, 2 ** 50)]] as const)}]`;
}

function ruleLine(r: Rng, cmd: string, chain: string, body: string): string {
  const longCmd: Record<string, string> = { '-A': '--append', '-I': '--insert', '-D': '--delete' };
  const c = r.chance(0.05) && longCmd[cmd] ? longCmd[cmd]! : cmd;
  let line = `${c} ${chain}${body ? ` ${body}` : ''}`;
  if (cmd === '-A' && r.chance(0.1)) line = `${counters(r)} ${line}`;
  else if (cmd === '-A' && r.chance(0.03)) line += ` -c ${r.int(0, 1000)} ${r.int(0, 100000)}`;
  // Blanks between words may be runs of spaces and tabs (never inside quotes).
  if (r.chance(0.03)) line = splitWords(line).map((w, i) => (i === 0 ? w : `${r.chance(0.2) ? r.pick(['  ', '\t', ' \t ']) : ' '}${w}`)).join('');
  return line;
}

/** Builds one table block of a valid file. */
function buildTable(r: Rng, m: FileModel, name: TableName, extraUnits: Unit[]): Line[] {
  const fam = m.family;
  const builtins = BUILTINS[name];
  const out: Line[] = [];
  const header: Line = { text: `*${name}`, kind: 'table' };
  const commit: Line = { text: 'COMMIT', kind: 'commit' };
  const t: TableModel = { name, header, commit, chains: [] };
  header.table = t;
  commit.table = t;
  out.push(header);

  // User chains with the hooks they may be reached from.
  const nUser = r.weighted([[2, 0], [4, 1], [4, 2], [3, 3], [1, 5]] as const);
  for (let i = 0; i < nUser; i++) {
    const hooks = new Set(r.sample(builtins, r.weighted([[6, 1], [2, 2], [1, builtins.length]] as const)));
    t.chains.push({ name: chainName(r, m.names), hooks, viaN: r.chance(0.2), rules: [], referenced: false, scratch: false });
  }
  if (r.chance(0.1)) t.chains.push({ name: chainName(r, m.names), hooks: new Set(), viaN: r.chance(0.5), rules: [], referenced: false, scratch: true });

  // Units: renamed chains, declared like ours.
  const unitBlocks: Line[][] = [];
  const unitDecls: string[] = [];
  for (const u of extraUnits) {
    const map = new Map<string, string>();
    for (const c of [...u.chains, ...u.created]) {
      const nn = c.length + 4 <= 28 ? `${c}_u${r.int(0, 999)}` : c;
      if (m.names.has(nn)) continue;
      m.names.add(nn);
      map.set(c, nn);
    }
    for (const c of u.chains) unitDecls.push(map.get(c) ?? c);
    const objects = `_o${r.int(0, 9999)}`;
    unitBlocks.push(u.lines.map((l) => ({ text: renameChains(l, map, objects), kind: 'rule' as const, table: t })));
  }

  // Chain lines.
  const decls: Line[] = [];
  for (const b of builtins) {
    if (r.chance(0.1)) continue;
    const policy = name === 'nat' ? 'ACCEPT' : r.weighted([[6, 'ACCEPT'], [2, 'DROP'], [0.3, '-']] as const);
    decls.push({ text: `:${b} ${policy} ${r.chance(0.9) ? counters(r) : ''}`.trimEnd(), kind: 'chain', table: t, chain: b });
  }
  for (const c of t.chains) if (!c.viaN) decls.push({ text: `:${c.name} - ${r.chance(0.9) ? '[0:0]' : counters(r)}`.trimEnd(), kind: 'chain', table: t, chain: c.name });
  for (const c of unitDecls) decls.push({ text: `:${c} - [0:0]`, kind: 'chain', table: t, chain: c });
  if (r.chance(0.15)) r.shuffle(decls);
  out.push(...decls);

  // Body ops.
  const body: Line[] = [];
  const rule = (chain: string, text: string): Line => ({ text, kind: 'rule', table: t, chain });
  const ctxFor = (chain: string, builtin: boolean, hooks: ReadonlySet<Hook>, self?: ChainInfo): RuleCtx => {
    const idx = self ? t.chains.indexOf(self) : -1;
    const jumpable = t.chains.filter((c, i) => !c.scratch && i > idx && [...hooks].every((h) => c.hooks.has(h)) && (builtin ? hooks.size > 0 : true));
    return { family: fam, table: name, chain, builtin, hooks, jumpable };
  };
  const addOwn = (chain: string, builtin: boolean, hooks: ReadonlySet<Hook>, self?: ChainInfo): void => {
    const own = genOwnRule(r, ctxFor(chain, builtin, hooks, self));
    if (own.jump) {
      const c = t.chains.find((x) => x.name === own.jump);
      if (c) c.referenced = true;
    }
    const cmd = self && r.chance(0.1) ? '-I' : '-A';
    let idx = '';
    const entry = { body: own.body, whole: true };
    const slots = Array.from({ length: expansions(own.body) }, () => entry);
    if (cmd === '-I' && self) {
      const n = r.int(1, self.rules.length + 1);
      if (r.chance(0.7)) idx = ` ${n}`;
      if (idx && n > 1 && n <= self.rules.length) self.insertRef = true;
      self.rules.splice((idx ? n : 1) - 1, 0, ...slots);
    } else if (self) self.rules.push(...slots);
    body.push(rule(chain, ruleLine(r, cmd, `${chain}${idx}`, own.body)));
  };
  const ops: Array<() => void> = [];
  // Rules in built-in chains (some jumping to user chains).
  for (const b of builtins) {
    const n = r.weighted([[2, 0], [4, 1], [3, 3], [1, 6]] as const);
    for (let i = 0; i < n; i++) ops.push(() => addOwn(b, true, new Set([b])));
  }
  // Every non-scratch user chain gets a jump from (usually) each of its hooks, and rules.
  for (const c of t.chains) {
    if (c.scratch) continue;
    for (const h of c.hooks) {
      if (r.chance(0.1)) continue;
      ops.push(() => {
        c.referenced = true;
        const pre = genOwnRule(r, { family: fam, table: name, chain: h, builtin: true, hooks: new Set([h]), jumpable: [] }).body.replace(/\s*-[jg] \S+.*$/, '');
        const cond = r.chance(0.5) ? pre : '';
        body.push(rule(h, ruleLine(r, '-A', h, `${cond ? `${cond} ` : ''}${r.chance(0.15) ? '-g' : '-j'} ${c.name}`)));
      });
    }
    const n = r.weighted([[1, 0], [4, 1], [4, 3], [1, 6]] as const);
    for (let i = 0; i < n; i++) ops.push(() => addOwn(c.name, false, c.hooks, c));
  }
  const firstBlocks: Line[] = [];
  unitBlocks.forEach((blk, i) => (extraUnits[i]!.global ? firstBlocks.push(...blk) : ops.push(() => body.push(...blk))));
  // Commands.
  const nCmds = r.weighted([[4, 0], [3, 1], [2, 2], [1, 4]] as const);
  for (let i = 0; i < nCmds; i++) {
    ops.push(() => {
      const k = r.int(0, 6);
      const own = t.chains.filter((c) => !c.scratch && c.rules.length > 0 && !c.insertRef);
      if (k === 0) {
        const b = r.pick(builtins);
        body.push(rule(b, `-P ${b} ${name === 'nat' ? 'ACCEPT' : r.pick(['ACCEPT', 'DROP'])}`));
      } else if (k === 1 && own.length) {
        const c = r.pick(own);
        const whole = c.rules.filter((x) => x.whole);
        if (r.chance(0.5) || whole.length === 0) {
          // By number: one kernel rule goes.
          const k = r.int(1, c.rules.length);
          body.push(rule(c.name, `-D ${c.name} ${k}`));
          c.rules[k - 1]!.whole = false;
          c.rules.splice(k - 1, 1);
        } else {
          // By its text: every rule it expanded to goes.
          const e = r.pick(whole);
          body.push(rule(c.name, ruleLine(r, '-D', c.name, e.body)));
          c.rules = c.rules.filter((x) => x !== e);
        }
      } else if (k === 2) {
        // iptables-nft -Z fails on rules of the batch with non-zero "-c" counters, and on built-in chains
        // nothing created yet.
        if (body.some((l) => /\s-c\s+(?!0\s+0(\s|$))\S+\s+\S+/.test(l.text))) return;
        const made = builtins.filter((b) => decls.some((d) => d.chain === b) || body.some((l) => l.chain === b));
        body.push(rule('', r.chance(0.5) || made.length === 0 ? '-Z' : `-Z ${r.pick(made)}`));
      } else if (k === 3 && own.length) {
        const c = r.pick(own);
        body.push(rule(c.name, `-F ${c.name}`));
        c.rules = [];
      } else if (k === 4) {
        body.push({ text: `# ${text(r, 50)}`, kind: 'comment', table: t });
      } else if (k === 5) {
        body.push({ text: '', kind: 'blank', table: t });
      } else {
        const b = r.pick(builtins);
        addOwn(b, true, new Set([b]));
      }
    });
  }
  // Ops run in a shuffled order; unit blocks stay whole.
  r.shuffle(ops);
  for (const op of ops) op();
  // -N: right before the first line naming the chain.
  for (const c of t.chains) {
    if (!c.viaN) continue;
    const re = new RegExp(`(^|\\s)${c.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`);
    const first = body.findIndex((l) => re.test(l.text));
    const at = first < 0 ? r.int(0, body.length) : r.int(0, first);
    body.splice(at, 0, rule(c.name, `-N ${c.name}`));
  }
  // Scratch chains: filled then flushed and deleted, or just deleted.
  for (const c of t.chains) {
    if (!c.scratch) continue;
    const at = body.findIndex((l) => l.text === `-N ${c.name}`);
    const tail: Line[] = [];
    if (r.chance(0.5)) {
      const own = genOwnRule(r, { family: fam, table: name, chain: c.name, builtin: false, hooks: new Set(), jumpable: [] });
      if (!own.jump) tail.push(rule(c.name, `-A ${c.name} ${own.body}`), rule(c.name, `-F ${c.name}`));
    }
    tail.push(rule(c.name, `-X ${c.name}`));
    body.splice(at < 0 ? body.length : r.int(at + 1, body.length), 0, ...tail);
  }
  // Units with whole-table commands go first (a later -F would flush the other rules' chains).
  out.push(...firstBlocks, ...body);
  if (r.chance(0.1)) out.push({ text: `# end of ${name}`, kind: 'comment', table: t });
  out.push(commit);
  m.tables.push(t);
  return out;
}

function pickUnits(r: Rng, fam: Family, table: TableName, n: number): Unit[] {
  const pool = units().ok.filter((u) => u.family === fam && u.table === table && !u.global);
  return pool.length ? Array.from({ length: n }, () => r.pick(pool)) : [];
}

function buildValid(r: Rng, focus: string): FileModel {
  const U = units();
  let candidates = U.byExt.get(focus) ?? [];
  const wantV6 = r.chance(0.2);
  const famCands = candidates.filter((u) => (u.family === 'ipv6') === wantV6);
  if (famCands.length) candidates = famCands;
  const focusUnit = candidates.length ? r.pick(candidates) : undefined;
  const family: Family = focusUnit?.family ?? (wantV6 ? 'ipv6' : 'ipv4');
  const m: FileModel = { family, lines: [], tables: [], eol: '\n', finalNewline: true, names: new Set() };

  const tables = new Set<TableName>();
  if (focusUnit) tables.add(focusUnit.table);
  const nTables = r.weighted([[4, 1], [4, 2], [2, 3], [1, 5]] as const);
  while (tables.size < nTables) tables.add(r.weighted([[5, 'filter'], [3, 'nat'], [2, 'mangle'], [1.5, 'raw'], [0.5, 'security']] as const));
  const order = r.chance(0.7) ? TABLES.filter((x) => tables.has(x)) : r.shuffle([...tables]);

  const tool = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const flavour = r.pick([' (nf_tables)', ' (legacy)', '']);
  if (r.chance(0.7)) m.lines.push({ text: `# Generated by ${tool}-save v1.8.9${flavour} on Mon Jan  6 10:${String(r.int(0, 59)).padStart(2, '0')}:00 2025`, kind: 'header' });
  for (const name of order) {
    const extra = pickUnits(r, family, name, r.weighted([[3, 0], [3, 1], [2, 2], [1, 4]] as const));
    if (focusUnit && focusUnit.table === name) extra.splice(r.int(0, extra.length), 0, focusUnit);
    m.lines.push(...buildTable(r, m, name, extra));
    if (r.chance(0.5)) m.lines.push({ text: `# Completed on Mon Jan  6 10:00:00 2025`, kind: 'comment' });
  }
  if (r.chance(0.03)) {
    // The same table again: loading it flushes the first block.
    const again = r.pick([...tables]);
    m.lines.push(...buildTable(r, m, again, []));
  }
  return m;
}

// ---------------------------------------------------------------- mutations

type Mutation = (r: Rng, m: FileModel) => string | undefined;

const ruleLines = (m: FileModel, pred: (l: Line) => boolean = () => true): Line[] =>
  m.lines.filter((l) => l.kind === 'rule' && l.text.trim() !== '' && pred(l));

function mutateWords(r: Rng, m: FileModel, what: string, f: (w: string[], l: Line) => boolean, pred?: (l: Line) => boolean): string | undefined {
  const cands = ruleLines(m, pred);
  if (!cands.length) return undefined;
  for (let attempt = 0; attempt < 6; attempt++) {
    const l = r.pick(cands);
    const w = splitWords(l.text);
    const before = l.text;
    if (f(w, l)) {
      l.text = w.join(' ');
      if (l.text !== before) return `${what}: line ${m.lines.indexOf(l) + 1}`;
    }
  }
  return undefined;
}

function insertBeforeCommit(m: FileModel, t: TableModel, lines: Line[], r: Rng, anywhere = true): void {
  const start = m.lines.indexOf(t.header);
  const end = m.lines.indexOf(t.commit);
  let firstRule = start + 1;
  while (firstRule < end && m.lines[firstRule]!.kind === 'chain') firstRule++;
  const at = anywhere ? r.int(firstRule, end) : end;
  m.lines.splice(at, 0, ...lines);
}

function ensureTable(r: Rng, m: FileModel, name: TableName): TableModel {
  const t = m.tables.find((x) => x.name === name && m.lines.includes(x.header) && m.lines.includes(x.commit));
  if (t) return t;
  const header: Line = { text: `*${name}`, kind: 'table' };
  const commit: Line = { text: 'COMMIT', kind: 'commit' };
  const nt: TableModel = { name, header, commit, chains: [] };
  header.table = nt;
  commit.table = nt;
  const decls: Line[] = BUILTINS[name].map((b) => ({ text: `:${b} ACCEPT [0:0]`, kind: 'chain', table: nt, chain: b }));
  // At the end, or before another table.
  const tableStarts = m.lines.map((l, i) => (l.kind === 'table' ? i : -1)).filter((i) => i >= 0);
  const at = tableStarts.length && r.chance(0.3) ? r.pick(tableStarts) : m.lines.length;
  m.lines.splice(at, 0, header, ...decls, commit);
  m.tables.push(nt);
  return nt;
}

function declareChain(m: FileModel, t: TableModel, name: string): void {
  const start = m.lines.indexOf(t.header);
  let at = start + 1;
  while (at < m.lines.length && m.lines[at]!.kind === 'chain') at++;
  m.lines.splice(at, 0, { text: `:${name} - [0:0]`, kind: 'chain', table: t, chain: name });
}

const NUM_BAD = ['65536', '256', '4294967296', '-1', '99999', '18446744073709551616', '0x', '1e3', '08', '', '2147483648', '65535', '0', '255', '4294967295', '1:', ':1', '1:2:3', '3:1', 'a'];
const ADDR_BAD4 = ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.1/', '1.2.3.4/255.0.255.0', '0/0', '10.0.0.0/08', '10.0.0.0/0x8', '1.2.3.4/abc', '::1', '1.2.3.4,', ',1.2.3.4', '10.0.0.0/32/1'];
const ADDR_BAD6 = ['::1/129', '2001:db8::/-1', '::/', '1.2.3.4', '2001:db8::1/ffff::', '::1,', 'fe80::1%lo', '2001:db8::1%1'];
const NAME_BAD: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/^--(ctstate|state)$/, ['BOGUS', 'NEW,', 'NEW,,EST', 'new', 'SNATT', '']],
  [/^--(icmp-type|icmpv6-type)$/, ['echo', 'nosuchtype', '256', '3/256', 'echo-request/1']],
  [/^--log-level$/, ['8', 'warn', 'Warning', 'toString', '']],
  [/^--reject-with$/, ['bogus', 'icmp-echo-reply', 'tcp-reset', 'icmp6-no-route', 'icmp-host-unreachable']],
  [/^(-p|--protocol|--ctproto)$/, ['nosuchproto', 'constructor', '256', '-1', 'all', 'TCP', 'icmp', 'ipv6-icmp', '0']],
  [/^--(dport|sport|destination-port|source-port)$/, ['nosuchservice', 'http', 'domain', 'ntp', '80:', ':80', '80-90', '0x50']],
  [/^--(src-type|dst-type)$/, ['WRONG', 'LOCAL,', 'BROADCAST', 'THROW', 'NAT']],
  [/^--pkt-type$/, ['outgoing', 'wrong', 'Unicast']],
  [/^--mode$/, ['bogus', 'Random', 'nth']],
  [/^--algo$/, ['BM', 'wrong', 'fsm', 'kmpx']],
  [/^--hashlimit-mode$/, ['srcip,foo', 'src', '']],
  [/^(-j|--jump|-g|--goto)$/, ['accept', 'Drop', 'NOSUCH', 'DNAT', 'MASQUERADE', 'REJECT', 'CT', 'TPROXY', 'ULOG', 'LOG', 'CLASSIFY', 'INPUT', 'OUTPUT', 'RETURN', 'QUEUE']],
  [/^(-m|--match)$/, ['tcp', 'udp', 'icmp', 'icmp6', 'ttl', 'hl', 'mac', 'owner', 'state', 'conntrack', 'comment', 'mark', 'limit', 'multiport']],
  [/^--ctdir$/, ['BOTH', 'original', 'reply']],
  [/^--helper$/, ['nosuch', 'ftp', 'sip']],
  [/^--tcp-flags$/, ['SYN,BOGUS', 'syn', 'ALL']],
];
const INSERTS = ['-t filter', '-t nat', '-w', '-w 5', '-W 10000', '-n', '-v', '-x', '--line-numbers', '-c 1 2', '-c x y', '-f', '! -f', '-4', '-6', '--modprobe=/bin/true', '-M /x', '! -i eth0', '-i ""', '-o "a b"', '-i eth0+', '-s 0/0', '! -d 0.0.0.0/0', '-p all', '! -p all', '-m comment --comment ""', `-m comment --comment ${'c'.repeat(256)}`, `-m comment --comment ${'c'.repeat(255)}`, '--comment x', '--dport 22', '-m tcp', '-p tcp', '-p udp', '-j ACCEPT', '-g ACCEPT', '-j RETURN', '-m multiport --dports 1', '--syn', '-C INPUT', '-A INPUT', '-N X', '--', '!', '! !', 'extra', '"', '""', '-A', '-j'];

// ---------------------------------------------------------------- spec-driven rules

/** Option values seen in the case tables, by "ext:option" and "*:option" (valid and invalid ones). */
let optionValues: Map<string, string[]> | undefined;

function harvestOptionValues(): Map<string, string[]> {
  if (optionValues) return optionValues;
  const map = new Map<string, string[]>();
  const add = (k: string, v: string): void => {
    const arr = map.get(k) ?? [];
    if (!arr.includes(v)) arr.push(v);
    map.set(k, arr);
  };
  for (const { cases } of ALL_CASES) {
    for (const c of cases) {
      if (c.envDependent) continue;
      for (const line of typeof c.rules === 'string' ? [c.rules] : c.rules) {
        const w = splitWords(line);
        let ext = '';
        for (let i = 0; i < w.length; i++) {
          const x = w[i]!;
          if ((x === '-m' || x === '--match' || x === '-j' || x === '--jump') && w[i + 1]) ext = w[i + 1]!;
          else if ((x === '-p' || x === '--protocol') && w[i + 1] && !ext) ext = w[i + 1]!.toLowerCase();
          else if (/^--[a-z]/.test(x) && !x.includes('=')) {
            const v = w[i + 1];
            if (v !== undefined && (!isOptionWord(v) || /^-\d/.test(v)) && v !== '!') {
              add(`${ext}:${x.slice(2)}`, v);
              add(`*:${x.slice(2)}`, v);
            }
          }
        }
      }
    }
  }
  optionValues = map;
  return map;
}

type AnySpec = ReturnType<typeof allMatches>[number];

function typedValue(r: Rng, o: AnySpec['options'][number], fam: Family): string {
  const t = o.type;
  const lo = o.min ?? 0;
  const bound = (def: number): number => o.max ?? def;
  const edge = (max: number): string => String(r.weighted([[6, r.int(lo, Math.min(max, lo + 1000))], [2, max], [1, max + 1], [1, lo], [0.5, -1]] as const));
  switch (t) {
    case 'uint8': return edge(bound(255));
    case 'uint16': return edge(bound(65535));
    case 'uint32': return edge(bound(0xffffffff));
    case 'uint64': return r.chance(0.9) ? edge(bound(1000000)) : '18446744073709551616';
    case 'uint8rc': case 'uint16rc': case 'uint32rc': case 'uint64rc': {
      const max = t === 'uint8rc' ? 255 : t === 'uint16rc' ? 65535 : 0xffffffff;
      const a = r.int(0, Math.min(max, 1000));
      return r.pick([String(a), `${a}:${a + r.int(0, 100)}`, `${a}:`, `:${a}`, `${a + 5}:${a}`, `${a}:${max + 1}`]);
    }
    case 'double': return r.pick(['0.5', '0', '1', '1.5', '0.001', 'x']);
    case 'string': return word(r, r.chance(0.05) ? 'x'.repeat(r.int(20, 300)) : text(r, 30));
    case 'tosmask': return r.pick(['0x10', '0x10/0x3f', 'Minimize-Delay', '256', '0x10/0x100']);
    case 'markmask32': return markVal(r);
    case 'sysloglevel': return r.pick(LOG_LEVELS);
    case 'host': case 'hostmask': return addr(r, fam, true);
    case 'protocol': return r.pick(['tcp', 'udp', '6', 'icmp', 'all', 'nosuch']);
    case 'port': return r.pick([String(r.int(0, 65535)), 'http', '65536', 'domain']);
    case 'portrc': return portRange(r, 'tcp', true);
    case 'plen': return String(r.int(0, fam === 'ipv4' ? 33 : 129));
    case 'plenmask': return r.chance(0.5) ? String(r.int(0, 32)) : '255.255.255.0';
    case 'ethermac': return Array.from({ length: 6 }, () => r.int(0, 255).toString(16).padStart(2, '0')).join(':');
    default: return String(r.int(0, 100));
  }
}

/** A rule built from an extension's option table, with values seen in the case tables or typed ones. */
function specRule(r: Rng, fam: Family): { table: TableName; chain: string; text: string; ext: string } | undefined {
  const specs = [...allMatches(), ...allTargets()].filter((e) => isModeled(e) && (e.family === undefined || e.family === fam) && !['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(e.name));
  const spec = r.pick(specs);
  const values = harvestOptionValues();
  const opts = r.sample(spec.options, r.int(0, Math.min(3, spec.options.length)));
  for (const o of spec.options) if (o.mand && !opts.includes(o) && r.chance(0.8)) opts.push(o);
  if (r.chance(0.5)) r.shuffle(opts);
  const parts: string[] = [];
  for (const o of opts) {
    const hasArg = o.hasArg !== undefined ? o.hasArg : o.type === undefined || o.type === 'none' ? 0 : 1;
    let piece = `--${o.name}`;
    if (hasArg) {
      const seen = values.get(`${spec.name}:${o.name}`) ?? values.get(`*:${o.name}`);
      const v = seen && (r.chance(0.7) || !o.type) ? r.pick(seen) : typedValue(r, o, fam);
      piece += ` ${v}`;
    } else if (!o.type) {
      // Old-API options may take words of their own (--tcp-flags MASK COMP): reuse what was seen.
      const seen = values.get(`${spec.name}:${o.name}`);
      if (seen && r.chance(0.7)) piece += ` ${r.pick(seen)}`;
    }
    if ((o.invert && r.chance(0.2)) || r.chance(0.03)) piece = `! ${piece}`;
    parts.push(piece);
  }
  const k = spec.kernel;
  const table: TableName = k?.table && isTable(k.table) && r.chance(0.9) ? k.table : r.pick(TABLES);
  const hooks = k?.hooks?.filter((h) => BUILTINS[table].includes(h)) ?? [];
  const chain = hooks.length && r.chance(0.8) ? r.pick(hooks) : r.pick(BUILTINS[table]);
  const protoWanted = ['tcp', 'udp', 'multiport', 'TPROXY', 'TCPMSS', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'REJECT', 'CT'].includes(spec.name) || k?.proto !== undefined;
  const proto = spec.name === 'icmp' ? '-p icmp ' : spec.name === 'icmp6' ? '-p ipv6-icmp ' : protoWanted && r.chance(0.75) ? `-p ${spec.name === 'udp' ? 'udp' : r.pick(['tcp', 'tcp', 'udp'])} ` : '';
  const syn = spec.name === 'TCPMSS' && r.chance(0.7) ? '--syn ' : '';
  const body = spec.kind === 'match' ? `${proto}${syn}-m ${spec.name} ${parts.join(' ')}${r.chance(0.6) ? ` -j ${table === 'nat' ? 'ACCEPT' : r.pick(['ACCEPT', 'DROP'])}` : ''}` : `${proto}${syn}-j ${spec.name} ${parts.join(' ')}`;
  return { table, chain, text: `-A ${chain} ${body.replace(/\s+/g, ' ').trim()}`, ext: spec.name };
}

const MUTATIONS: ReadonlyArray<readonly [number, string, Mutation]> = [
  [4, 'delete token', (r, m) => mutateWords(r, m, 'deleted a word', (w) => {
    if (w.length < 2) return false;
    w.splice(r.int(0, w.length - 1), 1);
    return true;
  })],
  [3, 'swap adjacent words', (r, m) => mutateWords(r, m, 'swapped two words', (w) => {
    if (w.length < 3) return false;
    const i = r.int(0, w.length - 2);
    [w[i], w[i + 1]] = [w[i + 1]!, w[i]!];
    return true;
  })],
  [3, 'swap options', (r, m) => mutateWords(r, m, 'swapped two options', (w) => {
    const g = optionGroups(w).filter(([s]) => s > 1);
    if (g.length < 2) return false;
    const [a, b] = r.sample(g, 2).sort((x, y) => x[0] - y[0]) as [[number, number], [number, number]];
    const A = w.slice(a[0], a[1]);
    const B = w.slice(b[0], b[1]);
    w.splice(b[0], b[1] - b[0], ...A);
    w.splice(a[0], a[1] - a[0], ...B);
    return true;
  })],
  [3, 'option before its module', (r, m) => mutateWords(r, m, 'moved -m/-p after its options', (w) => {
    const idx = w.map((x, i) => ((x === '-m' || x === '-p' || x === '--match' || x === '--protocol') && i + 2 < w.length ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return false;
    const i = r.pick(idx);
    const mod = w.splice(i, 2);
    const g = optionGroups(w).filter(([s]) => s >= i);
    if (!g.length) return false;
    const [, end] = r.pick(g.slice(0, 2));
    w.splice(end, 0, ...mod);
    return true;
  })],
  [3, 'duplicate option', (r, m) => mutateWords(r, m, 'duplicated an option', (w) => {
    const g = optionGroups(w).filter(([s]) => s > 1);
    if (!g.length) return false;
    const [s, e] = r.pick(g);
    const dup = w.slice(s, e);
    w.splice(r.chance(0.5) ? e : r.int(e, w.length), 0, ...dup);
    return true;
  })],
  [5, 'bad number', (r, m) => mutateWords(r, m, 'replaced a number', (w) => {
    const idx = w.map((x, i) => (i > 1 && /\d/.test(x) && !isOptionWord(x) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return false;
    const i = r.pick(idx);
    const parts = w[i]!.split(/([:/,.-])/);
    const nums = parts.map((p, j) => (/^\d+$|^0x[0-9a-f]+$/i.test(p) ? j : -1)).filter((j) => j >= 0);
    if (nums.length && r.chance(0.7)) {
      parts[r.pick(nums)] = r.pick(NUM_BAD);
      w[i] = parts.join('');
    } else w[i] = r.pick(NUM_BAD);
    if (w[i] === '') w[i] = '""';
    return true;
  })],
  [3, 'bad address', (r, m) => mutateWords(r, m, 'replaced an address', (w) => {
    const idx = w.map((_x, i) => (i > 0 && /^(-s|-d|--source|--destination|--src|--dst|--to-destination|--to-source|--to|--on-ip|--ctorigsrc|--ctorigdst|--ctreplsrc|--ctrepldst|--src-range|--dst-range|--mask)$/.test(w[i - 1]!) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return false;
    w[r.pick(idx)] = r.pick(m.family === 'ipv4' ? ADDR_BAD4 : ADDR_BAD6);
    return true;
  })],
  [4, 'unknown or misplaced name', (r, m) => mutateWords(r, m, 'replaced a name', (w) => {
    const idx = w.map((_x, i) => (i > 0 && i < w.length && NAME_BAD.some(([re]) => re.test(w[i - 1]!)) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return false;
    const i = r.pick(idx);
    const opts = NAME_BAD.find(([re]) => re.test(w[i - 1]!))![1];
    const v = r.pick(opts);
    w[i] = v === '' ? '""' : v;
    return true;
  })],
  [2, 'old negation', (r, m) => mutateWords(r, m, 'wrote "-x ! value"', (w) => {
    const idx = w.map((x, i) => (i > 1 && isOptionWord(x) && i + 1 < w.length && !isOptionWord(w[i + 1]!) && w[i + 1] !== '!' ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return false;
    const i = r.pick(idx);
    if (w[i - 1] === '!') w.splice(i - 1, 1), w.splice(i, 0, '!');
    else w.splice(i + 1, 0, '!');
    return true;
  })],
  [2, 'misplaced "!"', (r, m) => mutateWords(r, m, 'inserted "!"', (w) => {
    const idx = w.map((x, i) => (i > 1 && isOptionWord(x) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return false;
    const i = r.pick(idx);
    w.splice(r.chance(0.2) ? w.length : i, 0, r.chance(0.8) ? '!' : '! !');
    return true;
  })],
  [4, 'stray option', (r, m) => mutateWords(r, m, 'inserted an option', (w) => {
    const ins = splitWords(r.pick(INSERTS));
    w.splice(r.int(2, w.length), 0, ...ins);
    return true;
  })],
  [2, 'option name typo', (r, m) => mutateWords(r, m, 'changed an option name', (w) => {
    const idx = w.map((x, i) => (/^--[a-z]/.test(x) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return false;
    const i = r.pick(idx);
    const o = w[i]!;
    const k = r.int(0, 3);
    if (k === 0) w[i] = o.slice(0, Math.max(3, r.int(3, o.length - 1))); // abbreviation
    else if (k === 1) w[i] = o.slice(0, -1) + 'x';
    else if (k === 2) w[i] = `${o}=${w[i + 1] ?? ''}`, w.splice(i + 1, 1);
    else w[i] = o.toUpperCase();
    return true;
  })],
  [2, 'truncate rule', (r, m) => mutateWords(r, m, 'cut the rule short', (w) => {
    if (w.length < 3) return false;
    w.splice(r.int(2, w.length - 1));
    return true;
  })],
  [2, 'case of a value', (r, m) => mutateWords(r, m, 'changed the case of a word', (w) => {
    const idx = w.map((x, i) => (i > 1 && /[a-zA-Z]/.test(x) && !isOptionWord(x) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return false;
    const i = r.pick(idx);
    const x = w[i]!;
    w[i] = x === x.toUpperCase() ? x.toLowerCase() : x.toUpperCase();
    return true;
  })],
  [2, 'long interface', (r, m) => mutateWords(r, m, 'long interface name', (w, l) => {
    const i = w.findIndex((x) => x === '-i' || x === '-o' || x === '--physdev-in' || x === '--physdev-out');
    const name = r.pick(['abcdefghijklmnop', 'abcdefghijklmno', 'eth0123456789012', 'x'.repeat(15) + '+', 'a b', 'e/th0']);
    if (i >= 0 && i + 1 < w.length) w[i + 1] = name.includes(' ') ? quote(name) : name;
    else w.splice(2, 0, l.chain === 'OUTPUT' || l.chain === 'POSTROUTING' ? '-o' : '-i', name.includes(' ') ? quote(name) : name);
    return true;
  })],
  [6, 'misplaced target or match', (r, m) => {
    const fam = m.family;
    const to = fam === 'ipv4' ? '10.9.8.7' : '2001:db8::7';
    const list: Array<[TableName, Hook, string]> = [
      ['filter', 'INPUT', `-j DNAT --to-destination ${to}`],
      ['mangle', 'PREROUTING', `-j DNAT --to-destination ${to}`],
      ['nat', 'POSTROUTING', `-j DNAT --to-destination ${to}`],
      ['nat', 'INPUT', `-j DNAT --to-destination ${to}`],
      ['nat', 'PREROUTING', `-j SNAT --to-source ${to}`],
      ['nat', 'OUTPUT', `-j SNAT --to-source ${to}`],
      ['nat', 'PREROUTING', '-j MASQUERADE'],
      ['nat', 'OUTPUT', '-j MASQUERADE'],
      ['filter', 'FORWARD', '-j MASQUERADE'],
      ['nat', 'POSTROUTING', '-j REDIRECT'],
      ['nat', 'INPUT', '-p tcp -j REDIRECT --to-ports 8080'],
      ['nat', 'INPUT', '-j REJECT'],
      ['mangle', 'INPUT', '-j REJECT'],
      ['raw', 'PREROUTING', '-j REJECT'],
      ['filter', 'INPUT', '-j CT --notrack'],
      ['mangle', 'OUTPUT', '-j NOTRACK'],
      ['filter', 'OUTPUT', '-j TRACE'],
      ['nat', 'PREROUTING', '-j TRACE'],
      ['mangle', 'INPUT', '-p tcp -j TPROXY --on-port 1'],
      ['nat', 'PREROUTING', '-p tcp -j TPROXY --on-port 1'],
      ['mangle', 'PREROUTING', '-j TPROXY --on-port 1'],
      ['filter', 'INPUT', '-j CHECKSUM --checksum-fill'],
      ['mangle', 'INPUT', '-j CLASSIFY --set-class 1:1'],
      ['filter', 'INPUT', '-j CLASSIFY --set-class 1:1'],
      ['mangle', 'PREROUTING', '-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu'],
      ['mangle', 'FORWARD', '-j TCPMSS --set-mss 1000'],
      ['mangle', 'FORWARD', '-p tcp -j TCPMSS --set-mss 1000'],
      ['filter', 'OUTPUT', '-m mac --mac-source 00:11:22:33:44:55 -j ACCEPT'],
      ['nat', 'POSTROUTING', '-m mac --mac-source 00:11:22:33:44:55'],
      ['filter', 'INPUT', '-m owner --uid-owner 0 -j ACCEPT'],
      ['nat', 'PREROUTING', '-m owner --uid-owner 0'],
      ['filter', 'INPUT', '-m addrtype --src-type LOCAL --limit-iface-out -j ACCEPT'],
      ['filter', 'OUTPUT', '-m physdev --physdev-out eth0 -j ACCEPT'],
      ['filter', 'INPUT', '-j ULOG'],
      ['nat', 'POSTROUTING', '-j DROP'],
      ['filter', 'INPUT', '-p tcp -j REJECT --reject-with tcp-reset'],
      ['filter', 'INPUT', '-j REJECT --reject-with tcp-reset'],
      ['raw', 'PREROUTING', '-j CT --helper ftp'],
      ['raw', 'PREROUTING', '-p udp -j CT --helper ftp'],
      ['filter', 'INPUT', '-m tcp --dport 22 -j ACCEPT'],
      ['filter', 'INPUT', '-p udp -m tcp --dport 22 -j ACCEPT'],
      ['filter', 'INPUT', '! -p tcp -m tcp --dport 22 -j ACCEPT'],
      ['mangle', 'FORWARD', '-m limit --limit 1/day -j ACCEPT'],
    ];
    const [table, hook, text] = r.pick(list);
    const direct = r.chance(0.5);
    const t = ensureTable(r, m, table);
    if (direct) {
      insertBeforeCommit(m, t, [{ text: `-A ${hook} ${text}`, kind: 'rule', table: t, chain: hook }], r);
      return `misplaced "${text}" directly in ${table} ${hook}`;
    }
    // Through a user chain reached from the hook (and maybe from a good one too).
    const name = chainName(r, m.names);
    declareChain(m, t, name);
    const lines: Line[] = [{ text: `-A ${name} ${text}`, kind: 'rule', table: t, chain: name }];
    const via = r.chance(0.2) ? r.pick(BUILTINS[table]) : hook;
    const jump: Line = { text: `-A ${via} ${r.chance(0.2) ? '-g' : '-j'} ${name}`, kind: 'rule', table: t, chain: via };
    if (r.chance(0.5)) lines.push(jump);
    else lines.unshift(jump);
    insertBeforeCommit(m, t, lines, r);
    return `misplaced "${text}" in ${table} via user chain ${name} from ${via}`;
  }],
  [3, 'jump loop', (r, m) => {
    const t = r.pick(m.tables);
    if (!m.lines.includes(t.header)) return undefined;
    const a = chainName(r, m.names);
    const b = chainName(r, m.names);
    declareChain(m, t, a);
    declareChain(m, t, b);
    const k = r.int(0, 2);
    const lines: Line[] = [];
    if (k === 0) lines.push({ text: `-A ${a} -j ${a}`, kind: 'rule', table: t, chain: a });
    else lines.push({ text: `-A ${a} -j ${b}`, kind: 'rule', table: t, chain: a }, { text: `-A ${b} ${r.chance(0.3) ? '-p tcp ' : ''}${r.chance(0.3) ? '-g' : '-j'} ${a}`, kind: 'rule', table: t, chain: b });
    if (r.chance(0.7)) {
      const via = r.pick(BUILTINS[t.name]);
      lines.splice(r.int(0, lines.length), 0, { text: `-A ${via} -j ${a}`, kind: 'rule', table: t, chain: via });
    }
    insertBeforeCommit(m, t, lines, r);
    return `jump loop in ${t.name} (${a}${k ? `, ${b}` : ''})`;
  }],
  [1, 'deep nesting', (r, m) => {
    const t = r.pick(m.tables);
    if (!m.lines.includes(t.header)) return undefined;
    const n = r.int(14, 18);
    const names = Array.from({ length: n }, () => chainName(r, m.names));
    for (const c of names) declareChain(m, t, c);
    const lines: Line[] = names.slice(0, -1).map((c, i) => ({ text: `-A ${c} -j ${names[i + 1]}`, kind: 'rule', table: t, chain: c }));
    const via = r.pick(BUILTINS[t.name]);
    lines.splice(r.chance(0.5) ? 0 : lines.length, 0, { text: `-A ${via} -j ${names[0]}`, kind: 'rule', table: t, chain: via });
    insertBeforeCommit(m, t, lines, r);
    return `${n} chains nested from ${t.name} ${via}`;
  }],
  [3, 'unknown chain', (r, m) => {
    const t = r.pick(m.tables);
    if (!m.lines.includes(t.header)) return undefined;
    const via = r.pick(BUILTINS[t.name]);
    const bad = r.pick(['NOSUCH', 'nosuch-chain', 'input', 'Input', 'LOGDROP']);
    const k = r.int(0, 4);
    const text = k === 0 ? `-A ${via} -j ${bad}` : k === 1 ? `-A ${via} -g ${bad}` : k === 2 ? `-A ${bad} -j ACCEPT` : k === 3 ? `-I ${bad} 1 -j ACCEPT` : `-F ${bad}`;
    insertBeforeCommit(m, t, [{ text, kind: 'rule', table: t, chain: via }], r);
    return `unknown chain: ${text}`;
  }],
  [3, 'undeclared chain', (r, m) => {
    const decls = m.lines.filter((l) => l.kind === 'chain' && l.table && !BUILTINS[l.table.name].includes(l.chain as Hook));
    if (!decls.length) return undefined;
    const d = r.pick(decls);
    m.lines.splice(m.lines.indexOf(d), 1);
    return `removed the declaration of ${d.chain}`;
  }],
  [3, 'duplicate chain', (r, m) => {
    const decls = m.lines.filter((l) => l.kind === 'chain');
    if (!decls.length) return undefined;
    const d = r.pick(decls);
    const k = r.int(0, 2);
    if (k === 0) m.lines.splice(m.lines.indexOf(d) + r.int(0, 1), 0, { ...d });
    else if (d.table && m.lines.includes(d.table.commit)) insertBeforeCommit(m, d.table, [{ text: `-N ${d.chain}`, kind: 'rule', table: d.table, chain: d.chain! }], r);
    else return undefined;
    return `declared ${d.chain} twice`;
  }],
  [2, 'declaration after use', (r, m) => {
    const decls = m.lines.filter((l) => l.kind === 'chain' && l.table && !BUILTINS[l.table.name].includes(l.chain as Hook));
    if (!decls.length) return undefined;
    const d = r.pick(decls);
    const t = d.table!;
    m.lines.splice(m.lines.indexOf(d), 1);
    const end = m.lines.indexOf(t.commit);
    const at = r.int(m.lines.indexOf(t.header) + 1, end);
    m.lines.splice(at, 0, r.chance(0.5) ? { ...d } : { text: `-N ${d.chain}`, kind: 'rule', table: t, chain: d.chain! });
    return `moved the declaration of ${d.chain}`;
  }],
  [3, 'policy', (r, m) => {
    const decls = m.lines.filter((l) => l.kind === 'chain');
    const k = r.int(0, 6);
    if (k <= 3 && decls.length) {
      const d = r.pick(decls);
      const w = d.text.split(' ');
      const pol = r.pick(['ACCEPT', 'DROP', 'REJECT', 'accept', 'RETURN', '-', '', 'QUEUE']);
      if (pol === '') d.text = w[0]!;
      else d.text = [w[0], pol, ...w.slice(2)].join(' ');
      return `policy "${pol}" on ${d.chain}`;
    }
    const t = r.pick(m.tables);
    if (!m.lines.includes(t.commit)) return undefined;
    const target = r.chance(0.5) && t.chains.length ? r.pick(t.chains).name : r.pick([...BUILTINS[t.name], 'NOSUCH']);
    const pol = r.pick(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'drop']);
    insertBeforeCommit(m, t, [{ text: `-P ${target} ${pol}`, kind: 'rule', table: t, chain: target }], r);
    return `-P ${target} ${pol}`;
  }],
  [4, 'COMMIT', (r, m) => {
    const commits = m.lines.filter((l) => l.kind === 'commit');
    if (!commits.length) return undefined;
    const last = commits[commits.length - 1]!;
    const c = r.pick(commits);
    const k = r.int(0, 8);
    if (k === 0) c.text = `COMMIT${r.pick([' ', '\t', '  '])}`;
    else if (k === 1) {
      m.lines.splice(m.lines.indexOf(last), 1);
      while (m.lines.length && m.lines[m.lines.length - 1]!.kind === 'comment' && r.chance(0.5)) m.lines.pop();
      return 'removed the last COMMIT';
    } else if (k === 2) {
      m.lines.splice(m.lines.indexOf(c), 1);
      return `removed COMMIT of ${c.table?.name}`;
    } else if (k === 3) {
      m.lines.splice(m.lines.lastIndexOf(last) + 1);
      m.finalNewline = false;
      return 'no newline after the final COMMIT';
    } else if (k === 4) c.text = r.pick(['commit', 'Commit', ' COMMIT', 'COMMIT;', 'COMMIT\r']);
    else if (k === 5) m.lines.splice(m.lines.indexOf(c) + 1, 0, { text: 'COMMIT', kind: 'other' });
    else if (k === 6) m.lines.splice(m.lines.indexOf(c), 0, { text: 'COMMIT', kind: 'commit', table: c.table! });
    else if (k === 7) {
      m.finalNewline = false;
      return 'no final newline';
    } else {
      const rl = ruleLines(m);
      if (!rl.length) return undefined;
      m.lines.splice(m.lines.indexOf(r.pick(rl)) + 1, 0, { text: 'COMMIT', kind: 'commit', table: c.table! });
    }
    return `damaged COMMIT (${k})`;
  }],
  [3, 'CRLF', (r, m) => {
    if (r.chance(0.6)) {
      m.eol = '\r\n';
      return 'CRLF line ends';
    }
    const l = r.pick(m.lines);
    l.text += '\r';
    return `CR at the end of line ${m.lines.indexOf(l) + 1}`;
  }],
  [3, 'whitespace line', (r, m) => {
    const at = r.int(0, m.lines.length);
    m.lines.splice(at, 0, { text: r.pick([' ', '\t', '   ', ' \t ']), kind: 'other' });
    return `whitespace-only line ${at + 1}`;
  }],
  [2, 'leading whitespace', (r, m) => {
    const l = r.pick(m.lines.filter((x) => x.text !== ''));
    if (!l) return undefined;
    l.text = `${r.pick([' ', '\t'])}${l.text}`;
    return `leading blank on line ${m.lines.indexOf(l) + 1}`;
  }],
  [3, 'long chain name', (r, m) => {
    const t = r.pick(m.tables);
    if (!m.lines.includes(t.header)) return undefined;
    const len = r.pick([28, 29, 30, 40]);
    const name = `LONG-CHAIN-${'N'.repeat(40)}`.slice(0, len);
    if (m.names.has(name)) return undefined;
    m.names.add(name);
    const k = r.int(0, 3);
    if (k === 0) {
      declareChain(m, t, name);
      insertBeforeCommit(m, t, [{ text: `-A ${r.pick(BUILTINS[t.name])} -j ${name}`, kind: 'rule', table: t }], r);
    } else if (k === 1) insertBeforeCommit(m, t, [{ text: `-N ${name}`, kind: 'rule', table: t }, { text: `-A ${name} -j RETURN`, kind: 'rule', table: t }], r, false);
    else if (k === 2) {
      declareChain(m, t, name);
    } else insertBeforeCommit(m, t, [{ text: `-A ${r.pick(BUILTINS[t.name])} -j ${name}`, kind: 'rule', table: t }], r);
    return `chain name of ${len} characters (${k})`;
  }],
  [2, 'bad table line', (r, m) => {
    const hs = m.lines.filter((l) => l.kind === 'table');
    if (!hs.length) return undefined;
    const h = r.pick(hs);
    const name = h.table?.name ?? 'filter';
    const v = r.pick([`*${name}x`, `*${name.toUpperCase()}`, '*', `* ${name}`, `*${name} extra`, '*broute', `*\t${name}`]);
    if (r.chance(0.2)) m.lines.splice(m.lines.indexOf(h), 1);
    else h.text = v;
    return `table line "${v}"`;
  }],
  [2, 'rule outside a table', (r, m) => {
    const rl = ruleLines(m);
    const text = rl.length ? r.pick(rl).text : '-A INPUT -j ACCEPT';
    const spots = [0, ...m.lines.map((l, i) => (l.kind === 'commit' ? i + 1 : -1)).filter((i) => i >= 0)];
    const at = r.pick(spots);
    m.lines.splice(at, 0, { text: r.chance(0.8) ? text : r.pick([':INPUT ACCEPT [0:0]', 'iptables -A INPUT -j ACCEPT', '$ iptables-save', 'root@host:~# iptables-save']), kind: 'other' });
    return `line outside a table at ${at + 1}`;
  }],
  [2, 'counters', (r, m) => {
    const k = r.int(0, 2);
    if (k === 0) {
      const decls = m.lines.filter((l) => l.kind === 'chain');
      if (!decls.length) return undefined;
      const d = r.pick(decls);
      d.text = d.text.replace(/\s*\[[^\]]*\]$/, '') + ` ${r.pick(['[0:0', '[a:b]', '[0:0] extra', '[-1:0]', '0:0', '[0]'])}`;
      return `chain counters on ${d.chain}`;
    }
    const rl = ruleLines(m);
    if (!rl.length) return undefined;
    const l = r.pick(rl);
    l.text = `${r.pick(['[1:2', '[a:b]', '[1:2]x', '[:]', '[1:2:3]', '[1]', '[ 1:2 ]', '[1:2]'])} ${l.text.replace(/^\[[^\]]*\]\s*/, '')}`;
    return `rule counters on line ${m.lines.indexOf(l) + 1}`;
  }],
  [3, 'commands', (r, m) => {
    const t = r.pick(m.tables);
    if (!m.lines.includes(t.commit)) return undefined;
    const user = t.chains.map((c) => c.name);
    const anyChain = (): string => (user.length && r.chance(0.6) ? r.pick(user) : r.pick(BUILTINS[t.name]));
    const k = r.int(0, 9);
    const c = anyChain();
    const text = [
      `-X ${c}`,
      `-D ${c} -j ACCEPT`,
      `-D ${c} ${r.int(1, 20)}`,
      `-I ${c} ${r.int(2, 30)} -j ACCEPT`,
      `-E ${c} ${c}-renamed`,
      '-X',
      `-F ${c}`,
      `-Z ${c} ${r.int(1, 5)}`,
      `-N ${c}`,
      `-C ${c} -j ACCEPT`,
    ][k]!;
    const lines: Line[] = [{ text, kind: 'rule', table: t, chain: c }];
    if (k === 4 && r.chance(0.6)) lines.push({ text: `-A ${c}-renamed -j RETURN`, kind: 'rule', table: t });
    insertBeforeCommit(m, t, lines, r);
    return `command "${text}"`;
  }],
  [1, 'other family', (r, m) => mutateWords(r, m, 'added -4/-6', (w) => {
    w.splice(r.chance(0.7) ? 0 : r.int(0, w.length), 0, r.pick(['-4', '-6', '--ipv4', '--ipv6']));
    return true;
  })],
  [2, 'comment placement', (r, m) => {
    const k = r.int(0, 2);
    if (k === 0) {
      const rl = ruleLines(m);
      if (!rl.length) return undefined;
      const l = r.pick(rl);
      l.text += ` # ${text(r, 20)}`;
      return `trailing comment on line ${m.lines.indexOf(l) + 1}`;
    }
    const at = r.int(0, m.lines.length);
    m.lines.splice(at, 0, { text: k === 1 ? ` # indented comment` : '#', kind: 'other' });
    return `comment line ${at + 1}`;
  }],
  [1, 'quoting', (r, m) => mutateWords(r, m, 'damaged quoting', (w) => {
    const i = r.int(2, w.length - 1);
    if (i < 2 || i >= w.length) return false;
    const k = r.int(0, 3);
    if (k === 0) w[i] = `"${w[i]}`;
    else if (k === 1) w[i] = `${w[i]}"x"`;
    else if (k === 2) w[w.length - 1] = `${w[w.length - 1]} "unterminated`;
    else w[i] = `"${w[i]}"`;
    return true;
  })],
  [6, 'spec-driven rule', (r, m) => {
    const sr = specRule(r, m.family);
    if (!sr) return undefined;
    const t = ensureTable(r, m, sr.table);
    insertBeforeCommit(m, t, [{ text: sr.text, kind: 'rule', table: t, chain: sr.chain }], r);
    return `option soup for ${sr.ext}: ${sr.text}`;
  }],
  [5, 'case-table error unit', (r, m) => {
    const pool = units().bad.filter((u) => u.family === m.family && !u.global);
    if (!pool.length) return undefined;
    const u = r.pick(pool);
    const t = ensureTable(r, m, u.table);
    const map = new Map<string, string>();
    for (const c of [...u.chains, ...u.created]) {
      const nn = c.length + 4 <= 28 ? `${c}_e${r.int(0, 999)}` : c;
      map.set(c, nn);
      m.names.add(nn);
    }
    for (const c of u.chains) declareChain(m, t, map.get(c) ?? c);
    insertBeforeCommit(m, t, u.lines.map((l) => ({ text: renameChains(l, map), kind: 'rule' as const, table: t })), r);
    return `case-table unit (${u.okNft ? 'nft ok' : 'nft error'}, ${u.okLegacy ? 'legacy ok' : 'legacy error'}): ${u.lines.join(' ⏎ ')}`;
  }],
  [2, 'swap lines', (r, m) => {
    if (m.lines.length < 3) return undefined;
    const i = r.int(0, m.lines.length - 2);
    const j = r.chance(0.6) ? i + 1 : r.int(0, m.lines.length - 1);
    [m.lines[i], m.lines[j]] = [m.lines[j]!, m.lines[i]!];
    return `swapped lines ${i + 1} and ${j + 1}`;
  }],
  [4, 'backend quirks', (r, m) => {
    // Constructs where iptables-nft and iptables-legacy (or iptables and our first model of it) part ways.
    const t = r.pick(m.tables);
    if (!m.lines.includes(t.commit)) return undefined;
    const b = r.pick(BUILTINS[t.name]);
    const c = chainName(r, m.names);
    const d = chainName(r, m.names);
    const any4 = m.family === 'ipv4' ? r.pick(['0.0.0.0/0', '10.0.0.0/0', '1.2.3.4/0.0.0.0', '0/0']) : r.pick(['::/0', '2001:db8::/0']);
    const hn = `q${r.int(0, 99)}`;
    const variants: Array<[string, string[], string[]?]> = [
      ['QUEUE', [`-A ${b} -j QUEUE`]],
      // (QUEUE with two u32 matches trips an iptables-nft 1.8.9 bug (ENOSPC on the next command); not modelled, not generated.)
      ['negated all-zero mask', [`-A ${b} ! ${r.pick(['-s', '-d'])} ${any4} -j ${t.name === 'nat' ? 'ACCEPT' : 'DROP'}`]],
      ['counters then -Z', [`-A ${b} -j ACCEPT -c ${r.int(0, 9)} ${r.int(1, 999)}`, r.chance(0.5) ? '-Z' : `-Z ${b}`]],
      ['-Z CHAIN N', [`-A ${b} -j ACCEPT`, `-Z ${b} ${r.int(1, 3)}`]],
      ['-I next to a rule deleted later', [`-A ${c} -j ACCEPT`, `-A ${c} -j RETURN`, `-I ${c} 2 -j ACCEPT`, r.chance(0.5) ? `-D ${c} -j RETURN` : `-D ${c} 3`], [c]],
      ['-F then -X', [`-A ${c} -j ACCEPT`, '-F', r.chance(0.5) ? `-X ${c}` : '-X'], [c]],
      ['hashlimit tables that disagree', [`-A ${b} -m hashlimit --hashlimit-name ${hn} --hashlimit-upto 5/s`, `-A ${b} -m hashlimit --hashlimit-name ${hn} --hashlimit-upto 9/s${r.chance(0.7) ? ' --hashlimit-rate-match' : ' --hashlimit-mode srcip'}`]],
      ['rate estimators that disagree', [`-A ${b} -j RATEEST --rateest-name ${hn} --rateest-interval 250ms --rateest-ewmalog 1s`, `-A ${b} -j RATEEST --rateest-name ${hn} --rateest-interval ${r.pick(['250ms', '0.5s'])} --rateest-ewmalog ${r.pick(['1s', '2s'])}`]],
      ['rename', [`-E ${c} ${d}`, ...(r.chance(0.5) ? [`-A ${r.pick([c, d])} -j RETURN`] : []), ...(r.chance(0.5) ? [`-A ${b} -j ${r.pick([c, d])}`] : [])], [c]],
      ['delete a built-in chain', [...(r.chance(0.5) ? [`-A ${b} -j ACCEPT`] : []), `-X ${b}`]],
      ['other family after the command', [`-A ${c} -j ACCEPT`, r.pick([`-X ${c} -6`, `-F ${c} -4`, `-N ${d} -6`, `-A ${c} -j NOSUCH -6`, `-D ${c} 1 -4`, `-A ${d} -j ACCEPT -6`])], [c]],
      ['attached argument', [`-A ${b} ${r.pick(['-ptcp --dport 22', '--protocol=udp', '-s10.0.0.1', '--source=10.0.0.1', '-ieth0', '--in-interface=eth0', '-jACCEPT', '--jump=ACCEPT', '--goto=' + c, '-p tcp --dport=22', '--match=comment --comment=x'])}`], [c]],
      ['help or version', [`-A ${b} ${r.pick(['-h', '-V', '--help', '--version', '-p tcp -h'])}`]],
      ['jump before the chain exists', [`-A ${b} -j ${c}`, r.chance(0.5) ? `-N ${c}` : `:${c} - [0:0]`]],
      ['multi-address rule numbers', [`-A ${c} -s 10.0.0.1,10.0.0.2 -j ACCEPT`, r.pick([`-I ${c} 3 -j DROP`, `-D ${c} 2`, `-D ${c} -s 10.0.0.2 -j ACCEPT`, `-D ${c} 3`])].map((x) => (m.family === 'ipv6' ? x.replace(/10\.0\.0\.(\d)/g, '2001:db8::$1') : x)), [c]],
    ];
    const [what, lines, declare] = r.pick(variants);
    for (const x of declare ?? []) declareChain(m, t, x);
    const kind = (x: string): LineKind => (x.startsWith(':') ? 'chain' : 'rule');
    insertBeforeCommit(m, t, lines.map((x) => ({ text: x, kind: kind(x), table: t })), r, r.chance(0.5));
    return `${what} in ${t.name}: ${lines.join(' ⏎ ')}`;
  }],
  [1, 'long line', (r, m) => {
    const rl = ruleLines(m);
    if (!rl.length) return undefined;
    const l = r.pick(rl);
    const k = r.int(0, 4);
    if (k === 0) l.text += ` -m comment --comment ${'c'.repeat(r.pick([1022, 1023, 1024, 1030]))}`;
    else if (k === 1) l.text = l.text.replace(' ', ' '.repeat(r.pick([10100, 10200, 10230, 10240, 10300])));
    else if (k === 2) l.text += ' -v'.repeat(r.pick([240, 248, 249, 250, 260]));
    else if (k === 3) l.text += ` -m comment --comment "${'é'.repeat(r.pick([127, 128, 200]))}"`;
    else l.text = `${l.text.slice(0, 20)}${'#'.repeat(0)}${l.text.slice(20)} ${' '.repeat(r.int(10200, 10300))}-j ACCEPT`;
    return `long line ${m.lines.indexOf(l) + 1} (${k})`;
  }],
  [1, 'duplicate rule line', (r, m) => {
    const rl = ruleLines(m);
    if (!rl.length) return undefined;
    const l = r.pick(rl);
    m.lines.splice(m.lines.indexOf(l) + 1, 0, { ...l });
    return `duplicated line ${m.lines.indexOf(l) + 1}`;
  }],
];

/** Names of the mutations, for DIFF_MUTATIONS. */
export const MUTATION_NAMES: readonly string[] = MUTATIONS.map((x) => x[1]);

function mutate(r: Rng, m: FileModel, only?: readonly string[]): string[] {
  const done: string[] = [];
  const n = r.weighted([[7, 1], [2, 2], [1, 3]] as const);
  const pool = only ? MUTATIONS.filter((x) => only.includes(x[1])) : MUTATIONS;
  if (pool.length === 0) throw new Error(`no such mutation: ${only?.join(', ')} (known: ${MUTATION_NAMES.join(', ')})`);
  for (let tries = 0; done.length < n && tries < 30; tries++) {
    const [, name, f] = r.weighted(pool.map((x) => [x[0], x] as const));
    const what = f(r, m);
    if (what) done.push(`${name}: ${what}`);
  }
  return done;
}

// ---------------------------------------------------------------- entry

export function render(m: FileModel): string {
  const body = m.lines.map((l) => l.text).join(m.eol);
  return m.finalNewline ? body + m.eol : body;
}

export interface GenerateOptions {
  /** Restrict mutations to these (names from MUTATION_NAMES). */
  readonly mutations?: readonly string[];
}

export function generateFile(seed: number, index: number, options: GenerateOptions = {}): GeneratedFile {
  const r = new Rng(fileSeed(seed, index));
  const exts = modeledExtensions();
  const focus = exts[Math.floor(index / 2) % exts.length]!;
  const m = buildValid(r, focus);
  const mutated = index % 2 === 1;
  const mutations = mutated ? mutate(r, m, options.mutations) : [];
  return { seed, index, family: m.family, text: render(m), mutated, mutations, focus };
}

/** The text with 1-based line numbers (tabs and CRs made visible), for failure messages. */
export function numbered(text: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const w = String(lines.length).length;
  const shown = (l: string): string => (l.length > 600 ? `${l.slice(0, 300)}…(${l.length} characters)…${l.slice(-200)}` : l);
  return lines.map((l, i) => `${String(i + 1).padStart(w)} | ${shown(l).replace(/\r/g, '\\r').replace(/\t/g, '\\t')}`).join('\n') + (text.endsWith('\n') ? '' : '  [no final newline]');
}
