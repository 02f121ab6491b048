/**
 * The trace panel (one, reused): a webview beside the rules that shows a
 * trace of the emulator. It asks the server for the trace, posts it to the
 * webview once the webview says it is ready (and again after each reload),
 * re-runs the trace when the rules or the host description change
 * (debounced), reveals a rule when a step is clicked, and reopens Trace
 * Packet… to change the packet.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { traceRequest, type TraceParams } from '../../../server/src/protocol';
import type { TraceOutcome } from '../../../server/src/trace/traceResult';
import type { Ctx } from '../ctx';
import { traceTitle } from '../traceInput/traceAnswers';
import { fromWebview, type ToWebview } from '../webview/messages';
import type { PanelContent } from '../webview/panelView';
import { panelHtml } from './panelHtml';
import { RuleRevealer } from './revealRule';

export const TRACE_VIEW_TYPE = 'netfilterLens.trace';
const RERUN_DELAY_MS = 300;

export class TracePanel implements vscode.Disposable {
  private static current: TracePanel | undefined;

  /** The trace the open panel shows (its request, and its outcome once traced), if a panel is open. */
  static currentTrace(): { readonly params: TraceParams; readonly outcome: TraceOutcome | undefined } | undefined {
    const p = TracePanel.current;
    return p && { params: p.params, outcome: p.outcome };
  }

  /** Shows the trace of `params`, in the open panel if there is one. */
  static show(ctx: Ctx, params: TraceParams): TracePanel {
    const p = TracePanel.current ?? (TracePanel.current = new TracePanel(ctx, params));
    p.retrace(params);
    return p;
  }

  private readonly panel: vscode.WebviewPanel;
  private readonly revealer = new RuleRevealer();
  private readonly cleanup: vscode.Disposable[] = [];
  private ready = false;
  private content: PanelContent;
  private outcome: TraceOutcome | undefined;
  private runs = 0;
  private rerun: ReturnType<typeof setTimeout> | undefined;

  private constructor(private readonly ctx: Ctx, private params: TraceParams) {
    const out = vscode.Uri.joinPath(ctx.extension.extensionUri, 'client', 'out');
    this.content = { kind: 'loading', title: traceTitle(params) };
    this.panel = vscode.window.createWebviewPanel(TRACE_VIEW_TYPE, `Trace: ${traceTitle(params)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [out],
    });
    const w = this.panel.webview;
    w.html = panelHtml({
      cspSource: w.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(out, 'webview.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(out, 'webview.css')).toString(),
      title: 'Netfilter Lens trace',
    });
    this.cleanup.push(
      this.revealer,
      w.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.watches(e.document.uri)) this.scheduleRerun();
      }),
    );
    this.panel.onDidDispose(() => this.dispose());
  }

  /** Traces `params` now and shows the panel. */
  retrace(params: TraceParams): void {
    this.params = params;
    this.panel.title = `Trace: ${traceTitle(params)}`;
    this.panel.reveal(undefined, false);
    void this.run(true);
  }

  /** The rules file, the other hosts' rules files, and anything in the rules file's folder (host and workspace descriptions). */
  private watches(uri: vscode.Uri): boolean {
    const s = uri.toString();
    if (s === this.params.uri || Object.values(this.outcome?.rulesFiles ?? {}).includes(s)) return true;
    const rules = vscode.Uri.parse(this.params.uri);
    return uri.scheme === 'file' && rules.scheme === 'file' && dirname(uri.fsPath) === dirname(rules.fsPath) && /(^|[\\/])(.+\.)?nflens-(host|workspace)\.json$/.test(uri.fsPath);
  }

  private scheduleRerun(): void {
    if (this.rerun) clearTimeout(this.rerun);
    this.rerun = setTimeout(() => void this.run(false), RERUN_DELAY_MS);
  }

  private async run(showLoading: boolean): Promise<void> {
    const id = ++this.runs;
    const title = traceTitle(this.params);
    if (showLoading) this.show({ kind: 'loading', title });
    const client = this.ctx.languageClient;
    let next: PanelContent;
    try {
      if (!client) throw new Error('the language server is not running (Netfilter Lens: Restart Language Server)');
      // The server traces open documents: make sure it has this one.
      await vscode.workspace.openTextDocument(vscode.Uri.parse(this.params.uri));
      const reply = await client.sendRequest(traceRequest, this.params);
      this.outcome = 'error' in reply ? undefined : reply;
      next = 'error' in reply ? { kind: 'error', title, message: reply.error } : { kind: 'trace', title, outcome: reply };
    } catch (e) {
      next = { kind: 'error', title, message: `The trace could not run: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (id === this.runs) this.show(next);
  }

  private show(content: PanelContent): void {
    this.content = content;
    if (this.ready) void this.panel.webview.postMessage({ type: 'content', content } satisfies ToWebview);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = fromWebview(raw);
    if (!m) return;
    // A webview that was hidden reloads and says "ready" again: it gets the content again.
    if (m.type === 'ready') {
      this.ready = true;
      this.show(this.content);
    } else if (m.type === 'editPacket') {
      await vscode.commands.executeCommand('netfilterLens.tracePacket', this.params);
    } else {
      const uri = this.outcome?.rulesFiles[m.host] ?? this.params.uri;
      try {
        await this.revealer.reveal(vscode.Uri.parse(uri), m.line);
      } catch (e) {
        void vscode.window.showWarningMessage(`Netfilter Lens: cannot show line ${m.line} of ${uri}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  dispose(): void {
    if (TracePanel.current === this) TracePanel.current = undefined;
    if (this.rerun) clearTimeout(this.rerun);
    this.runs++;
    for (const d of this.cleanup.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
