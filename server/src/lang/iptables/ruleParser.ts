/**
 * One rule line of an iptables-restore file, parsed as iptables' `do_parse()`
 * (iptables/xshared.c) parses the argv it builds: "-t TABLE" followed by the
 * line's tokens, getopt_long over a table of options that grows as matches
 * and targets are loaded, implicit protocol matches, "!" handling, and the
 * checks that follow the option loop. Never throws: the first failure, as
 * iptables would report it, becomes `error`.
 */
import type { Span } from '../diagnostic';
import { span as mkSpan } from '../diagnostic';
import type {
  AddrSpec,
  Command,
  ExtensionUse,
  IfaceSpec,
  Named,
  OptionUse,
  ProtoSpec,
  RuleSpec,
  TargetRef,
  Verdict,
} from './ast';
import { xtStrtoui } from './cnum';
import type { AnyExtension, Backend } from './extension';
import { findMatch, findTarget, matchOfOtherFamily } from './extensions/registry';
import { CODE_MISSING, CODE_NONOPTION, CODE_UNKNOWN, Getopt, type LongOption, type OptionLookup } from './getopt';
import { BASE_OPTS, CMD, cmdChar, commandKind, illegalOptions, INVERTIBLE, MAX_CHAIN_NAME, OPT, OPT_CHARS, optChar, SHORTS, XT_OPTION_OFFSET_SCALE } from './commandTable';
import { assertValidChainName, joinSpan, knownProviders, protoMatchName, UNKNOWN_SUMMARY, unknownExtensionSpec, utf8Len } from './ruleSupport';
import { ipparseMultiple4, ipparseMultiple6, type Family } from './inet';
import type { Token } from './tokenize';
import { ParserOptionCall, type CallExt, type OptionCallHost } from './optionCall';
import {
  LineAbort,
  guidedFinalCheck,
  guidedParse,
  hasGuidedConstraints,
  optionHasArg,
  parseProtocol,
  type ExtOption,
  type FinalCall,
  type RuleParseState,
} from './xtoptions';

export interface RuleLineInput {
  readonly tokens: readonly Token[];
  /** 0-based document line and 1-based restore line. */
  readonly line: number;
  readonly restoreLine: number;
  readonly table: string;
  readonly family: Family;
  readonly backend: Backend;
  /** Span of the whole command text (for errors about the rule as a whole). */
  readonly span: Span;
  readonly counters?: RuleSpec['counters'];
}

export interface LineWarning {
  readonly code: string;
  readonly message: string;
  readonly span: Span;
}

export interface RuleLineError {
  readonly code: string;
  readonly message: string;
  readonly span: Span;
  readonly hint?: string;
}

export type RuleLineOutcome =
  | { readonly kind: 'command'; readonly command: Command; readonly warnings: LineWarning[]; readonly jumpIsExtension: boolean; readonly otherFamily?: true }
  /** The line carries -6 (iptables-restore skips it) or -4 in ip6tables-restore. */
  | { readonly kind: 'skipped'; readonly warnings: LineWarning[] }
  /** `-h` / `-V`: iptables-restore prints and exits successfully right here. */
  | { readonly kind: 'exit'; readonly span: Span; readonly option: string; readonly warnings: LineWarning[] }
  | { readonly kind: 'error'; readonly error: RuleLineError; readonly warnings: LineWarning[] };

interface LoadedExt {
  readonly spec: AnyExtension;
  readonly offset: number;
  completed: boolean;
  readonly data: unknown;
  xflags: number;
  readonly options: OptionUse[];
  readonly nameSpan: Span;
  lastEnd: Span;
  readonly implicit: boolean;
  readonly isClone: boolean;
}

let globalOffset = 0;

const BASE_BY_NAME = new Map<string, LongOption>();
for (const o of BASE_OPTS) if (!BASE_BY_NAME.has(o.name)) BASE_BY_NAME.set(o.name, o);

const byNameCache = new WeakMap<AnyExtension, Map<string, ExtOption>>();
const byIdCache = new WeakMap<AnyExtension, Map<number, ExtOption>>();
/** An extension's options by name (first entry wins, as in getopt's table). */
export function optionsByName(spec: AnyExtension): Map<string, ExtOption> {
  let m = byNameCache.get(spec);
  if (!m) {
    m = new Map();
    for (const o of spec.options as readonly ExtOption[]) if (!m.has(o.name)) m.set(o.name, o);
    byNameCache.set(spec, m);
  }
  return m;
}
/** An extension's options by id (first entry wins, as libxtables looks them up). */
function optionsById(spec: AnyExtension): Map<number, ExtOption> {
  let m = byIdCache.get(spec);
  if (!m) {
    m = new Map();
    for (const o of spec.options as readonly ExtOption[]) if (!m.has(o.id)) m.set(o.id, o);
    byIdCache.set(spec, m);
  }
  return m;
}

