/**
 * The analysis of each open document, computed once per (version, settings)
 * and shared by every feature that asks. Keeps the server stateless per
 * request: entries are derived data, dropped on close. A new version's parse
 * is handed the previous version's analysis (same settings) to reuse.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeIptables, proveCleanFile, type IptablesAnalysis } from './lang/iptables/analyze';
import type { CleanProof } from './lang/iptables/cleanProof';
import type { Settings } from './settings';
import { analyzeReachability, type Reachability } from './analysis/reachability';
import { reachFindings } from './analysis/findings';
import type { Diagnostic } from './lang/diagnostic';
import { PieceDocument } from './pieceDocument';
import { carryFindings, findingLines, type FindingLines } from './carriedFindings';

/** Reachability of one document version, with its findings. */
export interface ReachEntry {
  readonly reach: Reachability | undefined;
  readonly findings: readonly Diagnostic[];
  /** Why there is none (too many rules, IPv6). */
  readonly skipped?: string;
  /** How many rules were analysed. */
  readonly rules?: number;
  /** How long the walk and its findings took (ms). */
  readonly ms?: number;
  /** The lines the findings mention, to carry them to the next version while it is analysed. */
  readonly lines?: FindingLines;
}

/**
 * A small file's reachability is computed with its load diagnostics (they wait for it) only while the
 * document's previous run took at most this long; else it runs after a pause in typing, as a large file's.
 */
const INLINE_REACH_MS = 50;
/**
 * A run that reuses an earlier version's walks and took at most this long is started as soon as
 * the load diagnostics are out, not after the pause in typing (REACH_AFTER_IDLE_MS in server.ts):
 * an edit of a 17,000-rule file gets its findings ~100 ms after its diagnostics instead of ~500.
 */
const SOON_REACH_MS = 200;

/** When a version's reachability runs: with its load diagnostics, right after them, or after a pause in typing. */
export type ReachWhen = 'now' | 'soon' | 'idle';

interface Entry {
  readonly version: number;
  /** The settings the parse depends on. */
  readonly key: string;
  readonly analysis: IptablesAnalysis;
  /** Reachability, and the rule limit it was decided under (raising the limit must not keep "skipped"). */
  reach?: { readonly maxRules: number; readonly entry: ReachEntry };
  /**
   * The newest reachability of an earlier version (same settings), until this version has its own:
   * shown meanwhile, and handed to this version's analysis to reuse (then dropped).
   */
  earlierReach?: ReachEntry;
  /**
   * The newest reachability (of this or an earlier version) that analysed every table the others
   * did: while an edit leaves a table that does not load (typing), the next version reuses the
   * walks of the last one where it loaded rather than walking that table from scratch.
   */
  goodReach?: Reachability;
}

/** Whether a reachability analysed every one of these tables (tables that do not load are left out). */
function covers(r: Reachability, tables: Iterable<string>): boolean {
  for (const t of tables) if (!r.emu.tables.has(t)) return false;
  return true;
}

const parseKey = (s: Settings): string => `${s.backend}/${s.family}`;

/** The ruleset's rules, counted up to `limit + 1` (a 170,012-rule dump has 60,000 chains: a full count on every edit costs ~5 ms). */
export function ruleCount(analysis: IptablesAnalysis, limit = Infinity): number {
  let rules = 0;
  for (const t of analysis.parsed.ruleset.tables.values()) {
    for (const c of t.chains.values()) {
      rules += c.rules.length;
      if (rules > limit) return rules;
    }
  }
  return rules;
}

export class AnalysisCache {
  private readonly entries = new Map<string, Entry>();

  /** `now`: the clock that times reachability runs (ms). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  get(doc: TextDocument, settings: Settings): IptablesAnalysis {
    return this.entry(doc, settings).analysis;
  }

  /**
   * Before the document's first analysis under these settings (it was just opened): the one-pass
   * proof that the analysis would find nothing (cleanProof.ts), for files that may hold more rules
   * than are analysed for reachability, so that a large clean file's diagnostics need not wait for
   * its model. Undefined once an analysis exists: edits reuse it.
   */
  firstProof(doc: TextDocument, settings: Settings): CleanProof | undefined {
    if (this.entries.get(doc.uri)?.key === parseKey(settings)) return undefined;
    const text = doc.getText();
    // A rule line takes at least 5 characters ("-A X" and its newline).
    if (text.length <= settings.maxAnalyzedRules * 5) return undefined;
    return proveCleanFile(text, { family: settings.family, fileName: doc.uri });
  }

  /** The newest analysis of the document under these settings, of its current version or an earlier one; never parses. */
  latest(uri: string, settings: Settings): IptablesAnalysis | undefined {
    const e = this.entries.get(uri);
    return e?.key === parseKey(settings) ? e.analysis : undefined;
  }

  /**
   * Reachability of the current version if computed (or quick), else of the newest earlier version that has one:
   * for what may show a version behind until refreshed (code lenses) rather than nothing.
   */
  latestReach(doc: TextDocument, settings: Settings): ReachEntry | undefined {
    const now = this.reachIfQuick(doc, settings);
    if (now) return now;
    const e = this.entries.get(doc.uri);
    return e?.earlierReach;
  }

