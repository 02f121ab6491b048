/** Output formats of `nflens check`: text (compiler style), JSON and SARIF 2.1.0. */
import type { Diagnostic } from '../lang/diagnostic';

export interface FileResult {
  readonly file: string;
  readonly diagnostics: readonly Diagnostic[];
}

export interface JsonDiagnostic {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly severity: string;
  readonly code: string;
  readonly message: string;
}

export function toJson(results: readonly FileResult[]): JsonDiagnostic[] {
  return results.flatMap((r) =>
    r.diagnostics.map((d) => ({
      file: r.file,
      line: d.span.start.line + 1,
      column: d.span.start.col + 1,
      endLine: d.span.end.line + 1,
      endColumn: d.span.end.col + 1,
      severity: d.severity,
      code: d.code,
      message: d.message,
    })),
  );
}

export function toText(results: readonly FileResult[]): string {
  const lines: string[] = [];
  for (const j of toJson(results)) lines.push(`${j.file}:${j.line}:${j.column}: ${j.severity} [${j.code}] ${j.message}`);
  return lines.join('\n');
}

export function toSarif(results: readonly FileResult[], version: string): unknown {
  const codes = [...new Set(results.flatMap((r) => r.diagnostics.map((d) => d.code)))].sort();
  const level = (s: string): string => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'nflens', informationUri: 'https://github.com/netfilter-lens/netfilter-lens', version, rules: codes.map((id) => ({ id })) } },
        results: toJson(results).map((j) => ({
          ruleId: j.code,
          level: level(j.severity),
          message: { text: j.message },
          locations: [{ physicalLocation: { artifactLocation: { uri: j.file }, region: { startLine: j.line, startColumn: j.column, endLine: j.endLine, endColumn: j.endColumn } } }],
        })),
      },
    ],
  };
}
