/**
 * A rule's conditions folded into one RuleMatch, part after part (header
 * fields, then each match), as `and` folds them: while every part is exact
 * and one box, that box is narrowed field by field in place (the very box
 * `and` would give, since intersection is per field) instead of a new set
 * per part; from the first part that is not, the general fold.
 */
import { FIELD_COUNT, type Field, type Space } from './fields';
import { intersect, isEmptySet, type IntSet } from './intSet';
import { fullBox, intersectSets, NONE, where, type PacketSet } from './packetSet';
import type { RuleMatch } from './ruleMatch';

const NO_CONDITIONS: readonly string[] = [];

export const exact = (s: PacketSet): RuleMatch => ({ upper: s, lower: s, conditions: [] });

/** Both conditions: the packets both may match, and those both surely match. */
export function and(a: RuleMatch, b: RuleMatch): RuleMatch {
  const upper = intersectSets(a.upper, b.upper);
  // Both exact (the usual case): the bounds are one set, computed once.
  const lower = a.lower === a.upper && b.lower === b.upper ? upper : intersectSets(a.lower, b.lower);
  return { upper, lower, conditions: a.conditions.length || b.conditions.length ? [...a.conditions, ...b.conditions] : NO_CONDITIONS };
}

/** The conditions met so far (see the file's comment). */
export class Conjunction {
  private box: IntSet[] | undefined;
  private acc: RuleMatch | undefined;

  constructor(private readonly space: Space) {
    this.box = fullBox(space).slice();
  }

  /** Packets with field f in values (values within the field's range: as `sel` gives them). */
  narrow(f: Field, values: IntSet): void {
    if (this.acc) {
      this.acc = and(this.acc, exact(where(this.space, f, values)));
      return;
    }
    if (!this.box) return;
    const v = intersect(this.box[f]!, values);
    if (isEmptySet(v)) this.box = undefined;
    else this.box[f] = v;
  }

  and(m: RuleMatch): void {
    if (!this.acc && m.lower === m.upper && m.upper.length <= 1) {
      if (!m.upper.length) this.box = undefined;
      else if (this.box) {
        const b = m.upper[0]!;
        for (let i = 0; i < FIELD_COUNT; i++) {
          if (b[i] === this.box[i]) continue;
          const v = intersect(this.box[i]!, b[i]!);
          if (isEmptySet(v)) {
            this.box = undefined;
            return;
          }
          this.box[i] = v;
        }
      }
      return;
    }
    this.acc = and(this.value(), m);
  }

  get empty(): boolean {
    return this.acc ? !this.acc.upper.length : !this.box;
  }

  value(): RuleMatch {
    return this.acc ?? exact(this.box ? [this.box] : NONE);
  }
}
