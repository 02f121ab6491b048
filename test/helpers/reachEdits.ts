/**
 * Plain views of a reachability analysis and random edits of rule lines, for
 * the tests that hold a re-analysis (handed the previous version's) to a fresh one.
 */
import { chainSummaries } from '../../server/src/analysis/chainSummary';
import { reachFindings } from '../../server/src/analysis/findings';
import type { Reachability } from '../../server/src/analysis/reachability';
import { ruleFlows } from '../../server/src/analysis/ruleFlows';
import type { Ruleset } from '../../server/src/lang/iptables/ruleset';
import type { Rng } from './netlab/traceGenerator';

/** Everything the analysis answers, as plain data (the hover of every `hoverEvery`-th rule: a kube dump's take ~4 ms each). */
export function reachView(rs: Ruleset, reach: Reachability, text: string, hoverEvery: number): unknown {
  const lines = text.split('\n');
  const rules: unknown[] = [];
  const chains: unknown[] = [];
  for (const t of reach.emu.tables.values()) {
    for (const c of t.chains.values()) {
      chains.push({ chain: `${t.name}/${c.name}`, entered: reach.entered(t.name, c.name), entries: [...reach.entries(t.name, c.name)] });
      // (By the line now: a compiled rule's own is where it was when compiled.)
      for (const r of c.rules) rules.push({ id: reach.idOf(r), reached: reach.reached(r), hits: [...reach.reach(r, t.name, c.name).hits] });
    }
  }
  const hovers = [...new Set(rules.map((r) => Number((r as { id: string }).id.split('/')[3])))].filter((_l, i) => i % hoverEvery === 0).map((l) => ruleFlows(reach, l));
  return JSON.parse(JSON.stringify({
    rules,
    chains,
    policy: [...reach.rec.policy],
    // (Which chain was entered first is nobody's question: keys sorted; each chain's hooks in their order.)
    entryHooks: [...reach.rec.chainsEntered()].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    findings: reachFindings(rs, reach, { lineText: (l) => lines[l] }),
    summaries: chainSummaries(reach),
    hovers,
  }));
}

/**
 * The chains that have a record, before anything is asked of the analysis (asking about a rule
 * makes its chain's record): a re-analysis must hold none of the previous one's that a fresh one has not.
 */
export function recordedChains(reach: Reachability): string[] {
  const out: string[] = [];
  for (const t of reach.emu.tables.values()) for (const c of t.chains.values()) if (reach.rec.existing(t.name, c.name)) out.push(`${t.name}/${c.name}`);
  return out;
}

/** A port or an address's last byte one higher (never a number in a chain name: that would fail the load). */
export function altered(line: string): string {
  const bump = (d: string): string => String((Number(d) + 1) % 256);
  if (/:\d+$/.test(line)) return line.replace(/:(\d+)$/, (_m, d: string) => `:${bump(d)}`);
  if (/--dport \d+/.test(line)) return line.replace(/--dport (\d+)/, (_m, d: string) => `--dport ${bump(d)}`);
  return line.replace(/( -[sd] \d+\.\d+\.\d+\.)(\d+)/, (_m, a: string, d: string) => `${a}${bump(d)}`);
}

/** One edit of rule lines (what a reparse splices): replaced by another rule of the file, altered, dropped, or a copy added. */
export function ruleEdit(lines: string[], r: Rng): string {
  const rules = lines.flatMap((l, i) => (l.startsWith('-A ') ? [i] : []));
  if (!rules.length) return 'nothing';
  const i = r.pick(rules);
  switch (r.int(4)) {
    case 0:
      lines[i] = lines[r.pick(rules)]!;
      return `rule ${i} replaced`;
    case 1: {
      // Another port, address or mark: the same chains, other packets.
      const before = lines[i]!;
      lines[i] = altered(before);
      return `rule ${i} altered`;
    }
    case 2:
      lines.splice(i, 1);
      return `rule ${i} deleted`;
    default:
      lines.splice(i + 1, 0, lines[r.pick(rules)]!);
      return `rule copied below ${i}`;
  }
}

