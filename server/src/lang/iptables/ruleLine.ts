/**
 * A rule line as iptables-restore hands it to its rule parser: the
 * "[pkts:bytes]" prefix, the word split, the argv limits. Shared by the first
 * parse of a file and by the lazy re-parse of one rule (RuleCommand), which
 * must see exactly the same input.
 */
import { span as mkSpan, type Span } from '../diagnostic';
import type { Command, JumpRef, Named, RuleSpec, CommandKind } from './ast';
import type { Backend } from './extension';
import type { Family } from './inet';
import type { SourceLine } from './lines';
import { parseRuleLine, type RuleLineInput } from './ruleParser';
import type { RuleShape } from './ruleShape';
import { LoadedRule } from './ruleset';
import { parseCountersPrefix, tokenizeArgs, type Token } from './tokenize';

export interface LineProblem {
  readonly code: string;
  readonly message: string;
  readonly span: Span;
}

export type PreparedRuleLine =
  | { readonly kind: 'error'; readonly error: LineProblem }
  | { readonly kind: 'input'; readonly input: RuleLineInput; readonly warnings: readonly LineProblem[] };

/** A span on this line (or piece of an over-long line). */
export function pieceSpan(l: SourceLine, from = 0, to = l.text.length): Span {
  const c0 = l.col0 ?? 0;
  return mkSpan(l.index, from + c0, Math.max(from, to) + c0);
}

/** The text iptables sees: a C string ends at NUL. */
export function visibleText(l: SourceLine): string {
  const nul = l.text.indexOf('\0');
  return nul >= 0 ? l.text.slice(0, nul) : l.text;
}

export function prepareRuleLine(l: SourceLine, text: string, table: string, family: Family, backend: Backend): PreparedRuleLine {
  const rl = l.restoreLine;
  const warnings: LineProblem[] = [];
  const c = parseCountersPrefix(text, rl, l.hasNewline);
  if (c.kind === 'error') {
    const space = text.indexOf(' ');
    return { kind: 'error', error: { code: 'bad-counters', message: c.message, span: pieceSpan(l, 0, Math.max(1, space < 0 ? text.length : space)) } };
  }
  let from = 0;
  let limit = text.length;
  let counters: RuleSpec['counters'];
  if (c.kind === 'ok') {
    from = c.counters.restAt;
    if (c.counters.truncateAt !== undefined) {
      limit = c.counters.truncateAt;
      warnings.push({ code: 'counters-truncate', message: 'The counters prefix lacks ":" before "]": iptables cuts this rule at the first ":" after it.', span: pieceSpan(l, 0, c.counters.end) });
    }
    counters = { packets: c.counters.packets, bytes: c.counters.bytes, span: pieceSpan(l, 0, c.counters.end) };
    if (!/^\d+$/.test(c.counters.packets) || !/^\d+$/.test(c.counters.bytes)) {
      warnings.push({ code: 'bad-counters', message: 'Counters should be "[packets:bytes]" with two numbers; iptables-restore ignores them unless run with -c.', span: counters.span });
    }
  }
  const tk = tokenizeArgs(text.slice(0, limit), from, l.hasNewline && limit === text.length);
  if (tk.tooLong) {
    return { kind: 'error', error: { code: 'parameter-too-long', message: 'Parameter too long! (iptables reads at most 1023 bytes per word)', span: pieceSpan(l, tk.tooLong.start, tk.tooLong.end) } };
  }
  // MAX_ARGC (255) counts the program name, "-t", the table and the final NULL.
  if (tk.tokens.length > 255 - 4) {
    return { kind: 'error', error: { code: 'too-many-arguments', message: 'Parser cannot handle more arguments (at most 255 words per line)', span: pieceSpan(l) } };
  }
  if (tk.unterminatedQuoteAt !== undefined) {
    warnings.push({ code: 'unterminated-quote', message: 'The quote is never closed: everything to the end of the line, newline included, becomes one word.', span: pieceSpan(l, tk.unterminatedQuoteAt, text.length) });
  }
  const c0 = l.col0 ?? 0;
  const tokens: readonly Token[] = c0 ? tk.tokens.map((t) => ({ ...t, start: t.start + c0, end: t.end + c0 })) : tk.tokens;
  const cmdSpan = tokens.length ? mkSpan(l.index, tokens[0]!.start, tokens[tokens.length - 1]!.end) : pieceSpan(l);
  const input: RuleLineInput = { tokens, line: l.index, restoreLine: rl, table, family, backend, span: cmdSpan, ...(counters ? { counters } : {}) };
  return { kind: 'input', input, warnings };
}

