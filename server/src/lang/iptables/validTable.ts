/**
 * A table nf_tables' validation passed (kernelChecks.ts nftValidation), kept
 * for the next parse of the same document: a reparse after a one-line edit
 * of a 170,000-rule dump would otherwise walk the whole jump graph again.
 *
 * The validation of the final table reads only: the chains in order (name,
 * built-in or not), the jump graph (which user chains each chain jumps or
 * goes to: the hooks a chain is reached from and its nesting level depend
 * on that set of edges, not on the rules' order or number), and, for rules
 * of user chains reached from a hook, the rule's hook restrictions
 * (facts.uses, checked against the hooks its chain is reached from). So if
 * the new table has the same chains in the same order and each chain jumps
 * to the same set of chains, the graph, the hooks and the levels are those
 * the previous parse found valid, and the table is still valid unless a rule
 * that is not the very one of before fails its hook check there — which is
 * checked with the kept hooks. Any other difference: validate again.
 *
 * The same condition keeps the set of names the table's rules jump or go to
 * (the union of every chain's targets), which the unused-chain lint reads.
 */
import type { Family } from './inet';
import { hookProblem, type Graph } from './kernelChecks';
import type { LoadedRule, LoadedTable } from './ruleset';

export class ValidTable {
  /** The names the rules jump or go to, once asked for (kept by a reuse: see above). */
  private jumpedNames: ReadonlySet<string> | undefined;

  private constructor(
    /** The table as loaded by the parse this is of. */
    readonly loaded: LoadedTable,
    readonly table: string,
    readonly family: Family,
    private readonly names: readonly string[],
    private readonly builtin: readonly boolean[],
    private readonly rules: readonly (readonly LoadedRule[])[],
    /** HOOK_BIT mask of the hooks each chain is reached from. */
    private readonly mask: Uint8Array,
  ) {}

  /** What nftValidation saw of a table it found valid. */
  static of(table: LoadedTable, family: Family, g: Graph, rules: readonly (readonly LoadedRule[])[], mask: Uint8Array): ValidTable {
    return new ValidTable(table, table.name, family, g.chains.map((c) => c.name), g.chains.map((c) => c.builtin), rules, mask);
  }

  /** Every name a rule of the table jumps or goes to. */
  jumped(): ReadonlySet<string> {
    return (this.jumpedNames ??= jumpTargets(this.rules));
  }

  /**
   * This table as it is now, if it is certainly still valid (see above);
   * undefined when it must be validated again.
   */
  stillValid(table: LoadedTable, family: Family): ValidTable | undefined {
    if (table.name !== this.table || family !== this.family || table.chains.size !== this.names.length) return undefined;
    const names = this.names;
    const builtin = this.builtin;
    const mask = this.mask;
    const rules: LoadedRule[][] = new Array<LoadedRule[]>(names.length);
    let ci = 0;
    for (const c of table.chains.values()) {
      if (c.name !== names[ci] || c.builtin !== builtin[ci]) return undefined;
      const now = c.rules;
      const before = this.rules[ci]!;
      // A chain a reparse took over unchanged has the very same rules.
      if (now === before) {
        rules[ci++] = now;
        continue;
      }
      // Built-in chains and chains no hook reaches are not hook-checked.
      const m = c.builtin ? 0 : mask[ci]!;
      // Rule by rule while the chain keeps its length; else (rules added or removed) by its set of targets.
      let same = now.length === before.length;
      for (let i = 0; same && i < now.length; i++) {
        const r = now[i]!;
        const o = before[i]!;
        if (r === o) continue;
        const f = r.facts;
        const g = o.facts;
        if (f === g) continue;
        if (f.jumpTo !== g.jumpTo) same = false;
        else if (m !== 0 && hookProblem(r, m, table.name, family, 'nft', '')) return undefined;
      }
      if (!same) {
        if (!sameTargets(now, before)) return undefined;
        if (m !== 0) for (const r of now) if (hookProblem(r, m, table.name, family, 'nft', '')) return undefined;
      }
      rules[ci++] = now;
    }
    const v = new ValidTable(table, this.table, family, names, builtin, rules, mask);
    v.jumpedNames = this.jumpedNames;
    return v;
  }
}

/** Every name the rules of these chains jump or go to. */
export function jumpTargets(chains: Iterable<readonly LoadedRule[]>): Set<string> {
  const out = new Set<string>();
  let last: string | undefined;
  // Runs of jumps to one chain are common (kube-proxy's KUBE-MARK-MASQ): one add per run.
  for (const rules of chains) {
    for (const r of rules) {
      const to = r.facts.jumpTo;
      if (to !== undefined && to !== last) out.add((last = to));
    }
  }
  return out;
}

/** Whether two rule lists jump or go to the same set of names. */
function sameTargets(a: readonly LoadedRule[], b: readonly LoadedRule[]): boolean {
  const targets = (rules: readonly LoadedRule[]): Set<string> => {
    const out = new Set<string>();
    for (const r of rules) if (r.facts.jumpTo !== undefined) out.add(r.facts.jumpTo);
    return out;
  };
  return sameNames(targets(a), targets(b));
}

/** Whether two sets hold the same names (the very set, often: a validation carried over keeps it). */
export function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const n of a) if (!b.has(n)) return false;
  return true;
}
