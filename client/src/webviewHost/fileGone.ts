/** Whether the file a panel shows is gone: not open in the editor (whose text the server would use) and not on disk. */
import * as vscode from 'vscode';

export async function isGone(uri: vscode.Uri): Promise<boolean> {
  const s = uri.toString();
  if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === s)) return false;
  try {
    await vscode.workspace.fs.stat(uri);
    return false;
  } catch {
    return true;
  }
}
