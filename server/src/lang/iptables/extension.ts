/**
 * What a match or target extension is, as the rule parser, the load checks
 * and the emulator see it. One file per extension under matches/ and targets/;
 * the registry (extensions/registry.ts) lists them in a literal table.
 */
import type { Family } from './inet';
import type { ExtOption, FinalCall, OptionCall, RuleParseState } from './xtoptions';

/** Netfilter hooks (IPv4/IPv6). */
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
export const HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

export type Backend = 'nft' | 'legacy';

/** The rule a kernel-side check looks at (xt_check_match/xt_check_target). */
export interface KernelCheckContext<D> {
  readonly data: D;
  readonly table: string;
  /** Hooks from which the rule can be reached; empty when unreachable. */
  readonly hooks: ReadonlySet<Hook>;
  readonly family: Family;
  /** The rule's `-p` number (0 = any) and whether it was negated. */
  readonly protoNum: number;
  readonly protoInvert: boolean;
  readonly backend: Backend;
  /** Names of the rule's matches, for targets that depend on them. */
  readonly matchNames: readonly string[];
  /** The rule's matches with their parsed data (xt_ematch_foreach), in order. */
  readonly matches: readonly { readonly name: string; readonly data: unknown }[];
}

export interface KernelRestrictions<D> {
  /** Table the kernel module is registered for (xt_target.table). */
  readonly table?: string;
  /** Hooks it may be used from (xt_*.hooks). */
  readonly hooks?: readonly Hook[];
  /** Protocol it needs (xt_*.proto), not inverted. */
  readonly proto?: number;
  /** The module's checkentry(): an error explanation, or undefined. */
  check?(ctx: KernelCheckContext<D>): string | undefined;
}

export interface ExtensionSpec<D = unknown> {
  readonly kind: 'match' | 'target';
  readonly name: string;
  /** Restricted to one family (e.g. icmp is IPv4 only). */
  readonly family?: Family;
  /** Old getopt API: `parse` sees every option and does all checks itself. */
  readonly oldApi?: boolean;
  readonly options: readonly ExtOption[];
  /** One line of plain words for hover and completion. */
  readonly summary: string;
  init(rule: RuleParseState): D;
  /** Guided API: runs after the generic parse of the option. */
  parse?(call: OptionCall<D>): void;
  finalCheck?(call: FinalCall<D>): void;
  readonly kernel?: KernelRestrictions<D>;
  /**
   * iptables-nft turns some matches and targets (NFLOG, TRACE) into native
   * nftables expressions, which skip the kernel's xt checks; returns true
   * when this instance is native.
   */
  nftNative?(data: D): boolean;
  /** iptables-nft's own check when building the rule (at parse time). */
  nftBuildCheck?(data: D, rule: RuleParseState): string | undefined;
  /** Canonical iptables-save text of the options (without `-m name`/`-j name`). */
  save?(data: D): string;
  /** Plain words: what this instance matches or does. */
  describe?(data: D): string;
}

/** Erases the data type for tables holding heterogeneous specs. */
export type AnyExtension = ExtensionSpec<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function defineExtension<D>(spec: ExtensionSpec<D>): ExtensionSpec<D> {
  return spec;
}
