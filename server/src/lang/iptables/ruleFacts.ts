/**
 * What the load checks need to know about a rule, taken once from its model
 * when the rule is added. The checks at COMMIT (kernelChecks.ts) and the
 * table state read only these facts, so the full model of each rule of a
 * 170,000-rule dump need not stay in memory: it is parsed again on demand
 * (see LoadedRule.spec).
 */
import type { AddrSpec, RuleSpec } from './ast';
import type { AnyExtension, Hook } from './extension';
import type { Family } from './inet';

/** A match or target the kernel restricts (table, hooks, protocol, checkentry). */
export interface KernelUse {
  readonly name: string;
  readonly kind: 'match' | 'target';
  readonly ext: AnyExtension;
  readonly data: unknown;
}

/** A named kernel object the rule creates or joins (hashlimit table, RATEEST estimator). */
export interface SharedClaim {
  readonly kind: 'hashlimit' | 'rateest';
  readonly name: string;
  /** Rules sharing the object must agree on this. */
  readonly key: string;
}

export interface RuleFacts {
  /** The user chain or built-in chain name a jump or goto names. */
  readonly jumpTo: string | undefined;
  /** The standard verdict, when the target is one. */
  readonly verdict: string | undefined;
  readonly protoNum: number;
  readonly protoInvert: boolean;
  readonly protoText: string | undefined;
  readonly uses: readonly KernelUse[] | undefined;
  /** Hooks every restricted use allows, by backend (iptables-nft skips its native expressions). */
  readonly allowedNft: number;
  readonly allowedLegacy: number;
  /** Some use has a checkentry(). */
  readonly hasCheck: boolean;
  /** The rule's matches as checkentry() sees them; kept only when a use has one. */
  readonly matches: readonly { readonly name: string; readonly data: unknown }[] | undefined;
  readonly shared: readonly SharedClaim[] | undefined;
  /** Per source / destination address: negated with prefix 0 (iptables-nft refuses those). */
  readonly zeroSrc: readonly boolean[] | undefined;
  readonly zeroDst: readonly boolean[] | undefined;
  /** No condition and a standard verdict: ends the kernel's walk of the chain (mark_source_chains). */
  readonly unconditional: boolean;
  /**
   * Otherwise unconditional but with several addresses, some of them "/0":
   * per source and destination address whether it is one. The kernel rule
   * of a pair of "/0" addresses is unconditional (its ipt_ip is all zero).
   */
  readonly anyAddresses: { readonly src: readonly boolean[]; readonly dst: readonly boolean[] } | undefined;
  /** Carries "-c" counters that are not zero (iptables-nft's -Z then replaces the rule). */
  readonly countersSet: boolean;
  /** Uses a match or target whose module turns connection tracking on in the namespace. */
  readonly conntrack: boolean;
}

/**
 * Matches and targets whose checkentry() calls nf_ct_netns_get(): loading one turns conntrack
 * on. Not NOTRACK, nor CT --notrack: xt_ct_tg_check() returns before asking for conntrack.
 */
