/** Modeled matches, group A (one file per extension, listed here). */
import type { AnyExtension } from '../../extension';

export const MATCHES_A: readonly AnyExtension[] = [];
