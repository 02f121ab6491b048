/**
 * A fast path for the rule lines iptables-save writes ("-A CHAIN [! -s A]
 * [! -d A] [-i IF] [-o IF] [-p P] (-m NAME --opt V…)* [-j|-g TARGET …]").
 * A 170,000-rule dump is almost only such lines; running each through the
 * getopt model of ruleParser.ts cost about half of a load check's time.
 *
 * It answers only where the answer is certain to be the faithful parser's:
 * any line outside that shape (abbreviations, repeated modules, "--opt=v",
 * values that look like options, warnings, counters, IPv6…) returns
 * undefined and takes the full path. Each module's or target's options are
 * parsed by the extension's own code (fastSegment.ts). What comes out
 * is the line's shape (ruleShape.ts): what the table state and the load
 * checks read (the command, its jump, the facts); the rule's full model is
 * parsed again from its line on first use (RuleCommand).
 *
 * test/unit/lang/fastRuleLine.test.ts holds it against the full path.
 */
import { span as mkSpan } from '../diagnostic';
import type { AddrSpec, ExtensionUse, IfaceSpec, RuleSpec, TargetRef, Verdict } from './ast';
import type { AnyExtension, Backend } from './extension';
import { findMatch, findTarget } from './extensions/registry';
import { ipparseMultiple4, type Cidr4, type Family } from './inet';
import type { SourceLine } from './lines';
import { MAX_CHAIN_NAME } from './commandTable';
import { optionHasArg, parseProtocol } from './xtoptions';
import { SegmentParser } from './fastSegment';
import { optionsByName } from './ruleParser';
import { CompactFacts, ruleFactsWith, type KernelUse, type RareFacts } from './ruleFacts';
import type { RuleShape, RuleSource, ShapeCols } from './ruleShape';
import type { RuleFacts } from './ruleFacts';
import { ChainNames } from './chainNames';


const VERDICTS: ReadonlySet<string> = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);
const MAX_LINE = 4000;
const MAX_TOKENS = 200;

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 126 || s.charCodeAt(i) < 33) return false;
  return true;
};

export class FastRuleLines {
  private readonly segments: SegmentParser;
  /** Token boundaries of the current line (reused: no allocation per token). */
  private starts = new Int32Array(MAX_TOKENS);
  private ends = new Int32Array(MAX_TOKENS);
  private quoted = new Uint8Array(MAX_TOKENS);
  private words: string[] = [];
  private count = 0;
  private text = '';
  private source: RuleSource | undefined;
  /** The last chain name that passed the checks (interned). */
  private lastChain: string | undefined;
  /** What read() found besides the model: the chain, the shape's bits. */
  private readChain = '';
  private readBits = 0;

  constructor(
    private readonly family: Family,
    private readonly backend: Backend,
    private readonly names = new ChainNames(),
    /** A reader of models (model()): interface names and every option are kept, where parse() keeps only what the load checks read. */
    private readonly keepModel = false,
  ) {
    this.segments = new SegmentParser(family, backend);
  }

  /** The rule of an "-A" line in iptables-save's own shape, or undefined to take the full path. */
  parse(l: SourceLine, text: string, table: string): RuleShape | undefined {
    const rule = this.read(l, text, table);
    if (!rule) return undefined;
    const target = rule.target;
    const jumpTo = target?.kind === 'jump' ? target.chain : undefined;
    const source = this.sourceOf(table);
    const chainName = this.readChain;
    const shapeBits = this.readBits;
    return ruleFactsWith(rule, this.family, jumpTo, (j, v, pt, u, b, r) => new FastShape(j, v, pt, u, b, r, l.text, source, chainName, shapeBits));
  }

  /**
   * The rule model of a line parse() accepts, as the full parser makes it but without spans
   * (every span is empty): what the emulator compiles, at a fraction of the full parse's cost.
   * Only on a reader made with `keepModel`.
   */
  model(l: SourceLine, text: string, table: string): RuleSpec | undefined {
    // (A reader made for the load checks drops what a model needs.)
    return this.keepModel ? this.read(l, text, table) : undefined;
  }

