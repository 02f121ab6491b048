/**
 * While a large file's reachability is computed again after an edit (after a
 * pause in typing), its previous findings stay shown, moved to where their
 * lines are now, instead of vanishing from the Problems view on every
 * keystroke and coming back a second later. A finding whose line, or one of
 * whose blocking rules' lines, cannot be found unchanged is left out; carried
 * findings say they are from the previous version and offer no quick fix
 * (its edits would be of the old text).
 */
import type { Diagnostic, Span } from './lang/diagnostic';

/** What the findings of one version need to be carried to the next: the text of each line they mention. */
export interface FindingLines {
  readonly lineCount: number;
  readonly texts: ReadonlyMap<number, string>;
}

/** The lines the findings mention (their own, their related information's in the same document). */
export function findingLines(findings: readonly Diagnostic[], lineCount: number, lineText: (line: number) => string | undefined): FindingLines {
  const texts = new Map<number, string>();
  const note = (l: number) => {
    if (texts.has(l)) return;
    const t = lineText(l);
    if (t !== undefined) texts.set(l, t);
  };
  for (const d of findings) {
    note(d.span.start.line);
    for (const r of d.related ?? []) if (!r.uri) note(r.span.start.line);
  }
  return { lineCount, texts };
}

const CARRIED = '(Previous version; being analysed again.) ';

/**
 * The findings moved to the new text: a line keeps its number (the edit was below it) or moves by
 * the change in line count (the edit was above it), whichever holds the same text now.
 */
export function carryFindings(findings: readonly Diagnostic[], old: FindingLines, lineCount: number, lineText: (line: number) => string | undefined): Diagnostic[] {
  const delta = lineCount - old.lineCount;
  const moved = new Map<number, number | undefined>();
  const moveLine = (l: number): number | undefined => {
    if (moved.has(l)) return moved.get(l);
    const text = old.texts.get(l);
    let to: number | undefined;
    if (text !== undefined) to = [l, l + delta].find((c) => c >= 0 && c < lineCount && lineText(c) === text);
    moved.set(l, to);
    return to;
  };
  const shift = (s: Span, to: number): Span => ({ start: { line: to, col: s.start.col }, end: { line: to + (s.end.line - s.start.line), col: s.end.col } });
  const out: Diagnostic[] = [];
  for (const d of findings) {
    const to = moveLine(d.span.start.line);
    if (to === undefined) continue;
    const related = [];
    let lost = false;
    for (const r of d.related ?? []) {
      if (r.uri) {
        related.push(r);
        continue;
      }
      const rt = moveLine(r.span.start.line);
      if (rt === undefined) lost = true;
      else related.push({ ...r, span: shift(r.span, rt) });
    }
    if (lost) continue;
    const { fixes: _fixes, ...rest } = d;
    out.push({ ...rest, message: CARRIED + d.message, span: shift(d.span, to), ...(d.related ? { related } : {}) });
  }
  return out;
}
