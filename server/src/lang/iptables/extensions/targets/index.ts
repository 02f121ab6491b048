/** Modeled targets, one file each. */
import type { AnyExtension } from '../../extension';
import { TARGETS_C } from './groupC';
import { STANDARD_TARGETS } from './standard';

export const TARGET_LIST: readonly AnyExtension[] = [...STANDARD_TARGETS, ...TARGETS_C];
