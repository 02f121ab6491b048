/** Outline: table → chain → rules. */
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver/node';
import type { IptablesAnalysis } from '../lang/iptables/analyze';
import { toRange } from './convert';

function ruleLabel(text: string): string {
  return text.length > 90 ? `${text.slice(0, 87)}…` : text;
}

export function documentSymbols(analysis: IptablesAnalysis, lineText: (line: number) => string): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const block of analysis.parsed.file.tables) {
    const chainSyms = new Map<string, DocumentSymbol>();
    const children: DocumentSymbol[] = [];
    for (const d of block.chains) {
      const sym: DocumentSymbol = {
        name: d.name.text,
        detail: d.builtin ? `policy ${d.policy.text}` : 'user chain',
        kind: d.builtin ? SymbolKind.Event : SymbolKind.Function,
        range: toRange(d.span),
        selectionRange: toRange(d.name.span),
        children: [],
      };
      chainSyms.set(d.name.text, sym);
      children.push(sym);
    }
    for (const cmd of block.commands) {
      if (!cmd.chain) continue;
      let parent = chainSyms.get(cmd.chain.text);
      if (!parent) {
        parent = { name: cmd.chain.text, detail: 'chain', kind: SymbolKind.Function, range: toRange(cmd.span), selectionRange: toRange(cmd.chain.span), children: [] };
        chainSyms.set(cmd.chain.text, parent);
        children.push(parent);
      }
      if (!cmd.hasRule) continue;
      const label = ruleLabel(lineText(cmd.line).trim());
      parent.children!.push({ name: label, detail: `line ${cmd.line + 1}`, kind: SymbolKind.Field, range: toRange(cmd.span), selectionRange: toRange(cmd.span) });
      // Widen the chain's range so the outline follows the cursor into its rules.
      if (cmd.span.end.line > parent.range.end.line) parent.range = { start: parent.range.start, end: toRange(cmd.span).end };
    }
    out.push({
      name: `*${block.name.text}`,
      detail: `${block.commands.filter((c) => c.hasRule).length} rules`,
      kind: SymbolKind.Namespace,
      range: toRange(block.span),
      selectionRange: toRange(block.name.span),
      children,
    });
  }
  return out;
}
