import { utf8Length } from '../utf8';

/**
 * The rule-line tokenizer of iptables-restore (`add_param_to_argv` and
 * `tokenize_rule_counters` in iptables/xshared.c), with source columns.
 *
 * - Separators are space, tab and newline; runs collapse.
 * - Only double quotes quote; a backslash escapes the next character inside
 *   quotes only. An opening quote continues the current word, a closing quote
 *   always ends the token (so `""` is one empty token, `"a"b` two tokens).
 * - A token is limited to 1023 bytes ("Parameter too long!").
 */

export interface Token {
  /** Token value after quote removal. */
  readonly text: string;
  /** Column of the first source character (quote included). */
  readonly start: number;
  /** Column after the last source character. */
  readonly end: number;
  readonly quoted: boolean;
}

export const MAX_PARAM_BYTES = 1023;

export interface TokenizeResult {
  readonly tokens: Token[];
  /** Set when a token exceeds the 1023-byte parameter buffer. */
  readonly tooLong?: Token;
  /** Set when a quote is still open at the end of the line. */
  readonly unterminatedQuoteAt?: number;
}

/**
 * Tokenizes `text` starting at column `from`. `withNewline` mirrors the
 * trailing "\n" fgets keeps, which matters inside an unterminated quote.
 */
export function tokenizeArgs(text: string, from = 0, withNewline = false): TokenizeResult {
  // Fast path: no NUL, and quotes only around whole words without escapes
  // (what iptables-save writes). Anything else takes the general path.
  if (text.indexOf('\0', from) < 0) {
    const fast = tokenizeSimple(text, from);
    if (fast) return fast;
  }
  return tokenizeQuoted(text, from, withNewline);
}

const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 10;

function tokenizeSimple(text: string, from: number): TokenizeResult | undefined {
  const tokens: Token[] = [];
  let tooLong: Token | undefined;
  const n = text.length;
  let i = from;
  while (i < n) {
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let tok: Token;
    if (text.charCodeAt(i) === 34 /* " */) {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return undefined;
      const esc = text.indexOf('\\', i + 1);
      if (esc >= 0 && esc < close) return undefined;
      if (close + 1 < n && !isBlank(text.charCodeAt(close + 1))) return undefined;
      i = close + 1;
      tok = { text: text.slice(start + 1, close), start, end: i, quoted: true };
    } else {
      while (i < n) {
        const c = text.charCodeAt(i);
        if (isBlank(c)) break;
        if (c === 34) return undefined;
        i++;
      }
      tok = { text: text.slice(start, i), start, end: i, quoted: false };
    }
    if (i - start > MAX_PARAM_BYTES / 3 && !tooLong && utf8Length(tok.text) > MAX_PARAM_BYTES) tooLong = tok;
    tokens.push(tok);
  }
  return tooLong ? { tokens, tooLong } : { tokens };
}

