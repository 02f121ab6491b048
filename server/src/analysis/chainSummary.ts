/** Per chain: how many rules, how many no packet reaches, and where packets come in from (for code lenses and `nflens analyze`). */
import type { Reachability } from './reachability';

export interface ChainSummary {
  readonly table: string;
  readonly chain: string;
  readonly builtin: boolean;
  readonly rules: number;
  readonly unreachable: number;
  /** "INPUT" for a hook, "INPUT (line 10)" for a jump site. */
  readonly from: readonly string[];
}

export function chainSummaries(reach: Reachability): ChainSummary[] {
  const out: ChainSummary[] = [];
  for (const t of reach.emu.tables.values()) {
    for (const c of t.chains.values()) {
      // Read without joining any rule's or site's flows (a kube dump: 170,000 rules, 60,000 chains).
      const reached = reach.rec.reachedRules(t.name, c.name, c.rules);
      // Lines as the parse analysed has them (a compiled rule's own line is where it was when compiled).
      const loaded = reach.rs.tables.get(t.name)?.chains.get(c.name)?.rules;
      const lines = new Map<number, boolean>();
      c.rules.forEach((r, i) => {
        const line = loaded?.[r.ref.index]?.command.line ?? -1;
        lines.set(line, (lines.get(line) ?? true) && !reached[i]);
      });
      const from = reach.sitesEntering(t.name, c.name).map((id) => (id.startsWith('hook ') ? id.slice(5) : `${id.split('/')[1]} (line ${Number(id.split('/')[3]) + 1})`));
      out.push({ table: t.name, chain: c.name, builtin: c.builtin, rules: lines.size, unreachable: [...lines.values()].filter(Boolean).length, from });
    }
  }
  return out;
}

export function summaryText(s: ChainSummary): string {
  const parts = [`${s.rules} rule${s.rules === 1 ? '' : 's'}`];
  if (s.unreachable) parts.push(`${s.unreachable} unreachable`);
  if (!s.builtin) parts.push(s.from.length ? `entered from ${s.from.slice(0, 4).join(', ')}${s.from.length > 4 ? ` and ${s.from.length - 4} more` : ''}` : 'never entered');
  return parts.join(' · ');
}