const CONNTRACK_USERS: ReadonlySet<string> = new Set(['conntrack', 'state', 'connmark', 'connlimit', 'connbytes', 'connlabel', 'helper', 'cluster', 'CONNMARK', 'CT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'CONNSECMARK', 'SYNPROXY']);

export const ALL_HOOKS = 31;
export const HOOK_BIT: Readonly<Record<Hook, number>> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

export function maskOf(hooks: readonly Hook[]): number {
  let m = 0;
  for (const h of hooks) m |= HOOK_BIT[h];
  return m;
}

function zeroMasks(a: AddrSpec | undefined): boolean[] | undefined {
  if (!a?.invert) return undefined;
  const out = [...a.v4.map((c) => c.prefix === 0), ...a.v6.map((c) => c.prefix === 0)];
  return out.some((z) => z) ? out : undefined;
}

/** Per source and destination address: whether it is "/0" (undefined: none is, or some side is negated or names hosts). */
function anyEach(src: AddrSpec | undefined, dst: AddrSpec | undefined): { src: boolean[]; dst: boolean[] } | undefined {
  const each = (a: AddrSpec | undefined): boolean[] | undefined =>
    !a ? [true] : a.invert || a.hostnames.length > 0 ? undefined : [...a.v4.map((x) => x.prefix === 0), ...a.v6.map((x) => x.prefix === 0)];
  const s = each(src);
  const d = each(dst);
  return s && d && s.includes(true) && d.includes(true) ? { src: s, dst: d } : undefined;
}

function anyAddress(a: AddrSpec | undefined): boolean {
  return !a || (!a.invert && a.hostnames.length === 0 && a.v4.every((x) => x.prefix === 0) && a.v6.every((x) => x.prefix === 0));
}

function sharedClaims(spec: RuleSpec): SharedClaim[] | undefined {
  let out: SharedClaim[] | undefined;
  for (const m of spec.matches) {
    if (m.name !== 'hashlimit') continue;
    const d = m.data as { name?: string; rateMatch?: boolean };
    if (d.name) (out ??= []).push({ kind: 'hashlimit', name: d.name, key: d.rateMatch ? 'rate-match' : 'plain' });
  }
  const t = spec.target;
  if (t?.kind === 'extension' && t.use.name === 'RATEEST') {
    const d = t.use.data as { name?: string; params?: string };
    if (d.name && d.params) (out ??= []).push({ kind: 'rateest', name: d.name, key: d.params });
  }
  return out;
}

/** sscanf("%llu") reads the leading digits and ignores the rest. */
const nonZero = (t: string): boolean => /^\s*\+?0*[1-9]/.test(t);

/** `jumpTo`: the target chain's own name string when it exists (cheap set and map lookups later). */
export function ruleFacts(spec: RuleSpec, family: Family, jumpTo?: string): RuleFacts {
  let uses: KernelUse[] | undefined;
  // Arrays of their exact length: an empty array grown by push() reserves 17 slots, for each of 170,000 rules.
  const add = (u: KernelUse): void => {
    uses = uses ? [...uses, u] : [u];
  };
  for (const m of spec.matches) if (m.spec?.kernel) add({ name: m.name, kind: 'match', ext: m.spec, data: m.data });
  const t = spec.target;
  if (t?.kind === 'extension' && t.use.spec?.kernel) add({ name: t.use.name, kind: 'target', ext: t.use.spec, data: t.use.data });
  let allowedNft = ALL_HOOKS;
  let allowedLegacy = ALL_HOOKS;
  let hasCheck = false;
  for (const u of uses ?? []) {
    const k = u.ext.kernel!;
    if (k.check) hasCheck = true;
    if (!k.hooks) continue;
    const m = maskOf(k.hooks);
    allowedLegacy &= m;
    if (!u.ext.nftNative?.(u.data)) allowedNft &= m;
  }
  const p = spec.proto;
  const c = spec.counters;
  const noCondition = t?.kind === 'verdict' && spec.matches.length === 0 && !spec.inIface && !spec.outIface && !spec.fragment
    && (!p || (family === 'ipv4' && p.num === 0 && !p.invert));
  return {
    jumpTo: t?.kind === 'jump' ? jumpTo ?? t.chain : undefined,
    verdict: t?.kind === 'verdict' ? t.name : undefined,
    protoNum: p?.num ?? 0,
    protoInvert: p?.invert ?? false,
    protoText: p?.text,
    uses,
    allowedNft,
    allowedLegacy,
    hasCheck,
    matches: hasCheck ? spec.matches.map((m) => ({ name: m.name, data: m.data })) : undefined,
    shared: sharedClaims(spec),
    zeroSrc: zeroMasks(spec.src),
    zeroDst: zeroMasks(spec.dst),
    unconditional: noCondition && anyAddress(spec.src) && anyAddress(spec.dst),
    anyAddresses: noCondition && !(anyAddress(spec.src) && anyAddress(spec.dst)) ? anyEach(spec.src, spec.dst) : undefined,
    // A "[p:b]" prefix (at column 0) does not count, only "-c".
    countersSet: c !== undefined && c.span.start.col !== 0 && (nonZero(c.packets) || nonZero(c.bytes)),
    conntrack: spec.matches.some((m) => CONNTRACK_USERS.has(m.name))
      || (t?.kind === 'extension' && CONNTRACK_USERS.has(t.use.name) && !(t.use.name === 'CT' && t.use.options.some((o) => o.name === 'notrack'))),
  };
}

/** The same facts with the jump target renamed (iptables-legacy's -E). */
export function renamedFacts(f: RuleFacts, to: string): RuleFacts {
  return { ...f, jumpTo: to };
}
