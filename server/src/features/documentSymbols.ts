/**
 * Outline: table → chain → rules. VS Code asks for it after every pause in
 * typing (breadcrumbs, sticky scroll, the outline view), so it is bounded:
 * at most `maxItems` symbols, tables first, then chains, then rules in file
 * order (a 170,012-rule dump would otherwise answer 67 MB of JSON in ~1.9 s,
 * holding the server's thread). What is left out is counted in the details,
 * and nothing is built for it.
 */
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver/node';
import type { IptablesAnalysis } from '../lang/iptables/analyze';
import type { Command } from '../lang/iptables/ast';
import { RuleCommand } from '../lang/iptables/ruleLine';
import { toRange } from './convert';

/** A command's chain name; a rule line's without building its span (one pass over 170,000 rules). */
const chainName = (cmd: Command): string | undefined => (cmd instanceof RuleCommand ? cmd.shape.chain : cmd.chain?.text);

function ruleLabel(text: string): string {
  return text.length > 90 ? `${text.slice(0, 87)}…` : text;
}

interface Listed {
  readonly sym: DocumentSymbol & { children: DocumentSymbol[] };
  rules: number;
  /** Its last rule: the chain's range reaches it, so the outline follows the cursor into its rules (listed or not). */
  last?: Command;
}

export function documentSymbols(analysis: IptablesAnalysis, lineText: (line: number) => string, maxItems = Infinity): DocumentSymbol[] {
  const blocks = analysis.parsed.file.tables;
  let budget = maxItems - Math.min(blocks.length, maxItems);
  let total = blocks.length;
  const tables = blocks.map((block, i) => ({
    block,
    listed: i < maxItems,
    rules: 0,
    sym: { name: `*${block.name.text}`, detail: '', kind: SymbolKind.Namespace, range: toRange(block.span), selectionRange: toRange(block.name.span), children: [] as DocumentSymbol[] },
    /** Every chain of the table: its symbol when listed, null when left out. */
    chains: new Map<string, Listed | null>(),
  }));
  const list = (t: (typeof tables)[number], name: string, make: () => Listed['sym']): Listed | null => {
    total++;
    const c = t.listed && budget > 0 ? { sym: make(), rules: 0 } : null;
    if (c) {
      budget--;
      t.sym.children.push(c.sym);
    }
    t.chains.set(name, c);
    return c;
  };
  for (const t of tables) {
    for (const d of t.block.chains) {
      list(t, d.name.text, () => ({
        name: d.name.text,
        detail: d.builtin ? `policy ${d.policy.text}` : 'user chain',
        kind: d.builtin ? SymbolKind.Event : SymbolKind.Function,
        range: toRange(d.span),
        selectionRange: toRange(d.name.span),
        children: [],
      }));
    }
  }
  const listed: Listed[] = [];
  for (const t of tables) {
    for (const cmd of t.block.commands) {
      const name = chainName(cmd);
      if (name === undefined) continue;
      let c = t.chains.get(name);
      // A chain used without a declaration.
      if (c === undefined) c = list(t, name, () => ({ name, detail: 'chain', kind: SymbolKind.Function, range: toRange(cmd.span), selectionRange: toRange(cmd.chain!.span), children: [] }));
      if (!cmd.hasRule) continue;
      t.rules++;
      total++;
      if (!c) continue;
      if (c.rules++ === 0) listed.push(c);
      c.last = cmd;
      if (budget > 0) {
        budget--;
        c.sym.children.push({ name: ruleLabel(lineText(cmd.line).trim()), detail: `line ${cmd.line + 1}`, kind: SymbolKind.Field, range: toRange(cmd.span), selectionRange: toRange(cmd.span) });
      }
    }
  }
  for (const c of listed) {
    const end = toRange(c.last!.span).end;
    if (end.line > c.sym.range.end.line) c.sym.range = { start: c.sym.range.start, end };
    if (c.sym.children.length < c.rules) c.sym.detail = `${c.sym.detail} · ${c.rules - c.sym.children.length} of ${c.rules} rules not listed`;
  }
  const shown = tables.filter((t) => t.listed);
  for (const t of shown) {
    t.sym.detail = `${t.rules} rules`;
    if (total > maxItems) t.sym.detail += ` · outline limited to ${maxItems} of ${total} items (netfilterLens.outline.maxItems)`;
  }
  return shown.map((t) => t.sym);
}
