/**
 * IPv4/IPv6 address text as libxtables parses it (xtables_numeric_to_ipaddr,
 * parse_ipmask, xtables_ipparse_multiple and their IPv6 twins).
 */
import { xtStrtoui } from './cnum';
import { NETWORKS } from './netdb';

export type Family = 'ipv4' | 'ipv6';

/** An IPv4 address as an unsigned 32-bit number. */
export type Ipv4 = number;

export interface Cidr4 {
  readonly addr: Ipv4;
  readonly mask: Ipv4;
  /** Prefix length, or -1 for a non-contiguous mask. */
  readonly prefix: number;
}

export function ipv4ToString(a: Ipv4): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function maskToPrefix(mask: Ipv4): number {
  for (let i = 32; i >= 0; i--) {
    const bits = i === 0 ? 0 : (0xffffffff << (32 - i)) >>> 0;
    if (bits === mask >>> 0) return i;
  }
  return -1;
}

export function prefixToMask(prefix: number): Ipv4 {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function cidrToString(c: Cidr4): string {
  const m = c.prefix >= 0 ? String(c.prefix) : ipv4ToString(c.mask);
  return `${ipv4ToString(c.addr)}/${m}`;
}

/**
 * `__numeric_to_ipaddr`: dotted quad where each byte is a C integer (so
 * "010" is octal 8); with fewer than four parts the rest are zero
 * ("10.1" = 10.1.0.0), except for masks, which need all four.
 */
export function numericToIpv4(text: string, isMask = false): Ipv4 | undefined {
  const quick = plainDottedQuad(text);
  if (quick !== -1) return quick;
  const buf = text.slice(0, 19); // strncpy into char buf[20]
  const parts = buf.split('.');
  const bytes = [0, 0, 0, 0];
  for (let i = 0; i < 3; i++) {
    if (parts.length <= i + 1) {
      if (isMask) return undefined;
      const b = xtStrtoui(parts[i] ?? '', 0, 255);
      if (b === undefined) return undefined;
      bytes[i] = b;
      return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    }
    const b = xtStrtoui(parts[i]!, 0, 255);
    if (b === undefined) return undefined;
    bytes[i] = b;
  }
  const last = parts.slice(3).join('.');
  const b = xtStrtoui(last, 0, 255);
  if (b === undefined) return undefined;
  bytes[3] = b;
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

/**
 * Fast path for the common spelling: four decimal bytes without leading
 * zeros ("10.0.0.1"). Returns -1 when the text is anything else, so the
 * general parser decides (octal, hex, short forms, errors).
 */
function plainDottedQuad(text: string): Ipv4 | -1 {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (text.charCodeAt(i) !== 46 /* . */) return -1;
      i++;
    }
    const start = i;
    let b = 0;
    while (i < n) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      b = b * 10 + c;
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || (len > 1 && text.charCodeAt(start) === 48) || b > 255) return -1;
    value = value * 256 + b;
  }
  return i === n ? value : -1;
}

/**
 * glibc `__inet_aton_exact`, which getaddrinfo() tries before any lookup: one
 * to four C integers (0x hex, leading-0 octal) separated by dots, the last
 * filling the remaining bytes ("256" is 0.0.1.0, "10.65535" is 10.0.255.255),
 * nothing after them. libxtables falls back to it for addresses its own
 * parser refuses, so these never reach DNS.
 */
export function inetAtonExact(text: string): Ipv4 | undefined {
  const parts: number[] = [];
  let i = 0;
  let digit = false;
  let val = 0;
  for (;;) {
    if (!/[0-9]/.test(text[i] ?? '')) return undefined;
    let base = 10;
    digit = false;
    val = 0;
    if (text[i] === '0') {
      i++;
      if (text[i] === 'x' || text[i] === 'X') {
        base = 16;
        i++;
      } else {
        base = 8;
        digit = true;
      }
    }
    for (;;) {
      const c = text[i] ?? '';
      let d: number;
      if (/[0-9]/.test(c)) {
        d = c.charCodeAt(0) - 48;
        if (base === 8 && d > 7) return undefined;
      } else if (base === 16 && /[0-9a-fA-F]/.test(c)) d = parseInt(c, 16);
      else break;
      val = val * base + d;
      if (val > 0xffffffff) return undefined;
      digit = true;
      i++;
    }
    if (text[i] !== '.') break;
    if (parts.length >= 3 || val > 0xff) return undefined;
    parts.push(val);
    i++;
  }
  if (!digit || i !== text.length) return undefined;
  const room = [0xffffffff, 0xffffff, 0xffff, 0xff][parts.length]!;
  if (val > room) return undefined;
  let v = 0;
  parts.forEach((p, k) => {
    v += p * 2 ** (24 - 8 * k);
  });
  return (v + val) >>> 0;
}

