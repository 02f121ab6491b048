/** Folding: one range per table block, and per run of comment lines. */
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver/node';
import type { IptablesAnalysis } from '../lang/iptables/analyze';

export function foldingRanges(analysis: IptablesAnalysis): FoldingRange[] {
  const out: FoldingRange[] = [];
  for (const b of analysis.parsed.file.tables) {
    if (b.span.end.line > b.span.start.line) out.push({ startLine: b.span.start.line, endLine: b.span.end.line, kind: FoldingRangeKind.Region });
  }
  const comments = analysis.parsed.file.comments.map((c) => c.line).sort((a, b) => a - b);
  let start = -1;
  let prev = -2;
  for (const l of [...comments, Number.MAX_SAFE_INTEGER]) {
    if (l !== prev + 1) {
      if (start >= 0 && prev > start) out.push({ startLine: start, endLine: prev, kind: FoldingRangeKind.Comment });
      start = l;
    }
    prev = l;
  }
  return out;
}
