/** Emulator targets, one file each or per family (ACCEPT/DROP/RETURN/QUEUE and jumps are the engine's). */
import type { TargetEntry } from '../registry';
import { CHECKSUM } from './checksum';
import { CLASSIFY } from './classify';
import { CONNMARK } from './connmark';
import { CT, NOTRACK } from './ct';
import { LOG, NFLOG, TRACE, ULOG } from './log';
import { MARK } from './mark';
import { DNAT, MASQUERADE, NETMAP, REDIRECT, SNAT } from './nat';
import { NFQUEUE } from './nfqueue';
import { REJECT } from './reject';
import { TCPMSS } from './tcpmss';
import { TPROXY } from './tproxy';

export const TARGET_LIST: readonly TargetEntry[] = [
  DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP,
  LOG, NFLOG, ULOG, TRACE,
  MARK, CONNMARK,
  CT, NOTRACK,
  REJECT, NFQUEUE, TPROXY,
  CHECKSUM, TCPMSS, CLASSIFY,
];
