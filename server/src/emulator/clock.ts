/** Time and randomness come in from outside, so every trace is reproducible. */

export interface Clock {
  /** Milliseconds since an arbitrary epoch. */
  now(): number;
}

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(start = 0): ManualClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface Rng {
  /** A uniformly distributed unsigned 32-bit integer. */
  uint32(): number;
}

/** xorshift32: small, fast, seedable; good enough for statistic and port picks. */
export function seededRng(seed: number): Rng {
  let x = seed >>> 0 || 0x9e3779b9;
  return {
    uint32() {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x;
    },
  };
}