/** Strict dotted quad for our own inputs (host files, CLI): 4 decimal parts. */
export function parseIpv4Strict(text: string): Ipv4 | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export function parseCidr4Strict(text: string): Cidr4 | undefined {
  const [a, p] = text.split('/');
  const addr = parseIpv4Strict(a ?? '');
  if (addr === undefined) return undefined;
  const prefix = p === undefined ? 32 : /^\d{1,2}$/.test(p) ? Number(p) : NaN;
  if (!(prefix >= 0 && prefix <= 32)) return undefined;
  const mask = prefixToMask(prefix);
  return { addr: (addr & mask) >>> 0, mask, prefix };
}

export type AddrParse4 =
  | { readonly kind: 'ok'; readonly cidrs: Cidr4[]; readonly hostnames: string[] }
  | { readonly kind: 'error'; readonly message: string };

/** parse_ipmask() */
function parseIpmask4(mask: string | undefined): Ipv4 | string {
  if (mask === undefined) return 0xffffffff;
  const dotted = numericToIpv4(mask, true);
  if (dotted !== undefined) return dotted;
  const bits = xtStrtoui(mask, 0, 32);
  if (bits === undefined) return `invalid mask \`${mask}' specified`;
  return prefixToMask(bits);
}

/**
 * `xtables_ipparse_multiple`: comma-separated list of addr[/mask]. Host names
 * cannot be resolved here: they are returned so the caller can warn; the
 * loopback name "localhost" resolves to 127.0.0.1 as /etc/hosts says.
 */
export function ipparseMultiple4(name: string): AddrParse4 {
  const cidrs: Cidr4[] = [];
  const hostnames: string[] = [];
  const items = name.split(',');
  for (let raw of items) {
    raw = raw.replace(/^[ \t\n\v\f\r]+/, '');
    if (raw.length > 255) return { kind: 'error', message: 'Hostname too long' };
    const slash = raw.lastIndexOf('/');
    let host = slash >= 0 ? raw.slice(0, slash) : raw;
    const mask = parseIpmask4(slash >= 0 ? raw.slice(slash + 1) : undefined);
    if (typeof mask === 'string') return { kind: 'error', message: mask };
    if (mask === 0) host = '0.0.0.0';
    let addr = numericToIpv4(host);
    if (addr === undefined) {
      const net = NETWORKS.get(host);
      if (net !== undefined) addr = numericToIpv4(net);
    }
    // getaddrinfo() reads numbers inet_aton() accepts before it looks anything up.
    if (addr === undefined) addr = inetAtonExact(host);
    if (addr === undefined) {
      if (host === 'localhost') addr = 0x7f000001;
      else if (isPlausibleHostname(host)) {
        hostnames.push(host);
        continue;
      } else {
        return { kind: 'error', message: `host/network \`${host}' not found` };
      }
    }
    cidrs.push({ addr: (addr & mask) >>> 0, mask, prefix: maskToPrefix(mask) });
  }
  return { kind: 'ok', cidrs, hostnames };
}

/** A name getaddrinfo() could resolve (letters, digits, dots, dashes). */
export function isPlausibleHostname(host: string): boolean {
  return /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/.test(host) && /[A-Za-z_-]/.test(host);
}

// ---------------------------------------------------------------- IPv6

