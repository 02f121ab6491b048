/**
 * Warnings beyond what iptables-restore refuses: things that load but are
 * probably not what the author meant. Never errors (whatever loads is not
 * called an error).
 */
import type { Diagnostic, Span } from '../diagnostic';
import { cacheOf } from './lineCache';
import type { ParsedIptables } from './restoreParser';
import type { LoadedTable } from './ruleset';
import { jumpTargets } from './validTable';

export function lintIptables(parsed: ParsedIptables): Diagnostic[] {
  const out: Diagnostic[] = [];
  const errorLines = new Set<number>();
  for (const d of parsed.diagnostics) if (d.severity === 'error') errorLines.add(d.span.start.line);
  for (const block of parsed.file.tables) {
    const loaded = parsed.ruleset.tables.get(block.name.text);
    if (!loaded || loaded.block !== block) continue;
    // A table with errors is not what the author meant yet: lint it once it loads.
    const end = block.commitLine ?? block.span.end.line;
    let hasErrors = false;
    for (const l of errorLines) if (l >= block.line && l <= end) hasErrors = true;
    if (hasErrors) continue;
    // A user chain that is declared but never jumped to. Loops, not arrays: a kube-proxy dump has 60,000 chains and 120,000 jumps (many in a row to one chain).
    const jumped = jumpedNames(parsed, loaded);
    let rules = 0;
    let userChains = 0;
    let nonDefaultPolicy = false;
    for (const c of loaded.chains.values()) {
      rules += c.rules.length;
      if (!c.builtin) userChains++;
      else if (c.policy !== 'ACCEPT') nonDefaultPolicy = true;
    }
    for (const c of loaded.chains.values()) {
      if (c.builtin || jumped.has(c.name) || !c.declSpan) continue;
      out.push(unusedChain(c.name, c.rules.length, c.declSpan));
    }
    // A table block that declares chains but changes nothing.
    if (rules === 0 && userChains === 0 && !nonDefaultPolicy) out.push(emptyTable(block.name.text, block.name.span));
  }
  return out;
}

/** A user chain no rule jumps to (also found by the clean proof, cleanProof.ts). */
export function unusedChain(name: string, rules: number, span: Span): Diagnostic {
  return {
    code: 'unused-chain',
    severity: 'warning',
    message: `Chain "${name}" is declared${rules ? ` and has ${rules} rule${rules > 1 ? 's' : ''}` : ''}, but no rule jumps to it: no packet ever reaches it.`,
    span,
  };
}

/** A table with no rules, no user chains and only ACCEPT policies. */
export function emptyTable(name: string, span: Span): Diagnostic {
  return {
    code: 'empty-table',
    severity: 'info',
    message: `Table "${name}" has no rules and only ACCEPT policies: loading it just clears whatever the table held before.`,
    span,
  };
}

/** The names the table's rules jump or go to: kept with its validation when iptables-nft's passed (validTable.ts), else collected now. */
function jumpedNames(parsed: ParsedIptables, loaded: LoadedTable): ReadonlySet<string> {
  const valid = cacheOf(parsed)?.valid.get(loaded.name);
  if (valid?.loaded === loaded) return valid.jumped();
  return jumpTargets([...loaded.chains.values()].map((c) => c.rules));
}
