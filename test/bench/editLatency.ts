/**
 * The editor's figure for a big file: a one-line edit to the fresh
 * diagnostics of the new version, through the real language server over
 * its protocol (incremental sync, as VS Code sends it).
 *
 * Each edit follows a pause longer than the debounce (the server's policy
 * checks such an edit at once; edits in a burst are coalesced instead), and
 * waits for the server to finish what the previous one started (a large
 * file's reachability, after 400 ms without edits). Every edit's diagnostics
 * are checked for freshness by content: half the edits put an unknown option
 * on the rule (an error on that line), the other half take it away.
 */
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import type { FileSummary } from '../../server/src/protocol';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { percentile } from './stats';
import { LspClient } from '../helpers/lspClient';

export interface EditLatency {
  /** Open to the first diagnostics. */
  readonly openMs: number;
  /**
   * Open to the first hover's answer, asked once the first diagnostics are out: the file's model is built by then
   * (a large clean file's first diagnostics come from the clean proof, before its model). The edits below start after it.
   */
  readonly openToHoverMs: number;
  /** didChange sent to the diagnostics of that version received: median, 95th percentile and worst over the edits. */
  readonly editToDiagnosticsMs: number;
  readonly editToDiagnosticsP95Ms: number;
  readonly editToDiagnosticsMaxMs: number;
  /** The same for the edits that add an error, and for those that take it away. */
  readonly errorEditMs: number;
  readonly fixEditMs: number;
  /** Lines inserted and deleted (a bad copy of a rule below it, then removed): every line below moves. Median and 95th percentile. */
  readonly lineInsertDeleteToDiagnosticsMs: number;
  readonly lineInsertDeleteToDiagnosticsP95Ms: number;
  /** Edit to the reachability findings of the new version (files within maxRules only): median. */
  readonly editToFindingsMs?: number;
  /** Of those edits, how many had their findings published with their load diagnostics (no pause). */
  readonly editFindingsInline?: number;
  /**
   * Typing: `typingKeys` keystrokes 100 ms apart (each with a completion request 10 ms later, as VS Code's quick
   * suggestions send), then the last keystroke to its version's diagnostics, and how many publishes came before
   * that one while typing (coalescing: few).
   */
  readonly typingLastKeyToDiagnosticsMs: number;
  readonly typingPublishedBeforeLast: number;
  readonly typingKeys: number;
  /**
   * Hover through the server on the edited kind of rule, spread over the file (its chain name, its target,
   * an option, an option's value), after the edits settled: median and 95th percentile, and whether the hovers
   * carried the rule's flows (only when the file is within maxRules).
   */
  readonly hoverMs: number;
  readonly hoverP95Ms: number;
  readonly hovers: number;
  readonly hoverWithFlows: number;
  readonly debounceMs: number;
  readonly maxRules: number;
  readonly edits: number;
}

export interface EditLatencyOptions {
  readonly edits: number;
  readonly debounceMs?: number;
  /** netfilterLens.analysis.maxRules (the server's default when absent). */
  readonly maxRules?: number;
  /** The quiet time before each edit (default: the debounce + 100 ms). */
  readonly pauseMs?: number;
}

