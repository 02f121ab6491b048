/**
 * Runs a view again when a file it shows changes, once the changes settle:
 * typed into (the server sees open rules files and host and workspace
 * descriptions as they are edited), saved, a description closed (the
 * server reads it from disk again: closing without saving drops its edits),
 * or a file created or renamed into place (a panel that said its file is gone
 * shows it again when it comes back).
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';

export const RERUN_DELAY_MS = 300;

const DESCRIPTION = /(^|[\\/])(.+\.)?nflens-(host|workspace)\.json$/;

/** A host or workspace description in the same folder as a rules file (or as a description). */
export function isDescriptionBeside(uri: vscode.Uri, other: vscode.Uri): boolean {
  return uri.scheme === 'file' && other.scheme === 'file' && dirname(uri.fsPath) === dirname(other.fsPath) && DESCRIPTION.test(uri.fsPath);
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
    // Not rules files: a trace reopens its rules file, and VS Code closes documents no editor shows after a while.
    vscode.workspace.onDidCloseTextDocument((d) => DESCRIPTION.test(d.uri.path) && schedule(d.uri)),
    vscode.workspace.onDidCreateFiles((e) => e.files.forEach(schedule)),
    vscode.workspace.onDidRenameFiles((e) => e.files.forEach((r) => schedule(r.newUri))),
  ];
  // Files that come back from outside the editor (a terminal, git): the workspace's own watcher.
  const created = vscode.workspace.createFileSystemWatcher('**/*', false, true, true);
  subs.push(created, created.onDidCreate(schedule));
  return {
    dispose: () => {
      if (timer) clearTimeout(timer);
      for (const s of subs) s.dispose();
    },
  };
}
