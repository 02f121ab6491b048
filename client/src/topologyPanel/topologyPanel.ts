/**
 * The topology view (one, reused): a webview beside the rules or the
 * description that draws the host or overlay workspace the server describes
 * (netfilterLens/topology). It draws again when the rules or a description
 * beside them change (debounced); a click on a container, peer, port or
 * tunnel starts Trace Packet… pre-filled (which opens the trace panel), and
 * "show rule" reveals a published port's DNAT rule.
 */
import * as vscode from 'vscode';
import { topologyRequest } from '../../../server/src/protocol';
import type { Topology } from '../../../server/src/trace/topology';
import type { Ctx } from '../ctx';
import { RuleRevealer } from '../tracePanel/revealRule';
import { answersToParams } from '../traceInput/traceAnswers';
import { fromTopologyWebview, type TopologyContent } from '../webview/topology/topologyMessages';
import { traceStart } from '../webview/topology/traceStart';
import { LensWebview } from '../webviewHost/lensWebview';
import { isDescriptionBeside, rerunOnChange } from '../webviewHost/rerunOnChange';

export const TOPOLOGY_VIEW_TYPE = 'netfilterLens.topology';

const fileName = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.toString();

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

  private readonly view: LensWebview<TopologyContent>;
  private readonly revealer = new RuleRevealer();
  private readonly cleanup: vscode.Disposable[] = [];
  private topology: Topology | undefined;
  private runs = 0;

  private constructor(private readonly ctx: Ctx, private uri: vscode.Uri) {
    const title = `Topology: ${fileName(uri)}`;
    this.view = new LensWebview<TopologyContent>(ctx, {
      viewType: TOPOLOGY_VIEW_TYPE, title, bundle: 'topology', pageTitle: 'Netfilter Lens topology', testIdPrefix: 'topology', loadingText: 'Reading the host…',
    }, { kind: 'loading', title }, (m) => void this.onMessage(m));
    this.cleanup.push(this.revealer, rerunOnChange((u) => this.watches(u), () => void this.run(false)));
    this.view.panel.onDidDispose(() => this.dispose());
  }

  retarget(uri: vscode.Uri): void {
    this.uri = uri;
    this.topology = undefined;
    this.view.panel.title = `Topology: ${fileName(uri)}`;
    this.view.panel.reveal(undefined, false);
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
      // The server reads open rules documents: make sure it has this one.
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
