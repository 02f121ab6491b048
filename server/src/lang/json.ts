/**
 * A small JSON parser that keeps source positions and never throws: syntax
 * errors become diagnostics. Used for host descriptions and daemon.json.
 * (JSON with comments is accepted, as VS Code's "jsonc" files allow them.)
 */
import type { Diagnostic, Span } from './diagnostic';

export type JsonNode =
  | { readonly kind: 'object'; readonly span: Span; readonly props: JsonProp[] }
  | { readonly kind: 'array'; readonly span: Span; readonly items: JsonNode[] }
  | { readonly kind: 'string'; readonly span: Span; readonly value: string }
  | { readonly kind: 'number'; readonly span: Span; readonly value: number }
  | { readonly kind: 'boolean'; readonly span: Span; readonly value: boolean }
  | { readonly kind: 'null'; readonly span: Span };

export interface JsonProp {
  readonly key: string;
  readonly keySpan: Span;
  readonly value: JsonNode;
}

export function prop(node: JsonNode | undefined, key: string): JsonProp | undefined {
  return node?.kind === 'object' ? node.props.find((p) => p.key === key) : undefined;
}

export function toPlain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const p of node.props) o[p.key] = toPlain(p.value);
      return o;
    }
    case 'array':
      return node.items.map(toPlain);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

class Parser {
  private i = 0;
  private line = 0;
  private col = 0;
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly text: string) {}

  private pos(): { line: number; col: number } {
    return { line: this.line, col: this.col };
  }

  private advance(n = 1): void {
    for (let k = 0; k < n && this.i < this.text.length; k++) {
      if (this.text[this.i] === '\n') {
        this.line++;
        this.col = 0;
      } else this.col++;
      this.i++;
    }
  }

  private error(message: string, start = this.pos(), end = { line: this.line, col: this.col + (this.i < this.text.length && this.text[this.i] !== '\n' ? 1 : 0) }): void {
    if (this.diagnostics.length < 20) this.diagnostics.push({ code: 'json-syntax', severity: 'error', message, span: { start, end } });
  }

  private skip(): void {
    for (;;) {
      const c = this.text[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\uFEFF') this.advance();
      else if (c === '/' && this.text[this.i + 1] === '/') {
        while (this.i < this.text.length && this.text[this.i] !== '\n') this.advance();
      } else if (c === '/' && this.text[this.i + 1] === '*') {
        const end = this.text.indexOf('*/', this.i + 2);
        this.advance((end < 0 ? this.text.length : end + 2) - this.i);
      } else return;
    }
  }

  parse(): JsonNode | undefined {
    this.skip();
    const v = this.value(0);
    this.skip();
    if (this.i < this.text.length) this.error('Unexpected content after the JSON value.');
    return v;
  }

  private value(depth: number): JsonNode | undefined {
    if (depth > 200) {
      this.error('JSON nested too deeply.');
      return undefined;
    }
    const start = this.pos();
    const c = this.text[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') {
      const s = this.string();
      return s === undefined ? undefined : { kind: 'string', value: s, span: { start, end: this.pos() } };
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (m) {
      this.advance(m[0].length);
      return { kind: 'number', value: Number(m[0]), span: { start, end: this.pos() } };
    }
    for (const [word, node] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.advance(word.length);
        const span = { start, end: this.pos() };
        return node === null ? { kind: 'null', span } : { kind: 'boolean', value: node, span };
      }
    }
    this.error(c === undefined ? 'Unexpected end of input: a value is expected.' : `Unexpected character ${JSON.stringify(c)}: a value is expected.`);
    return undefined;
  }

  private string(): string | undefined {
    const start = this.pos();
    this.advance(); // opening quote
    let out = '';
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === '"') {
        this.advance();
        return out;
      }
      if (c === '\n') break;
      if (c === '\\') {
        const e = this.text[this.i + 1];
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in map) {
          out += map[e];
          this.advance(2);
          continue;
        }
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(parseInt(this.text.slice(this.i + 2, this.i + 6), 16));
          this.advance(6);
          continue;
        }
        this.error('Invalid escape in string.');
        this.advance(2);
        continue;
      }
      out += c;
      this.advance();
    }
    this.error('Unterminated string.', start);
    return undefined;
  }

  private object(depth: number): JsonNode | undefined {
    const start = this.pos();
    this.advance();
    const props: JsonProp[] = [];
    this.skip();
    if (this.text[this.i] === '}') {
      this.advance();
      return { kind: 'object', props, span: { start, end: this.pos() } };
    }
    for (;;) {
      this.skip();
      if (this.text[this.i] !== '"') {
        this.error('A property name in double quotes is expected.');
        return { kind: 'object', props, span: { start, end: this.pos() } };
      }
      const ks = this.pos();
      const key = this.string();
      if (key === undefined) return { kind: 'object', props, span: { start, end: this.pos() } };
      const keySpan = { start: ks, end: this.pos() };
      this.skip();
      if (this.text[this.i] !== ':') {
        this.error('":" is expected after a property name.');
        return { kind: 'object', props, span: { start, end: this.pos() } };
      }
      this.advance();
      this.skip();
      const v = this.value(depth + 1);
      if (!v) return { kind: 'object', props, span: { start, end: this.pos() } };
      if (props.some((p) => p.key === key)) this.diagnostics.push({ code: 'json-duplicate-key', severity: 'warning', message: `Duplicate property "${key}": the last one wins.`, span: keySpan });
      props.push({ key, keySpan, value: v });
      this.skip();
      const c = this.text[this.i];
      if (c === ',') {
        this.advance();
        this.skip();
        if (this.text[this.i] === '}') {
          this.advance();
          return { kind: 'object', props, span: { start, end: this.pos() } };
        }
        continue;
      }
      if (c === '}') {
        this.advance();
        return { kind: 'object', props, span: { start, end: this.pos() } };
      }
      this.error('"," or "}" is expected.');
      return { kind: 'object', props, span: { start, end: this.pos() } };
    }
  }

  private array(depth: number): JsonNode | undefined {
    const start = this.pos();
    this.advance();
    const items: JsonNode[] = [];
    this.skip();
    if (this.text[this.i] === ']') {
      this.advance();
      return { kind: 'array', items, span: { start, end: this.pos() } };
    }
    for (;;) {
      this.skip();
      const v = this.value(depth + 1);
      if (!v) return { kind: 'array', items, span: { start, end: this.pos() } };
      items.push(v);
      this.skip();
      const c = this.text[this.i];
      if (c === ',') {
        this.advance();
        this.skip();
        if (this.text[this.i] === ']') {
          this.advance();
          return { kind: 'array', items, span: { start, end: this.pos() } };
        }
        continue;
      }
      if (c === ']') {
        this.advance();
        return { kind: 'array', items, span: { start, end: this.pos() } };
      }
      this.error('"," or "]" is expected.');
      return { kind: 'array', items, span: { start, end: this.pos() } };
    }
  }
}

export function parseJson(text: string): { value: JsonNode | undefined; diagnostics: Diagnostic[] } {
  const p = new Parser(text);
  const value = p.parse();
  return { value, diagnostics: p.diagnostics };
}
