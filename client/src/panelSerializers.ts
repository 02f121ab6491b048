/**
 * The panels that come back after "Developer: Reload Window": VS Code keeps
 * each webview's state (the request it shows, webviewHost/panelState.ts)
 * and, once the extension is activated (package.json:
 * onWebviewPanel:<view type>), hands the panel and that state to the
 * serializer of its view type.
 */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { TopologyPanel } from './topologyPanel/topologyPanel';
import { TracePanel } from './tracePanel/tracePanel';
import { TOPOLOGY_VIEW_TYPE, TRACE_VIEW_TYPE, type RESTORED_VIEW_TYPES } from './viewTypes';

const RESTORE: Readonly<Record<(typeof RESTORED_VIEW_TYPES)[number], (ctx: Ctx, panel: vscode.WebviewPanel, state: unknown) => void>> = {
  [TRACE_VIEW_TYPE]: (ctx, panel, state) => TracePanel.restore(ctx, panel, state),
  [TOPOLOGY_VIEW_TYPE]: (ctx, panel, state) => TopologyPanel.restore(ctx, panel, state),
};

export function registerPanelSerializers(ctx: Ctx): void {
  for (const [viewType, restore] of Object.entries(RESTORE)) {
    ctx.pushExtCleanup(vscode.window.registerWebviewPanelSerializer(viewType, {
      deserializeWebviewPanel: async (panel, state: unknown) => restore(ctx, panel, state),
    }));
  }
}
