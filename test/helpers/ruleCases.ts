/**
 * Table-driven load-verdict cases: a few rule lines, and whether
 * iptables-restore (nft and legacy backends) loads them. The unit suite checks
 * our parser against the expectations; the kernel suite checks the
 * expectations against the real iptables-restore, so they cannot drift.
 */
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { loadVerdict } from '../../server/src/lang/iptables/verdict';
import type { Backend } from './oracle';

export type Outcome = 'ok' | 'error';

export interface RuleCase {
  /** Rule lines (without the table header), e.g. "-A INPUT -p tcp --dport 80 -j ACCEPT". */
  readonly rules: string | readonly string[];
  readonly table?: string;
  /** User chains to declare. */
  readonly chains?: readonly string[];
  /** Expected with iptables-nft; `legacy` overrides for the legacy backend. */
  readonly expect: Outcome;
  readonly legacy?: Outcome;
  readonly family?: 'ipv4' | 'ipv6';
  /** Environment-dependent (DNS, ipsets): skipped by the kernel suite. */
  readonly envDependent?: boolean;
  /** Where we deliberately differ from the kernel (documented): what our parser says. */
  readonly ours?: Outcome;
  /** Expected diagnostic code of the first error (checked against our parser only). */
  readonly code?: string;
  /**
   * The line iptables-restore names when the load fails (lines of `caseFile`:
   * 1 is "*table"); `legacyLine` overrides it for the legacy backend. Checked
   * against the kernel and against our first error's reported line.
   */
  readonly line?: number;
  readonly legacyLine?: number;
  /** Leave out the built-in chain declarations (iptables-nft creates built-in chains only on use). */
  readonly bare?: boolean;
}

const BUILTINS: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export function caseFile(c: RuleCase): string {
  const table = c.table ?? 'filter';
  const lines = [`*${table}`];
  if (!c.bare) for (const b of BUILTINS[table] ?? []) lines.push(`:${b} ACCEPT [0:0]`);
  for (const u of c.chains ?? []) lines.push(`:${u} - [0:0]`);
  for (const r of typeof c.rules === 'string' ? [c.rules] : c.rules) lines.push(r);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export function expected(c: RuleCase, backend: Backend): Outcome {
  return backend === 'legacy' ? c.legacy ?? c.expect : c.expect;
}

/** The line iptables names for this backend, when the case says. */
export function expectedLine(c: RuleCase, backend: Backend): number | undefined {
  return backend === 'legacy' ? c.legacyLine ?? c.line : c.line;
}

/** What our parser must say: the kernel's outcome unless we differ on purpose. */
export function expectedOurs(c: RuleCase, backend: Backend): Outcome {
  return c.ours ?? expected(c, backend);
}

/** Our verdict, as the editor and the CLI compute it (analyzeIptables: parse, lints, sorted). */
export function ourOutcome(c: RuleCase, backend: Backend): { outcome: Outcome; code?: string; message?: string; line?: number } {
  const v = loadVerdict(analyzeIptables(caseFile(c), { backend, family: c.family ?? 'ipv4' }).diagnostics);
  return v.loads ? { outcome: 'ok' } : { outcome: 'error', code: v.first!.code, message: v.first!.message, line: v.first!.restore!.reportedLine };
}

export function caseName(c: RuleCase): string {
  const long = (x: string): string => (x.length > 300 ? `${x.slice(0, 100)}…(${x.length} characters)…${x.slice(-60)}` : x);
  const r = (typeof c.rules === 'string' ? [c.rules] : c.rules).map(long).join(' ⏎ ');
  return `${c.table && c.table !== 'filter' ? `[${c.table}] ` : ''}${r}`;
}