/**
 * A rule command: its line numbers and its line's shape (ruleShape.ts).
 * Spans are built from the shape's columns when read, and the full rule
 * model is parsed again from the line on first use: a 170,000-rule dump then
 * keeps one small object per rule instead of its whole model.
 */
export class RuleCommand implements Command {
  private parsed: RuleSpec | undefined;
  /** The kernel rule it added the last time (a reparse that keeps the command keeps it too). */
  private loaded: LoadedRule | undefined;

  constructor(
    readonly line: number,
    readonly restoreLine: number,
    readonly shape: RuleShape,
  ) {}

  get hasRule(): true {
    return true;
  }

  /** Its one kernel rule in `chain` (see LoadedRule). */
  loadedIn(chain: string): LoadedRule {
    const r = this.loaded;
    if (r !== undefined && r.chain === chain && r.facts === this.shape.facts) return r;
    return (this.loaded = new LoadedRule(this, chain, this.shape.facts));
  }

  get kind(): CommandKind {
    return this.shape.kind;
  }

  get ruleNum(): number | undefined {
    return this.shape.ruleNum;
  }

  get chain(): Named | undefined {
    const s = this.shape;
    if (s.chain === undefined) return undefined;
    const c = s.cols;
    return { text: s.chain, span: mkSpan(this.line, c.chainStart, c.chainEnd) };
  }

  get span(): Span {
    const c = this.shape.cols;
    return mkSpan(this.line, c.start, c.end);
  }

  get jump(): JumpRef | undefined {
    const s = this.shape;
    const to = s.facts.jumpTo;
    if (to === undefined) return undefined;
    const c = s.cols;
    return { kind: 'jump', chain: to, goto: s.goto, span: mkSpan(this.line, c.jumpStart, c.jumpEnd), nameSpan: mkSpan(this.line, c.nameStart, c.nameEnd) };
  }

  get targetSpan(): Span | undefined {
    const c = this.shape.cols;
    return c.targetStart < 0 ? undefined : mkSpan(this.line, c.targetStart, c.targetEnd);
  }

  /** The command as plain data (the instance refers to its kernel rule, which refers back). */
  toJSON(): Command {
    const c = this.chain;
    const j = this.jump;
    const t = this.targetSpan;
    return { kind: this.kind, line: this.line, restoreLine: this.restoreLine, ...(c ? { chain: c } : {}), ...(this.ruleNum !== undefined ? { ruleNum: this.ruleNum } : {}), hasRule: true, ...(j ? { jump: j } : {}), span: this.span, ...(t ? { targetSpan: t } : {}) };
  }

  /** The full model, if it was parsed and kept already. */
  get keptRule(): RuleSpec | undefined {
    return this.parsed;
  }

  get rule(): RuleSpec | undefined {
    if (this.parsed) return this.parsed;
    const s = this.shape;
    const piece: SourceLine = { index: this.line, restoreLine: this.restoreLine, text: s.text, hasNewline: s.hasNewline, pieces: 1, offset: 0, col0: s.col0 };
    const p = prepareRuleLine(piece, visibleText(piece), s.source.table, s.source.family, s.source.backend);
    if (p.kind !== 'input') return undefined;
    const out = parseRuleLine(p.input);
    if (out.kind === 'command') this.parsed = out.command.rule;
    return this.parsed;
  }
}

