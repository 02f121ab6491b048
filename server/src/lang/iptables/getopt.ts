/**
 * A faithful model of glibc's getopt_long() as iptables drives it: optstring
 * starting with "-:" (non-options are returned in order as code 1, a missing
 * argument returns ':'), long options matched exactly or by an unambiguous
 * prefix, "--name=value", and short-option clusters.
 *
 * The long-option table can change between calls (iptables merges extension
 * options as matches are loaded), so it is passed to every call.
 */

export interface LongOption {
  readonly name: string;
  /** 0: none, 1: required, 2: optional (attached with "=" only). */
  readonly hasArg: 0 | 1 | 2;
  /** Code returned; base options use char codes, extensions offsets. */
  readonly val: number;
}

export const CODE_NONOPTION = 1;
export const CODE_UNKNOWN = '?'.charCodeAt(0);
export const CODE_MISSING = ':'.charCodeAt(0);
export const CODE_END = -1;

/** Where getopt finds long options: exact names first, the full list for prefixes. */
export interface OptionLookup {
  /** The first option in table order with exactly this name. */
  exact(name: string): LongOption | undefined;
  /** Every option in table order (only needed for abbreviations). */
  list(): readonly LongOption[];
}

export function listLookup(opts: readonly LongOption[]): OptionLookup {
  return { exact: (n) => opts.find((o) => o.name === n), list: () => opts };
}

export interface GetoptResult {
  /** Option code, CODE_NONOPTION, CODE_UNKNOWN, CODE_MISSING or CODE_END. */
  readonly code: number;
  readonly optarg?: string;
  /** argv index the argument came from, and its offset inside that element. */
  readonly optargIndex?: number;
  readonly optargOffset?: number;
  /** argv index of the option element itself. */
  readonly optIndex: number;
  /** The long option matched (exactly or by prefix), when it was a long option. */
  readonly longName?: string;
  /** For errors: why the option was not accepted. */
  readonly error?: 'unrecognized' | 'ambiguous' | 'no-arg-allowed' | 'missing-arg';
}

interface ShortSpec {
  readonly hasArg: 0 | 1 | 2;
}

export function parseShortSpec(optstring: string): Map<string, ShortSpec> {
  const map = new Map<string, ShortSpec>();
  let s = optstring;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  if (s[0] === ':') s = s.slice(1);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    let hasArg: 0 | 1 | 2 = 0;
    if (s[i + 1] === ':') {
      hasArg = s[i + 2] === ':' ? 2 : 1;
      i += hasArg;
    }
    map.set(c, { hasArg });
  }
  return map;
}

/**
 * Like C's getopt, the result of a call lives in the object itself (code,
 * optarg, …) until the next call: no allocation per option.
 */
export class Getopt implements GetoptResult {
  optind = 1;
  /** Index into argv[optind] of the next short option character, or -1. */
  private nextchar = -1;
  code = CODE_END;
  optarg: string | undefined;
  optargIndex: number | undefined;
  optargOffset: number | undefined;
  optIndex = 0;
  longName: string | undefined;
  error: GetoptResult['error'];

  constructor(
    readonly argv: string[],
    private readonly shorts: Map<string, ShortSpec>,
  ) {}

  private set(code: number, optIndex: number, optarg?: string, optargIndex?: number, optargOffset?: number, longName?: string, error?: GetoptResult['error']): this {
    this.code = code;
    this.optIndex = optIndex;
    this.optarg = optarg;
    this.optargIndex = optargIndex;
    this.optargOffset = optargOffset;
    this.longName = longName;
    this.error = error;
    return this;
  }

  next(lookup: OptionLookup): GetoptResult {
    const argv = this.argv;
    const argc = argv.length;
    if (this.nextchar < 0) {
      if (this.optind < argc && argv[this.optind] === '--') {
        // glibc: everything after "--" is a non-option; getopt stops there and
        // leaves optind on it, so iptables then reports "unknown arguments".
        this.optind++;
        return this.set(CODE_END, this.optind);
      }
      if (this.optind >= argc) return this.set(CODE_END, this.optind);
      const arg = argv[this.optind]!;
      if (arg.charCodeAt(0) !== 45 /* - */ || arg.length === 1) {
        const idx = this.optind++;
        return this.set(CODE_NONOPTION, idx, arg, idx, 0);
      }
      if (arg.charCodeAt(1) === 45) return this.longOption(lookup);
      this.nextchar = 1;
    }
    return this.shortOption();
  }

  private longOption(lookup: OptionLookup): GetoptResult {
    const argv = this.argv;
    const optIndex = this.optind;
    const arg = argv[optIndex]!;
    const eq = arg.indexOf('=', 2);
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let found: LongOption | undefined = lookup.exact(name);
    if (!found) {
      let ambiguous = false;
      for (const o of lookup.list()) {
        if (!o.name.startsWith(name)) continue;
        if (!found) found = o;
        else if (found.hasArg !== o.hasArg || found.val !== o.val) ambiguous = true;
      }
      if (ambiguous) {
        this.optind++;
        return this.set(CODE_UNKNOWN, optIndex, undefined, undefined, undefined, undefined, 'ambiguous');
      }
    }
    if (!found) {
      this.optind++;
      return this.set(CODE_UNKNOWN, optIndex, undefined, undefined, undefined, undefined, 'unrecognized');
    }
    this.optind++;
    const longName = found.name;
    const val = found.val;
    if (eq >= 0) {
      if (found.hasArg) return this.set(val, optIndex, arg.slice(eq + 1), optIndex, eq + 1, longName);
      return this.set(CODE_UNKNOWN, optIndex, undefined, undefined, undefined, undefined, 'no-arg-allowed');
    }
    if (found.hasArg === 1) {
      if (this.optind < argv.length) {
        const idx = this.optind++;
        return this.set(val, optIndex, argv[idx]!, idx, 0, longName);
      }
      return this.set(CODE_MISSING, optIndex, undefined, undefined, undefined, undefined, 'missing-arg');
    }
    return this.set(val, optIndex, undefined, undefined, undefined, longName);
  }

  private shortOption(): GetoptResult {
    const argv = this.argv;
    const optIndex = this.optind;
    const arg = argv[optIndex]!;
    const c = arg[this.nextchar]!;
    this.nextchar++;
    const last = this.nextchar >= arg.length;
    if (last) this.optind++;
    const spec = c === ':' || c === ';' ? undefined : this.shorts.get(c);
    if (!spec) {
      if (last) this.nextchar = -1;
      return this.set(CODE_UNKNOWN, optIndex, undefined, undefined, undefined, undefined, 'unrecognized');
    }
    const code = c.charCodeAt(0);
    if (spec.hasArg === 0) {
      if (last) this.nextchar = -1;
      return this.set(code, optIndex);
    }
    const rest = this.nextchar;
    this.nextchar = -1;
    if (spec.hasArg === 2) {
      if (!last) {
        this.optind++;
        return this.set(code, optIndex, arg.slice(rest), optIndex, rest);
      }
      return this.set(code, optIndex);
    }
    if (!last) {
      this.optind++;
      return this.set(code, optIndex, arg.slice(rest), optIndex, rest);
    }
    if (this.optind >= argv.length) {
      return this.set(CODE_MISSING, optIndex, undefined, undefined, undefined, undefined, 'missing-arg');
    }
    const idx = this.optind++;
    return this.set(code, optIndex, argv[idx]!, idx, 0);
  }
}
