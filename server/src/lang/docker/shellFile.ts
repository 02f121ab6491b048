/**
 * Daemon options kept in a shell-sourced file (/etc/default/docker,
 * /etc/sysconfig/docker): the assignments it makes, with shell quoting
 * ('…', "…", backslashes), continuation lines, comments and $VAR / ${VAR}
 * references to earlier assignments. Other shell lines (if/fi, commands)
 * are skipped. Each character of a value remembers where it came from, so a
 * word of DOCKER_OPTS can be reported at its place in the file.
 */
import { span, type Diagnostic, type Span } from '../diagnostic';
import { crlfEdits, TO_LF_TITLE } from '../lineEnds';

/** A value with, per character, its source offset (-1: from the environment, unknown). */
export interface SourcedText {
  readonly text: string;
  readonly offsets: readonly number[];
  /** Names of variables the file does not assign ($FLANNEL_RANGE): their values are unknown. */
  readonly unknownVars: readonly string[];
}

export interface Assignment {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: SourcedText;
  readonly exported: boolean;
}

export interface ShellFile {
  readonly assignments: readonly Assignment[];
  /** The final value of each variable. */
  readonly vars: ReadonlyMap<string, SourcedText>;
}

/** Maps text offsets to line/column. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  pos(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, col: offset - this.starts[lo]! };
  }
  span(from: number, to: number): Span {
    const a = this.pos(from);
    const b = this.pos(to);
    return span(a.line, a.col, b.col, b.line);
  }
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

export function parseShellFile(text: string): { value: ShellFile; diagnostics: Diagnostic[] } {
  const idx = new LineIndex(text);
  const diagnostics: Diagnostic[] = [];
  const assignments: Assignment[] = [];
  const vars = new Map<string, SourcedText>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Start of a command: skip blanks and empty commands.
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === ';' || (text[i] === '\\' && text[i + 1] === '\n'))) i += text[i] === '\\' ? 2 : 1;
    if (i >= n) break;
    if (text[i] === '\n' || text[i] === '\r') {
      i++;
      continue;
    }
    if (text[i] === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    let exported = false;
    if (text.startsWith('export', i) && /[ \t]/.test(text[i + 6] ?? '')) {
      exported = true;
      i += 6;
      while (text[i] === ' ' || text[i] === '\t') i++;
    }
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (m && text[i + m[0].length] === '=') {
      const name = m[0];
      const nameSpan = idx.span(i, i + name.length);
      i += name.length + 1;
      const word = readWord(text, i, vars, idx, diagnostics);
      i = word.end;
      assignments.push({ name, nameSpan, value: word.value, exported });
      vars.set(name, word.value);
      continue;
    }
    // Anything else (if/fi, commands): not daemon options; skip the rest of the line.
    while (i < n && text[i] !== '\n') {
      if (text[i] === '\\' && text[i + 1] === '\n') i++;
      i++;
    }
  }
  const crlf = windowsLineEnds(text);
  if (crlf) diagnostics.push(crlf);
  return { value: { assignments, vars }, diagnostics };
}

/**
 * A file with Windows line ends: read here as systemd's EnvironmentFile= reads it ("\r" ends the line),
 * but a shell that sources it keeps each "\r" in the line's last word. Said once, at the first, with a
 * fix that removes them all.
 */
function windowsLineEnds(text: string): Diagnostic | undefined {
  const edits = crlfEdits(text);
  if (!edits.length) return undefined;
  return {
    code: 'crlf-line-ends',
    severity: 'warning',
    message: 'This file has Windows line ends (CR LF). A shell that sources it (sysvinit and upstart scripts) keeps each line\'s "\\r" in the value: DOCKER_OPTS="…" then ends in "\\r", which dockerd reads as part of its last option (for most options an invalid value: dockerd refuses to start). systemd\'s EnvironmentFile= reads "\\r" as a line end. Save the file with LF line ends.',
    span: edits[0]!.span,
    fixes: [{ title: TO_LF_TITLE, edits }],
  };
}

