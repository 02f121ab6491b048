/**
 * The rules as the kernel holds them after a load: each table's chains with
 * their policies and rules, after -N/-X/-I/-D/-R/-F/-E/-P have been applied.
 * Built from the parsed file by restoreParser; read by the emulator.
 */
import type { Span } from '../diagnostic';
import type { Command, RuleSpec, TableBlock } from './ast';
import { renamedFacts, type RuleFacts } from './ruleFacts';
import type { Hook } from './extension';
import type { Family } from './inet';

/**
 * One kernel rule. Its model (`spec`) is the command's rule, parsed again on
 * first use; the load checks use `facts`, taken when the rule was added.
 */
export class LoadedRule {
  /** What few rules have (one field instead of four for the others). */
  private readonly rare: RareParts | undefined;

  constructor(
    /** The command that added it (its line, span, chain name token). */
    readonly command: Command,
    readonly chain: string,
    readonly facts: RuleFacts,
    srcIndex?: number,
    dstIndex?: number,
    jumpRenamedTo?: string,
  ) {
    this.rare = srcIndex === undefined && dstIndex === undefined && jumpRenamedTo === undefined ? undefined : { srcIndex, dstIndex, jumpRenamedTo, renamed: undefined };
  }

  /**
   * "-s a,b" / "-d c,d" add one kernel rule per address pair: which source
   * and destination address of the spec this rule has (absent: the only one).
   */
  get srcIndex(): number | undefined {
    return this.rare?.srcIndex;
  }

  get dstIndex(): number | undefined {
    return this.rare?.dstIndex;
  }

  /** Set when iptables-legacy's -E renamed the chain this rule jumps to. */
  private get jumpRenamedTo(): string | undefined {
    return this.rare?.jumpRenamedTo;
  }

  get spec(): RuleSpec {
    const rare = this.rare;
    const spec = this.command.rule!;
    return rare?.jumpRenamedTo === undefined ? spec : (rare.renamed ??= renamedJump(spec, rare.jumpRenamedTo));
  }

  /** spec as `models` read it (spans may be empty; nothing is kept). */
  specFrom(models: { of(c: Command): RuleSpec | undefined }): RuleSpec {
    const to = this.rare?.jumpRenamedTo;
    const spec = models.of(this.command)!;
    return to === undefined ? spec : renamedJump(spec, to);
  }

  /** This rule in chain `chain`, jumping to `jumpTo` (for renames). */
  moved(chain: string, jumpTo = this.facts.jumpTo): LoadedRule {
    const facts = jumpTo === this.facts.jumpTo ? this.facts : renamedFacts(this.facts, jumpTo!);
    const renamedTo = jumpTo === this.facts.jumpTo ? this.jumpRenamedTo : jumpTo;
    return new LoadedRule(this.command, chain, facts, this.srcIndex, this.dstIndex, renamedTo);
  }
}

/** The rule jumping to `chain` instead (its jump's target renamed by -E). */
function renamedJump(spec: RuleSpec, chain: string): RuleSpec {
  const t = spec.target;
  return t?.kind === 'jump' ? { ...spec, target: { ...t, chain } } : spec;
}

interface RareParts {
  readonly srcIndex: number | undefined;
  readonly dstIndex: number | undefined;
  readonly jumpRenamedTo: string | undefined;
  renamed: RuleSpec | undefined;
}

export interface LoadedChain {
  readonly name: string;
  readonly builtin: boolean;
  /** Policy of a built-in chain (ACCEPT when not set). */
  policy: 'ACCEPT' | 'DROP';
  /** Where the policy was set, if it was. */
  policySpan?: Span;
  /** Where the chain was declared (":NAME" or -N), if it was. */
  declSpan?: Span;
  declLine?: number;
  /**
   * iptables-nft: a built-in chain the file never declared, set a policy on
   * or added to does not exist in the kernel, so the table is skipped at its hook.
   */
  absent?: boolean;
  rules: LoadedRule[];
}

export interface LoadedTable {
  readonly name: string;
  readonly block: TableBlock;
  readonly chains: Map<string, LoadedChain>;
  /** The table's built-in chains, in hook order. */
  readonly builtins: readonly Hook[];
  /** False when the block had errors severe enough that iptables would not load it. */
  committed: boolean;
}

export interface Ruleset {
  readonly family: Family;
  readonly tables: Map<string, LoadedTable>;
}
