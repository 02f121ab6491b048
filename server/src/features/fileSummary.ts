/** What the status bar shows for a file: counted from the diagnostics as published (after severity overrides). */
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import type { FileSummary } from '../protocol';

/** Findings that mean "no packet ever reaches this rule". */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['unreachable-rule', 'rule-after-terminal', 'impossible-match']);

export function fileSummary(uri: string, published: readonly LspDiagnostic[], analysing = false): FileSummary {
  let errors = 0;
  let warnings = 0;
  let unreachable = 0;
  for (const d of published) {
    if (d.severity === DiagnosticSeverity.Error) errors++;
    else if (d.severity === DiagnosticSeverity.Warning) warnings++;
    if (typeof d.code === 'string' && UNREACHABLE_CODES.has(d.code)) unreachable++;
  }
  return { uri, errors, warnings, unreachable, analysing };
}