class RuleParser implements OptionCallHost {
  private readonly argv: string[];
  private readonly getopt: Getopt;
  /** Loaded extensions whose options are merged into the getopt table, oldest first. */
  private readonly merged: LoadedExt[] = [];
  private readonly scratchOpt: { name: string; hasArg: 0 | 1 | 2; val: number } = { name: '', hasArg: 0, val: 0 };
  /** getopt's view of the merged option table (iptables' xt_params->opts). */
  private readonly lookup: OptionLookup = {
    exact: (name: string): LongOption | undefined => {
      const b = BASE_BY_NAME.get(name);
      if (b) return b;
      for (let i = this.merged.length - 1; i >= 0; i--) {
        const ext = this.merged[i]!;
        const o = optionsByName(ext.spec).get(name);
        if (o) {
          const s = this.scratchOpt;
          s.name = o.name;
          s.hasArg = optionHasArg(o);
          s.val = ext.offset + o.id;
          return s;
        }
      }
      return undefined;
    },
    list: (): readonly LongOption[] => {
      const out: LongOption[] = [...BASE_OPTS];
      for (let i = this.merged.length - 1; i >= 0; i--) {
        const ext = this.merged[i]!;
        for (const o of ext.spec.options as readonly ExtOption[]) out.push({ name: o.name, hasArg: optionHasArg(o), val: ext.offset + o.id });
      }
      return out;
    },
  };
  private readonly warnings: LineWarning[] = [];
  private readonly matches: LoadedExt[] = [];
  private target: LoadedExt | undefined;
  private jumpto = '';
  private jumpSpan: Span | undefined;
  private jumpNameSpan: Span | undefined;
  private gotoSet = false;
  private options = 0;
  private invflags = 0;
  private command = 0;
  private chain: Named | undefined;
  private ruleNum: number | undefined;
  private policy: Named | undefined;
  private newName: Named | undefined;
  private protocol: string | undefined;
  private protoSpan: Span | undefined;
  private protoNum: number | undefined;
  private protoUsed = false;
  private shost: { text: string; span: Span } | undefined;
  private dhost: { text: string; span: Span } | undefined;
  private inIface: IfaceSpec | undefined;
  private outIface: IfaceSpec | undefined;
  private fragmentSpan: Span | undefined;
  private setCounters: { packets: string; bytes: string; span: Span } | undefined;
  private tableSet = false;
  private invert = false;
  private invertSpan: Span | undefined;

  constructor(private readonly input: RuleLineInput) {
    const argv = ['iptables', '-t', input.table];
    for (const t of input.tokens) argv.push(t.text);
    this.argv = argv;
    this.getopt = new Getopt(this.argv, SHORTS);
  }

  /** Span of argv element `i` (the implicit "-t table" maps to the rule). */
  private argSpan(i: number): Span {
    const tok = this.input.tokens[i - 3];
    if (!tok) return this.input.span;
    return mkSpan(this.input.line, tok.start, tok.end);
  }

  private valueSpan(index: number | undefined, offset: number | undefined): Span {
    if (index === undefined) return this.input.span;
    const tok = this.input.tokens[index - 3];
    if (!tok) return this.input.span;
    // Offsets are into the unquoted text; map them when the token is plain.
    if (offset && !tok.quoted) return mkSpan(this.input.line, tok.start + offset, tok.end);
    return mkSpan(this.input.line, tok.start, tok.end);
  }

  private fail(message: string, code: string, at: number, hint?: string): never {
    throw new LineAbort(message, code, at, hint);
  }

  private cachedState: RuleParseState | undefined;
  private state(): RuleParseState {
    return (this.cachedState ??= {
      family: this.input.family,
      table: this.input.table,
      protocol: this.protocol,
      protoNum: this.protoNum,
      protoInvert: (this.invflags & OPT.PROTOCOL) !== 0,
    });
  }

  private addCommand(newCmd: number, other: number, at: number): void {
    if (this.invert) this.fail(`unexpected '!' flag`, 'bad-negation', at);
    if (this.command & ~other) {
      this.fail(`Cannot use -${cmdChar(newCmd)} with -${cmdChar(this.command & ~other)}`, 'conflicting-commands', at);
    }
    this.command |= newCmd;
  }

  private setOption(opt: number, at: number): void {
    if (this.options & opt) {
      this.fail(`multiple -${optChar(opt)} flags not allowed`, 'duplicate-option', at);
    }
    this.options |= opt;
    if (this.invert) {
      if (!INVERTIBLE.has(opt)) this.fail(`cannot have ! before -${optChar(opt)}`, 'bad-negation', at);
      this.invflags |= opt;
      this.cachedState = undefined;
    }
  }

  /** `xs_has_arg`: is the next argv element a plain argument? */
  private hasArg(): boolean {
    const a = this.argv[this.getopt.optind];
    return a !== undefined && a[0] !== '-' && a[0] !== '!';
  }

  private named(index: number, text?: string): Named {
    return { text: text ?? this.argv[index] ?? '', span: this.argSpan(index) };
  }

  private parseRuleNum(index: number): number {
    const text = this.argv[index] ?? '';
    const n = xtStrtoui(text, 1, 0x7fffffff);
    if (n === undefined) this.fail(`Invalid rule number \`${text}'`, 'bad-rule-number', index);
    return n;
  }

  private parseTargetName(name: string, at: number): string {
    if (name.length < 1) this.fail('Invalid target name (too short)', 'bad-target-name', at);
    if (utf8Len(name) > MAX_CHAIN_NAME) {
      this.fail(`Invalid target name \`${name}' (${MAX_CHAIN_NAME} chars max)`, 'name-too-long', at);
    }
    if (/[\s]/.test(name)) this.fail(`Invalid target name \`${name}'`, 'bad-target-name', at);
    return name;
  }

