/**
 * The command-line tables of iptables' option parser (iptables/xshared.c,
 * iptables/xtables.c): the getopt option string and long options, command
 * and option bits, which options take "!", and which options each command
 * allows (commands_v_options).
 */
import type { CommandKind } from './ast';
import { parseShortSpec, type LongOption } from './getopt';

export const OPTSTRING = '-:A:C:D:E:F::I:L::M:N:P:VX::Z::c:d:i:j:o:p:s:t:R:S::W::46bfg:h::m:nvw::x';
export const SHORTS = parseShortSpec(OPTSTRING);
export const ch = (c: string): number => c.charCodeAt(0);

/** iptables' `original_opts` (iptables/xtables.c), in order. */
export const BASE_OPTS: readonly LongOption[] = [
  ['append', 1, 'A'], ['delete', 1, 'D'], ['check', 1, 'C'], ['insert', 1, 'I'], ['replace', 1, 'R'],
  ['list', 2, 'L'], ['list-rules', 2, 'S'], ['flush', 2, 'F'], ['zero', 2, 'Z'], ['new-chain', 1, 'N'],
  ['delete-chain', 2, 'X'], ['rename-chain', 1, 'E'], ['policy', 1, 'P'], ['source', 1, 's'],
  ['destination', 1, 'd'], ['src', 1, 's'], ['dst', 1, 'd'], ['protocol', 1, 'p'], ['in-interface', 1, 'i'],
  ['jump', 1, 'j'], ['table', 1, 't'], ['match', 1, 'm'], ['numeric', 0, 'n'], ['out-interface', 1, 'o'],
  ['verbose', 0, 'v'], ['wait', 2, 'w'], ['wait-interval', 2, 'W'], ['exact', 0, 'x'], ['fragments', 0, 'f'],
  ['version', 0, 'V'], ['help', 2, 'h'], ['line-numbers', 0, '0'], ['modprobe', 1, 'M'],
  ['set-counters', 1, 'c'], ['goto', 1, 'g'], ['ipv4', 0, '4'], ['ipv6', 0, '6'],
].map(([name, hasArg, val]) => ({ name: name as string, hasArg: hasArg as 0 | 1 | 2, val: ch(val as string) }));

export const XT_OPTION_OFFSET_SCALE = 256;
/** XT_EXTENSION_MAXNAMELEN (29) includes the terminating NUL. */
export const MAX_CHAIN_NAME = 28;

export const CMD = { NONE: 0, INSERT: 1, DELETE: 2, DELETE_NUM: 4, REPLACE: 8, APPEND: 16, LIST: 32, FLUSH: 64, ZERO: 128, NEW_CHAIN: 256, DELETE_CHAIN: 512, SET_POLICY: 1024, RENAME_CHAIN: 2048, LIST_RULES: 4096, ZERO_NUM: 8192, CHECK: 16384 } as const;
const CMD_CHARS = ['I', 'D', 'D', 'R', 'A', 'L', 'F', 'Z', 'N', 'X', 'P', 'E', 'S', 'Z', 'C'];
export const OPT = { NUMERIC: 1, SOURCE: 2, DESTINATION: 4, PROTOCOL: 8, JUMP: 16, VERBOSE: 32, EXPANDED: 64, VIANAMEIN: 128, VIANAMEOUT: 256, LINENUMBERS: 512, COUNTERS: 1024, FRAGMENT: 2048 } as const;
export const OPT_CHARS = ['n', 's', 'd', 'p', 'j', 'v', 'x', 'i', 'o', '0', 'c', 'f'];
/** Which options may carry "!" (inverse_for_options). */
export const INVERTIBLE = new Set<number>([OPT.SOURCE, OPT.DESTINATION, OPT.PROTOCOL, OPT.VIANAMEIN, OPT.VIANAMEOUT, OPT.FRAGMENT]);
/** commands_v_options for the 12 IPv4 options we track ('x' = illegal). */
export const CMD_VS_OPT: Record<number, string> = {
  [CMD.INSERT]: 'x     x  x  ',
  [CMD.DELETE]: 'x     x  xx ',
  [CMD.DELETE_NUM]: 'xxxxx xxxxxx',
  [CMD.REPLACE]: 'x     x  x  ',
  [CMD.APPEND]: 'x     x  x  ',
  [CMD.LIST]: ' xxxx  xx xx',
  [CMD.FLUSH]: 'xxxxx xxxxxx',
  [CMD.ZERO]: 'xxxxx xxxxxx',
  [CMD.NEW_CHAIN]: 'xxxxx xxxxxx',
  [CMD.DELETE_CHAIN]: 'xxxxx xxxxxx',
  [CMD.SET_POLICY]: 'xxxxx xxxx x',
  [CMD.RENAME_CHAIN]: 'xxxxx xxxxxx',
  [CMD.LIST_RULES]: 'xxxxx xxxxxx',
  [CMD.ZERO_NUM]: 'xxxxx xxxxxx',
  [CMD.CHECK]: 'x     x  xx ',
};

/**
 * generic_opt_check(): the options illegal with this command set. An option
 * is illegal when every command in the set marks it 'x'.
 */
const illegalCache = new Map<number, number>();
export function illegalOptions(command: number): number {
  let mask = illegalCache.get(command);
  if (mask !== undefined) return mask;
  mask = 0;
  for (let i = 0; i < OPT_CHARS.length; i++) {
    let legal = 0;
    for (let j = 0; j < 15; j++) {
      const cmd = 1 << j;
      if (!(command & cmd)) continue;
      if ((CMD_VS_OPT[cmd] ?? '')[i] !== 'x') legal = 1;
      else if (legal === 0) legal = -1;
    }
    if (legal === -1) mask |= 1 << i;
  }
  illegalCache.set(command, mask);
  return mask;
}

export function cmdChar(cmd: number): string {
  let i = 0;
  for (let c = cmd; c > 1; c >>= 1) i++;
  return CMD_CHARS[i] ?? '?';
}
export function optChar(opt: number): string {
  let i = 0;
  for (let c = opt; c > 1; c >>= 1) i++;
  return OPT_CHARS[i] ?? '?';
}

export function commandKind(cmd: number): CommandKind {
  if (cmd & CMD.APPEND) return 'A';
  if (cmd & CMD.INSERT) return 'I';
  if (cmd & (CMD.DELETE | CMD.DELETE_NUM)) return 'D';
  if (cmd & CMD.REPLACE) return 'R';
  if (cmd & CMD.CHECK) return 'C';
  if (cmd & CMD.NEW_CHAIN) return 'N';
  if (cmd & CMD.DELETE_CHAIN) return 'X';
  if (cmd & CMD.FLUSH) return 'F';
  if (cmd & CMD.SET_POLICY) return 'P';
  if (cmd & CMD.RENAME_CHAIN) return 'E';
  if (cmd & (CMD.LIST)) return 'L';
  if (cmd & CMD.LIST_RULES) return 'S';
  return 'Z';
}

