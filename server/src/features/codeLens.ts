/** A code lens on each chain declaration: its rule count, unreachable rules and where packets come in from. */
import type { CodeLens } from 'vscode-languageserver/node';
import { chainSummaries, summaryText } from '../analysis/chainSummary';
import type { Reachability } from '../analysis/reachability';
import type { IptablesAnalysis } from '../lang/iptables/analyze';
import { toRange } from './convert';

export function codeLenses(analysis: IptablesAnalysis, reach: Reachability | undefined): CodeLens[] {
  if (!reach) return [];
  const out: CodeLens[] = [];
  for (const s of chainSummaries(reach)) {
    const chain = analysis.parsed.ruleset.tables.get(s.table)?.chains.get(s.chain);
    if (!chain?.declSpan) continue;
    out.push({ range: toRange(chain.declSpan), command: { title: summaryText(s), command: '' } });
  }
  return out;
}
