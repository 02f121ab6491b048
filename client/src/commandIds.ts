/**
 * The command names, without the "netfilterLens." prefix. `commands.ts`
 * implements exactly these (its table is typed by this list), and a unit test
 * checks them against package.json `contributes.commands`.
 */
export const COMMAND_PREFIX = 'netfilterLens.';

export const COMMAND_IDS = ['showOutput', 'restartServer', 'traceExample', 'tracePacket', 'traceRuleAtCursor', 'verifyTraceOnKernel', 'showTopology'] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/**
 * Commands that run processes: Verify Trace on Kernel (nflens verify).
 * Off in untrusted workspaces: package.json hides them with `isWorkspaceTrusted`
 * (a unit test checks) and workspaceTrust.ts refuses them when run by id.
 */
export const PROCESS_COMMAND_IDS: readonly CommandId[] = ['verifyTraceOnKernel'];
