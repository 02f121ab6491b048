/**
 * The `struct xt_option_call` an extension's option parser receives
 * (libxtables xtoptions.c). One instance per rule parser, reset per option:
 * extensions read it synchronously and never keep it.
 */
import type { Span } from '../diagnostic';
import type { ExtOption, OptionCall, RuleParseState, XtVal } from './xtoptions';

/** The loaded extension instance a call works on. */
export interface CallExt {
  readonly spec: { readonly name: string };
  readonly data: unknown;
  xflags: number;
}

/** What the call needs from the rule parser. */
export interface OptionCallHost {
  readonly optind: number;
  readonly invertNow: boolean;
  argvAt(i: number): string | undefined;
  advance(ext: CallExt): void;
  failAt(message: string, code: string, at: number, hint?: string): never;
  warnAt(code: string, message: string, span: Span): void;
  ruleState(): RuleParseState;
}

/** The `struct xt_option_call` an extension's parser receives; reused per rule. */
export class ParserOptionCall implements OptionCall<unknown> {
  option!: ExtOption;
  arg: string | undefined;
  invert = false;
  val: XtVal = {};
  data: unknown;
  xflags = 0;
  rule!: RuleParseState;
  extName = '';
  private ext!: CallExt;
  private optIndex = 0;
  private argIndex: number | undefined;
  private span!: Span;

  constructor(private readonly p: OptionCallHost) {}

  reset(ext: CallExt, option: ExtOption, arg: string | undefined, optIndex: number, argIndex: number | undefined, span: Span): void {
    this.ext = ext;
    this.option = option;
    this.arg = arg;
    this.invert = this.p.invertNow;
    this.val = {};
    this.data = ext.data;
    this.xflags = ext.xflags;
    this.rule = this.p.ruleState();
    this.extName = ext.spec.name;
    this.optIndex = optIndex;
    this.argIndex = argIndex;
    this.span = span;
  }

  peekArg(): string | undefined {
    return this.p.argvAt(this.p.optind);
  }

  takeArg(): string {
    const a = this.p.argvAt(this.p.optind);
    if (a === undefined) return this.p.failAt(`option "--${this.option.name}" requires an argument`, 'missing-argument', this.optIndex);
    this.p.advance(this.ext);
    return a;
  }

  fail(message: string, hint?: string): never {
    const at = this.argIndex ?? this.optIndex;
    if (this.arg === '!') {
      return this.p.failAt(message, 'intrapositioned-negation', at,
        `"--${this.option.name} ! VALUE" is the pre-1.4.12 negation, which iptables no longer accepts: write "! --${this.option.name} VALUE".`);
    }
    return this.p.failAt(message, 'bad-value', at, hint);
  }

  warn(message: string, code = 'questionable-value'): void {
    this.p.warnAt(code, message, this.span);
  }
}

