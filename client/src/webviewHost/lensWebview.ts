/**
 * A webview panel of Netfilter Lens (the trace panel, the topology view):
 * the page with its CSP and a fresh nonce, the bundle from client/out, and
 * the "ready" handshake — content is posted only once the webview says it
 * is ready, and again whenever it reloads (a hidden webview reloads and
 * says "ready" again), each time after the request to keep across a window
 * reload (panelState.ts). Every other message goes to the owner. A panel
 * VS Code restored after a reload is adopted: same page, same handshake.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { panelHtml } from './pageHtml';
import type { SavedPanel } from './panelState';

export interface LensWebviewSpec {
  readonly viewType: string;
  readonly title: string;
  /** The bundle's name in client/out (name.js and name.css). */
  readonly bundle: string;
  /** The page's <title> and data-testid prefix, and what it says while loading. */
  readonly pageTitle: string;
  readonly testIdPrefix: string;
  readonly loadingText: string;
}

export class LensWebview<Content> implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private ready = false;
  private saved: SavedPanel | undefined;
  private readonly subscription: vscode.Disposable;

  /** A new panel beside the active editor, or `restored`, the one VS Code brought back after a reload. */
  constructor(ctx: Ctx, spec: LensWebviewSpec, private content: Content, onMessage: (raw: unknown) => void, restored?: vscode.WebviewPanel) {
    const out = vscode.Uri.joinPath(ctx.extension.extensionUri, 'client', 'out');
    const options = { enableScripts: true, localResourceRoots: [out] };
    this.panel = restored ?? vscode.window.createWebviewPanel(spec.viewType, spec.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { ...options, enableFindWidget: true });
    const w = this.panel.webview;
    // A restored panel keeps the options it was saved with: set this version's again.
    if (restored) w.options = options;
    w.html = panelHtml({
      cspSource: w.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(out, `${spec.bundle}.js`)).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(out, `${spec.bundle}.css`)).toString(),
      title: spec.pageTitle,
      testIdPrefix: spec.testIdPrefix,
      loadingText: spec.loadingText,
    });
    this.subscription = w.onDidReceiveMessage((m: unknown) => {
      if (m && typeof m === 'object' && (m as { type?: unknown }).type === 'ready') {
        this.ready = true;
        this.postSaved();
        this.post();
      } else onMessage(m);
    });
  }

  /** Shows `content` now if the webview is ready, else as soon as it is. */
  show(content: Content): void {
    this.content = content;
    this.post();
  }

  /** What the panel shows, for the webview to keep in its state: VS Code gives it back to the serializer after a window reload. */
  keep(saved: SavedPanel): void {
    this.saved = saved;
    this.postSaved();
  }

  private post(): void {
    if (this.ready) void this.panel.webview.postMessage({ type: 'content', content: this.content });
  }

  private postSaved(): void {
    if (this.ready && this.saved) void this.panel.webview.postMessage({ type: 'keep', saved: this.saved });
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel.dispose();
  }
}