  private loadExtension(spec: AnyExtension, nameSpan: Span, implicit: boolean, list: 'match' | 'target'): LoadedExt {
    const previous = list === 'match' ? this.matches.find((m) => m.spec.name === spec.name && !m.isClone) : undefined;
    let offset: number;
    let isClone = false;
    if (previous) {
      isClone = true;
      offset = previous.offset;
    } else if (spec.options.length > 0) {
      globalOffset = (globalOffset + XT_OPTION_OFFSET_SCALE) % 0x40000000;
      offset = globalOffset + XT_OPTION_OFFSET_SCALE;
    } else {
      offset = -1;
    }
    if (list === 'match') for (const m of this.matches) if (m.spec.name === spec.name) m.completed = true;
    const loaded: LoadedExt = {
      spec,
      offset,
      completed: false,
      data: spec.init(this.state()),
      xflags: 0,
      options: [],
      nameSpan,
      lastEnd: nameSpan,
      implicit,
      isClone,
    };
    if (!isClone && offset >= 0) this.merged.push(loaded);
    return loaded;
  }

  private dispatch(ext: LoadedExt, code: number, optarg: string | undefined, optIndex: number, argIndex: number | undefined, argOffset: number | undefined, longName?: string): void {
    const id = code - ext.offset;
    // libxtables looks entries up by id, so an alias gets the first entry's
    // flags ("! --ttl 5" passes as --ttl-eq); we keep the spelling used for
    // messages and for parsers that read it (MARK, LOG).
    const first = optionsById(ext.spec).get(id);
    if (!first) this.fail(`Extension does not know id ${id}`, 'internal', optIndex);
    const spelled = longName !== undefined && longName !== first.name ? optionsByName(ext.spec).get(longName) : undefined;
    const option = spelled && spelled.id === id ? spelled : first;
    const optSpan = this.invertSpan ? joinSpan(this.invertSpan, this.argSpan(optIndex)) : this.argSpan(optIndex);
    const argSpan = argIndex !== undefined ? this.valueSpan(argIndex, argOffset) : undefined;
    const call = this.call;
    call.reset(ext, first, optarg, optIndex, argIndex, argSpan ?? optSpan);
    if (!ext.spec.oldApi) guidedParse(call);
    call.option = option;
    const next = this.getopt.optind;
    ext.spec.parse?.(call);
    ext.xflags = call.xflags;
    // Words the extension read beyond the argument (takeArg): part of the option, and of the use's span.
    const more = this.getopt.optind > next ? this.argv.slice(next, this.getopt.optind) : undefined;
    const use: OptionUse = argSpan
      ? { name: option.name, invert: this.invert, arg: optarg ?? '', ...(more ? { more } : {}), span: optSpan, argSpan }
      : { name: option.name, invert: this.invert, span: optSpan };
    ext.options.push(use);
    if (!more) ext.lastEnd = argSpan ?? optSpan;
  }

  /** One reusable option-call object per rule (extensions read it synchronously). */
  private readonly call = new ParserOptionCall(this);

  /** For ParserOptionCall. */
  argvAt(i: number): string | undefined {
    return this.argv[i];
  }
  get optind(): number {
    return this.getopt.optind;
  }
  advance(ext: CallExt): void {
    (ext as LoadedExt).lastEnd = this.argSpan(this.getopt.optind);
    this.getopt.optind++;
  }
  failAt(message: string, code: string, at: number, hint?: string): never {
    return this.fail(message, code, at, hint);
  }
  warnAt(code: string, message: string, span: Span): void {
    this.warnings.push({ code, message, span });
  }
  get invertNow(): boolean {
    return this.invert;
  }
  ruleState(): RuleParseState {
    return this.state();
  }

  /** `command_default`: an option no base case handled. */
  private commandDefault(code: number, optarg: string | undefined, optIndex: number, argIndex: number | undefined, argOffset: number | undefined, error: string | undefined, longName?: string): boolean {
    const t = this.target;
    if (t && t.offset >= 0 && code >= t.offset && code < t.offset + XT_OPTION_OFFSET_SCALE) {
      this.dispatch(t, code, optarg, optIndex, argIndex, argOffset, longName);
      return false;
    }
    for (const m of this.matches) {
      if (m.completed || m.offset < 0) continue;
      if (code < m.offset || code >= m.offset + XT_OPTION_OFFSET_SCALE) continue;
      this.dispatch(m, code, optarg, optIndex, argIndex, argOffset, longName);
      return false;
    }
    // Try loading the protocol's match (`-p tcp --dport 80`).
    if (this.protocol !== undefined && !this.protoUsed) {
      const name = protoMatchName(this.protocol);
      const spec = name ? findMatch(name, this.input.family) : undefined;
      if (spec) {
        this.protoUsed = true;
        this.matches.push(this.loadExtension(spec, this.protoSpan ?? this.input.span, true, 'match'));
        this.getopt.optind--;
        return true;
      }
    }
    const opt = this.argv[this.getopt.optind - 1] ?? '';
    if (code === CODE_MISSING) this.fail(`option "${opt}" requires an argument`, 'missing-argument', this.getopt.optind - 1);
    if (code === CODE_UNKNOWN) {
      const hint = this.unknownOptionHint(opt, error);
      this.fail(`unknown option "${opt}"`, 'unknown-option', this.getopt.optind - 1, hint);
    }
    return this.fail(`Unknown arg "${optarg ?? ''}"`, 'unknown-option', optIndex);
  }

  private unknownOptionHint(opt: string, error: string | undefined): string | undefined {
    const name = opt.replace(/^--?/, '').split('=')[0] ?? '';
    if (error === 'ambiguous') return `"--${name}" is an ambiguous abbreviation: spell the option out.`;
    if (error === 'no-arg-allowed') return `"--${name}" takes no argument.`;
    const providers = knownProviders(name, this.input.family);
    if (providers.length > 0) {
      const prov = providers.map((p) => `-m ${p}`).join(' or ');
      if (['sport', 'dport', 'source-port', 'destination-port'].includes(name) && !this.protocol) {
        return `"--${name}" belongs to a protocol match: add "-p tcp" (or udp) before it, or load ${prov}.`;
      }
      return `"--${name}" is an option of ${prov}, which must be loaded before it.`;
    }
    return undefined;
  }