  private read(l: SourceLine, text: string, table: string): RuleSpec | undefined {
    if (this.family !== 'ipv4' || l.pieces > 1 || l.col0 || text.length > MAX_LINE || !this.scan(text)) return undefined;
    const n = this.count;
    if (n < 2 || this.tok(0) !== '-A' || this.quoted[1]) return undefined;
    const chainName = this.intern(this.tok(1));
    // Consecutive rules name the same chain: checked once.
    if (chainName !== this.lastChain) {
      if (chainName.length > MAX_CHAIN_NAME || !isAscii(chainName) || chainName[0] === '-' || chainName[0] === '!') return undefined;
      this.lastChain = chainName;
    }
    let src: AddrSpec | undefined;
    let dst: AddrSpec | undefined;
    let inIface: IfaceSpec | undefined;
    let outIface: IfaceSpec | undefined;
    let protoText: string | undefined;
    let protoNum = 0;
    let protoInvert = false;
    const matches: ExtensionUse[] = [];
    let target: TargetRef | undefined;
    /** Token indexes of -j/-g and of the target's last word. */
    let jumpAt = -1;
    let targetEnd = -1;
    let jumpIsExtension = false;
    let invert = false;
    let i = 2;
    while (i < n) {
      const t = this.tok(i);
      if (this.quoted[i]) return undefined;
      if (t === '!') {
        if (invert) return undefined;
        invert = true;
        i++;
        continue;
      }
      // Base options come first, each once, and take a plain value.
      const value = i + 1 < n && !this.quoted[i + 1] ? this.tok(i + 1) : undefined;
      const plainValue = value !== undefined && value[0] !== '-' && value !== '!';
      if (t === '-s' || t === '-d') {
        if (matches.length || target || !plainValue || (t === '-s' ? src : dst)) return undefined;
        const v4 = this.cidrs(value);
        if (!v4) return undefined;
        const spec: AddrSpec = { invert, v4, v6: NONE, hostnames: NONE, text: value, span: NO_SPAN };
        if (t === '-s') src = spec;
        else dst = spec;
      } else if (t === '-i' || t === '-o') {
        if (matches.length || target || !plainValue || value.length > 15 || !isAscii(value) || value.includes('/') || (t === '-i' ? inIface : outIface)) return undefined;
        if (t === '-i' && (chainName === 'POSTROUTING' || chainName === 'OUTPUT')) return undefined;
        if (t === '-o' && (chainName === 'PREROUTING' || chainName === 'INPUT')) return undefined;
        const iface = this.keepModel ? { name: value, invert, wildcard: value.endsWith('+'), span: NO_SPAN } : PRESENT_IFACE;
        if (t === '-i') inIface = iface;
        else outIface = iface;
      } else if (t === '-p') {
        if (matches.length || target || !plainValue || protoText !== undefined) return undefined;
        const raw = value.toLowerCase();
        const num = parseProtocol(raw);
        if (num === undefined || (num === 0 && invert)) return undefined;
        protoText = raw;
        protoNum = num;
        protoInvert = invert;
      } else if (t === '-m') {
        if (invert || target || !plainValue) return undefined;
        // Extension names are ASCII and short: a name found needs no other check.
        const spec = findMatch(value, this.family);
        if (!spec || matches.some((m) => m.name === spec.name)) return undefined;
        const end = this.segmentEnd(spec, i + 2);
        if (end < 0) return undefined;
        const use = this.segments.use(spec, this.words, i, end, this.text, this.starts[i]!, this.ends[end - 1]!, table, protoText, protoInvert, 'match', this.keepModel);
        if (!use) return undefined;
        matches.push(use);
        i = end;
        continue;
      } else if (t === '-j' || t === '-g') {
        if (invert || target || !plainValue) return undefined;
        const spec = t === '-j' ? findTarget(value, this.family) : undefined;
        if (!spec && (!isAscii(value) || value.length > MAX_CHAIN_NAME)) return undefined;
        jumpAt = i;
        targetEnd = i + 1;
        if (!spec) {
          if (i + 2 !== n) return undefined;
          target = { kind: 'jump', chain: this.intern(value), goto: t === '-g', span: NO_SPAN, nameSpan: NO_SPAN };
          i = n;
          continue;
        }
        jumpIsExtension = true;
        if (VERDICTS.has(value)) {
          if (i + 2 !== n || (table === 'nat' && value === 'DROP')) return undefined;
          target = { kind: 'verdict', name: value as Verdict, span: NO_SPAN };
          i = n;
          continue;
        }
        const end = this.segmentEnd(spec, i + 2);
        if (end !== n) return undefined;
        const use = this.segments.use(spec, this.words, i, end, this.text, this.starts[i]!, this.ends[end - 1]!, table, protoText, protoInvert, 'target');
        if (!use) return undefined;
        targetEnd = end - 1;
        target = { kind: 'extension', use, span: NO_SPAN };
        i = n;
        continue;
      } else return undefined;
      invert = false;
      i += 2;
    }
    if (invert) return undefined;
    const rule: { -readonly [K in keyof RuleSpec]: RuleSpec[K] } = { matches };
    if (src) rule.src = src;
    if (dst) rule.dst = dst;
    // The load checks read only that there is one (PRESENT_IFACE); model() keeps them whole.
    if (inIface) rule.inIface = inIface;
    if (outIface) rule.outIface = outIface;
    if (protoText !== undefined) rule.proto = { text: protoText, num: protoNum, invert: protoInvert, span: NO_SPAN };
    if (target) rule.target = target;
    const bits = (l.hasNewline ? NEWLINE : 0) | (target?.kind === 'jump' && target.goto ? GOTO : 0) | (jumpIsExtension ? JUMP_IS_EXTENSION : 0);
    this.readChain = chainName;
    this.readBits = bits | ((jumpAt + 1) << JUMP_AT_SHIFT) | ((targetEnd + 1) << TARGET_END_SHIFT);
    return rule;
  }

