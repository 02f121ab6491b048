/**
 * C number parsing as libxtables does it: strtoumax() with base 0 (decimal,
 * 0x hex, leading-0 octal), and xtables_strtoul()'s rules on top.
 */

export interface StrtoResult {
  readonly value: bigint;
  /** Index of the first character not consumed. */
  readonly end: number;
  readonly overflow: boolean;
}

const UINTMAX = (1n << 64n) - 1n;
const SMALL_LIMIT = 2 ** 48;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/** strtoumax(s, &end, base): undefined when no digits were consumed. */
export function strtoumax(s: string, from = 0, baseIn = 0): StrtoResult | undefined {
  let i = from;
  while (isSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let base = baseIn;
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2]) < 16) {
    base = 16;
    i += 2;
  } else if (base === 0) {
    base = s[i] === '0' ? 8 : 10;
  }
  const startDigits = i;
  // Digits are summed as a number while it is exact (below 2^48, times 16 plus 15, stays below 2^53):
  // BigInt arithmetic allocates on every step, and most numbers are ports and marks.
  let small = 0;
  let d = digitValue(s[i]);
  while (d < base && small < SMALL_LIMIT) {
    small = small * base + d;
    d = digitValue(s[++i]);
  }
  let v = BigInt(small);
  let overflow = false;
  if (d < base) {
    const b = BigInt(base);
    while (digitValue(s[i]) < base) {
      v = v * b + BigInt(digitValue(s[i]));
      if (v > UINTMAX) overflow = true;
      i++;
    }
  }
  if (i === startDigits) return undefined;
  if (overflow) v = UINTMAX;
  else if (neg) v = (UINTMAX + 1n - v) & UINTMAX;
  return { value: v, end: i, overflow };
}

/**
 * xtables_strtoul(): rejects a leading minus, enforces [min, max] (max 0
 * means unlimited). With `strict` the whole string must be the number.
 */
export function xtStrtoul(
  s: string,
  min: bigint | number,
  max: bigint | number,
  strict = true,
  from = 0,
): { value: bigint; end: number } | undefined {
  let p = from;
  while (isSpace(s[p])) p++;
  if (s[p] === '-') return undefined;
  const r = strtoumax(s, from, 0);
  if (!r) return undefined;
  const lo = BigInt(min);
  const hi = BigInt(max);
  if (!r.overflow && lo <= r.value && (hi === 0n || r.value <= hi)) {
    if (strict && r.end !== s.length) return undefined;
    return { value: r.value, end: r.end };
  }
  return undefined;
}

/** xtables_strtoui() convenience returning a JS number. */
export function xtStrtoui(s: string, min: number, max: number, strict = true): number | undefined {
  const r = xtStrtoul(s, min, max, strict);
  return r === undefined ? undefined : Number(r.value);
}

/**
 * strtod() as glibc accepts it: leading spaces, sign, decimal with exponent,
 * hex floats, inf/infinity/nan. Returns the value and the end index.
 */
export function strtod(s: string): { value: number; end: number } | undefined {
  let i = 0;
  while (isSpace(s[i])) i++;
  const m = /^[+-]?(?:(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)|(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?:inf(?:inity)?)|(?:nan(?:\([0-9A-Za-z_]*\))?))/i.exec(s.slice(i));
  if (!m) return undefined;
  const text = m[0];
  let value: number;
  const body = text.replace(/^[+-]/, '');
  const sign = text.startsWith('-') ? -1 : 1;
  if (/^0x/i.test(body)) {
    const [mant, exp] = body.slice(2).split(/[pP]/) as [string, string | undefined];
    const [ip, fp = ''] = mant.split('.') as [string, string | undefined];
    let v = 0;
    for (const ch of ip) v = v * 16 + parseInt(ch, 16);
    let scale = 1 / 16;
    for (const ch of fp) {
      v += parseInt(ch, 16) * scale;
      scale /= 16;
    }
    value = v * Math.pow(2, exp ? Number(exp) : 0);
  } else if (/^inf/i.test(body)) value = Infinity;
  else if (/^nan/i.test(body)) value = NaN;
  else value = Number(body);
  return { value: sign * value, end: i + text.length };
}
