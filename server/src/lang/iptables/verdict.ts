/** Would iptables-restore load this file? Derived from our diagnostics. */
import type { Diagnostic } from '../diagnostic';

export interface LoadVerdict {
  readonly loads: boolean;
  /** The error iptables-restore would report first, if any. */
  readonly first?: Diagnostic;
}

export function loadVerdict(diagnostics: readonly Diagnostic[]): LoadVerdict {
  let first: Diagnostic | undefined;
  for (const d of diagnostics) {
    if (d.severity !== 'error' || !d.restore) continue;
    if (!first || d.restore.detectedAtLine < first.restore!.detectedAtLine) first = d;
  }
  return first ? { loads: false, first } : { loads: true };
}
