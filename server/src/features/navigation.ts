/** Go to definition, find references and rename for chains. */
import type { Location, Position, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver/node';
import type { IptablesAnalysis } from '../lang/iptables/analyze';
import { findTarget } from '../lang/iptables/extensions/registry';
import { locate, referencesTo, type ChainRef } from '../lang/iptables/navigation';
import { MAX_CHAIN_NAME } from '../lang/iptables/ruleParser';
import { isBuiltinChain } from '../lang/iptables/tables';
import { utf8Length } from '../lang/utf8';
import { fromPosition, toRange } from './convert';

function refsOfSameChain(ref: ChainRef): ChainRef[] {
  return referencesTo(ref.block, ref.name);
}

function chainAt(analysis: IptablesAnalysis, pos: Position): ChainRef | undefined {
  const l = locate(analysis.parsed.file, fromPosition(pos));
  return l?.kind === 'chain' ? l.ref : undefined;
}

export function definition(analysis: IptablesAnalysis, uri: string, pos: Position): Location[] {
  const ref = chainAt(analysis, pos);
  if (!ref) return [];
  return refsOfSameChain(ref)
    .filter((r) => r.kind === 'declaration')
    .map((r) => ({ uri, range: toRange(r.span) }));
}

export function references(analysis: IptablesAnalysis, uri: string, pos: Position, includeDeclaration: boolean): Location[] {
  const ref = chainAt(analysis, pos);
  if (!ref) return [];
  return refsOfSameChain(ref)
    .filter((r) => includeDeclaration || r.kind !== 'declaration')
    .map((r) => ({ uri, range: toRange(r.span) }));
}

export function prepareRename(analysis: IptablesAnalysis, pos: Position): { range: Range; placeholder: string } | null {
  const ref = chainAt(analysis, pos);
  if (!ref || isBuiltinChain(ref.table, ref.name)) return null;
  return { range: toRange(ref.span), placeholder: ref.name };
}

/** Why a name cannot be a chain name, or undefined when it can. */
export function invalidChainName(name: string): string | undefined {
  if (name.length === 0) return 'A chain name cannot be empty.';
  if (utf8Length(name) > MAX_CHAIN_NAME) return `Chain names are at most ${MAX_CHAIN_NAME} characters.`;
  if (/\s|"/.test(name)) return 'Chain names cannot contain whitespace or quotes.';
  if (name[0] === '-' || name[0] === '!') return 'Chain names cannot start with "-" or "!".';
  if (findTarget(name, 'ipv4')) return `"${name}" is a target name.`;
  return undefined;
}

export function rename(analysis: IptablesAnalysis, uri: string, pos: Position, newName: string): WorkspaceEdit | { error: string } {
  const ref = chainAt(analysis, pos);
  if (!ref) return { error: 'Place the cursor on a chain name.' };
  if (isBuiltinChain(ref.table, ref.name)) return { error: `${ref.name} is a built-in chain and cannot be renamed.` };
  const bad = invalidChainName(newName);
  if (bad) return { error: bad };
  const clash = referencesTo(ref.block, newName).length > 0;
  if (clash) return { error: `Table ${ref.table} already has a chain "${newName}".` };
  const edits: TextEdit[] = refsOfSameChain(ref).map((r) => ({ range: toRange(r.span), newText: newName }));
  return { changes: { [uri]: edits } };
}
