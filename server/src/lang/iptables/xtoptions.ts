/**
 * The extension option framework of libxtables (libxtables/xtoptions.c and
 * the old getopt-based API), re-expressed in TypeScript.
 *
 * An extension declares its options; the rule parser merges them into the
 * getopt table when the extension is loaded, dispatches each option to it, and
 * runs the final checks. "Guided" (x6) options get the generic value parsing,
 * once-only/inversion/argument checks and the mand/also/excl final checks of
 * xtables_option_parse() and xtables_options_fcheck().
 */
import { strtod, xtStrtoul, xtStrtoui } from './cnum';
import { ipparseMultiple4, ipparseMultiple6, isPlausibleHostname, parseIpv6, type Family } from './inet';
import { PROTOCOL_NUMBERS, serviceToPort } from './netdb';
import { truncateUtf8, utf8Length } from '../utf8';

export type XtType =
  | 'none'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'uint8rc'
  | 'uint16rc'
  | 'uint32rc'
  | 'uint64rc'
  | 'double'
  | 'string'
  | 'tosmask'
  | 'markmask32'
  | 'sysloglevel'
  | 'host'
  | 'hostmask'
  | 'protocol'
  | 'port'
  | 'portrc'
  | 'plen'
  | 'plenmask'
  | 'ethermac';

export interface ExtOption {
  readonly name: string;
  /** x6 option id (0..31) or the old API's `val`. */
  readonly id: number;
  /** Guided type; absent for old-API options, which declare hasArg instead. */
  readonly type?: XtType;
  readonly hasArg?: 0 | 1 | 2;
  readonly invert?: boolean;
  readonly mand?: boolean;
  readonly multi?: boolean;
  /** ids that cannot be combined with this one. */
  readonly excl?: readonly number[];
  /** ids that must accompany this one. */
  readonly also?: readonly number[];
  readonly min?: number;
  readonly max?: number;
  /** Element count for *RC types (default 2), buffer size for strings. */
  readonly size?: number;
  /** Short help shown on hover and completion. */
  readonly doc?: string;
}

export function optionHasArg(o: ExtOption): 0 | 1 | 2 {
  if (o.hasArg !== undefined) return o.hasArg;
  return o.type === undefined || o.type === 'none' ? 0 : 1;
}

/** Aborts parsing of the current line, like xtables_error() exiting. */
export class LineAbort {
  constructor(
    readonly message: string,
    readonly code: string,
    /** argv index to blame, or -1 for the whole rule. */
    readonly argIndex: number,
    readonly hint?: string,
  ) {}
}

/** Values produced by the guided parser (`cb->val`). */
export interface XtVal {
  u?: bigint;
  range?: bigint[];
  dbl?: number;
  str?: string;
  tos?: { value: number; mask: number };
  mark?: { value: number; mask: number };
  syslog?: number;
  /** host/hostmask: addresses and prefix length (family-dependent). */
  host?: { v4?: number; v6?: number[]; prefix: number; hostname?: string };
  protocol?: number;
  port?: number;
  ports?: [number, number];
  nvals?: number;
  plen?: number;
  mac?: number[];
}

/** The parts of the rule being parsed an extension may read. */
export interface RuleParseState {
  readonly family: Family;
  readonly table: string;
  /** Lower-cased `-p` argument, if given. */
  readonly protocol: string | undefined;
  readonly protoNum: number | undefined;
  readonly protoInvert: boolean;
}

export interface OptionCall<D> {
  readonly option: ExtOption;
  readonly arg: string | undefined;
  readonly invert: boolean;
  readonly val: XtVal;
  readonly data: D;
  /** Bits of options used so far (x6: 1<<id; old API: the extension's own flags). */
  xflags: number;
  readonly rule: RuleParseState;
  readonly extName: string;
  /** Old API: look at / take the next argv element (e.g. --tcp-flags' 2nd arg). */
  peekArg(): string | undefined;
  takeArg(): string;
  fail(message: string, hint?: string): never;
  warn(message: string, code?: string): void;
}

export interface FinalCall<D> {
  readonly data: D;
  readonly xflags: number;
  readonly rule: RuleParseState;
  readonly extName: string;
  fail(message: string, hint?: string): never;
  warn(message: string, code?: string): void;
}

