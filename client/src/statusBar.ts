/**
 * The status bar item for the active iptables file: its errors and
 * unreachable rules as the server counted them (netfilterLens/fileSummary);
 * a click opens the Problems view.
 */
import * as vscode from 'vscode';
import type { FileSummary } from '../../server/src/protocol';
import { summaryView } from './summaryText';

export class SummaryStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('netfilterLens.summary', vscode.StatusBarAlignment.Left, 50);
  private readonly summaries = new Map<string, FileSummary>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.item.name = 'Netfilter Lens';
    this.item.command = { title: 'Show Problems', command: 'workbench.actions.view.problems' };
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      vscode.workspace.onDidCloseTextDocument((d) => this.summaries.delete(d.uri.toString())),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.render()),
    ];
  }

  update(s: FileSummary): void {
    this.summaries.set(s.uri, s);
    this.render();
  }

  /** The server restarted: its counts will come again. */
  reset(): void {
    this.summaries.clear();
    this.render();
  }

  private render(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const s = doc?.languageId === 'iptables' ? this.summaries.get(doc.uri.toString()) : undefined;
    if (!doc || !s) {
      this.item.hide();
      return;
    }
    const v = summaryView(s, doc.uri.path.split('/').pop() ?? doc.uri.path, vscode.workspace.isTrusted);
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.accessibilityInformation = { label: v.label };
    this.item.backgroundColor = v.level === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.item.dispose();
  }
}
