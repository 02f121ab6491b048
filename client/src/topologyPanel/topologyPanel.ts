/**
 * The topology view (one, reused): a webview beside the rules or the
 * description that draws the host or overlay workspace the server describes
 * (netfilterLens/topology). It draws again when the rules or a description
 * beside them change (debounced); a click on a container, peer, port or
 * tunnel starts Trace Packet… pre-filled (which opens the trace panel), and
 * "show rule" reveals a published port's DNAT rule. After a window reload
 * VS Code gives the view back (restore): it draws the saved file again, as
 * it is now.
 */
import * as vscode from 'vscode';
import { topologyRequest } from '../../../server/src/protocol';
import type { Topology } from '../../../server/src/trace/topology';
import type { Ctx } from '../ctx';
import { RuleRevealer } from '../tracePanel/revealRule';
import { answersToParams } from '../traceInput/traceAnswers';
import { fromTopologyWebview, type TopologyContent } from '../webview/topology/topologyMessages';
import { traceStart } from '../webview/topology/traceStart';
import { TOPOLOGY_VIEW_TYPE } from '../viewTypes';
import { isGone } from '../webviewHost/fileGone';
import { LensWebview, type LensWebviewSpec } from '../webviewHost/lensWebview';
import { missingFileMessage, restoredTopology, savedTopology, unrestorableMessage } from '../webviewHost/panelState';
import { isDescriptionBeside, rerunOnChange } from '../webviewHost/rerunOnChange';

const fileName = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.toString();

const spec = (title: string): LensWebviewSpec => ({
  viewType: TOPOLOGY_VIEW_TYPE, title, bundle: 'topology', pageTitle: 'Netfilter Lens topology', testIdPrefix: 'topology', loadingText: 'Reading the host…',
});

function titleOf(t: Topology): string {
  return t.kind === 'host' ? `Topology of ${t.host.name}` : `Overlay workspace: ${t.overlay.hosts.map((h) => h.name).join(', ') || 'no hosts'}`;
}

/** Every rules file a topology names. */
function rulesUris(t: Topology | undefined): string[] {
  if (!t) return [];
  return t.kind === 'host' ? (t.host.rulesUri ? [t.host.rulesUri] : []) : t.overlay.hosts.flatMap((h) => (h.rulesUri ? [h.rulesUri] : []));
}

export class TopologyPanel implements vscode.Disposable {
  private static current: TopologyPanel | undefined;

  /** Shows the topology of a rules file or description, in the open view if there is one. */
  static show(ctx: Ctx, uri: vscode.Uri): TopologyPanel {
    const p = TopologyPanel.current ?? (TopologyPanel.current = new TopologyPanel(ctx, uri));
    p.retarget(uri);
    return p;
  }

  /** A view VS Code restored after a window reload, with the webview state it saved (panelState.ts). */
  static restore(ctx: Ctx, panel: vscode.WebviewPanel, state: unknown): void {
    const saved = restoredTopology(state);
    if (!saved) {
      const title = 'Topology';
      const view = new LensWebview<TopologyContent>(ctx, spec(title), { kind: 'error', title, message: unrestorableMessage('topology') }, () => undefined, panel);
      panel.onDidDispose(() => view.dispose());
      return;
    }
    const uri = vscode.Uri.parse(saved.uri);
    const p = new TopologyPanel(ctx, uri, panel);
    // Opened since the reload (this one was a hidden tab until now): that one stays the view Show Host Topology uses.
    TopologyPanel.current ??= p;
    p.retarget(uri, false);
  }

  private readonly view: LensWebview<TopologyContent>;
  private readonly revealer = new RuleRevealer();
  private readonly cleanup: vscode.Disposable[] = [];
  private topology: Topology | undefined;
  private runs = 0;

  private constructor(private readonly ctx: Ctx, private uri: vscode.Uri, restored?: vscode.WebviewPanel) {
    const title = `Topology: ${fileName(uri)}`;
    this.view = new LensWebview<TopologyContent>(ctx, spec(title), { kind: 'loading', title }, (m) => void this.onMessage(m), restored);
    this.cleanup.push(this.revealer, rerunOnChange((u) => this.watches(u), () => void this.run(false)));
    this.view.panel.onDidDispose(() => this.dispose());
  }

  /** Draws the topology of `uri` now (`reveal`: brought to the front). */
  retarget(uri: vscode.Uri, reveal = true): void {
    this.uri = uri;
    this.topology = undefined;
    this.view.panel.title = `Topology: ${fileName(uri)}`;
    this.view.keep(savedTopology(uri.toString()));
    if (reveal) this.view.panel.reveal(undefined, false);
    void this.run(true);
  }

  /** The file shown, the rules files it names, and host and workspace descriptions beside any of them. */
  private watches(u: vscode.Uri): boolean {
    const s = u.toString();
    const rules = rulesUris(this.topology);
    if (s === this.uri.toString() || rules.includes(s)) return true;
    return [this.uri, ...rules.map((r) => vscode.Uri.parse(r))].some((x) => isDescriptionBeside(u, x));
  }

  private async run(showLoading: boolean): Promise<void> {
    const id = ++this.runs;
    const title = `Topology: ${fileName(this.uri)}`;
    if (showLoading) this.view.show({ kind: 'loading', title });
    const client = this.ctx.languageClient;
    let next: TopologyContent;
    try {
      if (!client) throw new Error('the language server is not running (Netfilter Lens: Restart Language Server)');
      if (await isGone(this.uri)) {
        if (id === this.runs) {
          this.topology = undefined;
          this.view.show({ kind: 'error', title, message: missingFileMessage('topology', this.uri.toString()) });
        }
        return;
      }
      // The server reads open rules documents (and descriptions: their unsaved edits count): make sure it has this one.
      await vscode.workspace.openTextDocument(this.uri);
      const reply = await client.sendRequest(topologyRequest, { uri: this.uri.toString() });
      if (id !== this.runs) return;
      this.topology = 'error' in reply ? undefined : reply;
      next = 'error' in reply ? { kind: 'error', title, message: reply.error } : { kind: 'topology', title: titleOf(reply), topology: reply };
      if (!('error' in reply)) this.view.panel.title = titleOf(reply);
    } catch (e) {
      next = { kind: 'error', title, message: `The topology could not be read: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (id === this.runs) this.view.show(next);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = fromTopologyWebview(raw);
    const t = this.topology;
    if (!m || m.type === 'ready' || !t) return;
    if (m.type === 'trace') {
      const s = traceStart(t, m.target);
      if ('error' in s) return void vscode.window.showInformationMessage(`Netfilter Lens: ${s.error}`);
      await vscode.commands.executeCommand('netfilterLens.tracePacket', answersToParams(s.uri, s.answers));
      return;
    }
    const uri = t.kind === 'host' ? t.host.rulesUri : t.overlay.hosts.find((h) => h.name === m.host)?.rulesUri;
    if (uri) await this.revealer.revealOrWarn(uri, m.line);
  }

  dispose(): void {
    if (TopologyPanel.current === this) TopologyPanel.current = undefined;
    this.runs++;
    for (const d of this.cleanup.splice(0)) d.dispose();
    this.view.dispose();
  }
}
