/** Modeled matches, one file each. */
import type { AnyExtension } from '../../extension';
import { comment } from './comment';
import { MATCHES_A } from './groupA';
import { MATCHES_B } from './groupB';
import { tcp } from './tcp';
import { udp } from './udp';

export const MATCH_LIST: readonly AnyExtension[] = [tcp, udp, comment, ...MATCHES_A, ...MATCHES_B];
