/**
 * A webview panel of Netfilter Lens (the trace panel, the topology view):
 * the page with its CSP and a fresh nonce, the bundle from client/out, and
 * the "ready" handshake — content is posted only once the webview says it
 * is ready, and again whenever it reloads (a hidden webview reloads and
 * says "ready" again). Every other message goes to the owner.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { panelHtml } from './pageHtml';

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
  private readonly subscription: vscode.Disposable;

  constructor(ctx: Ctx, spec: LensWebviewSpec, private content: Content, onMessage: (raw: unknown) => void) {
    const out = vscode.Uri.joinPath(ctx.extension.extensionUri, 'client', 'out');
    this.panel = vscode.window.createWebviewPanel(spec.viewType, spec.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [out],
    });
    const w = this.panel.webview;
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
        this.post();
      } else onMessage(m);
    });
  }

  /** Shows `content` now if the webview is ready, else as soon as it is. */
  show(content: Content): void {
    this.content = content;
    this.post();
  }

  private post(): void {
    if (this.ready) void this.panel.webview.postMessage({ type: 'content', content: this.content });
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel.dispose();
  }
}
