/**
 * Every command the extension registers, as one table. The prefix
 * "netfilterLens." is added in one place; a unit test checks this table
 * against package.json `contributes.commands`.
 */
import * as vscode from 'vscode';
import { COMMAND_PREFIX, type CommandId } from './commandIds';
import type { Ctx } from './ctx';

export interface CommandSpec {
  /** Runs when the command is enabled. */
  run(ctx: Ctx, ...args: unknown[]): unknown;
}

export const COMMANDS: Readonly<Record<CommandId, CommandSpec>> = {
  showOutput: {
    run: (ctx) => ctx.output.show(true),
  },
  restartServer: {
    run: async (ctx) => {
      await ctx.restart();
      void vscode.window.showInformationMessage('Netfilter Lens: language server restarted.');
    },
  },
};

export function registerCommands(ctx: Ctx): void {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    ctx.pushExtCleanup(vscode.commands.registerCommand(COMMAND_PREFIX + name, (...args: unknown[]) => spec.run(ctx, ...args)));
  }
}
