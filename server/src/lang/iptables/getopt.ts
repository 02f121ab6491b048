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

export class Getopt {
  optind = 1;
  /** Index into argv[optind] of the next short option character, or -1. */
  private nextchar = -1;

  constructor(
    readonly argv: string[],
    private readonly shorts: Map<string, ShortSpec>,
  ) {}

  next(longopts: readonly LongOption[]): GetoptResult {
    const argv = this.argv;
    const argc = argv.length;
    if (this.nextchar < 0) {
      if (this.optind < argc && argv[this.optind] === '--') {
        // glibc: everything after "--" is a non-option; getopt stops there and
        // leaves optind on it, so iptables then reports "unknown arguments".
        this.optind++;
        return { code: CODE_END, optIndex: this.optind };
      }
      if (this.optind >= argc) return { code: CODE_END, optIndex: this.optind };
      const arg = argv[this.optind]!;
      if (arg[0] !== '-' || arg.length === 1) {
        const idx = this.optind++;
        return { code: CODE_NONOPTION, optarg: arg, optargIndex: idx, optargOffset: 0, optIndex: idx };
      }
      if (arg[1] === '-') return this.longOption(longopts);
      this.nextchar = 1;
    }
    return this.shortOption();
  }

  private longOption(longopts: readonly LongOption[]): GetoptResult {
    const argv = this.argv;
    const optIndex = this.optind;
    const arg = argv[optIndex]!;
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let found: LongOption | undefined = longopts.find((o) => o.name === name);
    if (!found) {
      let ambiguous = false;
      for (const o of longopts) {
        if (!o.name.startsWith(name)) continue;
        if (!found) found = o;
        else if (found.hasArg !== o.hasArg || found.val !== o.val) ambiguous = true;
      }
      if (ambiguous) {
        this.optind++;
        return { code: CODE_UNKNOWN, optIndex, error: 'ambiguous' };
      }
    }
    if (!found) {
      this.optind++;
      return { code: CODE_UNKNOWN, optIndex, error: 'unrecognized' };
    }
    this.optind++;
    const longName = found.name;
    if (eq >= 0) {
      if (found.hasArg) {
        return { code: found.val, optarg: body.slice(eq + 1), optargIndex: optIndex, optargOffset: eq + 3, optIndex, longName };
      }
      return { code: CODE_UNKNOWN, optIndex, error: 'no-arg-allowed' };
    }
    if (found.hasArg === 1) {
      if (this.optind < argv.length) {
        const idx = this.optind++;
        return { code: found.val, optarg: argv[idx]!, optargIndex: idx, optargOffset: 0, optIndex, longName };
      }
      return { code: CODE_MISSING, optIndex, error: 'missing-arg' };
    }
    return { code: found.val, optIndex, longName };
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
      return { code: CODE_UNKNOWN, optIndex, error: 'unrecognized' };
    }
    const code = c.charCodeAt(0);
    if (spec.hasArg === 0) {
      if (last) this.nextchar = -1;
      return { code, optIndex };
    }
    const rest = this.nextchar;
    this.nextchar = -1;
    if (spec.hasArg === 2) {
      if (!last) {
        this.optind++;
        return { code, optarg: arg.slice(rest), optargIndex: optIndex, optargOffset: rest, optIndex };
      }
      return { code, optIndex };
    }
    if (!last) {
      this.optind++;
      return { code, optarg: arg.slice(rest), optargIndex: optIndex, optargOffset: rest, optIndex };
    }
    if (this.optind >= argv.length) {
      return { code: CODE_MISSING, optIndex, error: 'missing-arg' };
    }
    const idx = this.optind++;
    return { code, optarg: argv[idx]!, optargIndex: idx, optargOffset: 0, optIndex };
  }
}
