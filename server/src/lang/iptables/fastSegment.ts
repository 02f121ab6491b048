/**
 * The options of one module or target of a fast rule line ("-m tcp --dport
 * 80", "-j DNAT --to-destination 10.0.0.1:80"), typed by the extension's own
 * code exactly as ruleParser.ts runs it. A lone option goes straight through
 * the extension (init, guided parse, parse, final checks); longer segments
 * are parsed by ruleParser.ts on a short line of their own with the same
 * table and protocol, and kept per file: kube-proxy repeats "-m statistic
 * --mode random --probability 0.5" thousands of times. Whatever would fail
 * or warn there is left to the full path (undefined).
 */
import { span as mkSpan } from '../diagnostic';
import type { ExtensionUse } from './ast';
import type { AnyExtension, Backend } from './extension';
import type { Family } from './inet';
import { ParserOptionCall, type OptionCallHost } from './optionCall';
import { optionsByName, parseRuleLine } from './ruleParser';
import type { Token } from './tokenize';
import { utf8Length } from '../utf8';
import { guidedFinalCheck, guidedParse, hasGuidedConstraints, optionHasArg, parseProtocol, type ExtOption, type RuleParseState } from './xtoptions';

/** Segment results kept per file; beyond this many distinct segments, new ones are not kept. */
const MAX_SEGMENTS = 2_000;
const NO_SPAN = mkSpan(0, 0, 0);
const NONE: readonly never[] = [];

export class SegmentParser {
  /** Per table and protocol, by the segment's source text. */
  private readonly segments = new Map<string, Map<string, ExtensionUse | null>>();
  private segmentCount = 0;
  private lastState: RuleParseState | undefined;
  private lastSegments: { table: string; proto: string | undefined; protoInvert: boolean; byText: Map<string, ExtensionUse | null> } | undefined;

  constructor(
    private readonly family: Family,
    private readonly backend: Backend,
  ) {}

  /**
   * The segment `words[from..to)` (from "-m"/"-j" on); `line[srcFrom..srcTo)`
   * is its text (the same text is the same words).
   */
  use(spec: AnyExtension, words: readonly string[], from: number, to: number, line: string, srcFrom: number, srcTo: number, table: string, proto: string | undefined, protoInvert: boolean, kind: 'match' | 'target', wholeComment = false): ExtensionUse | undefined {
    const n = to - from;
    const w2 = n > 2 ? words[from + 2] : undefined;
    const w3 = n > 3 ? words[from + 3] : undefined;
    // Comments differ on every rule: their one option is a string kept whole below 256 bytes (libxt_comment).
    // A UTF-16 unit is at most 3 bytes of UTF-8: short comments need no count.
    if (kind === 'match' && spec.name === 'comment' && n === 4 && w2 === '--comment' && (w3!.length < 86 || utf8Length(w3!) < 256)) {
      // The load checks read none of its options; a model keeps the one it has, as the full parser does.
      const options = wholeComment ? [{ name: 'comment', invert: false, arg: w3!, span: NO_SPAN }] : NONE;
      return { name: 'comment', spec, data: { text: w3! }, options, nameSpan: NO_SPAN, span: NO_SPAN, implicit: false };
    }
    if (n <= 4 && w2 !== '!') {
      const use = directSegment(spec, w2, w3, this.state(table, proto, protoInvert), this.backend, kind);
      if (use !== undefined) return use ?? undefined;
    }
    const byText = this.segmentsFor(table, proto, protoInvert);
    const source = line.slice(srcFrom, srcTo);
    let seg = byText.get(source);
    if (seg === undefined) {
      seg = this.parseAlone(words.slice(from, to), table, proto, protoInvert, kind, spec);
      if (this.segmentCount++ < MAX_SEGMENTS) byText.set(source, seg);
    }
    return seg ?? undefined;
  }

  /** The segments kept for this table and protocol (the same map while they stay). */
  private segmentsFor(table: string, proto: string | undefined, protoInvert: boolean): Map<string, ExtensionUse | null> {
    const last = this.lastSegments;
    if (last && last.table === table && last.proto === proto && last.protoInvert === protoInvert) return last.byText;
    const context = `${table} ${protoInvert ? '!' : ''}${proto ?? ''}`;
    let byText = this.segments.get(context);
    if (!byText) this.segments.set(context, (byText = new Map()));
    this.lastSegments = { table, proto, protoInvert, byText };
    return byText;
  }

