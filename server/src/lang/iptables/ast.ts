/**
 * The typed model of an iptables-save / iptables-restore file.
 * Every element keeps the source span it came from (0-based lines/columns).
 */
import type { Span } from '../diagnostic';
import type { AnyExtension } from './extension';
import type { Cidr4, Cidr6, Family } from './inet';

export type CommandKind = 'A' | 'I' | 'D' | 'R' | 'C' | 'N' | 'X' | 'F' | 'Z' | 'P' | 'E' | 'L' | 'S';

export interface Named {
  readonly text: string;
  readonly span: Span;
}

export interface AddrSpec {
  readonly invert: boolean;
  readonly v4: readonly Cidr4[];
  readonly v6: readonly Cidr6[];
  /** Names resolved only when the rules are loaded (DNS). */
  readonly hostnames: readonly string[];
  readonly text: string;
  readonly span: Span;
}

export interface IfaceSpec {
  readonly name: string;
  readonly invert: boolean;
  /** Ends in "+": matches every name with that prefix. */
  readonly wildcard: boolean;
  readonly span: Span;
}

export interface ProtoSpec {
  /** As written, lower-cased like iptables does. */
  readonly text: string;
  readonly num: number;
  readonly invert: boolean;
  readonly span: Span;
}

export interface OptionUse {
  readonly name: string;
  readonly invert: boolean;
  readonly arg?: string;
  /** Words the option read after its argument ("--tcp-flags MASK COMP", "--match-set NAME FLAGS"). */
  readonly more?: readonly string[];
  /** The option token (with its leading "!" when inverted). */
  readonly span: Span;
  readonly argSpan?: Span;
}

export interface ExtensionUse<D = unknown> {
  readonly name: string;
  /** Undefined for an extension Netfilter Lens does not know. */
  readonly spec: AnyExtension | undefined;
  /** Parsed, typed options (shape defined by the spec). */
  readonly data: D;
  readonly options: readonly OptionUse[];
  /** `-m name` (or the implicit load by `-p`), or `-j NAME`. */
  readonly nameSpan: Span;
  /** From the name to the last option. */
  readonly span: Span;
  /** Loaded implicitly by `-p tcp --dport …`. */
  readonly implicit: boolean;
}

export type Verdict = 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE';
export const STANDARD_VERDICTS: readonly string[] = ['ACCEPT', 'DROP', 'RETURN', 'QUEUE'];

/** `-j CHAIN` / `-g CHAIN`. */
export interface JumpRef {
  readonly kind: 'jump';
  readonly chain: string;
  readonly goto: boolean;
  readonly span: Span;
  readonly nameSpan: Span;
}

export type TargetRef =
  | { readonly kind: 'verdict'; readonly name: Verdict; readonly span: Span }
  | JumpRef
  | { readonly kind: 'extension'; readonly use: ExtensionUse; readonly span: Span };

export interface RuleSpec {
  readonly src?: AddrSpec;
  readonly dst?: AddrSpec;
  readonly inIface?: IfaceSpec;
  readonly outIface?: IfaceSpec;
  readonly proto?: ProtoSpec;
  readonly fragment?: { readonly invert: boolean; readonly span: Span };
  readonly matches: readonly ExtensionUse[];
  /** Absent: a rule with no target only counts packets. */
  readonly target?: TargetRef;
  /** `[pkts:bytes]` prefix or `-c pkts bytes`. */
  readonly counters?: { readonly packets: string; readonly bytes: string; readonly span: Span };
}

export interface Command {
  readonly kind: CommandKind;
  /** 0-based document line. */
  readonly line: number;
  /** 1-based line as iptables-restore numbers it. */
  readonly restoreLine: number;
  readonly chain?: Named;
  readonly ruleNum?: number;
  readonly policy?: Named;
  readonly newName?: Named;
  /**
   * The rule of -A/-I/-R/-D/-C. Large files keep only the command: the rule
   * is parsed again from its line on first use, so read `hasRule`/`jump`
   * when they are enough.
   */
  readonly rule?: RuleSpec;
  readonly hasRule: boolean;
  /** The rule's jump or goto to a chain. */
  readonly jump?: JumpRef;
  /** The rule's target (-j/-g and its options): where load problems with the rule are shown. */
  readonly targetSpan?: Span;
  /** Span of the whole command text. */
  readonly span: Span;
}

export interface ChainDecl {
  readonly name: Named;
  readonly policy: Named;
  readonly counters?: Named;
  readonly line: number;
  readonly restoreLine: number;
  readonly span: Span;
  readonly builtin: boolean;
}

export interface TableBlock {
  readonly name: Named;
  readonly line: number;
  readonly chains: ChainDecl[];
  readonly commands: Command[];
  /** Line of COMMIT, if any. */
  commitLine?: number;
  /** Span from `*table` to COMMIT (or the last line of the block). */
  span: Span;
}

export interface Comment {
  readonly text: string;
  readonly line: number;
}

export interface IptablesFile {
  readonly family: Family;
  readonly tables: TableBlock[];
  readonly comments: Comment[];
  readonly lineCount: number;
}
