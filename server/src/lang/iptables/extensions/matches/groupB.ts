/** Modeled matches, group B (one file per extension, listed here). */
import type { AnyExtension } from '../../extension';

export const MATCHES_B: readonly AnyExtension[] = [];
