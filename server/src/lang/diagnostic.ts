/**
 * Diagnostics shared by every parser and analysis. Pure data: no LSP types.
 * Lines and columns are 0-based; columns count UTF-16 code units like LSP.
 */

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface Span {
  readonly start: Position;
  readonly end: Position;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface RelatedInfo {
  readonly span: Span;
  readonly message: string;
  /** In another document (absent: the same one). */
  readonly uri?: string;
  /** For a rule no packet reaches: whether this earlier rule takes its packets or rewrites them on the way. */
  readonly role?: 'takes' | 'changes';
}

/** A text edit suggested by a quick fix. */
export interface TextEdit {
  readonly span: Span;
  readonly newText: string;
}

export interface QuickFix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
}

export interface Diagnostic {
  /** Stable identifier, documented in the README (e.g. `unknown-option`). */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related?: readonly RelatedInfo[];
  readonly fixes?: readonly QuickFix[];
  /** A concrete packet that shows the finding (reachability: one the rule would match, and where it goes instead). */
  readonly example?: { readonly text: string; readonly packet: Readonly<Record<string, string | number | boolean>> };
  /**
   * For errors that mirror an iptables-restore failure: the 1-based line the
   * chosen backend names in its own message, and the line at which it stops
   * reading (parse errors stop at their line, commit-time errors at COMMIT).
   */
  readonly restore?: {
    readonly reportedLine: number;
    readonly detectedAtLine: number;
    /** Order among errors found at the same point (iptables checks in a fixed order). */
    readonly seq?: number;
  };
}

/**
 * A span as four numbers: parsers create one per token of 170,000-rule
 * dumps, so it is one object; `start`/`end` are built when read.
 */
class CompactSpan implements Span {
  constructor(
    readonly line: number,
    readonly col: number,
    readonly endLine: number,
    readonly endCol: number,
  ) {}
  get start(): Position {
    return { line: this.line, col: this.col };
  }
  get end(): Position {
    return { line: this.endLine, col: this.endCol };
  }
  toJSON(): { start: Position; end: Position } {
    return { start: this.start, end: this.end };
  }
}

export function span(line: number, col: number, endCol: number, endLine = line): Span {
  return new CompactSpan(line, col, endLine, endCol);
}

/** A span from two positions. */
export function spanOf(start: Position, end: Position): Span {
  return new CompactSpan(start.line, start.col, end.line, end.col);
}

export function lineSpan(line: number, length: number): Span {
  return span(line, 0, length);
}

export interface Parsed<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}
