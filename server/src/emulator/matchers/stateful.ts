/**
 * Helpers for the stateful matches (limit, hashlimit, recent, statistic).
 *
 * Kernel time: the injected clock (ms) read as jiffies. We model HZ=250,
 * the Debian/Ubuntu default (and the kernel our differential tests run on).
 * The credit rates of limit and hashlimit do not depend on HZ (HZ × credits
 * per jiffy is the same for HZ=250 and HZ=1000); only the tick (4 ms) does.
 */

export const HZ = 250;

/** jiffies at clock time `ms` (the epoch is arbitrary, as the kernel's is). */
export function jiffies(ms: number): number {
  return Math.floor((ms * HZ) / 1000);
}

/** msecs_to_jiffies(): rounds up (1000 % HZ == 0). */
export function msecsToJiffies(ms: number): number {
  const per = 1000 / HZ;
  return Math.floor((ms + per - 1) / per);
}

/** The largest power of two not above x (POW2_BELOW32/64 of x_tables' rate matches). */
export function pow2Below(x: bigint): bigint {
  let p = 1n;
  while (p * 2n <= x) p *= 2n;
  return p;
}

/** Memoized per-match state under one rule: a rule may carry the same match twice. */
export function perMatch<D extends object, S>(ruleState: Map<D, S>, data: D, init: () => S): S {
  let s = ruleState.get(data);
  if (s === undefined) ruleState.set(data, (s = init()));
  return s;
}