  /** The rule state extensions see (RuleParser.state()): the same object while table and protocol stay. */
  private state(table: string, proto: string | undefined, protoInvert: boolean): RuleParseState {
    const s = this.lastState;
    if (s && s.table === table && s.protocol === proto && s.protoInvert === protoInvert) return s;
    return (this.lastState = { family: this.family, table, protocol: proto, protoNum: proto === undefined ? undefined : parseProtocol(proto), protoInvert });
  }

  private parseAlone(words: readonly string[], table: string, proto: string | undefined, protoInvert: boolean, kind: 'match' | 'target', spec: AnyExtension): ExtensionUse | null {
    const argv = ['-A', 'X', ...(proto !== undefined ? [...(protoInvert ? ['!'] : []), '-p', proto] : []), ...words];
    let col = 0;
    const tokens: Token[] = argv.map((text) => {
      const t = { text, start: col, end: col + text.length, quoted: false };
      col += text.length + 1;
      return t;
    });
    const out = parseRuleLine({ tokens, line: 0, restoreLine: 1, table, family: this.family, backend: this.backend, span: mkSpan(0, 0, col) });
    if (out.kind !== 'command' || out.warnings.length || !out.command.rule) return null;
    const rule = out.command.rule;
    if (kind === 'match') {
      if (rule.matches.length !== 1 || rule.matches[0]!.spec !== spec || rule.target) return null;
      return rule.matches[0]!;
    }
    if (rule.matches.length !== 0 || rule.target?.kind !== 'extension' || rule.target.use.spec !== spec) return null;
    return rule.target.use;
  }
}

/** Thrown by the direct driver where the full parser would fail, warn or read further words. */
const DECLINE = Symbol('decline');
const decline = (): never => {
  throw DECLINE;
};
/** The call's view of "--opt VALUE" alone on a line: reading further, failing or warning declines. */
class DeclineHost implements OptionCallHost {
  readonly optind = 2;
  readonly invertNow = false;
  optName: string | undefined;
  value: string | undefined;
  state!: RuleParseState;
  argvAt(i: number): string | undefined {
    return i === 0 ? this.optName : i === 1 ? this.value : undefined;
  }
  advance = decline;
  failAt = decline;
  warnAt = decline;
  ruleState(): RuleParseState {
    return this.state;
  }
}
const host = new DeclineHost();
const sharedCall = new ParserOptionCall(host);

/**
 * "-m NAME [--opt VALUE]" / "-j NAME [--opt VALUE]" through the extension's
 * own code as RuleParser.dispatch() and finalCheck() run it: init, the
 * guided parse, parse, the final checks (and iptables-nft's build check for a
 * match). null: the full parser would fail or warn (take the full path);
 * undefined: not an option this driver handles.
 */
function directSegment(spec: AnyExtension, optName: string | undefined, value: string | undefined, state: RuleParseState, backend: Backend, kind: 'match' | 'target'): ExtensionUse | null | undefined {
  let o: ExtOption | undefined;
  if (optName !== undefined) {
    o = optionsByName(spec).get(optName.slice(2));
    if (!o || optionHasArg(o) !== (value === undefined ? 0 : 1)) return undefined;
  }
  try {
    const ext = { spec, data: spec.init(state), xflags: 0 };
    if (o) {
      const first = (spec.options as readonly ExtOption[]).find((x) => x.id === o!.id)!;
      host.optName = optName;
      host.value = value;
      host.state = state;
      const call = sharedCall;
      call.reset(ext, first, value, 0, value === undefined ? undefined : 1, NO_SPAN);
      if (!spec.oldApi) guidedParse(call);
      call.option = o;
      spec.parse?.(call);
      ext.xflags = call.xflags;
    }
    if (spec.finalCheck || (!spec.oldApi && hasGuidedConstraints(spec.options))) {
      spec.finalCheck?.({ data: ext.data, xflags: ext.xflags, rule: state, extName: spec.name, fail: decline, warn: decline });
      if (!spec.oldApi) guidedFinalCheck(spec.name, ext.xflags, spec.options as readonly ExtOption[], decline);
    }
    if (kind === 'match' && backend === 'nft' && spec.nftBuildCheck?.(ext.data, state)) return null;
    const options = o ? [{ name: o.name, invert: false, ...(value !== undefined ? { arg: value } : {}), span: NO_SPAN }] : NONE;
    return { name: spec.name, spec, data: ext.data, options, nameSpan: NO_SPAN, span: NO_SPAN, implicit: false };
  } catch {
    // DECLINE, or anything else an extension throws: the full parser decides.
    return null;
  }
}
