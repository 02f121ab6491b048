/**
 * What a rule line yields that does not depend on where the line is: its
 * command, the columns of its tokens, its jump and its load facts. The next
 * parse of the document reuses the shapes of the lines it still has
 * (lineCache.ts). A rule command
 * (RuleCommand) is then its line numbers plus a shape; spans are built from
 * the columns when read.
 */
import type { Command, CommandKind, RuleSpec } from './ast';
import type { Backend } from './extension';
import type { Family } from './inet';
import { ruleFacts, type RuleFacts } from './ruleFacts';
import type { ChainNames } from './chainNames';

/** What the table state reads of a rule command (tableState.ts). */
export interface RuleInput {
  /** Facts with `jumpTo` the jump's chain name. */
  readonly facts: RuleFacts;
  /** The target is an extension (or verdict) even when written with -g. */
  readonly jumpIsExtension: boolean;
  /** Kernel rules the line adds: one per source × destination address. */
  readonly srcCount: number;
  readonly dstCount: number;
}

export interface RuleShape extends RuleInput {
  /** The line (or piece of an over-long line) as iptables reads it, for the re-parse of its full model. */
  readonly text: string;
  readonly hasNewline: boolean;
  /** Column of `text` in the document line. */
  readonly col0: number;
  /** The table, family and backend the line is read with (one object per table). */
  readonly source: RuleSource;
  readonly kind: CommandKind;
  readonly ruleNum: number | undefined;
  readonly chain: string | undefined;
  /** A jump (facts.jumpTo) written with -g. */
  readonly goto: boolean;
  /** Its tokens' columns (fast lines find them again when asked: few are ever read). */
  readonly cols: ShapeCols;
  /**
   * Set once iptables-nft's per-rule kernel checks (nftInitProblems) found
   * nothing for this line in its own chain: they depend on nothing else, so
   * a reparse skips them.
   */
  nftClean?: boolean;
}

export interface ShapeCols {
  readonly chainStart: number;
  readonly chainEnd: number;
  /** The command. */
  readonly start: number;
  readonly end: number;
  /** Of a jump to a chain: "-j NAME", and NAME. */
  readonly jumpStart: number;
  readonly jumpEnd: number;
  readonly nameStart: number;
  readonly nameEnd: number;
  /** The target (-1: none). */
  readonly targetStart: number;
  readonly targetEnd: number;
}

export interface RuleSource {
  readonly table: string;
  readonly family: Family;
  readonly backend: Backend;
}

/** How many kernel rules an address option makes. */
export function addrCount(a: RuleSpec['src']): number {
  return a ? Math.max(1, a.v4.length + a.v6.length + a.hostnames.length) : 1;
}

/**
 * The shape of a rule command the full parser produced (every span of a rule
 * command lies on its own line), with its chain names interned.
 */
export function shapeOfCommand(cmd: Command, rule: RuleSpec, piece: { readonly text: string; readonly hasNewline: boolean; readonly col0?: number }, source: RuleSource, jumpIsExtension: boolean, names: ChainNames): RuleShape {
  const j = cmd.jump;
  const jumpTo = j ? names.intern(j.chain) : undefined;
  const t = rule.target;
  return {
    facts: ruleFacts(rule, source.family, jumpTo),
    jumpIsExtension,
    srcCount: addrCount(rule.src),
    dstCount: addrCount(rule.dst),
    text: piece.text,
    hasNewline: piece.hasNewline,
    col0: piece.col0 ?? 0,
    source,
    kind: cmd.kind,
    ruleNum: cmd.ruleNum,
    chain: cmd.chain ? names.intern(cmd.chain.text) : undefined,
    goto: j?.goto ?? false,
    cols: {
      chainStart: cmd.chain ? cmd.chain.span.start.col : 0,
      chainEnd: cmd.chain ? cmd.chain.span.end.col : 0,
      start: cmd.span.start.col,
      end: cmd.span.end.col,
      jumpStart: j ? j.span.start.col : 0,
      jumpEnd: j ? j.span.end.col : 0,
      nameStart: j ? j.nameSpan.start.col : 0,
      nameEnd: j ? j.nameSpan.end.col : 0,
      targetStart: t ? t.span.start.col : -1,
      targetEnd: t ? t.span.end.col : -1,
    },
  };
}