  private sourceOf(table: string): RuleSource {
    const last = this.source;
    if (last?.table === table) return last;
    return (this.source = { table, family: this.family, backend: this.backend });
  }

  /** One string per chain name for what the parse keeps; a model is read and let go (interning cost its reader a third of its time). */
  private intern(name: string): string {
    return this.keepModel ? name : this.names.intern(name);
  }

  /** Splits like tokenizeArgs() for lines without escapes, NUL, CR or quotes inside words; false otherwise. */
  private scan(text: string): boolean {
    this.text = text;
    // Backslashes, NUL and CR are refused wherever they are (every other character is in a word or a blank).
    if (text.indexOf('\\') >= 0 || text.indexOf('\0') >= 0 || text.indexOf('\r') >= 0) return false;
    if (text.indexOf('\t') >= 0) return this.scanChars(text);
    // Words separated by spaces only: found with indexOf.
    const len = text.length;
    let k = 0;
    let i = 0;
    let quote = text.indexOf('"');
    while (i < len) {
      if (text.charCodeAt(i) === 32) {
        i++;
        continue;
      }
      if (k === MAX_TOKENS) return false;
      const start = i;
      if (i === quote) {
        const close = text.indexOf('"', i + 1);
        if (close < 0 || close - start > 300) return false;
        i = close + 1;
        if (i < len && text.charCodeAt(i) !== 32) return false;
        quote = text.indexOf('"', i);
        this.quoted[k] = 1;
        this.words[k] = text.slice(start + 1, i - 1);
      } else {
        let end = text.indexOf(' ', i);
        if (end < 0) end = len;
        if (quote >= 0 && quote < end) return false;
        if (end - start > 300) return false;
        i = end;
        this.quoted[k] = 0;
        this.words[k] = text.slice(start, i);
      }
      this.starts[k] = start;
      this.ends[k] = i;
      k++;
    }
    this.count = k;
    return true;
  }

