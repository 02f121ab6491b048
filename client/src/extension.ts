/** Entry point: builds the Ctx and returns. Everything else lives in Ctx and the command table. */
import type * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { trackWorkspaceTrust } from './workspaceTrust';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  registerCommands(ctx);
  ctx.pushExtCleanup(trackWorkspaceTrust());
  await ctx.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
