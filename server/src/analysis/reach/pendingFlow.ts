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

/** Holes whose address range is narrower than this (a /4) go into an index; wider ones are checked against every query. */
const NARROW = 2 ** 28;
/** Holes × boxes beyond which making the flow whole is approximated (see whole()). */
const WHOLE_BUDGET = 20000;

/** Holes with one address range in `field`, sorted by its low end. */
class RangeIndex {
  private readonly los: number[] = [];
  private readonly boxes: Box[] = [];
  /** The widest range held: how far back a query must look. */
  private span = 0;

  constructor(private readonly field: Field) {}

  get size(): number {
    return this.boxes.length;
  }

  add(b: Box, lo: number, hi: number): void {
    this.span = Math.max(this.span, hi - lo + 1);
    // Binary insertion keeps the array sorted; appends are the common case.
    const n = this.los.length;
    if (!n || this.los[n - 1]! <= lo) {
      this.los.push(lo);
      this.boxes.push(b);
      return;
    }
    let i = 0;
    let z = n;
    while (i < z) {
      const m = (i + z) >> 1;
      if (this.los[m]! <= lo) i = m + 1;
      else z = m;
    }
    this.los.splice(i, 0, lo);
    this.boxes.splice(i, 0, b);
  }

  /** Holes whose range meets [lo, hi]. */
  near(lo: number, hi: number, out: Box[]): void {
    let a = 0;
    let z = this.los.length;
    while (a < z) {
      const m = (a + z) >> 1;
      if (this.los[m]! <= hi) a = m + 1;
      else z = m;
    }
    for (let i = a - 1; i >= 0 && this.los[i]! + this.span > lo; i--) {
      const r = this.boxes[i]![this.field]!;
      if (r[1]! >= lo) out.push(this.boxes[i]!);
    }
  }

  all(): Box[] {
    return this.boxes;
  }
}

/** Taken boxes, indexed by destination when it is one narrow range (service tables), else by source (block lists). */
class HoleIndex {
  /** Made on first use: most chains walked have a hole or two, or none. */
  private byDst: RangeIndex | undefined;
  private bySrc: RangeIndex | undefined;
  private readonly wide: Box[] = [];
  count = 0;

  add(b: Box): void {
    this.count++;
    const d = b[Field.Dst]!;
    if (d.length === 2 && d[1]! - d[0]! < NARROW) {
      (this.byDst ??= new RangeIndex(Field.Dst)).add(b, d[0]!, d[1]!);
      return;
    }
    const s = b[Field.Src]!;
    if (s.length === 2 && s[1]! - s[0]! < NARROW) {
      (this.bySrc ??= new RangeIndex(Field.Src)).add(b, s[0]!, s[1]!);
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