  /** The same split character by character, for lines with tabs. */
  private scanChars(text: string): boolean {
    const len = text.length;
    let k = 0;
    let i = 0;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9) {
        i++;
        continue;
      }
      if (k === MAX_TOKENS) return false;
      const start = i;
      if (c === 34) {
        const close = text.indexOf('"', i + 1);
        if (close < 0 || close - start > 300) return false;
        for (let j = i + 1; j < close; j++) {
          const d = text.charCodeAt(j);
          if (d === 92 || d === 0 || d === 13 || d === 10) return false;
        }
        i = close + 1;
        if (i < len && text.charCodeAt(i) !== 32 && text.charCodeAt(i) !== 9) return false;
        this.quoted[k] = 1;
      } else {
        while (i < len) {
          const d = text.charCodeAt(i);
          if (d === 32 || d === 9) break;
          if (d === 34 || d === 0 || d === 13 || d === 92 || d === 10) return false;
          i++;
        }
        if (i - start > 300) return false;
        this.quoted[k] = 0;
      }
      this.starts[k] = start;
      this.ends[k] = i;
      this.words[k] = this.quoted[k] ? text.slice(start + 1, i - 1) : text.slice(start, i);
      k++;
    }
    this.count = k;
    return true;
  }

  private tok(i: number): string {
    return this.words[i]!;
  }

  private cidrs(text: string): AddrSpec['v4'] | undefined {
    const strict = strictCidr4(text);
    if (strict) return [strict];
    const a = ipparseMultiple4(text);
    return a.kind === 'error' || a.cidrs.length !== 1 || a.hostnames.length ? undefined : a.cidrs;
  }

  /**
   * Where the options of `spec` that start at token `from` end: "--opt" of
   * this module (exact name, no "="), each followed by its value when it takes
   * one, optionally after "!". -1 when something there is not that shape.
   */
  private segmentEnd(spec: AnyExtension, from: number): number {
    const opts = optionsByName(spec);
    let i = from;
    while (i < this.count) {
      let j = i;
      if (!this.quoted[j] && this.tok(j) === '!') j++;
      if (j >= this.count || this.quoted[j]) return j === i ? i : -1;
      const t = this.tok(j);
      if (!t.startsWith('--')) return j === i && t[0] === '-' ? i : -1;
      const o = opts.get(t.slice(2));
      if (!o) return j === i ? i : -1;
      const hasArg = optionHasArg(o);
      if (hasArg === 2) return -1;
      if (hasArg === 1) {
        const v = j + 1 < this.count ? this.tok(j + 1) : undefined;
        if (v === undefined || (!this.quoted[j + 1] && (v[0] === '-' || v === '!'))) return -1;
        // Options that read more than one word (--tcp-flags MASK COMP) keep their extra words in the segment.
        i = j + 2;
        while (i < this.count && !this.quoted[i] && this.tok(i)[0] !== '-' && this.tok(i) !== '!') i++;
      } else i = j + 1;
    }
    return i;
  }
}

const NEWLINE = 1;
const GOTO = 2;
const JUMP_IS_EXTENSION = 4;
/** nftClean: known, and its value. */
const CLEAN_KNOWN = 8;
const CLEAN = 16;
/** Token indexes (+1, so that -1 fits) of -j/-g and of the target's last word: below MAX_TOKENS. */
const JUMP_AT_SHIFT = 5;
const TARGET_END_SHIFT = 13;
const INDEX_MASK = 0xff;

/**
 * The shape of a fast line: an "-A" with one address each way. Its columns
 * are found again from the text when read (they are read for a few lines
 * only: messages, navigation), which keeps 170,000 shapes small.
 */
export class FastShape extends CompactFacts implements RuleShape {
  constructor(
    jumpTo: string | undefined,
    verdict: string | undefined,
    protoText: string | undefined,
    uses: readonly KernelUse[] | undefined,
    factBits: number,
    rare: RareFacts | undefined,
    readonly text: string,
    readonly source: RuleSource,
    readonly chain: string,
    /** The flags above and the two token indexes, in one small integer (170,000 shapes: each field costs 8 bytes). */
    private shapeBits: number,
  ) {
    super(jumpTo, verdict, protoText, uses, factBits, rare);
  }

