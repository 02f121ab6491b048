/**
 * CLASSIFY target (extensions/libxt_CLASSIFY.c; kernel
 * net/netfilter/xt_CLASSIFY.c: hooks OUTPUT, FORWARD, POSTROUTING, any
 * table). Sets skb->priority, which picks the traffic-control class.
 *
 * `--set-class MAJOR:MINOR` is read with sscanf("%x:%x"): both hexadecimal,
 * spaces or a sign before a number allowed, anything after the minor ignored.
 * glibc takes a "0x" with no hex digit after it as 0 ("0x:1" is 0:1).
 */
import { defineExtension } from '../../extension';

export interface ClassifyTarget {
  /** tc class MAJOR:MINOR (hexadecimal in tc and iptables-save). */
  major: number;
  minor: number;
  /** skb->priority value: major << 16 | minor. */
  priority: number;
}

/** One sscanf %x conversion at `from`: [end, value] or undefined. */
function scanHex(s: string, from: number): [number, number] | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]*)|([0-9a-fA-F]+))/.exec(s.slice(from));
  if (!m) return undefined;
  let v = BigInt(`0x${m[2] !== undefined ? m[2] || '0' : m[3]}`);
  if (v > 0xffffffffffffffffn) v = 0xffffffffffffffffn;
  if (m[1] === '-') v = (1n << 64n) - v;
  return [from + m[0].length, Number(v & 0xffffffffn)];
}

export const CLASSIFY = defineExtension<ClassifyTarget>({
  kind: 'target',
  name: 'CLASSIFY',
  summary: 'Sets the packet priority to a tc class MAJOR:MINOR (OUTPUT, FORWARD, POSTROUTING), then goes on with the next rule.',
  options: [{ name: 'set-class', id: 0, type: 'string', mand: true, doc: 'MAJOR:MINOR, both hexadecimal' }],
  init: () => ({ major: 0, minor: 0, priority: 0 }),
  parse(c) {
    const arg = c.arg ?? '';
    const a = scanHex(arg, 0);
    const b = a && arg[a[0]] === ':' ? scanHex(arg, a[0] + 1) : undefined;
    if (!a || !b) return c.fail(`Bad class value "${arg}" — write MAJOR:MINOR in hexadecimal, e.g. 1:10.`);
    const major = a[1] & 0xffff;
    const minor = b[1] & 0xffff;
    c.data.major = major;
    c.data.minor = minor;
    c.data.priority = ((major << 16) | minor) >>> 0;
  },
  kernel: { hooks: ['OUTPUT', 'FORWARD', 'POSTROUTING'] },
  save: (d) => `--set-class ${d.major.toString(16)}:${d.minor.toString(16)}`,
  describe: (d) => `put the packet in tc class ${d.major.toString(16)}:${d.minor.toString(16)}, then continue`,
});
