/**
 * The trace panel (one, reused): a webview beside the rules that shows a
 * trace of the emulator. It asks the server for the trace, posts it to the
 * webview once the webview says it is ready (and again after each reload),
 * re-runs the trace when the rules or the host description change
 * (debounced), reveals a rule when a step is clicked, and reopens Trace
 * Packet… to change the packet. After a window reload VS Code gives the
 * panel back (restore): it traces the saved request again, from the files
 * as they are now.
 */
import * as vscode from 'vscode';
import { traceRequest, type TraceParams } from '../../../server/src/protocol';
import type { TraceOutcome } from '../../../server/src/trace/traceResult';
import type { Ctx } from '../ctx';
import { traceTitle } from '../traceInput/traceAnswers';
import { fromWebview } from '../webview/messages';
import type { PanelContent } from '../webview/panelView';
import { TRACE_VIEW_TYPE } from '../viewTypes';
import { isGone } from '../webviewHost/fileGone';
import { LensWebview, type LensWebviewSpec } from '../webviewHost/lensWebview';
import { hostChangeWarning, missingFileMessage, restoredTrace, savedTrace, unrestorableMessage, type SavedHost } from '../webviewHost/panelState';
import { isDescriptionBeside, rerunOnChange } from '../webviewHost/rerunOnChange';
import { RuleRevealer } from './revealRule';

const spec = (title: string): LensWebviewSpec => ({
  viewType: TRACE_VIEW_TYPE, title: `Trace: ${title}`, bundle: 'webview', pageTitle: 'Netfilter Lens trace', testIdPrefix: 'trace', loadingText: 'Loading the trace…',
});

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

  /** A panel VS Code restored after a window reload, with the webview state it saved (panelState.ts). */
  static restore(ctx: Ctx, panel: vscode.WebviewPanel, state: unknown): void {
    const saved = restoredTrace(state);
    if (!saved) {
      const title = 'Trace';
      const view = new LensWebview<PanelContent>(ctx, spec(title), { kind: 'error', title, message: unrestorableMessage('trace') }, (m) => {
        if (fromWebview(m)?.type === 'editPacket') void vscode.commands.executeCommand('netfilterLens.tracePacket');
      }, panel);
      panel.onDidDispose(() => view.dispose());
      return;
    }
    const p = new TracePanel(ctx, saved.params, panel);
    // Opened since the reload (this one was a hidden tab until now): that one stays the panel Trace Packet… uses.
    TracePanel.current ??= p;
    p.hostBefore = saved.host;
    p.retrace(saved.params, false);
  }

  private readonly view: LensWebview<PanelContent>;
  private readonly revealer = new RuleRevealer();
  private readonly cleanup: vscode.Disposable[] = [];
  private outcome: TraceOutcome | undefined;
  /** After a restore: the host the trace ran on before the reload, until it has run again. */
  private hostBefore: SavedHost | undefined;
  private runs = 0;

  private constructor(private readonly ctx: Ctx, private params: TraceParams, restored?: vscode.WebviewPanel) {
    const title = traceTitle(params);
    this.view = new LensWebview<PanelContent>(ctx, spec(title), { kind: 'loading', title }, (m) => void this.onMessage(m), restored);
    this.cleanup.push(this.revealer, rerunOnChange((uri) => this.watches(uri), () => void this.run(false)));
    this.view.panel.onDidDispose(() => this.dispose());
  }

  /** Traces `params` now and shows the panel (`reveal`: brought to the front). */
  retrace(params: TraceParams, reveal = true): void {
    this.params = params;
    this.view.panel.title = `Trace: ${traceTitle(params)}`;
    this.view.keep(savedTrace(params));
    if (reveal) this.view.panel.reveal(undefined, false);
    void this.run(true);
  }

  /** The rules file, the other hosts' rules files, and anything in the rules file's folder (host and workspace descriptions). */
  private watches(uri: vscode.Uri): boolean {
    const s = uri.toString();
    if (s === this.params.uri || Object.values(this.outcome?.rulesFiles ?? {}).includes(s)) return true;
    return isDescriptionBeside(uri, vscode.Uri.parse(this.params.uri));
  }

  private async run(showLoading: boolean): Promise<void> {
    const id = ++this.runs;
    const params = this.params;
    const title = traceTitle(params);
    if (showLoading) this.view.show({ kind: 'loading', title });
    const client = this.ctx.languageClient;
    let next: PanelContent;
    try {
      if (!client) throw new Error('the language server is not running (Netfilter Lens: Restart Language Server)');
      const uri = vscode.Uri.parse(params.uri);
      if (await isGone(uri)) {
        if (id === this.runs) this.outcome = undefined;
        next = { kind: 'error', title, message: missingFileMessage('trace', params.uri) };
      } else {
        // The server traces open documents: make sure it has this one.
        await vscode.workspace.openTextDocument(uri);
        const reply = await client.sendRequest(traceRequest, params);
        if (id !== this.runs) return;
        this.outcome = 'error' in reply ? undefined : reply;
        next = 'error' in reply ? { kind: 'error', title, message: reply.error } : { kind: 'trace', title, outcome: this.afterRestore(reply) };
        if (!('error' in reply)) this.view.keep(savedTrace(params, reply.host));
      }
    } catch (e) {
      next = { kind: 'error', title, message: `The trace could not run: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (id === this.runs) this.view.show(next);
  }

  /** The first trace after a restore says so if it runs on another host than before the reload. */
  private afterRestore(o: TraceOutcome): TraceOutcome {
    const warning = hostChangeWarning(this.hostBefore, o.host);
    this.hostBefore = undefined;
    return warning ? { ...o, warnings: [warning, ...o.warnings] } : o;
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = fromWebview(raw);
    // "ready" is LensWebview's: it posts the content.
    if (!m || m.type === 'ready') return;
    if (m.type === 'editPacket') {
      await vscode.commands.executeCommand('netfilterLens.tracePacket', this.params);
    } else {
      await this.revealer.revealOrWarn(this.outcome?.rulesFiles[m.host] ?? this.params.uri, m.line);
    }
  }

  dispose(): void {
    if (TracePanel.current === this) TracePanel.current = undefined;
    this.runs++;
    for (const d of this.cleanup.splice(0)) d.dispose();
    this.view.dispose();
  }
}
