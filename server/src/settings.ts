/**
 * Settings, resolved per document (never cached in module globals beyond
 * this per-URI map, cleared on configuration change and on close).
 */
import type { Connection } from 'vscode-languageserver/node';
import type { Backend } from './lang/iptables/extension';
import type { Family } from './lang/iptables/inet';
import type { UnknownAssumption } from './emulator/traverse';
import { parseSeverityOverrides, type SeverityOverrides } from './features/severityOverrides';

export interface Settings {
  /** Which iptables-restore the verdicts follow. */
  readonly backend: Backend;
  /** Address family of iptables files ("auto": from the file's header). */
  readonly family: Family | 'auto';
  /** Edits that follow one another closer than this are checked once, this long after the last (the first edit after a pause is checked at once). */
  readonly debounceMs: number;
  /** The Docker version daemon option files are for ("": the one their syntax implies). */
  readonly dockerVersion: string;
  /** Reachability analysis runs on files with at most this many rules (0: never). */
  readonly maxAnalyzedRules: number;
  /** Diagnostic code → another severity or "off" (netfilterLens.diagnostics.severity). */
  readonly severityOverrides: SeverityOverrides;
  /** How the editor's traces decide matches the emulator cannot evaluate (ipset, owner…). */
  readonly assumeUnknown: UnknownAssumption;
  /** At most this many outline symbols (tables, then chains, then rules). */
  readonly outlineMaxItems: number;
}

export const DEFAULT_SETTINGS: Settings = { backend: 'nft', family: 'auto', debounceMs: 150, dockerVersion: '', maxAnalyzedRules: 10000, severityOverrides: {}, assumeUnknown: 'match', outlineMaxItems: 5000 };

export function normalizeSettings(raw: unknown): Settings {
  const r = (raw ?? {}) as Record<string, unknown>;
  const ipt = (r.iptables ?? {}) as Record<string, unknown>;
  const backend = ipt.backend === 'legacy' ? 'legacy' : 'nft';
  const family = ipt.family === 'ipv4' || ipt.family === 'ipv6' ? ipt.family : 'auto';
  const debounce = typeof r.debounceMs === 'number' && r.debounceMs >= 0 ? r.debounceMs : DEFAULT_SETTINGS.debounceMs;
  const docker = (r.docker ?? {}) as Record<string, unknown>;
  const dockerVersion = typeof docker.version === 'string' && /^\d+\.\d+(\.\d+)?$/.test(docker.version.trim()) ? docker.version.trim() : '';
  const analysis = (r.analysis ?? {}) as Record<string, unknown>;
  const maxAnalyzedRules = typeof analysis.maxRules === 'number' && analysis.maxRules >= 0 ? Math.floor(analysis.maxRules) : DEFAULT_SETTINGS.maxAnalyzedRules;
  const severityOverrides = parseSeverityOverrides(((r.diagnostics ?? {}) as Record<string, unknown>).severity);
  const assumeUnknown = ((r.trace ?? {}) as Record<string, unknown>).assumeUnknown === 'no-match' ? 'no-match' : 'match';
  const outline = (r.outline ?? {}) as Record<string, unknown>;
  const outlineMaxItems = typeof outline.maxItems === 'number' && outline.maxItems >= 0 ? Math.floor(outline.maxItems) : DEFAULT_SETTINGS.outlineMaxItems;
  return { backend, family, debounceMs: debounce, dockerVersion, maxAnalyzedRules, severityOverrides, assumeUnknown, outlineMaxItems };
}

export class SettingsCache {
  private readonly perUri = new Map<string, Promise<Settings>>();
  constructor(
    private readonly connection: Connection,
    private readonly supportsConfiguration: () => boolean,
  ) {}

  get(uri: string): Promise<Settings> {
    if (!this.supportsConfiguration()) return Promise.resolve(DEFAULT_SETTINGS);
    let s = this.perUri.get(uri);
    if (!s) {
      s = this.connection.workspace
        .getConfiguration({ scopeUri: uri, section: 'netfilterLens' })
        .then(normalizeSettings, () => DEFAULT_SETTINGS);
      this.perUri.set(uri, s);
    }
    return s;
  }

  clear(uri?: string): void {
    if (uri) this.perUri.delete(uri);
    else this.perUri.clear();
  }
}
