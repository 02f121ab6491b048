/**
 * Warnings beyond what iptables-restore refuses: things that load but are
 * probably not what the author meant. Never errors (whatever loads is not
 * called an error).
 */
import type { Diagnostic, Span } from '../diagnostic';
import { cacheOf } from './lineCache';
import type { ParsedIptables } from './restoreParser';
import type { LoadedChain, LoadedTable } from './ruleset';
import { SlotMap } from './slotMap';
import { jumpTargets, sameNames } from './validTable';

/** What the lint found in a table, kept for the lint of the next parse (see tableLint). */
interface TableLint {
  readonly jumped: ReadonlySet<string>;
  /** Its unused chains' warnings, in chain order. */
  readonly unused: ReadonlyArray<{ readonly name: string; readonly diagnostic: Diagnostic }>;
  readonly rules: number;
  readonly userChains: number;
  /** Built-in chains whose policy is not ACCEPT. */
  readonly policies: number;
}
const lintOf = new WeakMap<LoadedTable, TableLint>();
/** Tables linted chain by chain so far in this process (not from the previous lint): tests read it. */
let linted = 0;
export function tablesLintedWhole(): number {
  return linted;
}

/** `previous`: the parse of the document's previous version, whose tables' lints are kept and changed only where its chains changed. */
export function lintIptables(parsed: ParsedIptables, previous?: ParsedIptables): Diagnostic[] {
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
    const was = previous?.ruleset.tables.get(loaded.name);
    const lint = tableLint(loaded, jumpedNames(parsed, loaded), was && lintOf.get(was), was);
    lintOf.set(loaded, lint);
    for (const u of lint.unused) out.push(u.diagnostic);
    // A table block that declares chains but changes nothing.
    if (lint.rules === 0 && lint.userChains === 0 && lint.policies === 0) out.push(emptyTable(block.name.text, block.name.span));
  }
  return out;
}

/**
 * A user chain that is declared but never jumped to. Loops, not arrays: a kube-proxy dump has 60,000
 * chains and 120,000 jumps (many in a row to one chain). From the previous parse's lint of the table
 * when the jump targets are the same set (validTable.ts keeps it) and the chains the same names in
 * order (SlotMap.changed): only the changed chains are looked at (~6 ms less per edit of a kube dump).
 */
function tableLint(t: LoadedTable, jumped: ReadonlySet<string>, before: TableLint | undefined, was: LoadedTable | undefined): TableLint {
  const changed = before && was && sameNames(before.jumped, jumped) ? SlotMap.changed(was.chains, t.chains) : undefined;
  if (before && was && changed) {
    let { rules, userChains, policies } = before;
    const again = new Map<string, Diagnostic>();
    let same = true;
    for (let k = 0; k < changed.names.length; k++) {
      const n = changed.names[k]!;
      const c = changed.now[k]!;
      const o = changed.was[k]!;
      rules += c.rules.length - o.rules.length;
      userChains += (c.builtin ? 0 : 1) - (o.builtin ? 0 : 1);
      policies += (c.builtin && c.policy !== 'ACCEPT' ? 1 : 0) - (o.builtin && o.policy !== 'ACCEPT' ? 1 : 0);
      const now = unused(c, jumped);
      // (A chain that became unused, or no longer is: the list is made again, in chain order.)
      if (now !== unused(o, jumped)) same = false;
      if (now) again.set(n, unusedChain(c.name, c.rules.length, c.declSpan));
    }
    if (same) {
      const warned = again.size ? before.unused.map((u) => (again.has(u.name) ? { name: u.name, diagnostic: again.get(u.name)! } : u)) : before.unused;
      return { jumped, unused: warned, rules, userChains, policies };
    }
  }
  linted++;
  let rules = 0;
  let userChains = 0;
  let policies = 0;
  const warned: Array<{ name: string; diagnostic: Diagnostic }> = [];
  for (const c of t.chains.values()) {
    rules += c.rules.length;
    if (!c.builtin) userChains++;
    else if (c.policy !== 'ACCEPT') policies++;
    if (unused(c, jumped)) warned.push({ name: c.name, diagnostic: unusedChain(c.name, c.rules.length, c.declSpan) });
  }
  return { jumped, unused: warned, rules, userChains, policies };
}

/** A user chain declared on a line of its own that no rule jumps to. */
function unused(c: LoadedChain, jumped: ReadonlySet<string>): c is LoadedChain & { declSpan: Span } {
  return !c.builtin && !jumped.has(c.name) && c.declSpan !== undefined;
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
