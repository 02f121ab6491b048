/**
 * Which extensions the emulator can evaluate: the MATCHERS and TARGETS
 * tables, one file per extension under matchers/ and targets/. An extension
 * the parser knows but this table lacks is evaluated as "unknown" (the
 * unknown-match setting decides, and the trace says so).
 */
import type { Matcher, TargetFn } from './context';
import { MATCHER_LIST } from './matchers';
import { TARGET_LIST } from './targets';

export interface MatcherEntry {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly fn: Matcher<any>;
}

export interface TargetEntry {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly fn: TargetFn<any>;
}

function table<T extends { name: string }>(list: readonly T[], what: string): ReadonlyMap<string, T> {
  const m = new Map<string, T>();
  for (const e of list) {
    if (m.has(e.name)) throw new Error(`duplicate emulator ${what} "${e.name}"`); // programmer error, at load
    m.set(e.name, e);
  }
  return m;
}

export const MATCHERS: ReadonlyMap<string, MatcherEntry> = table(MATCHER_LIST, 'matcher');
export const TARGETS: ReadonlyMap<string, TargetEntry> = table(TARGET_LIST, 'target');
