/**
 * Warnings beyond what iptables-restore refuses: things that load but are
 * probably not what the author meant. Never errors (whatever loads is not
 * called an error).
 */
import type { Diagnostic } from '../diagnostic';
import type { ParsedIptables } from './restoreParser';

export function lintIptables(parsed: ParsedIptables): Diagnostic[] {
  const out: Diagnostic[] = [];
  const errorLines = new Set(parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.start.line));
  for (const block of parsed.file.tables) {
    const loaded = parsed.ruleset.tables.get(block.name.text);
    if (!loaded || loaded.block !== block) continue;
    // A table with errors is not what the author meant yet: lint it once it loads.
    const end = block.commitLine ?? block.span.end.line;
    let hasErrors = false;
    for (let l = block.line; l <= end && !hasErrors; l++) hasErrors = errorLines.has(l);
    if (hasErrors) continue;
    // A user chain that is declared but never jumped to.
    const jumped = new Set<string>();
    for (const c of loaded.chains.values()) for (const r of c.rules) if (r.facts.jumpTo !== undefined) jumped.add(r.facts.jumpTo);
    for (const c of loaded.chains.values()) {
      if (c.builtin || jumped.has(c.name) || !c.declSpan) continue;
      const n = c.rules.length;
      out.push({
        code: 'unused-chain',
        severity: 'warning',
        message: `Chain "${c.name}" is declared${n ? ` and has ${n} rule${n > 1 ? 's' : ''}` : ''}, but no rule jumps to it: no packet ever reaches it.`,
        span: c.declSpan,
      });
    }
    // A table block that declares chains but changes nothing.
    const rules = [...loaded.chains.values()].reduce((s, c) => s + c.rules.length, 0);
    const userChains = [...loaded.chains.values()].filter((c) => !c.builtin).length;
    const nonDefaultPolicy = [...loaded.chains.values()].some((c) => c.builtin && c.policy !== 'ACCEPT');
    if (rules === 0 && userChains === 0 && !nonDefaultPolicy) {
      out.push({
        code: 'empty-table',
        severity: 'info',
        message: `Table "${block.name.text}" has no rules and only ACCEPT policies: loading it just clears whatever the table held before.`,
        span: block.name.span,
      });
    }
  }
  return out;
}