interface Word {
  readonly value: SourcedText;
  readonly end: number;
}

/** One shell word starting at `start` (the value of an assignment: no field splitting, no globbing). */
function readWord(text: string, start: number, vars: ReadonlyMap<string, SourcedText>, idx: LineIndex, diagnostics: Diagnostic[]): Word {
  let out = '';
  const offsets: number[] = [];
  const unknownVars: string[] = [];
  const push = (s: string, at: number | readonly number[]): void => {
    out += s;
    for (let k = 0; k < s.length; k++) offsets.push(typeof at === 'number' ? at : at[k] ?? -1);
  };
  const expand = (i: number): number => {
    // At "$": $NAME, ${NAME}, ${NAME:-x} (the default is ignored: the value is unknown).
    let name: string | undefined;
    let end = i + 1;
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) return i + 1;
      name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 2, close))?.[0];
      end = close + 1;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(text);
      if (m) {
        name = m[0];
        end = i + 1 + name.length;
      }
    }
    if (!name) {
      push('$', i);
      return i + 1;
    }
    const v = vars.get(name);
    if (v) {
      push(v.text, v.offsets);
      unknownVars.push(...v.unknownVars);
    } else {
      // Not assigned here: it comes from the environment.
      const placeholder = `\${${name}}`;
      push(placeholder, new Array(placeholder.length).fill(i));
      unknownVars.push(name);
    }
    return end;
  };
  let i = start;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === ';' || c === '\r') break;
    if (c === '\\') {
      if (text[i + 1] === '\n') i += 2;
      else if (i + 1 < n) {
        push(text[i + 1]!, i + 1);
        i += 2;
      } else i++;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) {
        diagnostics.push({ code: 'unterminated-quote', severity: 'error', message: 'This single quote is never closed: the shell stops reading the file here.', span: idx.span(i, i + 1) });
        for (let k = i + 1; k < n; k++) push(text[k]!, k);
        return { value: { text: out, offsets, unknownVars }, end: n };
      }
      for (let k = i + 1; k < close; k++) push(text[k]!, k);
      i = close + 1;
      continue;
    }
    if (c === '"') {
      let k = i + 1;
      for (; k < n && text[k] !== '"'; ) {
        if (text[k] === '\\' && /["\\$`\n]/.test(text[k + 1] ?? '')) {
          if (text[k + 1] !== '\n') push(text[k + 1]!, k + 1);
          k += 2;
        } else if (text[k] === '$') k = expand(k);
        else {
          push(text[k]!, k);
          k++;
        }
      }
      if (k >= n) {
        diagnostics.push({ code: 'unterminated-quote', severity: 'error', message: 'This double quote is never closed: the shell stops reading the file here.', span: idx.span(i, i + 1) });
        return { value: { text: out, offsets, unknownVars }, end: n };
      }
      i = k + 1;
      continue;
    }
    if (c === '$') {
      i = expand(i);
      continue;
    }
    push(c, i);
    i++;
  }
  return { value: { text: out, offsets, unknownVars }, end: i };
}

/** A word of an unquoted expansion ($DOCKER_OPTS): split on blanks, quotes kept as they are. */
export interface ArgWord {
  readonly text: string;
  readonly span: Span;
  /** Contains a value from the environment. */
  readonly unknown: boolean;
}

export function splitFields(v: SourcedText, idx: LineIndex, fallback: Span): ArgWord[] {
  const words: ArgWord[] = [];
  const re = /[^ \t\n]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v.text))) {
    const from = m.index;
    const to = from + m[0].length;
    const a = v.offsets[from] ?? -1;
    const b = v.offsets[to - 1] ?? -1;
    const where = a >= 0 && b >= a ? idx.span(a, b + 1) : fallback;
    words.push({ text: m[0], span: where, unknown: m[0].includes('${') && v.unknownVars.length > 0 });
  }
  return words;
}
