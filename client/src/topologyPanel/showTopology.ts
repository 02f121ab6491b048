/**
 * Show Host Topology: the topology view for the file it is given (the
 * explorer or editor context menu), else the active editor's iptables
 * rules or host/workspace description, else the rules of the trace the
 * trace panel shows.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { TracePanel } from '../tracePanel/tracePanel';
import { TopologyPanel } from './topologyPanel';

const DESCRIPTION = /(^|\/)((.+\.)?nflens-host|nflens-workspace)\.json$/;

function topologyUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && (doc.languageId === 'iptables' || DESCRIPTION.test(doc.uri.path))) return doc.uri;
  const traced = TracePanel.currentTrace()?.params.uri;
  return traced ? vscode.Uri.parse(traced) : undefined;
}

export function showTopology(ctx: Ctx, arg?: unknown): void {
  const uri = topologyUri(arg);
  if (!uri) {
    void vscode.window.showInformationMessage('Netfilter Lens: open an iptables rules file, a host description (nflens-host.json) or an overlay workspace (nflens-workspace.json) to see its topology.');
    return;
  }
  TopologyPanel.show(ctx, uri);
}
