/**
 * The analysis of each open document, computed once per (version, settings)
 * and shared by every feature that asks. Keeps the server stateless per
 * request: entries are derived data, dropped on close.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeIptables, type IptablesAnalysis } from './lang/iptables/analyze';
import type { Settings } from './settings';
import { analyzeReachability, type Reachability } from './analysis/reachability';
import { reachFindings } from './analysis/findings';
import type { Diagnostic } from './lang/diagnostic';

/** Reachability of one document version, with its findings. */
export interface ReachEntry {
  readonly reach: Reachability | undefined;
  readonly findings: readonly Diagnostic[];
  /** Why there is none (too many rules, IPv6). */
  readonly skipped?: string;
}

interface Entry {
  readonly version: number;
  readonly key: string;
  readonly analysis: IptablesAnalysis;
  reach?: ReachEntry;
}

export class AnalysisCache {
  private readonly entries = new Map<string, Entry>();

  get(doc: TextDocument, settings: Settings): IptablesAnalysis {
    const key = `${settings.backend}/${settings.family}`;
    const e = this.entries.get(doc.uri);
    if (e && e.version === doc.version && e.key === key) return e.analysis;
    const analysis = analyzeIptables(doc.getText(), { backend: settings.backend, family: settings.family, fileName: doc.uri });
    this.entries.set(doc.uri, { version: doc.version, key, analysis });
    return analysis;
  }

  /** Reachability of the document's current version if already computed, or cheap enough (few rules) to compute now. */
  reachIfQuick(doc: TextDocument, settings: Settings, quickRules = 2000): ReachEntry | undefined {
    const analysis = this.get(doc, settings);
    const e = this.entries.get(doc.uri)!;
    if (e.reach) return e.reach;
    let rules = 0;
    for (const t of analysis.parsed.ruleset.tables.values()) for (const c of t.chains.values()) rules += c.rules.length;
    return rules <= quickRules ? this.reach(doc, settings) : undefined;
  }

  /** Reachability for the document's current version (computed on first request). */
  reach(doc: TextDocument, settings: Settings): ReachEntry {
    const analysis = this.get(doc, settings);
    const e = this.entries.get(doc.uri)!;
    if (e.reach) return e.reach;
    const rs = analysis.parsed.ruleset;
    let rules = 0;
    for (const t of rs.tables.values()) for (const c of t.chains.values()) rules += c.rules.length;
    if (rs.family !== 'ipv4') e.reach = { reach: undefined, findings: [], skipped: 'reachability is analysed for IPv4 rules only' };
    else if (rules > settings.maxAnalyzedRules) e.reach = { reach: undefined, findings: [], skipped: `${rules} rules: more than netfilterLens.analysis.maxRules (${settings.maxAnalyzedRules})` };
    else {
      const reach = analyzeReachability(rs);
      const lines = doc.getText().split('\n');
      e.reach = { reach, findings: reachFindings(rs, reach, { lineText: (l) => lines[l]?.replace(/\r$/, '') }) };
    }
    return e.reach;
  }

  drop(uri: string): void {
    this.entries.delete(uri);
  }
}
