/**
 * The flow still walking down a chain, kept as "the entry minus the boxes
 * earlier rules took" until something needs it whole. A service table of
 * 10,000 rules, each for one destination address, then costs a lookup per
 * rule (holes are indexed by destination, or by source for block lists)
 * instead of a subtraction from an ever more fragmented set.
 */
import { Field, type Box } from '../space/fields';
import { intersectSets, isEmpty, kept, NONE, subtractSets, type PacketSet } from '../space/packetSet';
import type { RuleMatch } from '../space/ruleMatch';
import type { Flow } from './flow';
import { hullHi, hullLo, NARROW, SortedRanges } from '../space/sortedRanges';
import { REMAINDER_MEMO_MIN, remainderOf, type RemainderMemo } from './remainderMemo';

/** Holes × boxes beyond which making the flow whole is approximated (see whole()). */
const WHOLE_BUDGET = 20000;

class HoleIndex {
  /** Made on first use: most chains walked have a hole or two, or none. */
  private byDst: SortedRanges<Box> | undefined;
  private bySrc: SortedRanges<Box> | undefined;
  private readonly wide: Box[] = [];
  count = 0;

  add(b: Box): void {
    this.count++;
    const d = b[Field.Dst]!;
    if (d.length === 2 && d[1]! - d[0]! < NARROW) {
      (this.byDst ??= new SortedRanges<Box>()).add(b, d[0]!, d[1]!);
      return;
    }
    const s = b[Field.Src]!;
    if (s.length === 2 && s[1]! - s[0]! < NARROW) {
      (this.bySrc ??= new SortedRanges<Box>()).add(b, s[0]!, s[1]!);
      return;
    }
    this.wide.push(b);
  }

/**
   * Holes that may meet the set (by the hulls of its destinations and sources), into `out`
   * (empty): the wide ones, then the narrow ones the indexes find.
   */
  near(s: PacketSet, out: Box[]): Box[] {
    for (const w of this.wide) out.push(w);
    if (this.byDst) this.byDst.near(hullLo(s, Field.Dst), hullHi(s, Field.Dst), out);
    if (this.bySrc) this.bySrc.near(hullLo(s, Field.Src), hullHi(s, Field.Src), out);
    return out;
  }

  all(): Box[] {
    return [...this.wide, ...(this.byDst?.all() ?? []), ...(this.bySrc?.all() ?? [])];
  }

  wideOnly(): Box[] {
    return this.wide;
  }
}

/**
 * Holes in the order a HoleIndex of only them lists them (all(), or wideOnly()): the wide ones
 * as added, then those indexed by destination, then by source, each by the low end of its range.
 */
function inIndexOrder(holes: PacketSet, wideOnly: boolean): PacketSet {
  if (holes.length === 1 && !wideOnly) return holes;
  const wide: Box[] = [];
  const byDst: Box[] = [];
  const bySrc: Box[] = [];
  for (const b of holes) {
    const d = b[Field.Dst]!;
    const s = b[Field.Src]!;
    if (d.length === 2 && d[1]! - d[0]! < NARROW) byDst.push(b);
    else if (s.length === 2 && s[1]! - s[0]! < NARROW) bySrc.push(b);
    else wide.push(b);
  }
  if (wideOnly) return wide;
  // Array sort is stable: equal low ends stay in the order added, as in SortedRanges.
  byDst.sort((x, y) => x[Field.Dst]![0]! - y[Field.Dst]![0]!);
  bySrc.sort((x, y) => x[Field.Src]![0]! - y[Field.Src]![0]!);
  return [...wide, ...byDst, ...bySrc];
}

const NO_HOLES: readonly Box[] = [];

/** The holes near a set, gathered here for one subtraction at a time (subtractSets keeps none of them). */
const nearHoles: Box[] = [];

export class PendingFlow {
  private base: Flow;
  /** Made on the first hole. */
  private mayHoles: HoleIndex | undefined;
  private mustHoles: HoleIndex | undefined;

