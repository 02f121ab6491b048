/**
 * A flow: the packets that may be at some point of the ruleset (`may`) and
 * those that surely are (`must`, always inside `may`). Conditions we cannot
 * decide shrink `must` and leave `may` as it was, so "unreachable" is said
 * only when `may` is empty, and a witness packet is taken from `must`.
 */
import type { RuleMatch } from '../space/ruleMatch';
import type { Box } from '../space/fields';
import { FieldRun } from './fieldRun';
import { intersectSets, NONE, subtractSets, UNION_TIDY_LIMIT, unionSets, type PacketSet } from '../space/packetSet';

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

/**
 * A set built up by many unions (what a chain accepts, summed over thousands of jump sites).
 * Gives exactly what folding `unionSets` over the parts gives, boxes in the same order, but
 * once the set is past the size unions tidy (where a union only appends), keeps the added sets
 * aside and joins them in one copy when the sum is read: neither copying the set every time nor
 * regrowing one list box by box (a kube dump's service table sums 100,000 boxes per hook).
 */
class SetSum {
  private cur: PacketSet = NONE;
  /** Sets added past the tidy limit, in order, not yet joined onto `cur`. */
  private tail: PacketSet[] | undefined;
  private tailSize = 0;
  /** While added sets only grow one field of the sum's boxes (fieldRun.ts): `cur` is stale then. */
  private run: FieldRun | undefined;

  add(b: PacketSet): void {
    if (this.tail) {
      if (b.length) {
        this.tail.push(b);
        this.tailSize += b.length;
      }
      return;
    }
    if (this.run) {
      if (this.run.add(b)) return;
      this.settle();
    }
    const a = this.cur;
    if (!b.length || a === b) return;
    if (a.length && a.length + b.length <= UNION_TIDY_LIMIT && (this.run = FieldRun.start(a, b))) return;
    if (!a.length || a.length + b.length <= UNION_TIDY_LIMIT) {
      this.cur = unionSets(a, b);
      return;
    }
    this.tail = [b];
    this.tailSize = b.length;
  }

  /** Replaces the sum by `s` (a join whose left side was empty takes the right one as it is). */
  reset(s: PacketSet): void {
    this.cur = s;
    this.tail = undefined;
    this.tailSize = 0;
    this.run = undefined;
  }

  /** (A run keeps the number of boxes: `cur`'s length holds while it is stale.) */
  get size(): number {
    return this.cur.length + this.tailSize;
  }

  get value(): PacketSet {
    this.settle();
    const tail = this.tail;
    if (tail) {
      // One array of the final length, filled: concat in batches made one copy of the sum so far per
      // batch, each large enough (~1 MB at 100,000 boxes) to go straight to the old generation.
      const cur = this.cur;
      const out = new Array<Box>(cur.length + this.tailSize);
      let n = 0;
      for (let i = 0; i < cur.length; i++) out[n++] = cur[i]!;
      for (let k = 0; k < tail.length; k++) {
        const part = tail[k]!;
        for (let i = 0; i < part.length; i++) out[n++] = part[i]!;
      }
      this.cur = out;
      this.tail = undefined;
      this.tailSize = 0;
    }
    return this.cur;
  }

  private settle(): void {
    if (!this.run) return;
    this.cur = this.run.value();
    this.run = undefined;
  }
}

/** `join` folded over many flows, exactly, in linear time (see SetSum). */
export class FlowSum {
  // Made lazily: most sums a walk starts (what a chain accepts, what it returns) stay empty or get one flow.
  private mayS: SetSum | undefined;
  private mustS: SetSum | undefined;
  /** The sum while it is one flow, taken as it is. */
  private first: Flow = NO_FLOW;

  private get may(): SetSum {
    if (!this.mayS) {
      this.mayS = new SetSum();
      this.mustS = new SetSum();
      if (this.first.may.length) {
        this.mayS.reset(this.first.may);
        this.mustS.reset(this.first.must);
      }
    }
    return this.mayS;
  }

  private get must(): SetSum {
    void this.may;
    return this.mustS!;
  }

  add(f: Flow): void {
    if (!f.may.length) return;
    if (!this.mayS) {
      if (!this.first.may.length) {
        this.first = f;
        return;
      }
    }
    if (!this.may.size) {
      this.may.reset(f.may);
      this.must.reset(f.must);
      return;
    }
    this.may.add(f.may);
    this.must.add(f.must);
  }

  get value(): Flow {
    if (!this.mayS) return this.first.may.length ? { may: this.first.may, must: this.first.must } : NO_FLOW;
    const may = this.may.value;
    return may.length ? { may, must: this.must.value } : NO_FLOW;
  }
}
