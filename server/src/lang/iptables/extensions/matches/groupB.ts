/** Modeled matches, group B (one file per extension, listed here). */
import type { AnyExtension } from '../../extension';
import { hashlimit } from './hashlimit';
import { hl } from './hl';
import { length } from './length';
import { limit } from './limit';
import { owner } from './owner';
import { pkttype } from './pkttype';
import { recent } from './recent';
import { set } from './set';
import { statistic } from './statistic';
import { string } from './string';
import { ttl } from './ttl';
import { u32 } from './u32';

export const MATCHES_B: readonly AnyExtension[] = [set, limit, hashlimit, recent, owner, statistic, length, ttl, hl, pkttype, string, u32];