  run(): RuleLineOutcome {
    try {
      const r = this.loop();
      if (r) return r;
      return this.finish();
    } catch (e) {
      if (e instanceof LineAbort) {
        const span = e instanceof ExtensionAbort ? e.at : e.argIndex < 0 ? this.input.span : this.argSpan(e.argIndex);
        const error: RuleLineError = e.hint !== undefined
          ? { code: e.code, message: e.message, span, hint: e.hint }
          : { code: e.code, message: e.message, span };
        return { kind: 'error', error, warnings: this.warnings };
      }
      throw e;
    }
  }

  private loop(): RuleLineOutcome | undefined {
    for (;;) {
      const r = this.getopt.next(this.lookup);
      if (r.code === -1) break;
      const code = r.code;
      const optIndex = r.optIndex;
      const optarg = r.optarg;
      const at = optIndex;
      switch (code) {
        case 65 /* A */:
          this.addCommand(CMD.APPEND, CMD.NONE, at);
          this.chain = this.named(r.optargIndex!, optarg);
          break;
        case 67 /* C */:
          this.addCommand(CMD.CHECK, CMD.NONE, at);
          this.chain = this.named(r.optargIndex!, optarg);
          break;
        case 68 /* D */:
          this.addCommand(CMD.DELETE, CMD.NONE, at);
          this.chain = this.named(r.optargIndex!, optarg);
          if (this.hasArg()) {
            this.ruleNum = this.parseRuleNum(this.getopt.optind++);
            this.command = CMD.DELETE_NUM;
          }
          break;
        case 82 /* R */:
          this.addCommand(CMD.REPLACE, CMD.NONE, at);
          this.chain = this.named(r.optargIndex!, optarg);
          if (this.hasArg()) this.ruleNum = this.parseRuleNum(this.getopt.optind++);
          else this.fail('-R requires a rule number', 'missing-argument', at);
          break;
        case 73 /* I */:
          this.addCommand(CMD.INSERT, CMD.NONE, at);
          this.chain = this.named(r.optargIndex!, optarg);
          if (this.hasArg()) this.ruleNum = this.parseRuleNum(this.getopt.optind++);
          else this.ruleNum = 1;
          break;
        case 76 /* L */:
        case 83 /* S */:
          this.addCommand(code === 76 /* L */ ? CMD.LIST : CMD.LIST_RULES, CMD.ZERO | CMD.ZERO_NUM, at);
          this.optionalChain(optarg, r.optargIndex);
          if (this.hasArg()) this.ruleNum = this.parseRuleNum(this.getopt.optind++);
          break;
        case 70 /* F */:
          this.addCommand(CMD.FLUSH, CMD.NONE, at);
          this.optionalChain(optarg, r.optargIndex);
          break;
        case 90 /* Z */:
          this.addCommand(CMD.ZERO, CMD.LIST | CMD.LIST_RULES, at);
          this.optionalChain(optarg, r.optargIndex);
          if (this.hasArg()) {
            this.ruleNum = this.parseRuleNum(this.getopt.optind++);
            this.command = CMD.ZERO_NUM;
          }
          break;
        case 78 /* N */:
          assertValidChainName(optarg ?? '', (m, c) => this.fail(m, c, r.optargIndex ?? at), this.input.family);
          this.addCommand(CMD.NEW_CHAIN, CMD.NONE, at);
          this.chain = this.named(r.optargIndex!, optarg);
          break;
        case 88 /* X */:
          this.addCommand(CMD.DELETE_CHAIN, CMD.NONE, at);
          this.optionalChain(optarg, r.optargIndex);
          break;
        case 69 /* E */:
          this.addCommand(CMD.RENAME_CHAIN, CMD.NONE, at);
          this.chain = this.named(r.optargIndex!, optarg);
          if (this.hasArg()) this.newName = this.named(this.getopt.optind++);
          else this.fail('-E requires old-chain-name and new-chain-name', 'missing-argument', at);
          break;
        case 80 /* P */:
          this.addCommand(CMD.SET_POLICY, CMD.NONE, at);
          this.chain = this.named(r.optargIndex!, optarg);
          if (this.hasArg()) this.policy = this.named(this.getopt.optind++);
          else this.fail('-P requires a chain and a policy', 'missing-argument', at);
          break;
        case 104 /* h */:
        case 86 /* V */:
          return { kind: 'exit', span: this.argSpan(at), option: code === 104 /* h */ ? '-h' : '-V', warnings: this.warnings };
        case 112 /* p */: {
          this.setOption(OPT.PROTOCOL, at);
          // iptables reads argv[optind - 1]: with the argument attached ("-ptcp"), the whole word.
          const raw = this.lastWord().toLowerCase();
          this.protocol = raw;
          this.cachedState = undefined;
          this.protoSpan = this.invertSpan ? joinSpan(this.invertSpan, this.argSpan(r.optargIndex!)) : joinSpan(this.argSpan(at), this.argSpan(r.optargIndex!));
          const num = parseProtocol(raw);
          if (num === undefined) this.fail(`unknown protocol "${raw}" specified`, 'bad-protocol', r.optargIndex!);
          this.protoNum = num;
          this.cachedState = undefined;
          if (num === 0 && (this.invflags & OPT.PROTOCOL) !== 0) this.fail('rule would never match protocol', 'never-matches', at);
          break;
        }
        case 115 /* s */:
        case 100 /* d */: {
          const opt = code === 115 /* s */ ? OPT.SOURCE : OPT.DESTINATION;
          this.setOption(opt, at);
          const spanOf = this.invertSpan ? joinSpan(this.invertSpan, this.argSpan(r.optargIndex!)) : joinSpan(this.argSpan(at), this.argSpan(r.optargIndex!));
          const v = { text: this.lastWord(), span: spanOf };
          if (opt === OPT.SOURCE) this.shost = v;
          else this.dhost = v;
          if (optarg === '!') this.intrapositionedHint(at);
          break;
        }
        case 103 /* g */:
          this.setOption(OPT.JUMP, at);
          this.gotoSet = true;
          this.jumpto = this.parseTargetName(optarg ?? '', r.optargIndex ?? at);
          this.jumpSpan = joinSpan(this.argSpan(at), this.argSpan(r.optargIndex ?? at));
          this.jumpNameSpan = this.argSpan(r.optargIndex ?? at);
          break;
        case 106 /* j */: {
          this.setOption(OPT.JUMP, at);
          this.jumpto = this.parseTargetName(this.lastWord(), r.optargIndex ?? at);
          this.jumpSpan = joinSpan(this.argSpan(at), this.argSpan(r.optargIndex ?? at));
          this.jumpNameSpan = this.argSpan(r.optargIndex ?? at);
          const spec = findTarget(this.jumpto, this.input.family);
          if (spec) this.target = this.loadExtension(spec, this.jumpSpan, false, 'target');
          break;
        }
        case 105 /* i */:
        case 111 /* o */: {
          if ((optarg ?? '') === '') this.fail('Empty interface is likely to be undesired', 'bad-interface', r.optargIndex ?? at);
          const arg = this.lastWord();
          const opt = code === 105 /* i */ ? OPT.VIANAMEIN : OPT.VIANAMEOUT;
          this.setOption(opt, at);
          if (utf8Len(arg) + 1 > 16) {
            this.fail(`interface name \`${arg}' must be shorter than IFNAMSIZ (15)`, 'interface-too-long', r.optargIndex ?? at);
          }
          const spanOf = this.invertSpan ? joinSpan(this.invertSpan, this.argSpan(r.optargIndex!)) : joinSpan(this.argSpan(at), this.argSpan(r.optargIndex!));
          if (/[/ ]/.test(arg)) {
            this.warnings.push({ code: 'weird-interface', message: `Interface \`${arg}' contains '/' or ' ', which the kernel does not allow in names: it can never match.`, span: spanOf });
          }
          if (arg === '!') this.intrapositionedHint(at);
          const iface: IfaceSpec = { name: arg, invert: (this.invflags & opt) !== 0, wildcard: arg.endsWith('+'), span: spanOf };
          if (opt === OPT.VIANAMEIN) this.inIface = iface;
          else this.outIface = iface;
          break;
        }
        case 102 /* f */:
          if (this.input.family === 'ipv6') this.fail("`-f' is not supported in IPv6, use -m frag instead", 'unsupported', at);
          this.setOption(OPT.FRAGMENT, at);
          this.fragmentSpan = this.invertSpan ? joinSpan(this.invertSpan, this.argSpan(at)) : this.argSpan(at);
          break;
        case 118 /* v */:
          // Only the first -v is an option (a "!" before it is refused); later ones just count.
          if (!(this.options & OPT.VERBOSE)) this.setOption(OPT.VERBOSE, at);
          break;
        case 109 /* m */: {
          if (this.invert) this.fail('unexpected ! flag before --match', 'bad-negation', at);
          const name = optarg ?? '';
          if (utf8Len(name) > MAX_CHAIN_NAME) {
            this.fail(`Invalid match name "${name}" (${MAX_CHAIN_NAME} chars max)`, 'name-too-long', r.optargIndex ?? at);
          }
          const spec = findMatch(name, this.input.family);
          const nameSpan = joinSpan(this.argSpan(at), this.argSpan(r.optargIndex ?? at));
          const foreign = spec ? undefined : matchOfOtherFamily(name, this.input.family);
          if (foreign) this.fail(`Couldn't load match \`${foreign}':No such file or directory`, 'wrong-family', r.optargIndex ?? at, `"${foreign}" is an ${this.input.family === 'ipv4' ? 'IPv6 (ip6tables)' : 'IPv4 (iptables)'} match.`);
          if (!spec) this.unknownMatch(name, nameSpan);
          else this.matches.push(this.loadExtension(spec, nameSpan, false, 'match'));
          break;
        }
        case 110 /* n */:
          this.setOption(OPT.NUMERIC, at);
          break;
        case 116 /* t */:
          if (this.invert) this.fail('unexpected ! flag before --table', 'bad-negation', at);
          if (this.tableSet) {
            this.fail('The -t option cannot be used in iptables-restore.', 'table-option-in-restore', at,
              'Rules take their table from the enclosing "*table" line: remove "-t" and move the rule into that table block.');
          }
          this.tableSet = true;
          break;
        case 120 /* x */:
          this.setOption(OPT.EXPANDED, at);
          break;
        case 119 /* w */:
        case 87 /* W */:
          this.fail(`You cannot use \`-${String.fromCharCode(code)}' from iptables-restore`, 'wait-option-in-restore', at);
          break;
        case 48 /* 0 */:
          this.setOption(OPT.LINENUMBERS, at);
          break;
        case 77 /* M */:
          break;
        case 99 /* c */: {
          this.setOption(OPT.COUNTERS, at);
          const pcnt = optarg ?? '';
          const comma = pcnt.indexOf(',', 1);
          let bcnt: string | undefined = comma >= 0 ? pcnt.slice(comma + 1) : undefined;
          let bIndex = r.optargIndex ?? at;
          if (bcnt === undefined && this.hasArg()) {
            bIndex = this.getopt.optind;
            bcnt = this.argv[this.getopt.optind++];
          }
          if (bcnt === undefined) this.fail('-c requires packet and byte counter', 'missing-argument', at);
          if (!/^\s*[+-]?\d/.test(pcnt)) this.fail('-c packet counter not numeric', 'bad-value', r.optargIndex ?? at);
          if (!/^\s*[+-]?\d/.test(bcnt)) this.fail('-c byte counter not numeric', 'bad-value', bIndex);
          this.setCounters = { packets: pcnt, bytes: bcnt, span: joinSpan(this.argSpan(at), this.argSpan(bIndex)) };
          break;
        }
        case 52 /* 4 */:
        case 54 /* 6 */:
          if (this.input.family === (code === 52 /* 4 */ ? 'ipv4' : 'ipv6')) break;
          // do_parse() returns at once: a command already parsed still runs, with what was read so far.
          if (!this.command) return { kind: 'skipped', warnings: this.warnings };
          return this.otherFamilyCommand();
        case CODE_NONOPTION: {
          if (optarg === '!') {
            if (this.invert) this.fail('multiple consecutive ! not allowed', 'bad-negation', r.optargIndex ?? at);
            this.invert = true;
            this.invertSpan = this.argSpan(r.optargIndex ?? at);
            this.argv[r.optargIndex ?? at] = '';
            continue;
          }
          this.badArgument(optarg ?? '', r.optargIndex ?? at);
          break;
        }
        default:
          if (this.commandDefault(code, optarg, optIndex, r.optargIndex, r.optargOffset, r.error, r.longName)) continue;
          break;
      }
      this.invert = false;
      this.invertSpan = undefined;
    }
    return undefined;
  }

