/**
 * Runs a view again when a file it shows changes: typed into (the server
 * sees open rules files as they are edited) or saved (it reads host and
 * workspace descriptions from disk), once the changes settle.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';

export const RERUN_DELAY_MS = 300;

/** A host or workspace description in the same folder as a rules file (or as a description). */
export function isDescriptionBeside(uri: vscode.Uri, other: vscode.Uri): boolean {
  return uri.scheme === 'file' && other.scheme === 'file' && dirname(uri.fsPath) === dirname(other.fsPath) && /(^|[\\/])(.+\.)?nflens-(host|workspace)\.json$/.test(uri.fsPath);
}

export function rerunOnChange(watches: (uri: vscode.Uri) => boolean, rerun: () => void, delayMs = RERUN_DELAY_MS): vscode.Disposable {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (uri: vscode.Uri): void => {
    if (!watches(uri)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      rerun();
    }, delayMs);
  };
  const subs = [
    vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length > 0 && schedule(e.document.uri)),
    vscode.workspace.onDidSaveTextDocument((d) => schedule(d.uri)),
  ];
  return {
    dispose: () => {
      if (timer) clearTimeout(timer);
      for (const s of subs) s.dispose();
    },
  };
}
