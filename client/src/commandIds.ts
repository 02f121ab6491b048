/**
 * The command names, without the "netfilterLens." prefix. `commands.ts`
 * implements exactly these (its table is typed by this list), and a unit test
 * checks them against package.json `contributes.commands`.
 */
export const COMMAND_PREFIX = 'netfilterLens.';

export const COMMAND_IDS = ['showOutput', 'restartServer', 'traceExample'] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