/** inet_pton(AF_INET6) into 8 16-bit groups. */
export function parseIpv6(text: string): number[] | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let s = text;
  const tail4: number[] = [];
  if (s.includes('.')) {
    const lastColon = s.lastIndexOf(':');
    if (lastColon < 0) return undefined;
    const v4 = parseIpv4Strict(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail4.push((v4 >>> 16) & 0xffff, v4 & 0xffff);
    s = s.slice(0, lastColon + 1);
    // "::1.2.3.4" keeps its "::"; "a:b:c:d:e:f:1.2.3.4" drops the lone ':'.
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && dbl !== s.lastIndexOf('::')) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const need = 8 - tail4.length;
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail) return undefined;
    const fill = need - head.length - tail.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    const all = parseGroups(s);
    if (!all || all.length !== need) return undefined;
    groups = all;
  }
  return [...groups, ...tail4];
}

export interface Cidr6 {
  readonly groups: readonly number[];
  readonly prefix: number;
}

export type AddrParse6 =
  | { readonly kind: 'ok'; readonly cidrs: Cidr6[]; readonly hostnames: string[] }
  | { readonly kind: 'error'; readonly message: string };

function maskGroups6(prefix: number): number[] {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    g.push(bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff);
  }
  return g;
}

export function ipparseMultiple6(name: string): AddrParse6 {
  const cidrs: Cidr6[] = [];
  const hostnames: string[] = [];
  for (let raw of name.split(',')) {
    raw = raw.replace(/^[ \t\n\v\f\r]+/, '');
    if (raw.length > 255) return { kind: 'error', message: 'Hostname too long' };
    const slash = raw.lastIndexOf('/');
    let host = slash >= 0 ? raw.slice(0, slash) : raw;
    let prefix = 128;
    if (slash >= 0) {
      const m = raw.slice(slash + 1);
      const asAddr = parseIpv6(m);
      if (asAddr) {
        prefix = -1;
        let p = 0;
        let contiguous = true;
        for (const grp of asAddr) {
          for (let b = 15; b >= 0; b--) {
            const set = (grp >> b) & 1;
            if (set && !contiguous) prefix = -2;
            if (set && contiguous) p++;
            if (!set) contiguous = false;
          }
        }
        if (prefix !== -2) prefix = p;
      } else {
        const bits = xtStrtoui(m, 0, 128);
        if (bits === undefined) return { kind: 'error', message: `invalid mask \`${m}' specified` };
        prefix = bits;
      }
    }
    if (prefix === 0) host = '::';
    let groups = parseIpv6(host);
    if (!groups) {
      // getaddrinfo() takes a zone (__inet6_scopeid_pton): a number up to
      // 2^32-1 on any address; on link-local addresses also an interface
      // name, which must exist on the loading host.
      const pct = host.indexOf('%');
      const scoped = pct > 0 ? parseIpv6(host.slice(0, pct)) : undefined;
      if (scoped) {
        const zone = host.slice(pct + 1);
        const linkLocal = (scoped[0]! & 0xffc0) === 0xfe80 || (scoped[0]! & 0xff0f) === 0xff01 || (scoped[0]! & 0xff0f) === 0xff02;
        if (/^\d+$/.test(zone) && BigInt(zone) <= 0xffffffffn) groups = scoped;
        else if (linkLocal && /^[^\s/%]{1,15}$/.test(zone)) {
          hostnames.push(host);
          continue;
        }
      }
    }
    if (!groups) {
      if (host === 'localhost' || host === 'ip6-localhost' || host === 'ip6-loopback') groups = [0, 0, 0, 0, 0, 0, 0, 1];
      else if (isPlausibleHostname(host)) {
        hostnames.push(host);
        continue;
      } else return { kind: 'error', message: `host/network \`${host}' not found` };
    }
    const mg = maskGroups6(prefix < 0 ? 128 : prefix);
    cidrs.push({ groups: groups.map((g, i) => g & mg[i]!), prefix: prefix < 0 ? 128 : prefix });
  }
  return { kind: 'ok', cidrs, hostnames };
}

export function ipv6ToString(groups: readonly number[]): string {
  // RFC 5952: compress the longest run of zero groups (length >= 2).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  // inet_ntop writes IPv4-compatible (::a.b.c.d) and IPv4-mapped
  // (::ffff:a.b.c.d) addresses with the last 32 bits dotted.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    const v4 = `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
