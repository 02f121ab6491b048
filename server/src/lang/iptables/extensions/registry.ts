/**
 * The extensions Netfilter Lens knows, as literal tables (a name cannot be
 * registered twice). Each extension lives in its own file under matches/ or
 * targets/; the lists are assembled in the index files there.
 */
import type { AnyExtension } from '../extension';
import type { Family } from '../inet';
import { MATCH_LIST } from './matches';
import { TARGET_LIST } from './targets';
import { CATALOG_MATCHES, CATALOG_TARGETS } from './catalog';

function table(list: readonly AnyExtension[], extra: readonly AnyExtension[]): Map<string, AnyExtension[]> {
  const map = new Map<string, AnyExtension[]>();
  const modeled = new Set(list.map((e) => `${e.name}/${e.family ?? '*'}`));
  for (const e of [...list, ...extra.filter((x) => !modeled.has(`${x.name}/${x.family ?? '*'}`))]) {
    const arr = map.get(e.name) ?? [];
    arr.push(e);
    map.set(e.name, arr);
  }
  return map;
}

let matches: Map<string, AnyExtension[]> | undefined;
let targets: Map<string, AnyExtension[]> | undefined;

/** The family's own extension, else the one for both. (A loop: a closure per lookup cost 400,000 allocations a large dump.) */
function pick(arr: AnyExtension[] | undefined, family: Family): AnyExtension | undefined {
  if (arr === undefined) return undefined;
  let both: AnyExtension | undefined;
  for (const e of arr) {
    if (e.family === family) return e;
    if (e.family === undefined) both ??= e;
  }
  return both;
}

/** The match `-m name` loads; ip6tables aliases icmpv6 names to icmp6. */
export function findMatch(name: string, family: Family): AnyExtension | undefined {
  matches ??= table(MATCH_LIST, CATALOG_MATCHES);
  const n = family === 'ipv6' && (name === 'icmpv6' || name === 'ipv6-icmp') ? 'icmp6' : name;
  return pick(matches.get(n), family);
}

/**
 * A match iptables knows only for the other family (icmp in ip6tables, icmp6
 * in iptables): its canonical name, since loading it fails ("Couldn't load match").
 */
export function matchOfOtherFamily(name: string, family: Family): string | undefined {
  if (findMatch(name, family)) return undefined;
  const other = findMatch(name, family === 'ipv4' ? 'ipv6' : 'ipv4');
  return other?.family !== undefined && other.family !== family ? other.name : undefined;
}

/** The target `-j NAME` loads (ACCEPT/DROP/RETURN/QUEUE are the standard target). */
export function findTarget(name: string, family: Family): AnyExtension | undefined {
  targets ??= table(TARGET_LIST, CATALOG_TARGETS);
  return pick(targets.get(name), family);
}

export function allMatches(): AnyExtension[] {
  matches ??= table(MATCH_LIST, CATALOG_MATCHES);
  return [...matches.values()].flat();
}

export function allTargets(): AnyExtension[] {
  targets ??= table(TARGET_LIST, CATALOG_TARGETS);
  return [...targets.values()].flat();
}

/** Modeled (not just catalogued) extensions, for tests and docs. */
export function isModeled(e: AnyExtension): boolean {
  return MATCH_LIST.includes(e) || TARGET_LIST.includes(e);
}
