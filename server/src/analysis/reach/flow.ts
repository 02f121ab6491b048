/**
 * A flow: the packets that may be at some point of the ruleset (`may`) and
 * those that surely are (`must`, always inside `may`). Conditions we cannot
 * decide shrink `must` and leave `may` as it was, so "unreachable" is said
 * only when `may` is empty, and a witness packet is taken from `must`.
 */
import type { RuleMatch } from '../space/ruleMatch';
import { intersectSets, NONE, subtractSets, unionSets, type PacketSet } from '../space/packetSet';

export interface Flow {
  readonly may: PacketSet;
  readonly must: PacketSet;
}

export const NO_FLOW: Flow = { may: NONE, must: NONE };

export function flowOf(s: PacketSet): Flow {
  return { may: s, must: s };
}

/** The packets of the flow the rule's conditions accept. */
export function hit(f: Flow, m: RuleMatch): Flow {
  return { may: intersectSets(f.may, m.upper), must: intersectSets(f.must, m.lower) };
}

/** The packets of the flow the rule's conditions reject. */
export function miss(f: Flow, m: RuleMatch): Flow {
  return { may: subtractSets(f.may, m.lower), must: subtractSets(f.must, m.upper) };
}

export function join(a: Flow, b: Flow): Flow {
  if (!b.may.length) return a;
  if (!a.may.length) return b;
  return { may: unionSets(a.may, b.may), must: unionSets(a.must, b.must) };
}

export function restrict(f: Flow, s: PacketSet): Flow {
  return { may: intersectSets(f.may, s), must: intersectSets(f.must, s) };
}

export function isDead(f: Flow): boolean {
  return f.may.length === 0;
}

/** Applies a rewrite to both bounds (it must be exact; inexact rewrites use `mapBounds`). */
export function mapFlow(f: Flow, g: (s: PacketSet) => PacketSet): Flow {
  return { may: g(f.may), must: g(f.must) };
}
