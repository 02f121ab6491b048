/**
 * length match (extensions/libxt_length.c; kernel net/netfilter/xt_length.c):
 * the packet's length (IPv4: total length; IPv6: payload + 40-byte header).
 */
import { defineExtension } from '../../extension';

export interface LengthMatch {
  /** Inclusive [lo, hi]; a reversed range is accepted and never matches. */
  range: [number, number];
  invert: boolean;
}

export const length = defineExtension<LengthMatch>({
  kind: 'match',
  name: 'length',
  summary: "Matches the packet's length in bytes (a value or an inclusive range).",
  options: [{ name: 'length', id: 0, type: 'uint16rc', mand: true, invert: true, doc: 'length or range lo:hi in bytes (0..65535)' }],
  init: () => ({ range: [0, 0], invert: false }),
  parse(c) {
    const r = c.val.range ?? [0n];
    const lo = Number(r[0] ?? 0n);
    c.data.range = [lo, r.length >= 2 ? Number(r[1]) : lo];
    c.data.invert = c.invert;
  },
  save: (d) => `${d.invert ? '! ' : ''}--length ${d.range[0] === d.range[1] ? d.range[0] : `${d.range[0]}:${d.range[1]}`}`,
  describe(d) {
    const [lo, hi] = d.range;
    const body = lo === hi ? `${lo} bytes long` : `${lo}–${hi} bytes long`;
    return `${d.invert ? 'not ' : ''}${body}${lo > hi ? ' (a reversed range never matches)' : ''}`;
  },
});
