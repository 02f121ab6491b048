/**
 * What a Netfilter Lens panel keeps across a window reload: the request it
 * shows (the trace's rules file, packet and the host it ran on; the
 * topology's file), never what it computed — a restored panel traces or
 * draws again from the files as they are then. The extension posts this to
 * the webview ("keep"), the webview stores it in its state (setState), and
 * VS Code hands that state to the panel serializer after the reload. Pure:
 * the webview scripts use it too.
 */
import type { TraceOriginParam, TraceParams } from '../../../server/src/protocol';
import type { HostSource, TraceHost } from '../../../server/src/trace/traceResult';

/** The key of the webview state that holds the saved request (the webview's own keys, such as the packet tab, sit beside it). */
export const SAVED_KEY = 'saved';
const VERSION = 1;

export interface SavedHost {
  readonly source: HostSource;
  /** The description's path, when the host was described. */
  readonly file?: string;
}

export interface SavedTrace {
  readonly kind: 'trace';
  readonly v: typeof VERSION;
  readonly params: TraceParams;
  /** The host the trace last ran on. */
  readonly host?: SavedHost;
}

export interface SavedTopology {
  readonly kind: 'topology';
  readonly v: typeof VERSION;
  /** The rules file or description the view draws. */
  readonly uri: string;
}

export type SavedPanel = SavedTrace | SavedTopology;

export function savedTrace(params: TraceParams, host?: TraceHost): SavedTrace {
  return { kind: 'trace', v: VERSION, params, ...(host ? { host: { source: host.source, ...(host.file ? { file: host.file } : {}) } } : {}) };
}

export function savedTopology(uri: string): SavedTopology {
  return { kind: 'topology', v: VERSION, uri };
}

const record = (x: unknown): Record<string, unknown> | undefined => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined);
const text = (x: unknown): x is string => typeof x === 'string' && x.length <= 4096;
const port = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 65535;

/** The webview state `old` with `patch` over it: each script writes its own keys and keeps the others. */
export function mergeState(old: unknown, patch: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { ...(record(old) ?? {}), ...patch };
}

function originOf(x: unknown): TraceOriginParam | undefined {
  const o = record(x);
  if (!o) return undefined;
  if (text(o.iface)) return { iface: o.iface };
  if (o.local === true) return { local: true };
  if (text(o.peer)) return { peer: o.peer };
  return undefined;
}

/** A trace request read back from stored state (another version's, or edited by hand): every field checked, unknown ones dropped. */
export function traceParamsOf(x: unknown): TraceParams | undefined {
  const p = record(x);
  const origin = originOf(p?.origin);
  if (!p || !origin || !text(p.uri) || !p.uri || !text(p.proto) || !text(p.src) || !text(p.dst)) return undefined;
  if ((p.sport !== undefined && !port(p.sport)) || (p.dport !== undefined && !port(p.dport))) return undefined;
  const g = record(p.guess);
  const guess = g && {
    ...(text(g.outIface) ? { outIface: g.outIface } : {}),
    ...(typeof g.dstIsLocal === 'boolean' ? { dstIsLocal: g.dstIsLocal } : {}),
  };
  return {
    uri: p.uri, proto: p.proto, src: p.src, dst: p.dst, origin,
    ...(p.sport !== undefined ? { sport: p.sport } : {}),
    ...(p.dport !== undefined ? { dport: p.dport } : {}),
    ...(guess ? { guess } : {}),
  };
}

function savedOf(webviewState: unknown, kind: SavedPanel['kind']): Record<string, unknown> | undefined {
  const s = record(record(webviewState)?.[SAVED_KEY]);
  return s?.kind === kind && s.v === VERSION ? s : undefined;
}

/** The trace a panel showed before the reload, from its webview state; undefined when there is none that can be used. */
export function restoredTrace(webviewState: unknown): SavedTrace | undefined {
  const s = savedOf(webviewState, 'trace');
  const params = traceParamsOf(s?.params);
  if (!s || !params) return undefined;
  const h = record(s.host);
  const source = h?.source;
  const host: SavedHost | undefined = source === 'description' || source === 'workspace' || source === 'inferred' ? { source, ...(text(h?.file) ? { file: h.file } : {}) } : undefined;
  return { kind: 'trace', v: VERSION, params, ...(host ? { host } : {}) };
}

/** The file a topology view drew before the reload. */
export function restoredTopology(webviewState: unknown): SavedTopology | undefined {
  const s = savedOf(webviewState, 'topology');
  return s && text(s.uri) && s.uri ? savedTopology(s.uri) : undefined;
}

function decoded(uri: string): string {
  try {
    return decodeURIComponent(uri);
  } catch {
    return uri;
  }
}
/** The last part of a path or URI. */
const fileName = (pathOrUri: string): string => pathOrUri.split(/[\\/]/).pop() || pathOrUri;
const shownPath = (uri: string): string => decoded(uri.startsWith('file://') ? uri.slice('file://'.length) : uri);

/** What a panel says when the file it shows no longer exists (deleted or moved, before or after a reload). */
export function missingFileMessage(view: 'trace' | 'topology', uri: string): string {
  const file = `${decoded(fileName(uri))} no longer exists (${shownPath(uri)})`;
  return view === 'trace'
    ? `The rules file ${file}: there is nothing to trace. Put it back and the panel traces it again, or run Trace Packet… on another rules file.`
    : `The file ${file}: there is nothing to draw. Put it back and the view draws it again, or run Show Host Topology on another rules file or description.`;
}

const hostWords = (h: SavedHost): string => (h.source === 'inferred' ? 'the host inferred from the rules' : `the host ${h.source === 'workspace' ? 'of the workspace' : 'described'} in ${fileName(h.file ?? '')}`);

/** A restored trace that now runs on another host than before the reload (a description added, removed or renamed): say so. */
export function hostChangeWarning(before: SavedHost | undefined, now: TraceHost): string | undefined {
  if (!before || (before.source === now.source && (before.file ?? '') === (now.file ?? ''))) return undefined;
  return `Before the window was reloaded this trace ran on ${hostWords(before)}; it now runs on ${hostWords(now)}.`;
}

/** What a restored panel says when its state holds no request it can use (saved by an older version, or damaged). */
export function unrestorableMessage(view: 'trace' | 'topology'): string {
  return view === 'trace'
    ? 'This trace panel was open before the window was reloaded, but which packet it traced was not saved (an older version of Netfilter Lens opened it). Run Trace Packet… again.'
    : 'This topology view was open before the window was reloaded, but which file it drew was not saved (an older version of Netfilter Lens opened it). Run Show Host Topology again.';
}