  /** argv[optind - 1]: what -p/-s/-d/-i/-o/-j really read (the whole word when the value is attached). */
  private lastWord(): string {
    return this.argv[this.getopt.optind - 1] ?? '';
  }

  /** "-6" in iptables-restore (or "-4" in ip6tables-restore) after the command. */
  private otherFamilyCommand(): RuleLineOutcome {
    const isRuleCmd = (this.command & (CMD.APPEND | CMD.DELETE | CMD.CHECK | CMD.INSERT | CMD.REPLACE)) !== 0;
    const cmd: { -readonly [K in keyof Command]: Command[K] } = { kind: commandKind(this.command), line: this.input.line, restoreLine: this.input.restoreLine, span: this.input.span, hasRule: false };
    if (this.chain) cmd.chain = this.chain;
    if (this.ruleNum !== undefined) cmd.ruleNum = this.ruleNum;
    if (this.policy) cmd.policy = this.policy;
    if (this.newName) cmd.newName = this.newName;
    const rule = isRuleCmd && this.command !== CMD.DELETE_NUM ? this.buildRule(undefined, undefined) : undefined;
    withRule(cmd, rule);
    this.warnings.push({ code: 'other-family-line', message: `"${this.input.family === 'ipv4' ? '-6' : '-4'}" makes iptables stop reading this line here: ${isRuleCmd && this.command !== CMD.DELETE_NUM ? 'the rule is not added (or deleted)' : 'the command runs with what came before'}.`, span: this.input.span });
    return { kind: 'command', command: cmd, warnings: this.warnings, jumpIsExtension: !!this.target, otherFamily: true };
  }

