/**
 * The editor's figure for a big file: a one-line edit to the fresh
 * diagnostics of the new version, through the real language server over
 * its protocol (incremental sync, as VS Code sends it), debounce included.
 */
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { LspClient } from '../helpers/lspClient';

export interface EditLatency {
  /** Open to the first diagnostics. */
  readonly openMs: number;
  /** Median over the edits: didChange sent to diagnostics of that version received. */
  readonly editToDiagnosticsMs: number;
  readonly debounceMs: number;
  readonly edits: number;
}

/** Edits `edits` rules that carry `needle`, one at a time, each to a new value of the same length. */
export async function measureEditLatency(text: string, needle: RegExp, edits: number, debounceMs: number): Promise<EditLatency> {
  const client = new LspClient();
  client.configuration = { debounceMs };
  await client.initialize();
  const uri = 'file:///bench/kube.rules';
  const lines = text.split('\n');
  const targets = lines.map((l, i) => (needle.test(l) ? i : -1)).filter((i) => i >= 0);
  try {
    let t0 = performance.now();
    await client.open(uri, text);
    await client.diagnosticsFor(uri, 1, 600_000);
    const openMs = performance.now() - t0;
    const times: number[] = [];
    for (let k = 0; k < edits; k++) {
      const line = targets[Math.floor(((k + 0.5) * targets.length) / edits)]!;
      const m = needle.exec(lines[line]!)!;
      const col = m.index + m[0].length - 1;
      const version = k + 2;
      t0 = performance.now();
      await client.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: { line, character: col }, end: { line, character: col + 1 } }, text: String((k % 9) + 1) }],
      });
      const d: PublishDiagnosticsParams = await client.diagnosticsFor(uri, version, 600_000);
      times.push(performance.now() - t0);
      if (d.version !== version) throw new Error('stale diagnostics');
    }
    times.sort((a, b) => a - b);
    return { openMs: Math.round(openMs), editToDiagnosticsMs: Math.round(times[Math.floor(times.length / 2)]!), debounceMs, edits };
  } finally {
    await client.shutdown();
  }
}
