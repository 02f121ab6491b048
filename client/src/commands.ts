/**
 * Every command the extension registers, as one table. The prefix
 * "netfilterLens." is added in one place; a unit test checks this table
 * against package.json `contributes.commands`.
 */
import * as vscode from 'vscode';
import { COMMAND_PREFIX, type CommandId } from './commandIds';
import type { Ctx } from './ctx';
import { mayRun } from './workspaceTrust';
import { showTopology } from './topologyPanel/showTopology';
import { traceExample, tracePacket, traceRuleAtCursor } from './traceInput/traceCommands';
import { verifyTraceOnKernel } from './verifyKernel/verifyCommand';

export interface CommandSpec {
  /** Runs when the command is enabled. */
  run(ctx: Ctx, ...args: unknown[]): unknown;
}

export const COMMANDS: Readonly<Record<CommandId, CommandSpec>> = {
  showOutput: {
    run: (ctx) => ctx.output.show(true),
  },
  /** From a rule's hover ("Trace this packet"): the rule's example packet in the trace panel. */
  traceExample: {
    run: (ctx, arg) => traceExample(ctx, arg),
  },
  /** Palette, editor context menu, the panel's "Change packet…": asks protocol, source, destination, port, interface. */
  tracePacket: {
    run: (ctx, arg) => tracePacket(ctx, arg),
  },
  /** Editor context menu: Trace Packet… starting from the example packet of the rule under the cursor. */
  traceRuleAtCursor: {
    run: (ctx, arg) => traceRuleAtCursor(ctx, arg),
  },
  /** Palette, the trace panel's title bar: replays the panel's trace with the real kernel (nflens verify). Linux, root, trusted workspaces. */
  verifyTraceOnKernel: {
    run: (ctx) => verifyTraceOnKernel(ctx),
  },
  /** Palette, editor context menu: the host or overlay workspace of the rules or description, clickable into traces. */
  showTopology: {
    run: (ctx, arg) => showTopology(ctx, arg),
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
