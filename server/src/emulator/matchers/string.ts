/**
 * string match, revision 1 (kernel net/netfilter/xt_string.c, string_mt,
 * and skb_find_text in net/core/skbuff.c): is the pattern somewhere in the
 * packet, starting at or after --from and ending at or before --to (byte
 * offsets from the IP header; the window is [from, to))? `!` inverts. bm and
 * kmp find the same occurrences; --icase compares with the kernel's toupper().
 *
 * Approximation: the emulator knows the payload only (Packet.payload, UTF-8
 * encoded), not the header bytes. The payload is taken to be the last bytes
 * of the packet (offset length - payload size) and the headers to contain no
 * occurrence. An unknown payload makes the match undecidable.
 */
import type { StringMatch } from '../../lang/iptables/extensions/matches/string';
import { unknown } from '../context';
import type { MatcherEntry } from '../registry';

function utf8(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** lib/ctype.c's toupper(): ASCII a-z and the Latin-1 lower-case range 0xdf-0xff (not 0xf7) move down by 0x20. */
function toupper(b: number): number {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0xdf && b !== 0xf7) ? b - 0x20 : b;
}

/** First index i in [lo, hi - pattern.length] where the pattern occurs, or -1. */
export function findBytes(text: readonly number[], pattern: readonly number[], lo: number, hi: number, icase: boolean): number {
  const fold = icase ? toupper : (b: number): number => b;
  const pat = pattern.map(fold);
  for (let i = Math.max(0, lo); i + pat.length <= Math.min(hi, text.length); i++) {
    let j = 0;
    while (j < pat.length && fold(text[i + j]!) === pat[j]) j++;
    if (j === pat.length) return i;
  }
  return -1;
}

export const string: MatcherEntry = {
  name: 'string',
  fn: (d: StringMatch, { packet: p }) => {
    if (p.payload === undefined) return unknown('the packet payload is not known');
    const bytes = utf8(p.payload);
    const base = Math.max(0, p.length - bytes.length);
    const found = findBytes(bytes, d.pattern, d.from - base, Math.min(d.to, base + bytes.length) - base, d.icase) >= 0;
    return found !== d.invert;
  },
};
