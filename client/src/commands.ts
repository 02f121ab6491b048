/**
 * Every command the extension registers, as one table. The prefix
 * "netfilterLens." is added in one place; a unit test checks this table
 * against package.json `contributes.commands`.
 */
import * as vscode from 'vscode';
import { COMMAND_PREFIX, type CommandId } from './commandIds';
import type { Ctx } from './ctx';
import { mayRun } from './workspaceTrust';
import { traceExampleRequest, type TraceExampleParams } from '../../server/src/protocol';

export interface CommandSpec {
  /** Runs when the command is enabled. */
  run(ctx: Ctx, ...args: unknown[]): unknown;
}

export const COMMANDS: Readonly<Record<CommandId, CommandSpec>> = {
  showOutput: {
    run: (ctx) => ctx.output.show(true),
  },
  /** From a rule's hover: trace its example packet and show the story beside the rules. */
  traceExample: {
    run: async (ctx, arg) => {
      const params = arg as TraceExampleParams | undefined;
      const client = ctx.languageClient;
      if (!params?.uri || !client) {
        void vscode.window.showInformationMessage('Netfilter Lens: hover a rule in an iptables file and choose "Trace this packet".');
        return;
      }
      const r = await client.sendRequest(traceExampleRequest, params);
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: `# Trace of the example packet (${params.hook})\n\n${r.completed ? 'The conversation completes.' : 'The conversation does not complete.'}\n\n\`\`\`text\n${r.story}\n\`\`\`\n` });
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
    },
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
    ctx.pushExtCleanup(vscode.commands.registerCommand(COMMAND_PREFIX + name, (...args: unknown[]) => (mayRun(name as CommandId) ? spec.run(ctx, ...args) : undefined)));
  }
}
