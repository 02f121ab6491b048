/**
 * Windows line ends: the "\r" ending each line of a text, as the edits of the quick fix that removes
 * them (rules files and Docker option files both offer it).
 */
import { span, type Span } from './diagnostic';

export const TO_LF_TITLE = 'Convert the file to LF line ends';

/** An edit removing the "\r" at the end of every line that has one (the last line too). */
export function crlfEdits(text: string): Array<{ span: Span; newText: string }> {
  const out: Array<{ span: Span; newText: string }> = [];
  for (let start = 0, index = 0; start < text.length; index++) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (end > start && text.charCodeAt(end - 1) === 13) out.push({ span: span(index, end - start - 1, end - start), newText: '' });
    start = end + 1;
  }
  return out;
}
