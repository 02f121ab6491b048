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
import type { LoadedChain, LoadedRule, LoadedTable } from './ruleset';
import { SlotMap } from './slotMap';

/** Chains stillValid went through so far in this process (all of a table's, or only those a splice changed): tests read it. */
let chainsRead = 0;
export function validTableChainsRead(): number {
  return chainsRead;
}

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
    // A table a splice made from this one's (the same names in the same order): only its changed chains
    // are read, where going through a kube dump's 60,000 chains took ~3 ms per edit.
    const diff = SlotMap.changed(this.loaded.chains, table.chains);
    if (diff) {
      chainsRead += diff.at.length;
      const rules = this.rules.slice();
      for (let k = 0; k < diff.at.length; k++) {
        const ci = diff.at[k]!;
        const c = diff.now[k]!;
        if (c.builtin !== this.builtin[ci] || !this.chainStillValid(c, ci, table.name, family)) return undefined;
        rules[ci] = c.rules;
      }
      return this.carriedTo(table, rules);
    }
    const names = this.names;
    const builtin = this.builtin;
    chainsRead += names.length;
    const rules: LoadedRule[][] = new Array<LoadedRule[]>(names.length);
    let ci = 0;
    for (const c of table.chains.values()) {
      if (c.name !== names[ci] || c.builtin !== builtin[ci]) return undefined;
      // A chain a reparse took over unchanged has the very same rules.
      if (c.rules !== this.rules[ci] && !this.chainStillValid(c, ci, table.name, family)) return undefined;
      rules[ci++] = c.rules;
    }
    return this.carriedTo(table, rules);
  }

  /** Whether chain c, at position ci, with rules other than those validated, leaves the table valid (see the top of this file). */
  private chainStillValid(c: LoadedChain, ci: number, table: string, family: Family): boolean {
    const now = c.rules;
    const before = this.rules[ci]!;
    // Built-in chains and chains no hook reaches are not hook-checked.
    const m = c.builtin ? 0 : this.mask[ci]!;
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
      else if (m !== 0 && hookProblem(r, m, table, family, 'nft', '')) return false;
    }
    if (!same) {
      if (!sameTargets(now, before)) return false;
      if (m !== 0) for (const r of now) if (hookProblem(r, m, table, family, 'nft', '')) return false;
    }
    return true;
  }

  /** This validation, of `table` now, whose chains have these rules. */
  private carriedTo(table: LoadedTable, rules: readonly (readonly LoadedRule[])[]): ValidTable {
    const v = new ValidTable(table, this.table, this.family, this.names, this.builtin, rules, this.mask);
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
