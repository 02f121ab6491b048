/**
 * The flow still walking down a chain, kept as "the entry minus the boxes
 * earlier rules took" until something needs it whole. A service table of
 * 10,000 rules, each for one destination address, then costs a lookup per
 * rule (holes are indexed by destination) instead of a subtraction from an
 * ever more fragmented set.
 */
import { Field, type Box } from '../space/fields';
import { intersectSets, isEmpty, subtractSets, type PacketSet } from '../space/packetSet';
import type { RuleMatch } from '../space/ruleMatch';
import type { Flow } from './flow';

/** Holes wider than this many destination addresses are checked against every query. */
const NARROW = 1 << 16;
/** Holes × boxes beyond which making the flow whole is approximated (see whole()). */
const WHOLE_BUDGET = 20000;

class HoleIndex {
  /** Narrow holes sorted by the low end of their destination range. */
  private readonly los: number[] = [];
  private readonly boxes: Box[] = [];
  private readonly wide: Box[] = [];
  count = 0;

  add(b: Box): void {
    this.count++;
    const d = b[Field.Dst]!;
    const lo = d[0]!;
    const hi = d[d.length - 1]!;
    if (d.length !== 2 || hi - lo >= NARROW) {
      this.wide.push(b);
      return;
    }
    // Binary insertion keeps the array sorted; appends are the common case.
    let i = this.los.length;
    if (i && this.los[i - 1]! > lo) {
      let a = 0;
      let z = i;
      while (a < z) {
        const m = (a + z) >> 1;
        if (this.los[m]! <= lo) a = m + 1;
        else z = m;
      }
      i = a;
    }
    this.los.splice(i, 0, lo);
    this.boxes.splice(i, 0, b);
  }

  /** Holes whose destination range meets [lo, hi]. */
  near(lo: number, hi: number): Box[] {
    const out = [...this.wide];
    // The last narrow hole starting at or before hi, then back while a hole could still reach lo.
    let a = 0;
    let z = this.los.length;
    while (a < z) {
      const m = (a + z) >> 1;
      if (this.los[m]! <= hi) a = m + 1;
      else z = m;
    }
    for (let i = a - 1; i >= 0 && this.los[i]! + NARROW > lo; i--) {
      const d = this.boxes[i]![Field.Dst]!;
      if (d[1]! >= lo) out.push(this.boxes[i]!);
    }
    return out;
  }

  all(): Box[] {
    return [...this.wide, ...this.boxes];
  }

  wideOnly(): Box[] {
    return this.wide;
  }
}

function dstHull(s: PacketSet): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const b of s) {
    const d = b[Field.Dst]!;
    if (!d.length) continue;
    lo = Math.min(lo, d[0]!);
    hi = Math.max(hi, d[d.length - 1]!);
  }
  return [lo, hi];
}

export class PendingFlow {
  private base: Flow;
  private mayHoles = new HoleIndex();
  private mustHoles = new HoleIndex();

  constructor(entry: Flow) {
    this.base = entry;
  }

  /** The packets of the flow the rule's conditions accept (exact, using only the holes that can matter). */
  hit(m: RuleMatch): Flow {
    const may = this.cut(intersectSets(this.base.may, m.upper), this.mayHoles);
    const must = isEmpty(may) ? [] : this.cut(intersectSets(this.base.must, m.lower), this.mustHoles);
    return { may, must };
  }

  private cut(s: PacketSet, holes: HoleIndex): PacketSet {
    if (isEmpty(s) || !holes.count) return s;
    const [lo, hi] = dstHull(s);
    return subtractSets(s, holes.near(lo, hi));
  }

  /** The rule took the packets it surely matches (from may) and might match (from must). */
  take(m: RuleMatch): void {
    for (const b of m.lower) this.mayHoles.add(b);
    for (const b of m.upper) this.mustHoles.add(b);
  }

  /** Only the must bound loses the rule's packets (a target that may or may not end the walk). */
  takeMust(m: RuleMatch): void {
    for (const b of m.upper) this.mustHoles.add(b);
  }

  /**
   * The flow as a set (holes applied); the pending state starts again from it. Thousands of
   * narrow holes (a service table's end) would fragment the set quadratically: then `may` keeps
   * the packets of the narrow holes (a superset: still sound) and `must` keeps nothing.
   */
  whole(): Flow {
    if (this.mayHoles.count || this.mustHoles.count) {
      const costly = (this.mayHoles.count + this.mustHoles.count) * (this.base.may.length + this.base.must.length) > WHOLE_BUDGET;
      this.base = costly
        ? { may: subtractSets(this.base.may, this.mayHoles.wideOnly()), must: [] }
        : { may: subtractSets(this.base.may, this.mayHoles.all()), must: subtractSets(this.base.must, this.mustHoles.all()) };
      this.mayHoles = new HoleIndex();
      this.mustHoles = new HoleIndex();
    }
    return this.base;
  }

  /** Replaces the flow (after a join with returned or rewritten packets). */
  set(f: Flow): void {
    this.base = f;
    this.mayHoles = new HoleIndex();
    this.mustHoles = new HoleIndex();
  }

  /** Nothing left even before the holes (checking after them would cost the subtraction this class avoids). */
  deadNow(): boolean {
    return isEmpty(this.base.may);
  }
}
