/** Small helpers of the rule parser: names, spans, unknown extensions, hints. */
import { spanOf, type Span } from '../diagnostic';
import { utf8Length } from '../utf8';
import { xtStrtoui } from './cnum';
import type { AnyExtension } from './extension';
import { findMatch, findTarget } from './extensions/registry';
import type { Family } from './inet';
import { PROTOCOL_NAMES } from './netdb';
import { MAX_CHAIN_NAME } from './commandTable';
import type { ExtOption } from './xtoptions';

export const utf8Len = utf8Length;

export function joinSpan(a: Span, b: Span): Span {
  const first = a.start.line < b.start.line || (a.start.line === b.start.line && a.start.col <= b.start.col) ? a : b;
  const last = a.end.line > b.end.line || (a.end.line === b.end.line && a.end.col >= b.end.col) ? a : b;
  return spanOf(first.start, last.end);
}

/** Which match `-p NAME` loads (find_proto): numbers map through the built-in names. */
export function protoMatchName(protocol: string): string | undefined {
  const n = xtStrtoui(protocol, 0, 255);
  if (n === undefined) return protocol;
  const byNum: Record<number, string> = { 6: 'tcp', 132: 'sctp', 17: 'udp', 136: 'udplite', 1: 'icmp', 58: 'ipv6-icmp', 50: 'esp', 51: 'ah', 135: 'mobility-header', 0: 'all' };
  return byNum[n] ?? (n !== 0 ? PROTOCOL_NAMES.get(n) : undefined); // then getprotobynumber(): -p 33 is dccp
}

/** `assert_valid_chain_name` (used by -N and, in iptables-nft, by ":" lines). */
export function assertValidChainName(name: string, fail: (message: string, code: string) => never, family: Family = 'ipv4'): void {
  const p = chainNameProblem(name, family);
  if (p) fail(p.message, p.code);
}

/** The first check of `assert_valid_chain_name` a name fails, if any. */
export function chainNameProblem(name: string, family: Family = 'ipv4'): { readonly message: string; readonly code: string } | undefined {
  if (utf8Len(name) >= MAX_CHAIN_NAME + 1) return { message: `chain name \`${name}' too long (must be under 29 chars)`, code: 'name-too-long' };
  if (name[0] === '-' || name[0] === '!') return { message: `chain name not allowed to start with \`${name[0]}'`, code: 'bad-chain-name' };
  // xtables_find_target() takes an empty name for the standard target.
  if (name === '' || findTarget(name, family) || name === 'ACCEPT' || name === 'DROP' || name === 'RETURN' || name === 'QUEUE') {
    return { message: 'chain name may not clash with target name', code: 'chain-clashes-with-target' };
  }
  if (/\s/.test(name)) return { message: `Invalid chain name \`${name}'`, code: 'bad-chain-name' };
  return undefined;
}

export const UNKNOWN_SUMMARY = '(unknown extension)';
export function unknownExtensionSpec(kind: 'match' | 'target', name: string): AnyExtension {
  return { kind, name, options: [], summary: UNKNOWN_SUMMARY, oldApi: true, init: () => ({}) };
}

/** Extensions that define an option name (for "load -m X first" hints). */
export function knownProviders(option: string, family: Family): string[] {
  const out: string[] = [];
  for (const name of ['tcp', 'udp', 'multiport', 'conntrack', 'state', 'icmp', 'addrtype', 'iprange', 'comment', 'mark', 'connmark', 'mac', 'physdev', 'set', 'limit', 'hashlimit', 'recent', 'owner', 'statistic', 'length', 'ttl', 'pkttype', 'string', 'u32']) {
    const spec = findMatch(name, family);
    if (spec?.options.some((o: ExtOption) => o.name === option)) out.push(name);
  }
  return out;
}

