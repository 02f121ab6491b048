/**
 * Diagnostics on open and on change: debounced per document, and dropped
 * when a newer version arrives before they are published (cancellation).
 */
import type { Connection, Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../lang/diagnostic';
import type { Settings, SettingsCache } from '../settings';
import { toLspDiagnostic } from './convert';
import { applySeverityOverrides } from './severityOverrides';

export class DiagnosticsScheduler {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly connection: Connection,
    /** What is wrong with a document (its language's analysis). */
    private readonly diagnose: (doc: TextDocument, settings: Settings) => readonly Diagnostic[],
    private readonly settings: SettingsCache,
    private readonly current: (uri: string) => TextDocument | undefined,
    /** Told what was published (the status bar's counts). */
    private readonly onPublished?: (uri: string, published: readonly LspDiagnostic[]) => void,
  ) {}

  schedule(doc: TextDocument, immediate = false): void {
    const prev = this.timers.get(doc.uri);
    if (prev) clearTimeout(prev);
    void this.settings.get(doc.uri).then((s) => {
      const t = setTimeout(() => {
        this.timers.delete(doc.uri);
        void this.publish(doc.uri, doc.version);
      }, immediate ? 0 : s.debounceMs);
      this.timers.set(doc.uri, t);
    });
  }

  private async publish(uri: string, version: number): Promise<void> {
    const doc = this.current(uri);
    if (!doc || doc.version !== version) return; // superseded
    const settings = await this.settings.get(uri);
    const started = Date.now();
    const found = applySeverityOverrides(this.diagnose(doc, settings), settings.severityOverrides);
    if (this.current(uri)?.version !== version) return;
    const diagnostics = found.map((d) => toLspDiagnostic(d, uri));
    await this.connection.sendDiagnostics({ uri, version, diagnostics });
    this.onPublished?.(uri, diagnostics);
    this.connection.console.log(`checked ${uri} v${version}: ${diagnostics.length} diagnostics in ${Date.now() - started} ms`);
  }

  clear(uri: string): void {
    const t = this.timers.get(uri);
    if (t) clearTimeout(t);
    this.timers.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}