const UINT_MAX: Record<string, bigint> = {
  uint8: 0xffn,
  uint16: 0xffffn,
  uint32: 0xffffffffn,
  uint64: 0xffffffffffffffffn,
  uint8rc: 0xffn,
  uint16rc: 0xffffn,
  uint32rc: 0xffffffffn,
  uint64rc: 0xffffffffffffffffn,
};

/** `xtables_getportbyname` / `xtables_parse_port`. */
export function portByName(text: string, proto: string | null = null): number | undefined {
  const n = xtStrtoui(text, 0, 65535);
  if (n !== undefined) return n;
  return serviceToPort(text, proto);
}

/**
 * `xtables_getportbyname` (XTTYPE_PORT): getaddrinfo(NULL, service). glibc
 * reads a decimal service with strtoul() (leading spaces and a sign allowed,
 * nothing after the digits) into an int and keeps it modulo 2^16, except
 * that a value whose low 32 bits are negative as an int (2147483648, -1, any
 * overflow) is looked up as a service name instead; an empty service is
 * port 0. Anything else must be a service name of tcp, udp, dccp, udplite or
 * sctp (the socket types getaddrinfo tries).
 */
export function getaddrinfoPort(text: string): number | undefined {
  if (text === '') return 0;
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (m) {
    const ulongMax = (1n << 64n) - 1n;
    let v = BigInt(m[2]!);
    if (v > ulongMax) v = ulongMax;
    else if (m[1] === '-') v = (ulongMax + 1n - v) & ulongMax;
    if ((v & 0x80000000n) === 0n) return Number(v & 0xffffn);
  }
  for (const proto of ['tcp', 'udp', 'dccp', 'udplite', 'sctp']) {
    const p = serviceToPort(text, proto);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** `xtables_parse_protocol`: number, built-in name, or /etc/protocols. */
export function parseProtocol(s: string): number | undefined {
  const n = xtStrtoui(s, 0, 255);
  if (n !== undefined) return n;
  const builtin: Record<string, number> = {
    tcp: 6, sctp: 132, udp: 17, udplite: 136, icmp: 1, 'ipv6-icmp': 58, icmpv6: 58,
    esp: 50, ah: 51, 'mobility-header': 135, 'ipv6-mh': 135, mh: 135, all: 0,
  };
  if (Object.prototype.hasOwnProperty.call(builtin, s)) return builtin[s];
  return PROTOCOL_NUMBERS.get(s);
}

const SYSLOG: Record<string, number> = {
  alert: 1, crit: 2, debug: 7, emerg: 0, error: 3, info: 6, notice: 5, panic: 0, warning: 4,
};

const TOS_NAMES: Record<string, number> = {
  'minimize-delay': 0x10,
  'maximize-throughput': 0x08,
  'maximize-reliability': 0x04,
  'minimize-cost': 0x02,
  'normal-service': 0,
};

/** `xtables_parse_val_mask` without a name map (used by --mark style options). */
export function parseValMask(
  arg: string,
  extName: string,
  optName: string,
  fail: (m: string) => never,
): { value: number; mask: number } {
  const v = xtStrtoul(arg, 0, 0xffffffff, false);
  if (!v) fail(`${extName}: bad integer value for option "--${optName}", or out of range.`);
  if (v.end === arg.length) return { value: Number(v.value), mask: 0xffffffff };
  if (arg[v.end] !== '/') fail(`${extName}: trailing garbage after value for option "--${optName}".`);
  const m = xtStrtoul(arg, 0, 0xffffffff, false, v.end + 1);
  if (!m) fail(`${extName}: bad integer value for option "--${optName}", or out of range.`);
  if (m.end !== arg.length) fail(`${extName}: trailing garbage after value for option "--${optName}".`);
  return { value: Number(v.value), mask: Number(m.value) };
}

/** inet_aton(): 1 to 4 parts, the last one filling the remaining bytes. */
export function inetAton(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    const r = xtStrtoul(p, 0, 0xffffffff);
    if (!r || p === '' || /^[+\s]/.test(p)) return undefined;
    nums.push(Number(r.value));
  }
  const last = nums[nums.length - 1]!;
  const head = nums.slice(0, -1);
  if (head.some((x) => x > 255)) return undefined;
  const lastMax = [0xffffffff, 0xffffff, 0xffff, 0xff][head.length]!;
  if (last > lastMax) return undefined;
  let v = 0;
  head.forEach((x, i) => {
    v += x * 2 ** (24 - 8 * i);
  });
  return (v + last) >>> 0;
}

function parseHost(arg: string, family: Family, call: OptionCall<unknown>): XtVal['host'] {
  if (family === 'ipv4') {
    const a = inetAton(arg);
    if (a !== undefined) return { v4: a, prefix: 32 };
    if (arg === 'localhost') return { v4: 0x7f000001, prefix: 32 };
    if (!isPlausibleHostname(arg)) call.fail('getaddrinfo: Name or service not known');
    call.warn(`"${arg}" is a host name: iptables resolves it once, when the rules are loaded.`, 'hostname');
    return { prefix: 32, hostname: arg };
  }
  const g = parseIpv6(arg);
  if (g) return { v6: g, prefix: 128 };
  // getaddrinfo also takes a zone (__inet6_scopeid_pton): a number up to
  // 2^32-1, or, on link-local addresses, an interface that must exist.
  const pct = arg.indexOf('%');
  const scoped = pct > 0 ? parseIpv6(arg.slice(0, pct)) : undefined;
  if (scoped) {
    const zone = arg.slice(pct + 1);
    const linkLocal = (scoped[0]! & 0xffc0) === 0xfe80 || (scoped[0]! & 0xff0f) === 0xff01 || (scoped[0]! & 0xff0f) === 0xff02;
    if (/^\d+$/.test(zone) && BigInt(zone) <= 0xffffffffn) return { v6: scoped, prefix: 128 };
    if (linkLocal && !/^\d+$/.test(zone) && /^[^\s/%]{1,15}$/.test(zone)) {
      call.warn(`"${arg}" names interface ${zone}: it must exist when the rules are loaded.`, 'hostname');
      return { v6: scoped, prefix: 128 };
    }
  }
  if (!isPlausibleHostname(arg)) call.fail('getaddrinfo: Name or service not known');
  call.warn(`"${arg}" is a host name: ip6tables resolves it once, when the rules are loaded.`, 'hostname');
  return { prefix: 128, hostname: arg };
}

function parsePlen(arg: string, family: Family, call: OptionCall<unknown>): number {
  const max = family === 'ipv4' ? 32 : 128;
  const n = xtStrtoui(arg, 0, max);
  if (n !== undefined) return n;
  // A mask in address form (xtopt_parse_mask): getaddrinfo(AI_NUMERICHOST),
  // which for IPv4 is inet_aton ("255.255.0.0", but also "1.2" or "33").
  // Its prefix length, or -1 when the mask is not contiguous.
  if (family === 'ipv4') {
    const m = inetAton(arg);
    if (m !== undefined) {
      for (let i = 32; i >= 0; i--) if (((i === 0 ? 0 : (0xffffffff << (32 - i)) >>> 0)) === m) return i;
      return -1;
    }
  } else {
    const g = parseIpv6(arg);
    if (g) {
      let bits = 0;
      while (bits < 128 && (g[bits >> 4]! >> (15 - (bits & 15))) & 1) bits++;
      for (let b = bits; b < 128; b++) if ((g[b >> 4]! >> (15 - (b & 15))) & 1) return -1;
      return bits;
    }
  }
  return call.fail(
    `${call.extName}: bad value for option "--${call.option.name}", neither a valid network mask nor valid CIDR (0-${max}).`,
  );
}

/** `xtables_option_parse`: checks, then the per-type value parser. */
export function guidedParse(call: OptionCall<unknown>): void {
  const o = call.option;
  const eflag = 1 << o.id;
  if ((!o.multi || (o.excl ?? []).includes(o.id)) && call.xflags & eflag) {
    call.fail(`${call.extName}: option "--${o.name}" can only be used once.`);
  }
  if (call.invert && !o.invert) call.fail(`${call.extName}: option "--${o.name}" cannot be inverted.`);
  const type = o.type ?? 'none';
  if (type !== 'none' && call.arg === undefined) call.fail(`${call.extName}: option "--${o.name}" requires an argument.`);
  const arg = call.arg ?? '';
  const v = call.val;
  v.nvals = 1;
  switch (type) {
    case 'none':
      break;
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64': {
      const lo = BigInt(o.min ?? 0);
      const hi = o.max ? BigInt(o.max) : UINT_MAX[type]!;
      const r = xtStrtoul(arg, lo, hi);
      if (!r) call.fail(`${call.extName}: bad value for option "--${o.name}", or out of range (${lo}-${hi}).`);
      v.u = r.value;
      break;
    }
    case 'uint8rc':
    case 'uint16rc':
    case 'uint32rc':
    case 'uint64rc': {
      const lmax = UINT_MAX[type]!;
      const maxiter = o.size ?? 2;
      const vals: bigint[] = [];
      let pos = 0;
      for (;;) {
        if (vals.length === maxiter) {
          call.fail(`${call.extName}: Too many components for option "--${o.name}" (max: ${maxiter})`);
        }
        let end: number;
        let value: bigint;
        if (pos >= arg.length || arg[pos] === ':') {
          end = pos;
          value = vals.length === 1 ? lmax : 0n;
        } else {
          const r = xtStrtoul(arg, 0, lmax, false, pos);
          if (!r) {
            call.fail(`${call.extName}: bad value for option "--${o.name}" near "${arg.slice(pos)}", or out of range (0-${lmax}).`);
          }
          end = r.end;
          value = r.value;
          if (end < arg.length && arg[end] !== ':') {
            call.fail(`${call.extName}: Argument to "--${o.name}" has unexpected characters near "${arg.slice(end)}".`);
          }
        }
        vals.push(value);
        if (end >= arg.length) break;
        pos = end + 1;
      }
      v.range = vals;
      v.nvals = vals.length;
      break;
    }
    case 'double': {
      const r = strtod(arg);
      const min = o.min ?? 0;
      const max = o.max ?? 0;
      if (!r || r.end !== arg.length || (min !== max && (r.value < min || r.value > max))) {
        call.fail(`${call.extName}: bad value for option "--${o.name}", or out of range (${min}-${max}).`);
      }
      v.dbl = r.value;
      break;
    }
    case 'string': {
      const bytes = utf8Length(arg);
      if (o.min && bytes < o.min) call.fail(`Argument must have a minimum length of ${o.min} characters`);
      if (o.max && bytes > o.max) call.fail(`Argument must have a maximum length of ${o.max} characters`);
      v.str = o.size !== undefined && bytes >= o.size ? truncateUtf8(arg, o.size - 1) : arg;
      break;
    }
    case 'tosmask': {
      const num = xtStrtoul(arg, 0, 255, false);
      if (num) {
        let value = Number(num.value);
        let mask = 255;
        let end = num.end;
        if (arg[end] === '/') {
          const m = xtStrtoul(arg, 0, 255, false, end + 1);
          if (!m) call.fail(`Illegal value: "${arg}"`);
          mask = Number(m.value);
          end = m.end;
        }
        if (end !== arg.length) call.fail(`Illegal value: "${arg}"`);
        v.tos = { value, mask };
        value = 0;
        break;
      }
      const sym = Object.prototype.hasOwnProperty.call(TOS_NAMES, arg.toLowerCase()) ? TOS_NAMES[arg.toLowerCase()] : undefined;
      if (sym === undefined) call.fail(`Symbolic name "${arg}" is unknown`);
      v.tos = { value: sym, mask: o.max ?? 0x3f };
      break;
    }
    case 'markmask32':
      v.mark = parseValMask(arg, call.extName, o.name, (m) => call.fail(m));
      break;
    case 'sysloglevel': {
      let n = xtStrtoui(arg, 0, 7);
      if (n === undefined && Object.prototype.hasOwnProperty.call(SYSLOG, arg)) n = SYSLOG[arg];
      if (n === undefined) call.fail(`log level "${arg}" unknown`);
      v.syslog = n;
      break;
    }
    case 'host':
      v.host = parseHost(arg, call.rule.family, call);
      break;
    case 'hostmask': {
      const slash = arg.indexOf('/');
      if (slash < 0) {
        v.host = parseHost(arg, call.rule.family, call);
        break;
      }
      const h = parseHost(arg.slice(0, slash), call.rule.family, call)!;
      const plen = parsePlen(arg.slice(slash + 1), call.rule.family, call);
      v.host = { ...h, prefix: plen };
      v.plen = plen;
      break;
    }
    case 'protocol': {
      const p = parseProtocol(arg);
      if (p === undefined) call.fail(`unknown protocol "${arg}" specified`);
      v.protocol = p;
      break;
    }
    case 'port': {
      const p = getaddrinfoPort(arg);
      if (p === undefined) call.fail(`Port "${arg}" does not resolve to anything.`);
      v.port = p;
      break;
    }
    case 'portrc': {
      const maxiter = o.size ?? 2;
      const range: [number, number] = [0, 65535];
      let n = 0;
      for (const part of arg.split(':')) {
        if (n === maxiter) call.fail(`${call.extName}: Too many components for option "--${o.name}" (max: ${maxiter})`);
        if (part === '') {
          n++;
          continue;
        }
        const p = getaddrinfoPort(part);
        if (p === undefined) call.fail(`Port "${part}" does not resolve to anything.`);
        if (n < 2) range[n] = p;
        n++;
      }
      if (n === 1) range[1] = range[0];
      v.ports = range;
      v.nvals = Math.max(n, 2);
      break;
    }
    case 'plen':
    case 'plenmask':
      v.plen = parsePlen(arg, call.rule.family, call);
      break;
    case 'ethermac': {
      const parts = arg.split(':');
      const bad: () => never = () => call.fail('Invalid MAC address specified.');
      if (parts.length !== 6) bad();
      const mac: number[] = [];
      for (const p of parts) {
        // strtoul(…, 16) must consume the whole part, at most two characters
        // ("0x" is a prefix only when a hex digit follows; "-1" wraps to ff).
        // An empty part converts nothing and counts as 0.
        if (p === '') {
          mac.push(0);
          continue;
        }
        const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]+)$/.exec(p);
        if (!m || p.length > 2) return bad();
        const n = parseInt(m[2]!, 16);
        mac.push((m[1] === '-' ? -n : n) & 0xff);
      }
      v.mac = mac;
      break;
    }
  }
  call.xflags |= eflag;
}

