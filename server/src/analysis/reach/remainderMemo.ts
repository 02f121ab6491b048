/**
 * What is left at the end of a chain walk (PendingFlow.whole: the entry minus
 * every hole earlier rules took), remembered from one analysis of a document
 * to the next. KUBE-SERVICES with 1,000 services subtracts 1,000 holes per
 * hook, ~15 ms each time; an edit in one service walks it again (it reaches
 * the edited chain) with an equal entry and the very same holes (an unchanged
 * rule keeps its match, box objects and all). The previous result is then
 * handed back, with the sets and boxes it had of the previous entry replaced
 * by the new entry's, which is what the subtraction itself returns: it keeps
 * an input box or set where nothing cut it.
 */
import { FIELD_COUNT, type Box } from '../space/fields';
import { equalSets } from '../space/intSet';
import { subtractSets, type PacketSet } from '../space/packetSet';
import type { Flow } from './flow';

/** Fewer holes than this are subtracted again: cheaper than comparing. */
export const REMAINDER_MEMO_MIN = 32;
/** Remainders kept per first hole (a chain is walked from a few hooks). */
const PER_KEY = 4;

/** The base minus the holes; past the budget (`costly`, only wide holes given) must keeps nothing. */
export function remainderOf(base: Flow, mayHoles: readonly Box[], mustHoles: readonly Box[], costly: boolean): Flow {
  // (No holes: subtractSets returns the set itself.)
  return { may: subtractSets(base.may, mayHoles), must: costly ? [] : subtractSets(base.must, mustHoles) };
}

interface Remainder {
  readonly base: Flow;
  readonly mayHoles: readonly Box[];
  readonly mustHoles: readonly Box[];
  readonly costly: boolean;
  readonly result: Flow;
}

export class RemainderMemo {
  /** By the first hole (a rule's match box: gone with the rule); shared with the analysis before. */
  private readonly byHole: WeakMap<Box, Remainder[]>;
  /** Remainders this analysis handed back (tests read it). */
  reused = 0;

  /** `previous`: the previous analysis's, when its space and address facts are this one's. */
  constructor(previous?: RemainderMemo) {
    this.byHole = previous?.byHole ?? new WeakMap();
  }

  /** remainderOf(), or the result remembered for an equal base and the same holes. */
  remainder(base: Flow, mayHoles: readonly Box[], mustHoles: readonly Box[], costly: boolean): Flow {
    const key = mayHoles[0] ?? mustHoles[0];
    if (key === undefined) return remainderOf(base, mayHoles, mustHoles, costly);
    let list = this.byHole.get(key);
    for (const r of list ?? []) {
      if (r.costly !== costly || !sameBoxes(r.mayHoles, mayHoles) || !sameBoxes(r.mustHoles, mustHoles)) continue;
      const again = handOver(r, base);
      if (again) {
        this.reused++;
        return again;
      }
    }
    const result = remainderOf(base, mayHoles, mustHoles, costly);
    if (!list) this.byHole.set(key, (list = []));
    if (list.length === PER_KEY) list.shift();
    list.push({ base, mayHoles, mustHoles, costly, result });
    return result;
  }
}

/** The same box objects in the same order. */
function sameBoxes(a: readonly Box[], b: readonly Box[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The remembered result for `base`, or undefined when the bases differ (box for box, and in which sets and boxes are one object). */
function handOver(r: Remainder, base: Flow): Flow | undefined {
  const old = r.base;
  if ((old.may === old.must) !== (base.may === base.must)) return undefined;
  const boxes = new Map<Box, Box>();
  if (!pairUp(old.may, base.may, boxes) || !pairUp(old.must, base.must, boxes)) return undefined;
  const set = (s: PacketSet): PacketSet => {
    if (s === old.may) return base.may;
    if (s === old.must) return base.must;
    let out: Box[] | undefined;
    for (let i = 0; i < s.length; i++) {
      const now = boxes.get(s[i]!);
      if (now === undefined || now === s[i]) continue;
      out ??= s.slice();
      out[i] = now;
    }
    return out ?? s;
  };
  const may = set(r.result.may);
  const must = set(r.result.must);
  return may === r.result.may && must === r.result.must ? r.result : { may, must };
}

/** Pairs the old set's boxes with the new set's, index by index; false when they differ or an old box would pair with two. */
function pairUp(old: PacketSet, now: PacketSet, boxes: Map<Box, Box>): boolean {
  if (old.length !== now.length) return false;
  for (let i = 0; i < old.length; i++) {
    const x = old[i]!;
    const y = now[i]!;
    const seen = boxes.get(x);
    if (seen !== undefined) {
      if (seen !== y) return false;
      continue;
    }
    if (x !== y) for (let k = 0; k < FIELD_COUNT; k++) if (x[k] !== y[k] && !equalSets(x[k]!, y[k]!)) return false;
    boxes.set(x, y);
  }
  return true;
}
