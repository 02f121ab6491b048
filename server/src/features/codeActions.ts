/** Quick fixes carried by our diagnostics (e.g. "-s ! X" → "! -s X", COMMIT spacing, CRLF). */
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type Range } from 'vscode-languageserver/node';
import type { Diagnostic } from '../lang/diagnostic';
import { toLspDiagnostic, toRange } from './convert';

function overlaps(a: Range, b: Range): boolean {
  return !(a.end.line < b.start.line || b.end.line < a.start.line);
}

export function codeActions(diagnostics: readonly Diagnostic[], uri: string, range: Range, contextDiagnostics: readonly LspDiagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (!d.fixes?.length) continue;
    const r = toRange(d.span);
    if (!overlaps(r, range)) continue;
    const lsp = contextDiagnostics.find((c) => c.code === d.code && c.range.start.line === r.start.line) ?? toLspDiagnostic(d, uri);
    for (const fix of d.fixes) {
      if (fix.edits.length === 0) continue;
      out.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [lsp],
        isPreferred: d.fixes.length === 1,
        edit: { changes: { [uri]: fix.edits.map((e) => ({ range: toRange(e.span), newText: e.newText })) } },
      });
    }
  }
  return out;
}