  /**
   * Reachability of the document's current version if already computed, or quick to answer now: none to compute
   * (too many rules, IPv6), or a previous run that was quick (INLINE_REACH_MS): of few rules (at most
   * `quickRules`), or of an earlier version whose walks this run reuses (an edit of a larger file, once its
   * reachability has been computed: the edited chains and those that reach them are walked again).
   */
  reachIfQuick(doc: TextDocument, settings: Settings, quickRules = 2000): ReachEntry | undefined {
    return this.reachWhen(doc, settings, quickRules) === 'now' ? this.reach(doc, settings) : undefined;
  }

  /**
   * When the current version's reachability should run: now (computed already, nothing to compute,
   * or quick as above), soon (an edit whose earlier version's run reused walks and took at most
   * SOON_REACH_MS), or after a pause in typing (the first run of a large file, or slow runs).
   */
  reachWhen(doc: TextDocument, settings: Settings, quickRules = 2000): ReachWhen {
    const e = this.entry(doc, settings);
    if (e.reach?.maxRules === settings.maxAnalyzedRules) return 'now';
    const rules = ruleCount(e.analysis, Math.max(quickRules, settings.maxAnalyzedRules));
    if (rules > settings.maxAnalyzedRules || e.analysis.parsed.ruleset.family !== 'ipv4') return 'now';
    const ms = e.earlierReach?.ms ?? 0;
    if ((rules <= quickRules || e.earlierReach?.reach !== undefined) && ms <= INLINE_REACH_MS) return 'now';
    return e.earlierReach?.reach !== undefined && ms <= SOON_REACH_MS ? 'soon' : 'idle';
  }

  /** Reachability for the document's current version (computed on first request). */
  reach(doc: TextDocument, settings: Settings): ReachEntry {
    const e = this.entry(doc, settings);
    if (e.reach?.maxRules === settings.maxAnalyzedRules) return e.reach.entry;
    const rs = e.analysis.parsed.ruleset;
    let entry: ReachEntry;
    const rules = rs.family === 'ipv4' ? ruleCount(e.analysis, settings.maxAnalyzedRules) : 0;
    if (rs.family !== 'ipv4') entry = { reach: undefined, findings: [], skipped: 'reachability is analysed for IPv4 rules only' };
    else if (rules > settings.maxAnalyzedRules) {
      const analysis = e.analysis;
      // Said on hover only: counted then.
      entry = { reach: undefined, findings: [], get skipped() { return `${ruleCount(analysis)} rules: more than netfilterLens.analysis.maxRules (${settings.maxAnalyzedRules})`; } };
    }
    else {
      const started = this.now();
      // The earlier version's walks are reused where the edit left chains and their entries alone;
      // when a table of this version did not load there, the last version's where it did.
      const loaded = [...rs.tables.values()].filter((t) => t.committed).map((t) => t.name);
      const earlier = e.earlierReach?.reach ?? e.reach?.entry.reach;
      const previous = [earlier, e.goodReach].find((r) => r && covers(r, loaded)) ?? earlier;
      const reach = analyzeReachability(rs, previous ? { previous } : {});
      e.goodReach = !e.goodReach || covers(reach, e.goodReach.emu.tables.keys()) ? reach : e.goodReach;
      // The parser's lines (split at \n only, as iptables-restore reads them), not the editor's; split
      // only when a finding asks (a clean 170,012-rule file has none: 230,000 strings per edit saved).
      let lines: string[] | undefined;
      const lineText = (l: number) => (lines ??= doc.getText().split('\n'))[l]?.replace(/\r$/, '');
      const findings = reachFindings(rs, reach, { lineText });
      entry = { reach, findings, rules, ms: this.now() - started, lines: findingLines(findings, doc.lineCount, lineText) };
    }
    e.reach = { maxRules: settings.maxAnalyzedRules, entry };
    // Not needed any more (and it would keep the earlier version's analysis alive).
    delete e.earlierReach;
    return entry;
  }

  /**
   * The newest earlier version's findings, moved to where their lines are in this version (see
   * carriedFindings.ts): shown until this version's own reachability has run.
   */
  carriedFindings(doc: TextDocument, settings: Settings): Diagnostic[] {
    const earlier = this.entry(doc, settings).earlierReach;
    if (!earlier?.lines || !earlier.findings.length) return [];
    const lineText = (l: number) => (l < doc.lineCount ? doc.getText({ start: { line: l, character: 0 }, end: { line: l + 1, character: 0 } }).replace(/\r?\n$/, '') : undefined);
    return carryFindings(earlier.findings, earlier.lines, doc.lineCount, lineText);
  }

  drop(uri: string): void {
    this.entries.delete(uri);
  }

  private entry(doc: TextDocument, settings: Settings): Entry {
    const key = parseKey(settings);
    const e = this.entries.get(doc.uri);
    if (e && e.version === doc.version && e.key === key) return e;
    // Only an earlier version under the same settings is worth reusing.
    const previous = e && e.key === key && e.version < doc.version ? e.analysis : undefined;
    // The server's documents hand their pieces: a splice reads only the edited lines (pieceDocument.ts).
    const analysis = analyzeIptables(doc instanceof PieceDocument ? doc.content : doc.getText(), { backend: settings.backend, family: settings.family, fileName: doc.uri, ...(previous ? { previous } : {}) });
    const earlierReach = previous ? (e?.reach?.entry ?? e?.earlierReach) : undefined;
    const goodReach = previous ? e?.goodReach : undefined;
    const next: Entry = { version: doc.version, key, analysis, ...(earlierReach ? { earlierReach } : {}), ...(goodReach ? { goodReach } : {}) };
    this.entries.set(doc.uri, next);
    return next;
  }
}
