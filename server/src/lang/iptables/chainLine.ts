/**
 * A ":NAME POLICY [pkts:bytes]" line of the file model as one object: a
 * 170,000-rule kube-proxy dump declares 60,000 chains, and spans are built
 * from the columns when read.
 */
import { span as mkSpan, type Span } from '../diagnostic';
import type { ChainDecl, Named } from './ast';

/** A word of the line: its text and columns (within the line's text, before `col0`). */
export interface LineWord {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** The words most chain lines have, as one string each for the whole file. */
const COMMON: ReadonlyMap<string, string> = new Map(['-', 'ACCEPT', 'DROP', '[0:0]'].map((w) => [w, w]));

export class ChainLine implements ChainDecl {
  readonly nameText: string;
  readonly policyText: string | undefined;
  readonly countersText: string | undefined;
  /** Columns: name, policy, counters (start, end each; -1: no such word). */
  readonly nameStart: number;
  readonly nameEnd: number;
  readonly policyStart: number;
  readonly policyEnd: number;
  readonly countersStart: number;
  readonly countersEnd: number;

  constructor(
    readonly line: number,
    readonly restoreLine: number,
    readonly builtin: boolean,
    name: LineWord,
    policy: LineWord | undefined,
    counters: LineWord | undefined,
    /** Column of the text in the document line, the text's length before a NUL, and the whole text's. */
    private readonly col0: number,
    private readonly visibleLength: number,
    private readonly length: number,
  ) {
    this.nameText = name.text;
    this.nameStart = name.start;
    this.nameEnd = name.end;
    this.policyText = policy ? COMMON.get(policy.text) ?? policy.text : undefined;
    this.policyStart = policy ? policy.start : -1;
    this.policyEnd = policy ? policy.end : -1;
    this.countersText = counters ? COMMON.get(counters.text) ?? counters.text : undefined;
    this.countersStart = counters ? counters.start : -1;
    this.countersEnd = counters ? counters.end : -1;
  }

  /** The same line elsewhere (a reparse after lines above it changed), or in a table where its builtin flag differs. */
  movedTo(line: number, restoreLine: number, builtin: boolean): ChainLine {
    if (line === this.line && restoreLine === this.restoreLine && builtin === this.builtin) return this;
    const word = (text: string | undefined, start: number, end: number): LineWord | undefined => (text === undefined ? undefined : { text, start, end });
    return new ChainLine(line, restoreLine, builtin, word(this.nameText, this.nameStart, this.nameEnd)!, word(this.policyText, this.policyStart, this.policyEnd), word(this.countersText, this.countersStart, this.countersEnd), this.col0, this.visibleLength, this.length);
  }

  private at(from: number, to: number): Span {
    return mkSpan(this.line, from + this.col0, Math.max(from, to) + this.col0);
  }

  get name(): Named {
    return { text: this.nameText, span: this.at(this.nameStart, this.nameEnd) };
  }

  /** Without a policy word: empty, at the end of the line. */
  get policy(): Named {
    const t = this.policyText;
    return t !== undefined ? { text: t, span: this.at(this.policyStart, this.policyEnd) } : { text: '', span: this.at(this.visibleLength, this.visibleLength) };
  }

  get counters(): Named | undefined {
    const t = this.countersText;
    return t !== undefined ? { text: t, span: this.at(this.countersStart, this.countersEnd) } : undefined;
  }

  get span(): Span {
    return this.at(0, this.length);
  }

  toJSON(): ChainDecl {
    const c = this.counters;
    return { name: this.name, policy: this.policy, ...(c ? { counters: c } : {}), line: this.line, restoreLine: this.restoreLine, span: this.span, builtin: this.builtin };
  }
}
