/**
 * A finished trace as the editor receives it: the events as JSON, the story,
 * the docker-proxy legs, the host it ran on, and the text of every rule the
 * events name (per host, by 1-based line), so the panel can quote rules
 * without the files.
 */
import type { ConversationResult } from '../emulator/conversation';
import { renderStory } from '../emulator/render';
import type { TraceEvent } from '../emulator/trace';
import { eventHosts } from './eventHosts';
import type { HostSummary } from './hostSummary';
import { toJsonEvent, type JsonTraceEvent } from './jsonEvent';

/** Where the host model came from: a host description, an overlay workspace description, or the rules alone. */
export type HostSource = 'description' | 'workspace' | 'inferred';

export interface TraceHost extends HostSummary {
  readonly source: HostSource;
  /** The description file (a path), when there is one. */
  readonly file?: string;
}

/** A second conversation the first one opened (docker-proxy's own connection to the container). */
export interface TraceLeg {
  readonly conversation: number;
  readonly title: string;
  readonly completed: boolean;
  readonly summary: string;
}

export interface TraceOutcome {
  readonly events: readonly JsonTraceEvent[];
  readonly story: string;
  readonly completed: boolean;
  readonly summary: string;
  readonly legs: readonly TraceLeg[];
  readonly host: TraceHost;
  /** Rule text by host name, then 1-based line. */
  readonly ruleText: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The rules file (URI) of each host the trace visits, to reveal a rule in it. */
  readonly rulesFiles: Readonly<Record<string, string>>;
  /** A trace across the hosts of an overlay workspace. */
  readonly overlay: boolean;
  /** What the panel should say about its inputs (a description that could not be read in full, an interface it does not have). */
  readonly warnings: readonly string[];
}

export interface OutcomeInput {
  readonly events: readonly TraceEvent[];
  readonly completed: boolean;
  readonly summary: string;
  readonly legs?: readonly ConversationResult[];
  readonly host: TraceHost;
  readonly overlay: boolean;
  readonly warnings: readonly string[];
  readonly rulesFiles: Readonly<Record<string, string>>;
  /** A rules file's line (0-based) on a host. */
  readonly lineText: (host: string, line: number) => string | undefined;
}

function ruleLines(e: JsonTraceEvent): number[] {
  const out: number[] = [];
  for (const k of ['rule', 'from'] as const) {
    const r = (e as { [key: string]: unknown })[k];
    if (r && typeof r === 'object' && 'line' in r && typeof r.line === 'number' && r.line > 0) out.push(r.line);
  }
  return out;
}

export function traceOutcome(i: OutcomeInput): TraceOutcome {
  const events = i.events.map(toJsonEvent);
  const hosts = eventHosts(events);
  const ruleText: Record<string, Record<string, string>> = {};
  events.forEach((e, n) => {
    const host = hosts[n] || i.host.name;
    for (const line of ruleLines(e)) {
      const text = i.lineText(host, line - 1)?.replace(/\r$/, '').trim();
      if (text === undefined) continue;
      (ruleText[host] ??= {})[String(line)] = text;
    }
  });
  const legs = (i.legs ?? []).map((l) => {
    const c = l.events.find((e) => e.type === 'conversation');
    return { conversation: c?.type === 'conversation' ? c.id : 0, title: c?.type === 'conversation' ? c.title : '', completed: l.completed, summary: l.summary };
  });
  const story = renderStory(i.events, i.overlay ? {} : { lineText: (l) => i.lineText(i.host.name, l) });
  return { events, story, completed: i.completed, summary: i.summary, legs, host: i.host, ruleText, rulesFiles: i.rulesFiles, overlay: i.overlay, warnings: i.warnings };
}
