/**
 * Where things are in a parsed file: every mention of a chain, and what sits
 * under a given position. Pure; the server turns these into LSP answers.
 */
import type { Position, Span } from '../diagnostic';
import type { Command, ExtensionUse, IptablesFile, OptionUse, TableBlock } from './ast';
import { RuleCommand } from './ruleLine';
import { firstAtLine, ownLine } from './byLine';

export type ChainRefKind = 'declaration' | 'rule-chain' | 'jump' | 'goto' | 'command' | 'rename-to';

export interface ChainRef {
  readonly table: string;
  readonly block: TableBlock;
  readonly name: string;
  readonly span: Span;
  readonly kind: ChainRefKind;
  readonly command?: Command;
}

export function contains(span: Span, pos: Position): boolean {
  const afterStart = pos.line > span.start.line || (pos.line === span.start.line && pos.col >= span.start.col);
  const beforeEnd = pos.line < span.end.line || (pos.line === span.end.line && pos.col <= span.end.col);
  return afterStart && beforeEnd;
}

export function chainReferences(file: IptablesFile): ChainRef[] {
  const refs: ChainRef[] = [];
  for (const block of file.tables) {
    const table = block.name.text;
    for (const d of block.chains) refs.push({ table, block, name: d.name.text, span: d.name.span, kind: 'declaration' });
    for (const cmd of block.commands) commandRefs(table, block, cmd, refs);
  }
  return refs;
}

/**
 * The mentions of one chain in one table. A rule line's names are read from
 * its shape first, so spans are made only for the lines that name the chain
 * (a kube-proxy dump has hundreds of thousands of mentions).
 */
export function referencesTo(block: TableBlock, name: string): ChainRef[] {
  const refs: ChainRef[] = [];
  const table = block.name.text;
  for (const d of block.chains) if (d.name.text === name) refs.push({ table, block, name, span: d.name.span, kind: 'declaration' });
  const found: ChainRef[] = [];
  for (const cmd of block.commands) {
    if (cmd instanceof RuleCommand && cmd.shape.chain !== name && cmd.shape.facts.jumpTo !== name) continue;
    found.length = 0;
    commandRefs(table, block, cmd, found);
    for (const r of found) if (r.name === name) refs.push(r);
  }
  return refs;
}

function commandRefs(table: string, block: TableBlock, cmd: Command, refs: ChainRef[]): void {
  if (cmd.chain) {
    const kind: ChainRefKind = cmd.kind === 'N' ? 'declaration' : cmd.hasRule ? 'rule-chain' : 'command';
    refs.push({ table, block, name: cmd.chain.text, span: cmd.chain.span, kind, command: cmd });
  }
  if (cmd.newName) refs.push({ table, block, name: cmd.newName.text, span: cmd.newName.span, kind: 'rename-to', command: cmd });
  const t = cmd.jump;
  if (t) refs.push({ table, block, name: t.chain, span: t.nameSpan, kind: t.goto ? 'goto' : 'jump', command: cmd });
}

/** The commands on one line (an over-long line read in pieces has several), found by bisection. */
function commandsOnLine(block: TableBlock, line: number): Command[] {
  const out: Command[] = [];
  for (let i = firstAtLine(block.commands, line, ownLine); i < block.commands.length && block.commands[i]!.line === line; i++) out.push(block.commands[i]!);
  return out;
}

/** The chain mentions on one line: a 170,000-rule file has hundreds of thousands in all. */
function referencesOnLine(block: TableBlock, line: number): ChainRef[] {
  const refs: ChainRef[] = [];
  const table = block.name.text;
  for (let i = firstAtLine(block.chains, line, ownLine); i < block.chains.length && block.chains[i]!.line === line; i++) {
    const d = block.chains[i]!;
    refs.push({ table, block, name: d.name.text, span: d.name.span, kind: 'declaration' });
  }
  for (const cmd of commandsOnLine(block, line)) commandRefs(table, block, cmd, refs);
  return refs;
}

export type Located =
  | { readonly kind: 'chain'; readonly ref: ChainRef }
  | { readonly kind: 'option'; readonly ext: ExtensionUse; readonly option: OptionUse; readonly onArg: boolean; readonly command: Command }
  | { readonly kind: 'extension'; readonly ext: ExtensionUse; readonly role: 'match' | 'target'; readonly command: Command }
  | { readonly kind: 'verdict'; readonly name: string; readonly command: Command }
  | { readonly kind: 'table'; readonly block: TableBlock }
  | { readonly kind: 'rule'; readonly command: Command };

export function blockAt(file: IptablesFile, line: number): TableBlock | undefined {
  return file.tables.find((b) => line >= b.span.start.line && line <= b.span.end.line);
}

export function commandAt(file: IptablesFile, line: number): Command | undefined {
  const b = blockAt(file, line);
  return b ? commandsOnLine(b, line)[0] : undefined;
}

/** The most specific thing under `pos`. */
export function locate(file: IptablesFile, pos: Position): Located | undefined {
  const block = blockAt(file, pos.line);
  if (!block) return undefined;
  if (contains(block.name.span, pos)) return { kind: 'table', block };
  for (const ref of referencesOnLine(block, pos.line)) {
    if (contains(ref.span, pos)) return { kind: 'chain', ref };
  }
  const onLine = commandsOnLine(block, pos.line);
  const cmd = onLine.find((c) => contains(c.span, pos)) ?? onLine[0];
  if (!cmd) return undefined;
  const rule = cmd.rule;
  if (rule) {
    const uses: Array<[ExtensionUse, 'match' | 'target']> = rule.matches.map((m) => [m, 'match'] as [ExtensionUse, 'match']);
    if (rule.target?.kind === 'extension') uses.push([rule.target.use, 'target']);
    for (const [ext, role] of uses) {
      for (const o of ext.options) {
        if (o.argSpan && contains(o.argSpan, pos)) return { kind: 'option', ext, option: o, onArg: true, command: cmd };
        if (contains(o.span, pos)) return { kind: 'option', ext, option: o, onArg: false, command: cmd };
      }
      if (!ext.implicit && contains(ext.nameSpan, pos)) return { kind: 'extension', ext, role, command: cmd };
    }
    if (rule.target?.kind === 'verdict' && contains(rule.target.span, pos)) return { kind: 'verdict', name: rule.target.name, command: cmd };
  }
  return { kind: 'rule', command: cmd };
}
