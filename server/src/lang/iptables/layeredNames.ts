/**
 * A set of names made from an earlier one without copying it: what it adds and removes is kept
 * apart and the earlier set is shared, so it must not change any more (a committed table
 * state's chain names never do). Resuming a table state after an edited line of a 170,000-rule
 * dump copied its 60,000 known chain names (~5 ms) to change one or two of them.
 */
export type NameSet = Set<string> | LayeredNames;

/** Past this many differences, a set made from a layered one is one set again. */
const MAX_DIFFERENCES = 4096;

export class LayeredNames {
  private readonly base: ReadonlySet<string>;
  /** Names it has that the base has not. */
  private readonly added: Set<string>;
  /** Names of the base it has not. */
  private readonly removed: Set<string>;

  constructor(from: NameSet) {
    if (!(from instanceof LayeredNames)) {
      this.base = from;
      this.added = new Set();
      this.removed = new Set();
    } else if (from.added.size + from.removed.size <= MAX_DIFFERENCES) {
      this.base = from.base;
      this.added = new Set(from.added);
      this.removed = new Set(from.removed);
    } else {
      this.base = new Set(from.names());
      this.added = new Set();
      this.removed = new Set();
    }
  }

  has(name: string): boolean {
    if (this.added.has(name)) return true;
    return !this.removed.has(name) && this.base.has(name);
  }

  add(name: string): this {
    if (!this.removed.delete(name) && !this.base.has(name)) this.added.add(name);
    return this;
  }

  delete(name: string): boolean {
    if (this.added.delete(name)) return true;
    if (!this.base.has(name) || this.removed.has(name)) return false;
    this.removed.add(name);
    return true;
  }

  *names(): Generator<string> {
    for (const n of this.base) if (!this.removed.has(n)) yield n;
    yield* this.added;
  }
}
