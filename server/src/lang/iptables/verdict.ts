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
    const a = d.restore;
    const b = first?.restore;
    if (!b || a.detectedAtLine < b.detectedAtLine || (a.detectedAtLine === b.detectedAtLine && (a.seq ?? 0) < (b.seq ?? 0))) first = d;
  }
  return first ? { loads: false, first } : { loads: true };
}

/**
 * Warnings about things that exist or resolve only on the host that loads
 * the rules (DNS names, ipsets, users, accounting objects …): a real load
 * here may fail where it succeeds there, and the other way round.
 */
export const HOST_DEPENDENT_CODES: ReadonlySet<string> = new Set([
  'hostname',
  'ipset-must-exist',
  'user-must-exist',
  'group-must-exist',
  'must-exist-at-load',
  'ct-timeout-policy',
]);

export function hostDependent(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => HOST_DEPENDENT_CODES.has(d.code));
}
