/**
 * A table nf_tables' validation passed (kernelChecks.ts nftValidation), kept
 * for the next parse of the same document: a reparse after a one-line edit
 * of a 170,000-rule dump would otherwise walk the whole jump graph again.
 *
 * The validation of the final table reads only: the chains in order (name,
 * built-in or not), each rule's jump target (facts.jumpTo), and, for rules
 * of user chains reached from a hook, the rule's hook restrictions
 * (facts.uses, checked against the hooks its chain is reached from). So if
 * the new table has the same chains in the same order, the same number of
 * rules in each and the same jump target rule by rule, the graph, the hooks
 * each chain is reached from and the nesting levels are the same, and the
 * table is still valid unless a rule whose facts changed fails its hook
 * check there — which is checked, rule by rule, with the kept hooks. Any
 * other difference: validate again from scratch.
 */
import type { Family } from './inet';
import { hookProblem, type Graph } from './kernelChecks';
import type { LoadedRule, LoadedTable } from './ruleset';

export class ValidTable {
  private constructor(
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
    return new ValidTable(table.name, family, g.chains.map((c) => c.name), g.chains.map((c) => c.builtin), rules, mask);
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
      if (now.length !== before.length) return undefined;
      // Built-in chains and chains no hook reaches are not hook-checked.
      const m = c.builtin ? 0 : mask[ci]!;
      for (let i = 0; i < now.length; i++) {
        const r = now[i]!;
        const o = before[i]!;
        if (r === o) continue;
        const f = r.facts;
        const g = o.facts;
        if (f === g) continue;
        if (f.jumpTo !== g.jumpTo) return undefined;
        if (m !== 0 && hookProblem(r, m, table.name, family, 'nft', '')) return undefined;
      }
      rules[ci++] = now;
    }
    return new ValidTable(this.table, family, names, builtin, rules, mask);
  }
}
