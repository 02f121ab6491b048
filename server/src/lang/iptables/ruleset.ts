/**
 * The rules as the kernel holds them after a load: each table's chains with
 * their policies and rules, after -N/-X/-I/-D/-R/-F/-E/-P have been applied.
 * Built from the parsed file by restoreParser; read by the emulator.
 */
import type { Span } from '../diagnostic';
import type { Command, RuleSpec, TableBlock } from './ast';
import type { Hook } from './extension';
import type { Family } from './inet';
import type { KernelSummary } from './kernelChecks';

export interface LoadedRule {
  readonly spec: RuleSpec;
  /** The command that added it (its line, span, chain name token). */
  readonly command: Command;
  readonly chain: string;
  /**
   * "-s a,b" / "-d c,d" add one kernel rule per address pair: which source
   * and destination address of the spec this rule has (absent: the only one).
   */
  readonly srcIndex?: number;
  readonly dstIndex?: number;
  /** Memo of the load checks (kernelChecks.ts), filled on first use. */
  kernel?: KernelSummary;
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
