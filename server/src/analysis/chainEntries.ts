/**
 * Which built-in chains (hooks) lead into each chain of a table, through
 * jumps and gotos, and from which rules. Conditions are ignored, so "no
 * entry from PREROUTING" is certain while "an entry" only means a path
 * exists in the jump graph. A built-in chain iptables-nft never created
 * (LoadedChain.absent) leads nowhere.
 */
import type { Hook } from '../lang/iptables/extension';
import type { LoadedRule, LoadedTable } from '../lang/iptables/ruleset';

export interface ChainEntries {
  /** The hooks whose base chain reaches this chain (its own hook for a base chain). */
  readonly hooks: Set<Hook>;
  /** Rules elsewhere that jump or go to this chain. */
  readonly sites: LoadedRule[];
}

export function chainEntries(table: LoadedTable): Map<string, ChainEntries> {
  const out = new Map<string, ChainEntries>();
  for (const name of table.chains.keys()) out.set(name, { hooks: new Set(), sites: [] });
  for (const chain of table.chains.values()) {
    for (const r of chain.rules) {
      const to = r.facts.jumpTo;
      if (to && to !== chain.name) out.get(to)?.sites.push(r);
    }
  }
  for (const hook of table.builtins) {
    const base = table.chains.get(hook);
    if (!base || base.absent) continue;
    const seen = new Set<string>();
    const todo = [hook as string];
    while (todo.length) {
      const name = todo.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      out.get(name)?.hooks.add(hook);
      for (const r of table.chains.get(name)?.rules ?? []) if (r.facts.jumpTo) todo.push(r.facts.jumpTo);
    }
  }
  return out;
}
