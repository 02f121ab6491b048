/** Spans and chains of lines that moved (a reparse after lines were added or removed above them). */
import type { Span } from '../diagnostic';
import type { LoadedChain, LoadedRule } from './ruleset';

export function movedSpan(s: Span, delta: number): Span {
  return { start: { line: s.start.line + delta, col: s.start.col }, end: { line: s.end.line + delta, col: s.end.col } };
}

/**
 * The chain with other rules: every field named (a spread of chains made in different places
 * took ~0.5 µs each; a line added near the top of a kube dump's nat table copies 50,000 of them).
 */
export function withRules(ch: LoadedChain, rules: LoadedRule[]): LoadedChain {
  return { name: ch.name, builtin: ch.builtin, policy: ch.policy, policySpan: ch.policySpan, declSpan: ch.declSpan, declLine: ch.declLine, absent: ch.absent, rules };
}

/** A chain declared on a line that moved by `delta`, with `rules`. */
export function movedChain(ch: LoadedChain, delta: number, rules: LoadedRule[]): LoadedChain {
  return {
    ...ch,
    rules,
    ...(ch.declLine !== undefined ? { declLine: ch.declLine + delta } : {}),
    ...(ch.declSpan ? { declSpan: movedSpan(ch.declSpan, delta) } : {}),
    ...(ch.policySpan ? { policySpan: movedSpan(ch.policySpan, delta) } : {}),
  };
}
