/**
 * Workspace trust: in Restricted Mode the extension still reads files
 * (diagnostics, hovers, traces in the emulator) but never runs a process.
 * Commands that do are hidden by their `when` (isWorkspaceTrusted) and
 * refused here too, in case they are run by id.
 */
import * as vscode from 'vscode';
import { PROCESS_COMMAND_IDS, type CommandId } from './commandIds';

/** Context key: true when commands that run processes may run (the workspace is trusted). */
export const PROCESS_COMMANDS_CONTEXT = 'netfilterLens.processCommandsEnabled';

export function trackWorkspaceTrust(): vscode.Disposable {
  const set = () => void vscode.commands.executeCommand('setContext', PROCESS_COMMANDS_CONTEXT, vscode.workspace.isTrusted);
  set();
  return vscode.workspace.onDidGrantWorkspaceTrust(set);
}

/** Whether a command may run now; says why not when it may not. */
export function mayRun(id: CommandId): boolean {
  if (!PROCESS_COMMAND_IDS.includes(id) || vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage('Netfilter Lens: this command runs processes on your machine, so it is off in Restricted Mode. Trust the workspace to use it.');
  return false;
}
