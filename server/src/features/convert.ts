/** Conversions between our pure types and LSP types: the only place they meet. */
import {
  DiagnosticSeverity,
  DiagnosticTag,
  type Diagnostic as LspDiagnostic,
  type Position as LspPosition,
  type Range,
} from 'vscode-languageserver/node';
import type { Diagnostic, Position, Severity, Span } from '../lang/diagnostic';
import { showControls } from '../lang/visibleText';

export function toRange(s: Span): Range {
  return { start: { line: s.start.line, character: s.start.col }, end: { line: s.end.line, character: s.end.col } };
}

export function fromPosition(p: LspPosition): Position {
  return { line: p.line, col: p.character };
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const UNNECESSARY = new Set(['unused-chain', 'empty-table']);

export function toLspDiagnostic(d: Diagnostic, uri: string): LspDiagnostic {
  const out: LspDiagnostic = {
    range: toRange(d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'netfilter-lens',
    // (Every language's messages: a Docker options file's words may end in a Windows "\r" too.)
    message: showControls(d.message),
  };
  if (d.related?.length) out.relatedInformation = d.related.map((r) => ({ location: { uri: r.uri ?? uri, range: toRange(r.span) }, message: showControls(r.message) }));
  if (UNNECESSARY.has(d.code)) out.tags = [DiagnosticTag.Unnecessary];
  return out;
}