  private optionalChain(optarg: string | undefined, optargIndex: number | undefined): void {
    if (optarg !== undefined) this.chain = { text: optarg, span: this.argSpan(optargIndex ?? 0) };
    else if (this.hasArg()) this.chain = this.named(this.getopt.optind++);
  }

  private intrapositionedHint(_at: number): void {
    // The failure comes with the next token ("Bad argument"); remember why.
    this.intrapositioned = true;
  }
  private intrapositioned = false;

  private badArgument(arg: string, at: number): never {
    const prev = this.argv[at - 1];
    if (this.intrapositioned || prev === '!' || prev === '') {
      this.fail(`Bad argument \`${arg}'`, 'intrapositioned-negation', at,
        'This is the pre-1.4.12 "-s ! ADDR" negation, which iptables no longer accepts: write "! -s ADDR".');
    }
    return this.fail(`Bad argument \`${arg}'`, 'bad-argument', at);
  }

  /** An `-m` we have no model of: keep its options, warn, keep going. */
  private unknownMatch(name: string, nameSpan: Span): void {
    const spec: AnyExtension = unknownExtensionSpec('match', name);
    this.warnings.push({
      code: 'unknown-match',
      message: `Match "${name}" is not one Netfilter Lens knows: iptables loads it only if the module exists on the host. Its options are kept as written and the emulator treats it as unknown.`,
      span: nameSpan,
    });
    this.matches.push(this.loadExtension(spec, nameSpan, false, 'match'));
    this.consumeUnknownOptions(this.matches[this.matches.length - 1]!);
  }

