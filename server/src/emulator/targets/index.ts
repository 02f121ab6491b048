/** Emulator targets, one file each (ACCEPT/DROP/RETURN/QUEUE and jumps are the engine's). */
import type { TargetEntry } from '../registry';
import { DNAT, MASQUERADE, NETMAP, REDIRECT, SNAT } from './nat';

export const TARGET_LIST: readonly TargetEntry[] = [DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP];
