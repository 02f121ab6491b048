/**
 * The server's open documents: the editor's text document (positions, offsets, lines and ranges as
 * vscode-languageserver-textdocument gives them) over a text in pieces (lang/pieceText.ts). An edit
 * of a 26 MB rules file then makes a few pieces instead of the whole text again (~20-30 ms and 26 MB
 * per edit on our bench machine); the parser reads the edited lines through the pieces, and the
 * text is one string only when something asks for all of it. Line starts are kept as the editor's
 * document keeps them: moved by each edit, counted again only when an edit may join or part a "\r\n"
 * at its borders.
 */
import type { Position, Range, TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { firstAbove, PieceText } from './lang/pieceText';

const LF = 10;
const CR = 13;

/** The start of every line of text[from, to) (offsets plus base): after "\n", "\r\n" or a lone "\r". */
function lineStartsOf(text: string, from: number, to: number, base: number, out: number[]): void {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === CR) {
      if (i + 1 < to && text.charCodeAt(i + 1) === LF) i++;
      out.push(base + i + 1);
    } else if (c === LF) out.push(base + i + 1);
  }
}

export class PieceDocument implements TextDocument {
  private starts: number[] | undefined;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    public version: number,
    private text: PieceText,
  ) {}

  static create(uri: string, languageId: string, version: number, content: string): PieceDocument {
    return new PieceDocument(uri, languageId, version, PieceText.of(content));
  }

  /** Applies the editor's changes in order (TextDocuments calls this for each didChange). */
  static update(doc: PieceDocument, changes: readonly TextDocumentContentChangeEvent[], version: number): PieceDocument {
    for (const c of changes) doc.apply(c);
    doc.version = version;
    return doc;
  }

  /** The text as the parser reads it (pieceText.ts). */
  get content(): PieceText {
    return this.text;
  }

  getText(range?: Range): string {
    if (!range) return this.text.flat();
    const a = this.offsetAt(range.start);
    const b = this.offsetAt(range.end);
    return this.text.slice(Math.min(a, b), Math.max(a, b));
  }

  get lineCount(): number {
    return this.lineStarts().length;
  }

  positionAt(offset: number): Position {
    offset = Math.max(Math.min(offset, this.text.length), 0);
    const starts = this.lineStarts();
    const line = firstAbove(starts, offset) - 1;
    return { line, character: this.beforeEol(offset, starts[line]!) - starts[line]! };
  }

  offsetAt(position: Position): number {
    const starts = this.lineStarts();
    if (position.line >= starts.length) return this.text.length;
    if (position.line < 0) return 0;
    const start = starts[position.line]!;
    if (position.character <= 0) return start;
    const next = position.line + 1 < starts.length ? starts[position.line + 1]! : this.text.length;
    return this.beforeEol(Math.min(start + position.character, next), start);
  }

  getLineRange(line: number): Range {
    const starts = this.lineStarts();
    if (line < 0) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    // Past the last line: the last line's range.
    line = Math.min(line, starts.length - 1);
    const start = starts[line]!;
    const next = line + 1 < starts.length ? starts[line + 1]! : this.text.length;
    const end = this.beforeEol(next, start);
    return { start: { line, character: 0 }, end: { line, character: end - start } };
  }

  getEOLCharacters(line: number): string {
    const starts = this.lineStarts();
    if (line < 0 || line >= starts.length) return '';
    const start = starts[line]!;
    const next = line + 1 < starts.length ? starts[line + 1]! : this.text.length;
    return this.text.slice(this.beforeEol(next, start), next);
  }

  /** An offset moved back before the line end it falls in or after. */
  private beforeEol(offset: number, lineStart: number): number {
    while (offset > lineStart) {
      const c = this.text.charCodeAt(offset - 1);
      if (c !== LF && c !== CR) break;
      offset--;
    }
    return offset;
  }

  private lineStarts(): number[] {
    if (!this.starts) {
      const out = [0];
      lineStartsOf(this.text.flat(), 0, this.text.length, 0, out);
      this.starts = out;
    }
    return this.starts;
  }

  private apply(c: TextDocumentContentChangeEvent): void {
    if (!('range' in c)) {
      this.text = PieceText.of(c.text);
      this.starts = undefined;
      return;
    }
    const [from, to] = ordered(c.range);
    const start = this.offsetAt(from);
    const end = this.offsetAt(to);
    const before = this.text;
    this.text = before.edit(start, end, c.text);
    const starts = this.starts;
    if (!starts) return;
    // A "\r" just before the edit, or a "\n" just after it that a "\r" preceded or now precedes, may join or part
    // a "\r\n" across the edit's border: counted again when asked.
    const crBefore = start > 0 && before.charCodeAt(start - 1) === CR;
    const lfAfter = end < before.length && before.charCodeAt(end) === LF;
    if (crBefore || (lfAfter && ((end > start && before.charCodeAt(end - 1) === CR) || c.text.charCodeAt(c.text.length - 1) === CR))) {
      this.starts = undefined;
      return;
    }
    // The lines starting inside (start, end] go; the new text's own take their place; those after move.
    const firstGone = firstAbove(starts, start);
    const kept = firstAbove(starts, end);
    const added: number[] = [];
    lineStartsOf(c.text, 0, c.text.length, start, added);
    const diff = c.text.length - (end - start);
    const now = added.length === kept - firstGone ? starts : starts.slice(0, firstGone).concat(added, starts.slice(kept));
    for (let i = 0; i < added.length; i++) now[firstGone + i] = added[i]!;
    if (diff !== 0) for (let i = firstGone + added.length; i < now.length; i++) now[i]! += diff;
    this.starts = now;
  }
}

function ordered(r: Range): [Position, Position] {
  const { start, end } = r;
  return start.line > end.line || (start.line === end.line && start.character > end.character) ? [end, start] : [start, end];
}
