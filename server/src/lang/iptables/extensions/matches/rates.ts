/**
 * Rate text shared by the limit and hashlimit matches (parse_rate() in
 * extensions/libxt_limit.c and libxt_hashlimit.c): "N[/unit]", where the
 * unit is any non-empty prefix of second, minute, hour or day, in any case,
 * and N is read the way C's atoi()/atoll() read it.
 */

export type RateUnit = 'second' | 'minute' | 'hour' | 'day';

export const UNIT_SECONDS: Readonly<Record<RateUnit, number>> = { second: 1, minute: 60, hour: 3600, day: 86400 };

const UNITS: readonly RateUnit[] = ['second', 'minute', 'hour', 'day'];

/** The unit after the first "/", or "second" without one; undefined when it names no unit. */
export function rateUnit(text: string): RateUnit | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return 'second';
  const suffix = text.slice(slash + 1).replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (suffix === '') return undefined;
  // strncasecmp(suffix, word, strlen(suffix)): the suffix must be a prefix of the word.
  return UNITS.find((u) => suffix.length <= u.length && u.startsWith(suffix));
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** glibc strtoll(s, NULL, 10): leading space, sign, decimal digits; saturates on overflow. */
export function cStrtoll(s: string): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s);
  const digits = m?.[2] ?? '';
  if (digits === '') return 0n;
  let v = BigInt(digits);
  if (m?.[1] === '-') v = -v;
  if (v > INT64_MAX) return INT64_MAX;
  if (v < INT64_MIN) return INT64_MIN;
  return v;
}

/** atoi() stored into a uint32_t (glibc atoi is (int)strtol). */
export function atoiU32(s: string): number {
  return Number(BigInt.asUintN(32, cStrtoll(s)));
}

/** atoi() as a signed int. */
export function atoiI32(s: string): number {
  return Number(BigInt.asIntN(32, cStrtoll(s)));
}

/** atoll() stored into a uint64_t. */
export function atollU64(s: string): bigint {
  return BigInt.asUintN(64, cStrtoll(s));
}

/** The unit print_rate() picks to show an interval of `period` (in units of 1/scale s). */
export function rateForDisplay(period: bigint, scale: bigint): { count: bigint; unit: 'sec' | 'min' | 'hour' | 'day' } | undefined {
  if (period === 0n) return undefined;
  const table: Array<['day' | 'hour' | 'min' | 'sec', bigint]> = [
    ['day', scale * 86400n],
    ['hour', scale * 3600n],
    ['min', scale * 60n],
    ['sec', scale],
  ];
  let i = 1;
  for (; i < table.length; i++) {
    const mult = table[i]![1];
    if (period > mult || mult / period < mult % period) break;
  }
  const [unit, mult] = table[i - 1]!;
  return { count: mult / period, unit };
}
