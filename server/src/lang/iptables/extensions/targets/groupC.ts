/** Modeled targets (one file per extension, listed here). */
import type { AnyExtension } from '../../extension';

export const TARGETS_C: readonly AnyExtension[] = [];
