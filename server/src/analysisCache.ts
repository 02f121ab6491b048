/**
 * The analysis of each open document, computed once per (version, settings)
 * and shared by every feature that asks. Keeps the server stateless per
 * request: entries are derived data, dropped on close.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeIptables, type IptablesAnalysis } from './lang/iptables/analyze';
import type { Settings } from './settings';

interface Entry {
  readonly version: number;
  readonly key: string;
  readonly analysis: IptablesAnalysis;
}

export class AnalysisCache {
  private readonly entries = new Map<string, Entry>();

  get(doc: TextDocument, settings: Settings): IptablesAnalysis {
    const key = `${settings.backend}/${settings.family}`;
    const e = this.entries.get(doc.uri);
    if (e && e.version === doc.version && e.key === key) return e.analysis;
    const analysis = analyzeIptables(doc.getText(), { backend: settings.backend, family: settings.family });
    this.entries.set(doc.uri, { version: doc.version, key, analysis });
    return analysis;
  }

  drop(uri: string): void {
    this.entries.delete(uri);
  }
}