/** `xtables_options_fcheck`: mandatory, "also requires" and exclusion checks. */
interface Constraint {
  readonly option: ExtOption;
  readonly mand: boolean;
  /** [id, name of the first guided option with that id], ascending ids */
  readonly also: ReadonlyArray<readonly [number, string]>;
  readonly excl: ReadonlyArray<readonly [number, string]>;
}

const constraintCache = new WeakMap<readonly ExtOption[], readonly Constraint[]>();

/** The options that carry mand/also/excl, compiled once per extension. */
function constraintsOf(options: readonly ExtOption[]): readonly Constraint[] {
  let c = constraintCache.get(options);
  if (c) return c;
  const firstById = new Map<number, ExtOption>();
  for (const o of options) if (o.type !== undefined && !firstById.has(o.id)) firstById.set(o.id, o);
  const out: Constraint[] = [];
  for (const o of options) {
    if (o.type === undefined || (!o.mand && !o.also?.length && !o.excl?.length)) continue;
    // fcheck2 walks ids 0..31 in order; keep that order for the first error.
    const pairs = (ids: readonly number[] | undefined): Array<readonly [number, string]> =>
      [...new Set(ids ?? [])].filter((i) => i !== o.id && firstById.has(i)).sort((a, b) => a - b).map((i) => [i, firstById.get(i)!.name] as const);
    out.push({ option: o, mand: !!o.mand, also: pairs(o.also), excl: pairs(o.excl) });
  }
  constraintCache.set(options, (c = out));
  return c;
}