const BAD = ' --no-such-option';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Edits `edits` rules that match `needle`, spread over the file, one at a time. */
export async function measureEditLatency(text: string, needle: RegExp, options: EditLatencyOptions): Promise<EditLatency> {
  const debounceMs = options.debounceMs ?? DEFAULT_SETTINGS.debounceMs;
  const pauseMs = options.pauseMs ?? debounceMs + 100;
  const client = new LspClient();
  client.configuration = { debounceMs, ...(options.maxRules !== undefined ? { analysis: { maxRules: options.maxRules } } : {}) };
  await client.initialize();
  const uri = 'file:///bench/kube.rules';
  const lines = text.split('\n');
  const targets = lines.map((l, i) => (needle.test(l) ? i : -1)).filter((i) => i >= 0);
  const summaries = () => client.notifications.filter((n) => n.method === 'netfilterLens/fileSummary').map((n) => n.params as FileSummary);
  /** The server has published everything for the current version (its reachability too, when it runs). */
  const settled = async (mark: number): Promise<number> => {
    const t0 = performance.now();
    for (;;) {
      const s = summaries().slice(mark).filter((x) => x.uri === uri);
      if (s.length && !s.at(-1)!.analysing) return performance.now() - t0;
      if (performance.now() - t0 > 120_000) throw new Error('the server never settled');
      await sleep(5);
    }
  };
  try {
    let t0 = performance.now();
    await client.open(uri, text);
    await client.diagnosticsFor(uri, 1, 120_000);
    const openMs = performance.now() - t0;
    await settled(0);
    await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: targets[0]!, character: 1 } });
    const openToHoverMs = performance.now() - t0;
    const times: number[] = [];
    const errorTimes: number[] = [];
    const fixTimes: number[] = [];
    const findings: number[] = [];
    let inline = 0;
    // Reachability runs for files within maxRules: its findings come with the diagnostics, or after a pause.
    const analysed = lines.filter((l) => l.startsWith('-A ')).length <= (options.maxRules ?? DEFAULT_SETTINGS.maxAnalyzedRules);
    let version = 1;
    /** One change after a pause: the time to the diagnostics of its version, and the status-bar summaries seen before. */
    const timed = async (change: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }) => {
      await sleep(pauseMs);
      version++;
      const mark = summaries().length;
      t0 = performance.now();
      await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
      const d: PublishDiagnosticsParams = await client.diagnosticsFor(uri, version, 120_000);
      return { ms: performance.now() - t0, d, mark };
    };
    for (let k = 0; k < options.edits; k++) {
      // Pairs of edits on one rule: the first adds an error, the second takes it away.
      const line = targets[Math.floor(((Math.floor(k / 2) + 0.5) * targets.length) / Math.ceil(options.edits / 2))]!;
      const adds = k % 2 === 0;
      const original = lines[line]!;
      const change = adds
        ? { range: { start: { line, character: original.length }, end: { line, character: original.length } }, text: BAD }
        : { range: { start: { line, character: original.length }, end: { line, character: original.length + BAD.length } }, text: '' };
      const { ms, d, mark } = await timed(change);
      const errorOnLine = d.diagnostics.some((x) => x.severity === 1 && x.range.start.line === line);
      if (errorOnLine !== adds) throw new Error(`v${version}: diagnostics not of the edited text (error on line ${line + 1}: ${errorOnLine})`);
      times.push(ms);
      (adds ? errorTimes : fixTimes).push(ms);
      const wait = await settled(mark);
      const deferred = summaries().slice(mark).some((s) => s.uri === uri && s.analysing);
      if (analysed) findings.push(deferred ? ms + wait : ms);
      if (analysed && !deferred) inline++;
    }
    // Lines added and removed: a bad copy of a rule inserted below it, then deleted (every line below moves: a splice makes the rules below it anew, tableSplice.ts).
    const lineTimes: number[] = [];
    for (let k = 0; k < options.edits; k++) {
      const line = targets[Math.floor(((Math.floor(k / 2) + 0.5) * targets.length) / Math.ceil(options.edits / 2))]!;
      const adds = k % 2 === 0;
      const copy = `${lines[line]!}${BAD}\n`;
      const change = adds
        ? { range: { start: { line: line + 1, character: 0 }, end: { line: line + 1, character: 0 } }, text: copy }
        : { range: { start: { line: line + 1, character: 0 }, end: { line: line + 2, character: 0 } }, text: '' };
      const { ms, d, mark } = await timed(change);
      lineTimes.push(ms);
      const errorBelow = d.diagnostics.some((x) => x.severity === 1 && x.range.start.line === line + 1);
      if (errorBelow !== adds) throw new Error(`v${version}: diagnostics not of the edited text (error on line ${line + 2}: ${errorBelow})`);
      await settled(mark);
    }
    // Typing an unknown option at the end of a rule, key by key (the last edit's work is settled above).
    await sleep(pauseMs);
    const line = targets[Math.floor(targets.length / 3)]!;
    const keys = BAD;
    const typingMark = summaries().length;
    let lastSent = 0;
    for (let i = 0; i < keys.length; i++) {
      if (i) await sleep(100);
      version++;
      const character = lines[line]!.length + i;
      await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text: keys[i] }] });
      lastSent = performance.now();
      setTimeout(() => void client.request('textDocument/completion', { textDocument: { uri }, position: { line, character: character + 1 } }).catch(() => undefined), 10);
    }
    const typed: PublishDiagnosticsParams = await client.diagnosticsFor(uri, version, 120_000);
    const typingMs = performance.now() - lastSent;
    if (!typed.diagnostics.some((x) => x.severity === 1 && x.range.start.line === line)) throw new Error('typing: the last version\'s diagnostics lack the error');
    // One status-bar summary follows each publish; the last version's comes after its diagnostics, so is not counted.
    const typingPublishedBeforeLast = summaries().slice(typingMark).filter((x) => x.uri === uri).length;
    await settled(typingMark);
    const hoverTimes: number[] = [];
    let hoverWithFlows = 0;
    for (let k = 0; k < 40; k++) {
      const at = targets[Math.floor(((k + 0.5) * targets.length) / 40)]!;
      const l = lines[at]!;
      for (const character of [3, l.indexOf(' -j ') + 5, l.indexOf(' --') + 4, l.length - 1]) {
        const h0 = performance.now();
        const h = await client.request('textDocument/hover', { textDocument: { uri }, position: { line: at, character } }) as { contents?: { value?: string } } | null;
        hoverTimes.push(performance.now() - h0);
        if (!h) throw new Error(`no hover on line ${at + 1}, column ${character + 1}`);
        if (/Packets this rule matches|No packet reaches this rule/.test(h.contents?.value ?? '')) hoverWithFlows++;
      }
    }
    const hoverSorted = [...hoverTimes].sort((a, b) => a - b);
    const sorted = [...times].sort((a, b) => a - b);
    const lineSorted = [...lineTimes].sort((a, b) => a - b);
    return {
      openMs: Math.round(openMs),
      openToHoverMs: Math.round(openToHoverMs),
      editToDiagnosticsMs: Math.round(median(times)),
      editToDiagnosticsP95Ms: Math.round(percentile(sorted, 0.95)),
      editToDiagnosticsMaxMs: Math.round(sorted.at(-1)!),
      errorEditMs: Math.round(median(errorTimes)),
      fixEditMs: Math.round(median(fixTimes)),
      lineInsertDeleteToDiagnosticsMs: Math.round(median(lineTimes)),
      lineInsertDeleteToDiagnosticsP95Ms: Math.round(percentile(lineSorted, 0.95)),
      ...(findings.length ? { editToFindingsMs: Math.round(median(findings)), editFindingsInline: inline } : {}),
      typingLastKeyToDiagnosticsMs: Math.round(typingMs),
      typingPublishedBeforeLast,
      typingKeys: keys.length,
      hoverMs: Math.round(median(hoverTimes) * 10) / 10,
      hoverP95Ms: Math.round(percentile(hoverSorted, 0.95) * 10) / 10,
      hovers: hoverTimes.length,
      hoverWithFlows,
      debounceMs,
      maxRules: options.maxRules ?? DEFAULT_SETTINGS.maxAnalyzedRules,
      edits: options.edits,
    };
  } finally {
    await client.shutdown();
  }
}
