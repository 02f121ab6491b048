/**
 * Small helpers shared by the catalogued extensions: C-style number parsing
 * where an extension calls strtoul() itself, the name maps libxtables reads
 * from /etc/iproute2 (as a stock Debian 12 host ships them), and a few
 * shorthands for option tables.
 */
import { strtoumax, xtStrtoul } from '../../cnum';
import type { Hook } from '../../extension';
import type { OptionCall } from '../../xtoptions';

/**
 * strtoul(s + from, &end, base) on a 64-bit host: leading blanks and a sign
 * are accepted, a minus wraps around, overflow saturates. Without digits the
 * value is 0 and `end` is `from` (nothing consumed).
 */
export function cStrtoul(s: string, from = 0, base = 0): { value: bigint; end: number; overflow: boolean } {
  const r = strtoumax(s, from, base);
  return r ?? { value: 0n, end: from, overflow: false };
}

/** The low 32 bits, as `unsigned int x = strtoul(...)` keeps them. */
export function low32(v: bigint): number {
  return Number(v & 0xffffffffn);
}

/** Bit for option id `id` in xflags. */
export const F = (id: number): number => 1 << id;

/** /etc/iproute2/group on Debian 12 (devgroup). */
export const DEVGROUP_NAMES: ReadonlyMap<string, number> = new Map([['default', 0]]);
/** /etc/iproute2/rt_realms on Debian 12 (realm). */
export const REALM_NAMES: ReadonlyMap<string, number> = new Map([['cosmos', 0]]);

/**
 * xtables_parse_val_mask() with a name map: "value[/mask]" in C number
 * syntax, or a name from the map (names are looked up only when the text is
 * not a number, or a number followed by something other than "/").
 */
export function parseValMaskNamed(
  call: OptionCall<unknown>,
  names: ReadonlyMap<string, number>,
): { value: number; mask: number } {
  const arg = call.arg ?? '';
  const opt = call.option.name;
  const badVal = (): never => call.fail(`${call.extName}: bad integer value for option "--${opt}", or out of range.`);
  const byName = (): { value: number; mask: number } => {
    const v = names.get(arg);
    if (v === undefined) {
      return call.fail(`${call.extName}: could not map name ${arg} to an integer value for option "--${opt}".`,
        'Use a number (or value/mask), or a name defined in /etc/iproute2.');
    }
    return { value: v, mask: 0xffffffff };
  };
  const v = xtStrtoul(arg, 0, 0xffffffff, false);
  if (!v) return byName();
  if (v.end === arg.length) return { value: Number(v.value), mask: 0xffffffff };
  if (arg[v.end] !== '/') return byName();
  const m = xtStrtoul(arg, 0, 0xffffffff, false, v.end + 1);
  if (!m) return badVal();
  if (m.end !== arg.length) {
    return call.fail(`${call.extName}: trailing garbage after value for option "--${opt}".`);
  }
  return { value: Number(v.value), mask: Number(m.value) };
}

/** Does a hook-sensitive checkentry() see any of these hooks? */
export function anyOf(hooks: ReadonlySet<Hook>, list: readonly Hook[]): boolean {
  return list.some((h) => hooks.has(h));
}

/** Protocol numbers used by the protocol-bound extensions. */
export const IPPROTO = { TCP: 6, UDP: 17, DCCP: 33, ESP: 50, AH: 51, MH: 135, SCTP: 132, COMP: 108 } as const;