  /** Its own facts: one object per rule line instead of two. */
  get facts(): RuleFacts {
    return this;
  }

  get nftClean(): boolean | undefined {
    return (this.shapeBits & CLEAN_KNOWN) === 0 ? undefined : (this.shapeBits & CLEAN) !== 0;
  }
  set nftClean(v: boolean | undefined) {
    this.shapeBits = (this.shapeBits & ~(CLEAN_KNOWN | CLEAN)) | (v === undefined ? 0 : CLEAN_KNOWN | (v ? CLEAN : 0));
  }
  /** Token index of -j/-g (-1: none), and of the target's last token. */
  private get jumpAt(): number {
    return ((this.shapeBits >> JUMP_AT_SHIFT) & INDEX_MASK) - 1;
  }
  private get targetEndAt(): number {
    return ((this.shapeBits >> TARGET_END_SHIFT) & INDEX_MASK) - 1;
  }

  get kind(): 'A' {
    return 'A';
  }
  get ruleNum(): undefined {
    return undefined;
  }
  get col0(): number {
    return 0;
  }
  get srcCount(): number {
    return 1;
  }
  get dstCount(): number {
    return 1;
  }
  get hasNewline(): boolean {
    return (this.shapeBits & NEWLINE) !== 0;
  }
  get goto(): boolean {
    return (this.shapeBits & GOTO) !== 0;
  }
  get jumpIsExtension(): boolean {
    return (this.shapeBits & JUMP_IS_EXTENSION) !== 0;
  }

  get cols(): ShapeCols {
    const nul = this.text.indexOf('\0');
    const { starts, ends } = tokenBounds(nul < 0 ? this.text : this.text.slice(0, nul));
    const j = this.jumpAt;
    const jump = this.facts.jumpTo !== undefined;
    return {
      chainStart: starts[1]!,
      chainEnd: ends[1]!,
      start: starts[0]!,
      end: ends[ends.length - 1]!,
      jumpStart: jump ? starts[j]! : 0,
      jumpEnd: jump ? ends[j + 1]! : 0,
      nameStart: jump ? starts[j + 1]! : 0,
      nameEnd: jump ? ends[j + 1]! : 0,
      targetStart: j >= 0 ? starts[j]! : -1,
      targetEnd: j >= 0 ? ends[this.targetEndAt]! : -1,
    };
  }
}

/** Token boundaries of a line the fast path accepted (words, and quoted words without escapes). */
function tokenBounds(text: string): { starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    starts.push(i);
    if (c === 34) i = text.indexOf('"', i + 1) + 1;
    else while (i < text.length && text.charCodeAt(i) !== 32 && text.charCodeAt(i) !== 9) i++;
    ends.push(i);
  }
  return { starts, ends };
}

/**
 * "a.b.c.d" or "a.b.c.d/len" in the one spelling iptables-save writes
 * (decimal, no leading zeros), as ipparseMultiple4() reads it: the address
 * masked, the mask, the prefix. Anything else: undefined.
 */
export function strictCidr4(text: string): Cidr4 | undefined {
  let addr = 0;
  let i = 0;
  const n = text.length;
  for (let part = 0; part < 4; part++) {
    const start = i;
    let v = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    if (i === start || i - start > 3 || v > 255 || (i - start > 1 && text.charCodeAt(start) === 48)) return undefined;
    addr = addr * 256 + v;
    if (part < 3) {
      if (text.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  let prefix = 32;
  if (i < n) {
    if (text.charCodeAt(i) !== 47) return undefined;
    const start = ++i;
    prefix = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      prefix = prefix * 10 + (c - 48);
      i++;
    }
    if (i === start || i - start > 2 || prefix > 32 || (i - start > 1 && text.charCodeAt(start) === 48)) return undefined;
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { addr: (addr & mask) >>> 0, mask, prefix };
}

const NO_SPAN = mkSpan(0, 0, 0);
const NONE: readonly never[] = [];
/** Stands for an -i/-o the fast path checked: ruleFacts() reads only that there is one. */
const PRESENT_IFACE = { name: '', invert: false, wildcard: false, span: NO_SPAN };
