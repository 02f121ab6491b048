/**
 * Extensions iptables ships that Netfilter Lens parses but does not model in
 * the emulator: their option tables, so rules using them parse as iptables
 * parses them. Filled from iptables 1.8.9's extensions/*.c option tables
 * (libxt_*, libipt_*, libip6t_*; the arptables/ebtables ones are left out),
 * each in the revision a current kernel offers. The entries live in
 * catalog/*.ts; a name that is modeled elsewhere wins over its entry here.
 */
import type { AnyExtension } from '../extension';
import { bpf } from './catalog/bpf';
import { MATCHES_CONN } from './catalog/matchesConn';
import { MATCHES_IP } from './catalog/matchesIp';
import { MATCHES_IPV6 } from './catalog/matchesIpv6';
import { MATCHES_PROTO } from './catalog/matchesProto';
import { TARGETS_MANGLE } from './catalog/targetsMangle';
import { TARGETS_MISC } from './catalog/targetsMisc';
import { time } from './catalog/time';

export const CATALOG_MATCHES: readonly AnyExtension[] = [...MATCHES_IP, bpf, time, ...MATCHES_CONN, ...MATCHES_PROTO, ...MATCHES_IPV6];
export const CATALOG_TARGETS: readonly AnyExtension[] = [...TARGETS_MANGLE, ...TARGETS_MISC];
