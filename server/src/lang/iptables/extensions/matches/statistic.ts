/**
 * statistic match (extensions/libxt_statistic.c; kernel
 * net/netfilter/xt_statistic.c): matches a random share of packets, or
 * every nth packet.
 */
import { defineExtension } from '../../extension';

export interface StatisticMatch {
  /** random: a share of packets; nth: one packet in every n. Until --mode is seen this is 'random' (mode 0). */
  mode: 'random' | 'nth';
  /** "!" before --probability or --every: match the other packets. */
  invert: boolean;
  /** random: threshold against a random 31-bit number, lround(p × 2^31) (0..2^31). */
  probability: number;
  /** random: the probability as written (for hovers). */
  p: number;
  /** nth: match one packet out of `every` (≥ 1)… */
  every: number;
  /** nth: …the one at this position of each cycle (0..every-1). */
  packet: number;
}

const O_MODE = 0;
const O_PROBABILITY = 1;
const O_EVERY = 2;
const O_PACKET = 3;
const F = (id: number): number => 1 << id;

/** C lround() of a non-negative double; NaN gives LONG_MIN, whose low 32 bits are 0. */
function lroundU32(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.round(x) >>> 0;
}

export const statistic = defineExtension<StatisticMatch>({
  kind: 'match',
  name: 'statistic',
  summary: 'Matches a random share of packets (--mode random) or every nth packet (--mode nth).',
  options: [
    { name: 'mode', id: O_MODE, type: 'string', mand: true, doc: 'random or nth' },
    { name: 'probability', id: O_PROBABILITY, type: 'double', invert: true, min: 0, max: 1, excl: [O_EVERY, O_PACKET], doc: 'random mode: share of packets to match, 0..1' },
    { name: 'every', id: O_EVERY, type: 'uint32', min: 1, invert: true, excl: [O_PROBABILITY], also: [O_PACKET], doc: 'nth mode: match one packet in every n' },
    { name: 'packet', id: O_PACKET, type: 'uint32', excl: [O_PROBABILITY], also: [O_EVERY], doc: 'nth mode: which packet of each cycle (0..n-1)' },
  ],
  init: () => ({ mode: 'random', invert: false, p: 0, probability: 0, every: 0, packet: 0 }),
  parse(c) {
    const d = c.data;
    if (c.invert) d.invert = true;
    switch (c.option.id) {
      case O_MODE: {
        const arg = c.arg ?? '';
        const fail: (m: string, hint?: string) => never = (m, h) => c.fail(m, h);
        if (arg !== 'random' && arg !== 'nth') fail(`Bad mode "${arg}"`, 'The mode is "random" or "nth".');
        d.mode = arg;
        break;
      }
      case O_PROBABILITY:
        d.p = c.val.dbl ?? 0;
        d.probability = lroundU32(0x80000000 * d.p);
        break;
      case O_EVERY:
        d.every = Number(c.val.u ?? 1n);
        break;
      case O_PACKET:
        d.packet = Number(c.val.u ?? 0n);
        break;
    }
  },
  finalCheck(c) {
    const d = c.data;
    // Without --mode the mode is 0, which is random (the mandatory check comes after).
    const mode = d.mode;
    if (mode === 'random' && !(c.xflags & F(O_PROBABILITY))) {
      c.fail('--probability must be specified when using random mode', 'Add e.g. "--probability 0.1".');
    }
    if (mode === 'nth' && !(c.xflags & (F(O_EVERY) | F(O_PACKET)))) {
      c.fail('--every and --packet must be specified when using nth mode', 'Add e.g. "--every 3 --packet 0".');
    }
    // The kernel's u32 `every` is n-1 and shares its storage with the probability.
    const everyMinus1 = c.xflags & F(O_EVERY) ? d.every - 1 : c.xflags & F(O_PROBABILITY) ? d.probability : 0;
    if (d.packet > (everyMinus1 >>> 0)) {
      c.fail('the --packet p must be 0 <= p <= n-1', `With --every ${d.every} the packet index runs from 0 to ${d.every - 1}.`);
    }
  },
  save(v) {
    if (v.mode === 'random') {
      return `--mode random${v.invert ? ' !' : ''} --probability ${(v.probability / 0x80000000).toFixed(11)}`;
    }
    return `--mode nth${v.invert ? ' !' : ''} --every ${v.every} --packet ${v.packet}`;
  },
  describe(v) {
    if (v.mode === 'random') {
      const pct = (v.probability / 0x80000000) * 100;
      return v.invert ? `randomly, about ${(100 - pct).toPrecision(3)}% of packets (not the ${pct.toPrecision(3)}%)` : `randomly, about ${pct.toPrecision(3)}% of packets`;
    }
    return v.invert
      ? `every packet except number ${v.packet} of each cycle of ${v.every}`
      : `packet number ${v.packet} of each cycle of ${v.every} (counting from 0)`;
  },
});

