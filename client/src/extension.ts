/** Entry point: builds the Ctx and returns. Everything else lives in Ctx, the command table and the panel serializers. */
import type * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { registerPanelSerializers } from './panelSerializers';
import { trackWorkspaceTrust } from './workspaceTrust';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  registerCommands(ctx);
  // Before the server starts: a restored panel waits for it in its first request.
  registerPanelSerializers(ctx);
  ctx.pushExtCleanup(trackWorkspaceTrust());
  await ctx.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
