/**
 * string match, revision 1 (extensions/libxt_string.c; kernel
 * net/netfilter/xt_string.c and lib/ts_{bm,kmp,fsm}.c): searches the packet
 * for a byte pattern between two offsets.
 */
import { defineExtension } from '../../extension';

export type StringAlgo = 'bm' | 'kmp' | 'fsm';

export interface StringMatch {
  /** Search algorithm as given (15 bytes at most); the kernel knows bm, kmp and fsm. */
  algo: string;
  /** The pattern bytes (1..128). */
  pattern: number[];
  /** Search window: byte offsets from the start of the packet (network header), inclusive. */
  from: number;
  to: number;
  invert: boolean;
  /** --icase: ASCII case-insensitive. */
  icase: boolean;
  /** How the pattern was given (for hovers and saving). */
  given: 'string' | 'hex-string';
}

const O_FROM = 0;
const O_TO = 1;
const O_ALGO = 2;
const O_ICASE = 3;
const O_STRING = 4;
const O_HEX_STRING = 5;
const MAX_PATTERN = 128;

/** UTF-8 bytes of a string (no TextEncoder in the pure core). */
function utf8Bytes(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

const isXdigit = (b: number | undefined): boolean => b !== undefined && /^[0-9a-fA-F]$/.test(String.fromCharCode(b));
const charOf = (b: number | undefined): string => (b === undefined ? '' : b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16)}`);
const BACKSLASH = 0x5c;
const BAR = 0x7c;
const SPACE = 0x20;

/** parse_hex_string(): plain bytes, "\\c" literals, and |hex bytes| blocks. */
function parseHexString(text: string, fail: (m: string, hint?: string) => never): number[] {
  const s = utf8Bytes(text);
  const n = s.length;
  if (n === 0) fail('STRING must contain at least one char');
  const out: number[] = [];
  let i = 0;
  let hex = false;
  let literal = false;
  while (i < n) {
    if (out.length >= MAX_PATTERN) fail(`STRING too long "${text}"`, `At most ${MAX_PATTERN} bytes.`);
    if (s[i] === BACKSLASH && !hex) {
      literal = true;
    } else if (s[i] === BACKSLASH) {
      fail('Cannot include literals in hex data', 'Close the |…| block before a backslash escape.');
    } else if (s[i] === BAR) {
      if (hex) hex = false;
      else {
        hex = true;
        while (s[i + 1] === SPACE) i++;
      }
      if (i + 1 >= n) break;
      i++;
    }
    if (literal) {
      if (i + 1 >= n) fail('Bad literal placement at end of string', 'A backslash escapes the next character; here none follows.');
      out.push(s[i + 1]!);
      i += 2;
      literal = false;
    } else if (hex) {
      if (i + 1 >= n) fail('Odd number of hex digits', 'Each byte in a |…| block is two hex digits.');
      if (i + 2 >= n) fail('Invalid hex block', 'A hex block must end with "|".');
      if (!isXdigit(s[i])) fail(`Invalid hex char '${charOf(s[i])}'`, 'Hex bytes are pairs of 0-9/a-f, separated by at most one space.');
      if (!isXdigit(s[i + 1])) fail(`Invalid hex char '${charOf(s[i + 1])}'`, 'Hex bytes are pairs of 0-9/a-f, separated by at most one space.');
      out.push(parseInt(String.fromCharCode(s[i]!, s[i + 1]!), 16));
      i += s[i + 2] === SPACE ? 3 : 2;
    } else {
      out.push(s[i]!);
      i++;
    }
  }
  return out;
}

/** ts_fsm's fsm_init(): the pattern is an array of 4-byte tokens {u16 type (host order), u8 recur, u8 value}. */
function fsmProblem(p: number[], icase: boolean): string | undefined {
  if (icase) return 'the fsm algorithm cannot ignore case';
  if (p.length % 4 !== 0) return `an fsm pattern is a list of 4-byte tokens, but this one has ${p.length} bytes`;
  const n = p.length / 4;
  for (let i = 0; i < n; i++) {
    const type = p[i * 4]! | (p[i * 4 + 1]! << 8);
    const recur = p[i * 4 + 2]!;
    if (type > 13) return `fsm token ${i + 1} has type ${type} (at most 13)`;
    if (recur > 4) return `fsm token ${i + 1} has recurrence ${recur} (at most 4)`;
    if (recur === 4 && (i !== 0 || i === n - 1)) return `fsm token ${i + 1}: "head ignore" is only allowed on the first of several tokens`;
  }
  return undefined;
}

const isPrint = (b: number): boolean => b >= 0x20 && b <= 0x7e;

export const string = defineExtension<StringMatch>({
  kind: 'match',
  name: 'string',
  summary: 'Matches packets containing a byte pattern (searched with the bm, kmp or fsm algorithm).',
  options: [
    { name: 'from', id: O_FROM, type: 'uint16', doc: 'offset to start searching from (default 0)' },
    { name: 'to', id: O_TO, type: 'uint16', doc: 'offset to stop searching at (default 65535)' },
    { name: 'algo', id: O_ALGO, type: 'string', mand: true, size: 16, doc: 'search algorithm: bm (Boyer-Moore) or kmp (Knuth-Pratt-Morris)' },
    { name: 'string', id: O_STRING, type: 'string', invert: true, excl: [O_HEX_STRING], doc: 'text to search for (up to 128 bytes)' },
    { name: 'hex-string', id: O_HEX_STRING, type: 'string', invert: true, excl: [O_STRING], doc: 'pattern with |hex bytes|, e.g. "|0d0a|"' },
    { name: 'icase', id: O_ICASE, type: 'none', doc: 'ignore case' },
  ],
  init: () => ({ algo: '', pattern: [], from: 0, to: 65535, invert: false, icase: false, given: 'string' }),
  parse(c) {
    const d = c.data;
    const arg = c.arg ?? '';
    switch (c.option.id) {
      case O_FROM:
        d.from = Number(c.val.u ?? 0n);
        break;
      case O_TO:
        d.to = Number(c.val.u ?? 0n);
        break;
      case O_ALGO:
        d.algo = c.val.str ?? arg;
        break;
      case O_ICASE:
        d.icase = true;
        break;
      case O_STRING: {
        const bytes = utf8Bytes(arg);
        if (bytes.length > MAX_PATTERN) c.fail(`STRING too long "${arg}"`, `The pattern is ${bytes.length} bytes; at most ${MAX_PATTERN}.`);
        d.pattern = bytes;
        d.given = 'string';
        if (c.invert) d.invert = true;
        break;
      }
      case O_HEX_STRING:
        d.pattern = parseHexString(arg, (m, h) => c.fail(m, h));
        d.given = 'hex-string';
        if (c.invert) d.invert = true;
        break;
    }
  },
  finalCheck(c) {
    if (!(c.xflags & ((1 << O_STRING) | (1 << O_HEX_STRING)))) {
      c.fail("STRING match: You must specify `--string' or `--hex-string'");
    }
  },
  kernel: {
    check(ctx) {
      const d = ctx.data;
      if (d.from > d.to) return `the kernel refuses --from ${d.from} after --to ${d.to}.`;
      if (d.algo !== 'bm' && d.algo !== 'kmp' && d.algo !== 'fsm') {
        return `the kernel has no text-search algorithm "${d.algo}" (it knows bm, kmp and fsm; names are case-sensitive).`;
      }
      if (d.pattern.length === 0) return 'the kernel refuses an empty pattern.';
      if (d.algo === 'fsm') {
        const why = fsmProblem(d.pattern, d.icase);
        if (why) return `the kernel refuses this pattern: ${why}.`;
      }
      return undefined;
    },
  },
  save(d) {
    const p = d.pattern;
    const hex = p.some((b) => !isPrint(b)) || p[p.length - 1] === BACKSLASH;
    const body = hex
      ? `--hex-string "|${p.map((b) => b.toString(16).padStart(2, '0')).join('')}|"`
      : `--string "${p.map((b) => (b === 0x22 || b === BACKSLASH ? '\\' : '') + String.fromCharCode(b)).join('')}"`;
    const out = [`${d.invert ? '! ' : ''}${body}`, `--algo ${d.algo}`];
    if (d.from !== 0) out.push(`--from ${d.from}`);
    if (d.to !== 65535) out.push(`--to ${d.to}`);
    if (d.icase) out.push('--icase');
    return out.join(' ');
  },
  describe(d) {
    const p = d.pattern;
    const shown = p.every(isPrint) ? `"${String.fromCharCode(...p)}"` : `|${p.map((b) => b.toString(16).padStart(2, '0')).join(' ')}|`;
    const where = d.from !== 0 || d.to !== 65535 ? ` between bytes ${d.from} and ${d.to}` : '';
    return `${d.invert ? 'not ' : ''}containing ${shown}${d.icase ? ' (any case)' : ''}${where}`;
  },
});
