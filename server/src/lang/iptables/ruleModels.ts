/**
 * Rule models for code that reads every rule once (the emulator's compile,
 * the host inference). A line the fast path took is read again by it: the
 * model comes without spans, ~3.5 times faster than the full parser makes
 * it (170,012 rules: ~0.3 s against ~1.07 s), and
 * nothing is kept on the command (the full models kept that way by a
 * 17,012-rule analysis were ~22 MB of its 109). Other lines, and lines whose
 * full model is kept already, give the command's own model. Spans are empty
 * in a fast model: what shows a span reads the command's `rule`.
 */
import type { Command, RuleSpec } from './ast';
import { FastRuleLines, FastShape } from './fastRuleLine';
import type { SourceLine } from './lines';
import { RuleCommand, visibleText } from './ruleLine';

/** Fast lines read again so far in this process (tests read it: what a reader spares). */
let fastReads = 0;
export function fastModelsRead(): number {
  return fastReads;
}

export class RuleModels {
  /** One fast reader per family and backend (its segment cache is shared by the lines it reads). */
  private readonly readers = new Map<string, FastRuleLines>();

  of(command: Command): RuleSpec | undefined {
    if (!(command instanceof RuleCommand)) return command.rule;
    const shape = command.shape;
    if (!(shape instanceof FastShape) || command.keptRule) return command.rule;
    const src = shape.source;
    const key = `${src.family} ${src.backend}`;
    let reader = this.readers.get(key);
    if (!reader) this.readers.set(key, (reader = new FastRuleLines(src.family, src.backend, undefined, true)));
    const piece: SourceLine = { index: command.line, restoreLine: command.restoreLine, text: shape.text, hasNewline: shape.hasNewline, pieces: 1, offset: 0 };
    fastReads++;
    // The fast path accepted this line when the file was parsed; the same reader on the same text accepts it again.
    return reader.model(piece, visibleText(piece), src.table) ?? command.rule;
  }
}
