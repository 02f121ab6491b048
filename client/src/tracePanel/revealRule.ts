/** Shows a rule in its file: the editor already showing it (else the first column), the line selected, centred and briefly highlighted. */
import * as vscode from 'vscode';

const HIGHLIGHT_MS = 2500;

export class RuleRevealer implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    borderColor: new vscode.ThemeColor('focusBorder'),
    borderStyle: 'solid',
    borderWidth: '1px 0',
  });
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `line` is 1-based, as the trace names it. */
  async reveal(uri: vscode.Uri, line: number): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const l = Math.min(Math.max(line - 1, 0), Math.max(doc.lineCount - 1, 0));
    const column = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())?.viewColumn ?? vscode.ViewColumn.One;
    const range = doc.lineAt(l).range;
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: column, selection: new vscode.Range(range.start, range.start), preserveFocus: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    editor.setDecorations(this.decoration, [range]);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => editor.setDecorations(this.decoration, []), HIGHLIGHT_MS);
  }

  /** reveal(), and a warning instead of a failure when the file cannot be shown (moved, deleted). */
  async revealOrWarn(uri: string, line: number): Promise<void> {
    try {
      await this.reveal(vscode.Uri.parse(uri), line);
    } catch (e) {
      void vscode.window.showWarningMessage(`Netfilter Lens: cannot show line ${line} of ${uri}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.decoration.dispose();
  }
}
