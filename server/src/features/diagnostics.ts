/**
 * Diagnostics on open and on change, per document:
 * - the first change after a quiet period is analysed at once (leading edge);
 * - changes that follow within the debounce, or arrive while a version is
 *   being analysed, are coalesced: one analysis, `debounceMs` after the last
 *   of them (trailing edge);
 * - a version is analysed only once the changes already sent have been read,
 *   and its diagnostics are published only if no newer version has arrived
 *   meanwhile (an outdated analysis is never published).
 * A request that needs the analysis (flush) publishes the pending diagnostics
 * first: the parse is shared, and the diagnostics never wait behind a feature.
 */
import type { Connection, Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../lang/diagnostic';
import type { Settings, SettingsCache } from '../settings';
import { toLspDiagnostic } from './convert';
import { applySeverityOverrides } from './severityOverrides';

interface DocState {
  /** The pending run's timer, and whether it is the leading edge (never pushed back by later changes). */
  timer?: ReturnType<typeof setTimeout>;
  leading: boolean;
  /** The version last scheduled, and when the last edit (a new version, not opened) arrived (ms, Date.now()). */
  version?: number;
  lastEditAt: number;
  /** Counts schedule() calls; `done` is the count the last publish answered (a dropped run answers none). */
  requested: number;
  done: number;
  /** A run is between its start and its publish. */
  running?: Promise<void>;
}

/**
 * Long enough for a message the client has already sent to be handled: vscode-jsonrpc takes one event-loop
 * turn each to read it, to decode it and to dispatch it from its queue, and the client writes a burst one
 * message at a time.
 */
const SETTLE_QUIET_MS = 1;
const turn = (): Promise<void> =>
  new Promise((resolve) => setImmediate(() => setImmediate(() => setImmediate(() => setTimeout(resolve, SETTLE_QUIET_MS)))));
/** How many turns a run waits at most for a burst of changes already sent to be read. */
const MAX_SETTLE_TURNS = 50;

export class DiagnosticsScheduler {
  private readonly docs = new Map<string, DocState>();

  constructor(
    private readonly connection: Connection,
    /** What is wrong with a document (its language's analysis). */
    private readonly diagnose: (doc: TextDocument, settings: Settings) => readonly Diagnostic[],
    private readonly settings: SettingsCache,
    private readonly current: (uri: string) => TextDocument | undefined,
    /** Told what was published (the status bar's counts). */
    private readonly onPublished?: (uri: string, published: readonly LspDiagnostic[]) => void,
  ) {}

  /**
   * A new version is an edit: at once after a pause, else coalesced. The same version again (another file it
   * depends on changed) waits for the debounce; `immediate` (open, settings changed, new findings ready) never does.
   */
  schedule(doc: TextDocument, immediate = false): void {
    const st = this.state(doc.uri);
    st.requested++;
    const edit = doc.version !== st.version;
    st.version = doc.version;
    const now = Date.now();
    const sinceLastEdit = now - st.lastEditAt;
    if (edit && !immediate) st.lastEditAt = now;
    if (st.timer && st.leading) return; // the leading run is still to come and takes the newest version
    void this.settings.get(doc.uri).then((s) => {
      if (st.timer && st.leading) return;
      // An edit that arrives while a check runs makes that check outdated: edits come faster than checks, so coalesce.
      const leading = immediate || (edit && sinceLastEdit >= s.debounceMs && !st.timer && !st.running);
      this.arm(doc.uri, st, leading ? 0 : s.debounceMs, leading);
    });
  }

  /** Publishes the pending diagnostics now (before a request answers from the same analysis). */
  async flush(uri: string): Promise<void> {
    const st = this.docs.get(uri);
    if (!st) return;
    while (st.running) await st.running;
    if (st.requested === st.done) return;
    if (st.timer) clearTimeout(st.timer);
    st.timer = undefined;
    await this.run(uri, st, false);
  }

  clear(uri: string): void {
    const st = this.docs.get(uri);
    if (st?.timer) clearTimeout(st.timer);
    this.docs.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  private state(uri: string): DocState {
    let st = this.docs.get(uri);
    if (!st) {
      st = { leading: false, lastEditAt: -Infinity, requested: 0, done: 0 };
      this.docs.set(uri, st);
    }
    return st;
  }

  private arm(uri: string, st: DocState, delayMs: number, leading: boolean): void {
    if (st.timer) clearTimeout(st.timer);
    st.leading = leading;
    st.timer = setTimeout(() => {
      st.timer = undefined;
      void this.run(uri, st, true);
    }, delayMs);
  }

  private async run(uri: string, st: DocState, settle: boolean): Promise<void> {
    while (st.running) await st.running;
    if (st.requested === st.done || this.docs.get(uri) !== st) return;
    let finish!: () => void;
    st.running = new Promise((resolve) => (finish = resolve));
    try {
      // A burst already sent: read it all, and analyse the version it ends on.
      if (settle) await this.settle(st);
      const settings = await this.settings.get(uri);
      const doc = this.current(uri);
      if (!doc) return;
      const seen = st.requested;
      const version = doc.version;
      const started = Date.now();
      const found = applySeverityOverrides(this.diagnose(doc, settings), settings.severityOverrides);
      const analysedMs = Date.now() - started;
      // Changes that arrived while the analysis held the thread: read them before publishing.
      await this.settle(st);
      if (this.current(uri)?.version !== version || this.docs.get(uri) !== st) return; // outdated: the newer version's own run publishes
      const diagnostics = found.map((d) => toLspDiagnostic(d, uri));
      await this.connection.sendDiagnostics({ uri, version, diagnostics });
      st.done = Math.max(st.done, seen);
      this.onPublished?.(uri, diagnostics);
      this.connection.console.log(`checked ${uri} v${version}: ${diagnostics.length} diagnostics in ${analysedMs} ms`);
    } finally {
      st.running = undefined;
      finish();
    }
  }

  /** Waits until a turn of the event loop passes without a new change to this document. */
  private async settle(st: DocState): Promise<void> {
    for (let i = 0; i < MAX_SETTLE_TURNS; i++) {
      const before = st.requested;
      await turn();
      if (st.requested === before) return;
    }
  }
}
