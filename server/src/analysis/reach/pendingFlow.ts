/**
 * The flow still walking down a chain, kept as "the entry minus the boxes
 * earlier rules took" until something needs it whole. A service table of
 * 10,000 rules, each for one destination address, then costs a lookup per
 * rule (holes are indexed by destination, or by source for block lists)
 * instead of a subtraction from an ever more fragmented set.
 */
import { Field, type Box } from '../space/fields';
import { intersectSets, isEmpty, kept, subtractSets, type PacketSet } from '../space/packetSet';
import type { RuleMatch } from '../space/ruleMatch';
import type { Flow } from './flow';
import { SortedRanges } from '../space/sortedRanges';

/** Holes whose address range is narrower than this (a /4) go into an index; wider ones are checked against every query. */
const NARROW = 2 ** 28;
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

  /** Holes that may meet a set whose destinations lie in dst and sources in src (hulls). */
  near(dst: [number, number], src: [number, number]): Box[] {
    const out = this.wide.slice();
    if (this.byDst) this.byDst.near(dst[0], dst[1], out);
    if (this.bySrc) this.bySrc.near(src[0], src[1], out);
    return out;
  }

  all(): Box[] {
    return [...this.wide, ...(this.byDst?.all() ?? []), ...(this.bySrc?.all() ?? [])];
  }

  wideOnly(): Box[] {
    return this.wide;
  }
}

function hull(s: PacketSet, f: Field): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const b of s) {
    const d = b[f]!;
    if (!d.length) continue;
    lo = Math.min(lo, d[0]!);
    hi = Math.max(hi, d[d.length - 1]!);
  }
  return [lo, hi];
}

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
    // Every rule's hits are kept (and are what jumps send on): at their own length.
    const may = kept(this.cut(intersectSets(this.base.may, m.upper), this.mayHoles));
    const must = isEmpty(may) ? [] : kept(this.cut(intersectSets(this.base.must, m.lower), this.mustHoles));
    return { may, must };
  }

  private cut(s: PacketSet, holes: HoleIndex | undefined): PacketSet {
    if (isEmpty(s) || !holes) return s;
    return subtractSets(s, holes.near(hull(s, Field.Dst), hull(s, Field.Src)));
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
   */
  whole(): Flow {
    const may = this.mayHoles;
    const must = this.mustHoles;
    if (may || must) {
      const costly = ((may?.count ?? 0) + (must?.count ?? 0)) * (this.base.may.length + this.base.must.length) > WHOLE_BUDGET;
      this.base = costly
        ? { may: may ? subtractSets(this.base.may, may.wideOnly()) : this.base.may, must: [] }
        : { may: may ? subtractSets(this.base.may, may.all()) : this.base.may, must: must ? subtractSets(this.base.must, must.all()) : this.base.must };
      this.mayHoles = undefined;
      this.mustHoles = undefined;
    }
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
