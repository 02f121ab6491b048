/** Modeled targets (one file per extension, listed here). */
import type { AnyExtension } from '../../extension';
import { CHECKSUM } from './CHECKSUM';
import { CLASSIFY } from './CLASSIFY';
import { CONNMARK } from './CONNMARK';
import { CT, NOTRACK } from './CT';
import { LOG } from './LOG';
import { MARK } from './MARK';
import { DNAT, MASQUERADE, REDIRECT, SNAT } from './NAT';
import { NETMAP } from './NETMAP';
import { NFLOG } from './NFLOG';
import { NFQUEUE } from './NFQUEUE';
import { REJECT4, REJECT6 } from './REJECT';
import { TCPMSS4, TCPMSS6 } from './TCPMSS';
import { TPROXY } from './TPROXY';
import { TRACE } from './TRACE';
import { ULOG } from './ULOG';

export const TARGETS_C: readonly AnyExtension[] = [
  REJECT4,
  REJECT6,
  LOG,
  NFLOG,
  ULOG,
  TRACE,
  MARK,
  CONNMARK,
  CT,
  NOTRACK,
  DNAT,
  SNAT,
  MASQUERADE,
  REDIRECT,
  NETMAP,
  TPROXY,
  NFQUEUE,
  CHECKSUM,
  TCPMSS4,
  TCPMSS6,
  CLASSIFY,
];