  /** Heuristic for unknown extensions: "--opt [value]" pairs until the next known option. */
  private consumeUnknownOptions(ext: LoadedExt): void {
    const known = new Set(this.lookup.list().map((o) => o.name));
    const argv = this.argv;
    for (;;) {
      let i = this.getopt.optind;
      let invert = false;
      if (argv[i] === '!' && argv[i + 1]?.startsWith('--')) {
        invert = true;
        i++;
      }
      const a = argv[i];
      if (!a || !a.startsWith('--')) return;
      const name = a.slice(2).split('=')[0] ?? '';
      if (known.has(name) || [...known].some((k) => k.startsWith(name) && name.length > 0 && BASE_OPTS.some((b) => b.name === k))) return;
      const optSpan = invert ? joinSpan(this.argSpan(i - 1), this.argSpan(i)) : this.argSpan(i);
      let arg: string | undefined;
      let argSpan: Span | undefined;
      if (a.includes('=')) arg = a.slice(a.indexOf('=') + 1);
      else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-') && argv[i + 1] !== '!') {
        arg = argv[i + 1]!;
        argSpan = this.argSpan(i + 1);
        i++;
      }
      ext.options.push(argSpan ? { name, invert, arg: arg ?? '', span: optSpan, argSpan } : arg !== undefined ? { name, invert, arg, span: optSpan } : { name, invert, span: optSpan });
      ext.lastEnd = argSpan ?? optSpan;
      this.getopt.optind = i + 1;
    }
  }

  private finish(): RuleLineOutcome {
    const isRuleCmd = (this.command & (CMD.APPEND | CMD.DELETE | CMD.CHECK | CMD.INSERT | CMD.REPLACE)) !== 0;
    if (this.input.table === 'nat' && (this.policy?.text === 'DROP' || this.jumpto === 'DROP')) {
      const at = this.policy?.text === 'DROP' ? this.policy.span : this.jumpSpan ?? this.input.span;
      throw new ExtensionAbort(new LineAbort('The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.', 'drop-in-nat', -1,
        'Filter in the filter table (or raw/mangle); nat rules only choose address translations.'), at);
    }
    for (const m of this.matches) this.finalCheck(m);
    if (this.target) this.finalCheck(this.target);
    if (this.getopt.optind < this.argv.length) {
      this.fail('unknown arguments found on commandline', 'bad-argument', this.getopt.optind);
    }
    if (!this.command) this.fail('no command specified', 'no-command', -1,
      this.input.tokens.length === 0 ? 'A line of only spaces or tabs is not an empty line for iptables-restore: delete the whitespace.' : undefined);
    if (this.invert) this.fail('nothing appropriate following !', 'bad-negation', -1);

    // post_parse: addresses (defaults 0/0 for rule commands).
    const src = this.parseAddr(this.shost, OPT.SOURCE);
    const dst = this.parseAddr(this.dhost, OPT.DESTINATION);
    const multi = (a: AddrSpec | undefined): boolean => !!a && a.v4.length + a.v6.length + a.hostnames.length > 1;
    if ((multi(src) || multi(dst)) && ((this.invflags & OPT.SOURCE) !== 0 || (this.invflags & OPT.DESTINATION) !== 0)) {
      this.fail('! not allowed with multiple source or destination IP addresses', 'bad-negation', -1);
    }
    if (this.command === CMD.REPLACE && (multi(src) || multi(dst))) {
      this.fail('Replacement rule does not specify a unique address', 'bad-argument', -1);
    }
    this.genericOptCheck();
    if (this.chain && utf8Len(this.chain.text) > MAX_CHAIN_NAME) {
      throw new LineAbort(`chain name \`${this.chain.text}' too long (must be under 29 chars)`, 'name-too-long', -1);
    }
    if (isRuleCmd && this.chain) {
      if ((this.chain.text === 'PREROUTING' || this.chain.text === 'INPUT') && this.options & OPT.VIANAMEOUT) {
        this.fail(`Can't use -o with ${this.chain.text}`, 'no-out-interface-here', -1,
          `${this.chain.text} sees packets before an output interface is chosen.`);
      }
      if ((this.chain.text === 'POSTROUTING' || this.chain.text === 'OUTPUT') && this.options & OPT.VIANAMEIN) {
        this.fail(`Can't use -i with ${this.chain.text}`, 'no-in-interface-here', -1,
          `${this.chain.text} sees locally generated or outgoing packets, which have no input interface here.`);
      }
    }
    // iptables-nft builds the nftables rule right away: its own checks fire here.
    if (this.input.backend === 'nft' && isRuleCmd) {
      for (const m of this.matches) {
        const msg = m.spec.nftBuildCheck?.(m.data, this.state());
        if (msg) throw new LineAbort(msg, 'nft-build', -1);
      }
    }
    const kind = commandKind(this.command);
    const rule = isRuleCmd ? this.buildRule(src, dst) : undefined;
    const cmd: { -readonly [K in keyof Command]: Command[K] } = { kind, line: this.input.line, restoreLine: this.input.restoreLine, span: this.input.span, hasRule: false };
    if (this.chain) cmd.chain = this.chain;
    if (this.ruleNum !== undefined) cmd.ruleNum = this.ruleNum;
    if (this.policy) cmd.policy = this.policy;
    if (this.newName) cmd.newName = this.newName;
    withRule(cmd, rule);
    return { kind: 'command', command: cmd, warnings: this.warnings, jumpIsExtension: !!this.target };
  }

  private finalCheck(ext: LoadedExt): void {
    if (!ext.spec.finalCheck && (ext.spec.oldApi || !hasGuidedConstraints(ext.spec.options))) return;
    const self = this;
    const call: FinalCall<unknown> = {
      data: ext.data,
      xflags: ext.xflags,
      rule: this.state(),
      extName: ext.spec.name,
      fail: (message: string, hint?: string): never => {
        throw new LineAbort(message, 'bad-value', -1, hint);
      },
      warn: (message: string, code = 'questionable-value') => {
        self.warnings.push({ code, message, span: joinSpan(ext.nameSpan, ext.lastEnd) });
      },
    };
    try {
      ext.spec.finalCheck?.(call);
      if (!ext.spec.oldApi) guidedFinalCheck(ext.spec.name, ext.xflags, ext.spec.options, call.fail);
    } catch (e) {
      if (e instanceof LineAbort) {
        // Blame the extension's text rather than the whole rule.
        throw new ExtensionAbort(e, joinSpan(ext.nameSpan, ext.lastEnd));
      }
      throw e;
    }
  }

  private parseAddr(h: { text: string; span: Span } | undefined, opt: number): AddrSpec | undefined {
    if (!h) return undefined;
    const invert = (this.invflags & opt) !== 0;
    if (this.input.family === 'ipv4') {
      const r = ipparseMultiple4(h.text);
      if (r.kind === 'error') throw new ExtensionAbort(new LineAbort(r.message, 'bad-address', -1), h.span);
      for (const name of r.hostnames) {
        this.warnings.push({ code: 'hostname', message: `"${name}" is a host name: iptables resolves it once, at load time, and stores the addresses it gets then (one rule per address).`, span: h.span });
      }
      return { invert, v4: r.cidrs, v6: [], hostnames: r.hostnames, text: h.text, span: h.span };
    }
    const r = ipparseMultiple6(h.text);
    if (r.kind === 'error') throw new ExtensionAbort(new LineAbort(r.message, 'bad-address', -1), h.span);
    for (const name of r.hostnames) {
      this.warnings.push({ code: 'hostname', message: `"${name}" is a host name: ip6tables resolves it once, at load time.`, span: h.span });
    }
    return { invert, v4: [], v6: r.cidrs, hostnames: r.hostnames, text: h.text, span: h.span };
  }

  private genericOptCheck(): void {
    const illegal = this.options & illegalOptions(this.command);
    if (!illegal) return;
    for (let i = 0; i < OPT_CHARS.length; i++) {
      if (illegal & (1 << i)) this.fail(`Illegal option \`-${OPT_CHARS[i]}' with this command`, 'illegal-option', -1);
    }
  }

  private buildRule(src: AddrSpec | undefined, dst: AddrSpec | undefined): RuleSpec {
    const toUse = (m: LoadedExt): ExtensionUse => ({
      name: m.spec.name,
      spec: m.spec.summary === UNKNOWN_SUMMARY ? undefined : m.spec,
      data: m.data,
      options: m.options,
      nameSpan: m.nameSpan,
      span: joinSpan(m.nameSpan, m.lastEnd),
      implicit: m.implicit,
    });
    let target: TargetRef | undefined;
    if (this.jumpto && this.jumpSpan) {
      if (this.target && !this.gotoSet) {
        if (['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(this.jumpto)) {
          target = { kind: 'verdict', name: this.jumpto as Verdict, span: this.jumpSpan };
        } else {
          const use = toUse(this.target);
          target = { kind: 'extension', use, span: use.span };
        }
      } else {
        target = { kind: 'jump', chain: this.jumpto, goto: this.gotoSet, span: this.jumpSpan, nameSpan: this.jumpNameSpan ?? this.jumpSpan };
      }
    }
    const proto: ProtoSpec | undefined = this.protocol !== undefined && this.protoSpan
      ? { text: this.protocol, num: this.protoNum ?? 0, invert: (this.invflags & OPT.PROTOCOL) !== 0, span: this.protoSpan }
      : undefined;
    // Plain assignments: this runs once per rule of very large dumps.
    const rule: { -readonly [K in keyof RuleSpec]: RuleSpec[K] } = { matches: this.matches.map(toUse) };
    if (src) rule.src = src;
    if (dst) rule.dst = dst;
    if (this.inIface) rule.inIface = this.inIface;
    if (this.outIface) rule.outIface = this.outIface;
    if (proto) rule.proto = proto;
    if (this.fragmentSpan) rule.fragment = { invert: (this.invflags & OPT.FRAGMENT) !== 0, span: this.fragmentSpan };
    if (target) rule.target = target;
    const counters = this.setCounters ?? this.input.counters;
    if (counters) rule.counters = counters;
    return rule;
  }
}

/** A failure to be shown on an extension's or address's own text. */
class ExtensionAbort extends LineAbort {
  constructor(inner: LineAbort, readonly at: Span) {
    super(inner.message, inner.code, -1, inner.hint);
  }
}

function withRule(cmd: { -readonly [K in keyof Command]: Command[K] }, rule: RuleSpec | undefined): void {
  if (!rule) return;
  cmd.rule = rule;
  cmd.hasRule = true;
  if (rule.target?.kind === 'jump') cmd.jump = rule.target;
}

export function parseRuleLine(input: RuleLineInput): RuleLineOutcome {
  const p = new RuleParser(input);
  const out = p.run();
  return out;
}

/** Re-export for callers that map ExtensionAbort spans. */
export { ExtensionAbort };
export { assertValidChainName, joinSpan, MAX_CHAIN_NAME, utf8Len };
