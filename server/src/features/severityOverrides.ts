/**
 * The user's `netfilterLens.diagnostics.severity` map applied at the server's
 * edge: a code's findings get another severity, or are dropped ("off").
 * The analysis itself never sees the map, so cached results stay shared.
 */
import type { Diagnostic, Severity } from '../lang/diagnostic';

export type SeverityOverride = Severity | 'off';
export type SeverityOverrides = Readonly<Record<string, SeverityOverride>>;

/** The setting's words (VS Code's: "information") to ours; anything else is ignored. */
const WORDS: Readonly<Record<string, SeverityOverride>> = { error: 'error', warning: 'warning', information: 'info', info: 'info', hint: 'hint', off: 'off' };

export function parseSeverityOverrides(raw: unknown): SeverityOverrides {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const out: Record<string, SeverityOverride> = {};
  for (const [code, word] of Object.entries(raw as Record<string, unknown>)) {
    const s = typeof word === 'string' ? WORDS[word.trim().toLowerCase()] : undefined;
    if (s && code.trim()) out[code.trim()] = s;
  }
  return out;
}

export function applySeverityOverrides(found: readonly Diagnostic[], overrides: SeverityOverrides): readonly Diagnostic[] {
  if (Object.keys(overrides).length === 0) return found;
  const out: Diagnostic[] = [];
  for (const d of found) {
    const o = Object.hasOwn(overrides, d.code) ? overrides[d.code] : undefined;
    if (o === 'off') continue;
    out.push(o && o !== d.severity ? { ...d, severity: o } : d);
  }
  return out;
}