/** `xtables_options_fcheck`: mandatory, "also requires" and exclusion checks. */
export function guidedFinalCheck(extName: string, xflags: number, options: readonly ExtOption[], fail: (m: string) => never): void {
  for (const { option: o, mand, also, excl } of constraintsOf(options)) {
    const bit = 1 << o.id;
    if (mand && !(xflags & bit)) fail(`${extName}: option "--${o.name}" must be specified`);
    if (!(xflags & bit)) continue;
    // fcheck2 checks "also" then "excl" for each other id in ascending order.
    let ai = 0;
    let ei = 0;
    while (ai < also.length || ei < excl.length) {
      const a = also[ai];
      const e = excl[ei];
      if (a && (!e || a[0] <= e[0])) {
        if (!(xflags & (1 << a[0]))) fail(`${extName}: option "--${o.name}" also requires "--${a[1]}".`);
        ai++;
        if (e && e[0] === a[0]) {
          if (xflags & (1 << e[0])) fail(`${extName}: option "--${o.name}" cannot be used together with "--${e[1]}".`);
          ei++;
        }
      } else if (e) {
        if (xflags & (1 << e[0])) fail(`${extName}: option "--${o.name}" cannot be used together with "--${e[1]}".`);
        ei++;
      }
    }
  }
}

/** True when guidedFinalCheck can have something to say for these options. */
export function hasGuidedConstraints(options: readonly ExtOption[]): boolean {
  return constraintsOf(options).length > 0;
}

export { ipparseMultiple4, ipparseMultiple6 };
