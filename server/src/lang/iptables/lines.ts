/**
 * Splits a document into the lines iptables-restore reads.
 *
 * iptables-restore reads with `fgets(buf, 10240)`: a line longer than 10239
 * bytes (UTF-8, newline included) arrives in several pieces, each counted as a
 * line of its own. We keep one entry per document line and record how many
 * restore lines it occupies, so messages can name iptables' own line numbers.
 */

import { utf8Length } from '../utf8';
import type { Text } from '../pieceText';

export const RESTORE_BUFFER_BYTES = 10240;

export interface SourceLine {
  /** 0-based document line. */
  readonly index: number;
  /** 1-based line number as iptables-restore counts it (its first piece). */
  readonly restoreLine: number;
  /** Text without the trailing "\n" ("\r" is kept: iptables does not strip it). */
  readonly text: string;
  readonly hasNewline: boolean;
  /** Number of fgets() pieces; more than 1 means the line is too long. */
  readonly pieces: number;
  /** Offset in the document of the first character. */
  readonly offset: number;
  /** Column of `text` in the document line (non-zero for the later pieces of an over-long line). */
  readonly col0?: number;
}

export function splitSourceLines(text: string): SourceLine[] {
  const lines: SourceLine[] = [];
  let restoreLine = 1;
  for (let offset = 0; offset < text.length; ) {
    const l = readSourceLine(text, offset, lines.length, restoreLine);
    lines.push(l);
    restoreLine += l.pieces;
    offset += l.text.length + 1;
  }
  return lines;
}

/** The line starting at `offset` (the next one starts at offset + text.length + 1). */
export function readSourceLine(text: Text, offset: number, index: number, restoreLine: number): SourceLine {
  const nl = text.indexOf('\n', offset);
  const hasNewline = nl >= 0;
  const end = hasNewline ? nl : text.length;
  const lineText = text.slice(offset, end);
  // Fast path: a line shorter than the buffer in UTF-16 units may still be
  // longer in bytes, so only count bytes when it could matter.
  const bytes = lineText.length * 3 + 1 < RESTORE_BUFFER_BYTES - 1 ? lineText.length : utf8Length(lineText);
  const total = bytes + (hasNewline ? 1 : 0);
  const pieces = Math.max(1, Math.ceil(total / (RESTORE_BUFFER_BYTES - 1)));
  return { index, restoreLine, text: lineText, hasNewline, pieces, offset };
}