  constructor(entry: Flow) {
    this.base = entry;
  }

  /** The packets of the flow the rule's conditions accept (exact, using only the holes that can matter). */
  hit(m: RuleMatch): Flow {
    // Every rule's hits are kept (and are what jumps send on): at their own length (intersections already are).
    const may = this.cut(intersectSets(this.base.may, m.upper), this.mayHoles);
    const must = isEmpty(may) ? NONE : this.cut(intersectSets(this.base.must, m.lower), this.mustHoles);
    return { may, must };
  }

  private cut(s: PacketSet, holes: HoleIndex | undefined): PacketSet {
    if (isEmpty(s) || !holes) return s;
    const near = holes.near(s, nearHoles);
    const out = near.length ? kept(subtractSets(s, near)) : s;
    near.length = 0;
    return out;
  }

  /** The rule took the packets it surely matches (from may) and might match (from must). */
  take(m: RuleMatch): void {
    if (m.lower.length) {
      const holes = (this.mayHoles ??= new HoleIndex());
      for (const b of m.lower) holes.add(b);
    }
    this.takeMust(m);
  }

  /** Only the must bound loses the rule's packets (a target that may or may not end the walk). */
  takeMust(m: RuleMatch): void {
    if (!m.upper.length) return;
    const holes = (this.mustHoles ??= new HoleIndex());
    for (const b of m.upper) holes.add(b);
  }

  /**
   * The flow as a set (holes applied); the pending state starts again from it. Thousands of
   * narrow holes (a service table's end) would fragment the set quadratically: then `may` keeps
   * the packets of the narrow holes (a superset: still sound) and `must` keeps nothing.
   * With `memo`, many holes are subtracted once per equal base across analyses (remainderMemo.ts).
   */
  whole(memo?: RemainderMemo): Flow {
    const may = this.mayHoles;
    const must = this.mustHoles;
    if (may || must) {
      const base = this.base;
      const costly = ((may?.count ?? 0) + (must?.count ?? 0)) * (base.may.length + base.must.length) > WHOLE_BUDGET;
      const mayHoles = may ? (costly ? may.wideOnly() : may.all()) : NO_HOLES;
      const mustHoles = must && !costly ? must.all() : NO_HOLES;
      this.base = memo && mayHoles.length + mustHoles.length >= REMAINDER_MEMO_MIN ? memo.remainder(base, mayHoles, mustHoles, costly) : remainderOf(base, mayHoles, mustHoles, costly);
      this.mayHoles = undefined;
      this.mustHoles = undefined;
    }
    return this.base;
  }

  /**
   * take(m), then whole(): for a rule whose packets come back at once (a jump they return
   * from, a rewrite). With no holes yet, the same subtraction without building an index.
   */
  takeWhole(m: RuleMatch): Flow {
    if (this.mayHoles || this.mustHoles) {
      this.take(m);
      return this.whole();
    }
    const mayN = m.lower.length;
    const mustN = m.upper.length;
    if (!mayN && !mustN) return this.base;
    const base = this.base;
    const costly = (mayN + mustN) * (base.may.length + base.must.length) > WHOLE_BUDGET;
    this.base = costly
      ? { may: mayN ? subtractSets(base.may, inIndexOrder(m.lower, true)) : base.may, must: [] }
      : { may: mayN ? subtractSets(base.may, inIndexOrder(m.lower, false)) : base.may, must: mustN ? subtractSets(base.must, inIndexOrder(m.upper, false)) : base.must };
    return this.base;
  }

  /** Replaces the flow (after a join with returned or rewritten packets). */
  set(f: Flow): void {
    this.base = f;
    this.mayHoles = undefined;
    this.mustHoles = undefined;
  }

  /** Nothing left even before the holes (checking after them would cost the subtraction this class avoids). */
  deadNow(): boolean {
    return isEmpty(this.base.may);
  }
}