function tokenizeQuoted(text: string, from: number, withNewline: boolean): TokenizeResult {
  const tokens: Token[] = [];
  let quoteOpen = false;
  let escaped = false;
  let quoted = false;
  // The token is `buf` plus the run text[seg, i) not yet copied.
  let buf = '';
  let seg = -1;
  let tokStart = -1;
  let tooLong: Token | undefined;
  let quoteAt = -1;
  const n = text.length + (withNewline ? 1 : 0);
  const src = withNewline ? `${text}\n` : text;

  const flush = (i: number): void => {
    if (seg >= 0) {
      buf += src.slice(seg, i);
      seg = -1;
    }
  };
  const push = (end: number, isQuoted: boolean): void => {
    const tok: Token = { text: buf, start: tokStart, end: Math.min(end, text.length), quoted: isQuoted };
    tokens.push(tok);
    if (!tooLong && buf.length > MAX_PARAM_BYTES / 3 && utf8Length(buf) > MAX_PARAM_BYTES) tooLong = tok;
    buf = '';
    tokStart = -1;
    quoted = false;
  };
  const keep = (i: number): void => {
    if (tokStart < 0) tokStart = i;
    if (seg < 0) seg = i;
  };

  for (let i = from; i < n; i++) {
    const c = src.charCodeAt(i);
    if (c === 0) break; // C strings end here.
    if (quoteOpen) {
      if (escaped) {
        keep(i);
        escaped = false;
        continue;
      }
      if (c === 92 /* \\ */) {
        flush(i);
        if (tokStart < 0) tokStart = i;
        escaped = true;
        continue;
      }
      if (c === 34 /* " */) {
        flush(i);
        quoteOpen = false;
        // A closing quote always ends the token, even an empty one.
        if (tokStart < 0) tokStart = i;
        push(i + 1, true);
        continue;
      }
      keep(i);
      continue;
    }
    if (c === 34) {
      flush(i);
      quoteOpen = true;
      quoted = true;
      quoteAt = i;
      if (tokStart < 0) tokStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 10) {
      flush(i);
      if (buf.length === 0) continue;
      push(i, quoted);
      continue;
    }
    keep(i);
  }
  flush(n);
  // iptables only emits a trailing token when it has characters.
  if (buf.length > 0) push(n, false);
  const result: { tokens: Token[]; tooLong?: Token; unterminatedQuoteAt?: number } = { tokens };
  if (tooLong) result.tooLong = tooLong;
  if (quoteOpen) result.unterminatedQuoteAt = quoteAt;
  return result;
}

export interface CountersPrefix {
  readonly packets: string;
  readonly bytes: string;
  readonly start: number;
  readonly end: number;
  /** Where rule parsing resumes (after "]"). */
  readonly restAt: number;
  /**
   * strtok() writes NULs into the buffer while splitting the counters; when
   * the ":" it cuts at lies after "]", the rule text is truncated there.
   */
  readonly truncateAt?: number;
}

export type CountersResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly counters: CountersPrefix }
  | { readonly kind: 'error'; readonly message: string };

/**
 * `tokenize_rule_counters`: a rule line starting with "[" must carry
 * "[pkts:bytes]". Reproduces its strtok() behaviour exactly.
 */
export function parseCountersPrefix(lineText: string, line: number, withNewline: boolean): CountersResult {
  if (lineText[0] !== '[') return { kind: 'none' };
  // The buffer strtok() sees still ends in the newline fgets() kept.
  const text = withNewline ? lineText + '\n' : lineText;
  const close = text.indexOf(']');
  if (close < 0) return { kind: 'error', message: `Bad line ${line}: need ]` };
  // strtok(buffer+1, ":"): skip leading ':' then take up to the next ':'.
  let i = 1;
  while (i < text.length && text[i] === ':') i++;
  if (i >= text.length) return { kind: 'error', message: `Bad line ${line}: need :` };
  let j = text.indexOf(':', i);
  const pEnd = j < 0 ? text.length : j;
  const packets = text.slice(i, pEnd);
  if (j < 0) return { kind: 'error', message: `Bad line ${line}: need ]` };
  // strtok(NULL, "]"): continue after the NUL written at j.
  let k = j + 1;
  while (k < text.length && text[k] === ']') k++;
  if (k >= text.length) return { kind: 'error', message: `Bad line ${line}: need ]` };
  const bEndIdx = text.indexOf(']', k);
  const bEnd = bEndIdx < 0 ? text.length : bEndIdx;
  const bytes = text.slice(k, bEnd);
  const restAt = close + 1;
  // NULs written at j (the ':') and at bEnd (the ']') truncate the rule text
  // when they fall after the first ']'.
  let truncateAt: number | undefined;
  for (const cut of [j, bEndIdx]) {
    if (cut >= restAt && cut < lineText.length && (truncateAt === undefined || cut < truncateAt)) truncateAt = cut;
  }
  const counters: CountersPrefix = truncateAt === undefined
    ? { packets, bytes, start: 0, end: close + 1, restAt }
    : { packets, bytes, start: 0, end: close + 1, restAt, truncateAt };
  return { kind: 'ok', counters };
}
