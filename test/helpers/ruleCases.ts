/**
 * Table-driven load-verdict cases: a few rule lines, and whether
 * iptables-restore (nft and legacy backends) loads them. The unit suite checks
 * our parser against the expectations; the kernel suite checks the
 * expectations against the real iptables-restore, so they cannot drift.
 */
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
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
  for (const b of BUILTINS[table] ?? []) lines.push(`:${b} ACCEPT [0:0]`);
  for (const u of c.chains ?? []) lines.push(`:${u} - [0:0]`);
  for (const r of typeof c.rules === 'string' ? [c.rules] : c.rules) lines.push(r);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export function expected(c: RuleCase, backend: Backend): Outcome {
  return backend === 'legacy' ? c.legacy ?? c.expect : c.expect;
}

/** What our parser must say: the kernel's outcome unless we differ on purpose. */
export function expectedOurs(c: RuleCase, backend: Backend): Outcome {
  return c.ours ?? expected(c, backend);
}

export function ourOutcome(c: RuleCase, backend: Backend): { outcome: Outcome; code?: string; message?: string } {
  const parsed = parseIptables(caseFile(c), { backend, family: c.family ?? 'ipv4' });
  const v = loadVerdict(parsed.diagnostics);
  return v.loads ? { outcome: 'ok' } : { outcome: 'error', code: v.first!.code, message: v.first!.message };
}

export function caseName(c: RuleCase): string {
  const r = typeof c.rules === 'string' ? c.rules : c.rules.join(' ⏎ ');
  return `${c.table && c.table !== 'filter' ? `[${c.table}] ` : ''}${r}`;
}
