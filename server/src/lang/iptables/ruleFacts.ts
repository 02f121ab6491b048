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
  /** Its parsed options, kept only for a checkentry() (ext.kernel.check): other checks read the extension alone. */
  readonly data: unknown;
  /** iptables-nft turns it into native expressions (ext.nftNative): no xt checks there. */
  readonly native: boolean;
}

/**
 * A use as the facts keep it: a 170,000-rule dump's port and NAT data need
 * not stay for checks that never read them, and without its data a use is
 * one of a few per extension, shared by every rule.
 */
function kernelUse(name: string, kind: 'match' | 'target', ext: AnyExtension, data: unknown): KernelUse {
  const native = ext.nftNative?.(data) === true;
  if (ext.kernel!.check) return { name, kind, ext, data, native };
  let known = dataless.get(ext);
  if (!known) dataless.set(ext, (known = []));
  for (const u of known) if (u.name === name && u.kind === kind && u.native === native) return u;
  const u: KernelUse = { name, kind, ext, data: undefined, native };
  known.push(u);
  return u;
}
const dataless = new WeakMap<AnyExtension, KernelUse[]>();

/** The rule's uses as one array, shared by every rule with the very same (shared) uses: most rules of a dump have one of a few such lists. */
function sharedUses(uses: KernelUse[]): readonly KernelUse[] {
  for (const u of uses) if (u.data !== undefined) return uses;
  let lists = useLists.get(uses[0]!);
  if (!lists) useLists.set(uses[0]!, (lists = []));
  for (const l of lists) if (l.length === uses.length && l.every((u, i) => u === uses[i])) return l;
  if (lists.length < 16) lists.push(uses);
  return uses;
}
const useLists = new WeakMap<KernelUse, KernelUse[][]>();

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

const PROTO_INVERT = 1 << 10;
const HAS_CHECK = 1 << 11;
const UNCONDITIONAL = 1 << 12;
const COUNTERS_SET = 1 << 13;
const CONNTRACK = 1 << 14;
const PROTO_SHIFT = 15;

/** What few rules have: one field for the five. */
export interface RareFacts {
  readonly matches: RuleFacts['matches'];
  readonly shared: RuleFacts['shared'];
  readonly zeroSrc: RuleFacts['zeroSrc'];
  readonly zeroDst: RuleFacts['zeroDst'];
  readonly anyAddresses: RuleFacts['anyAddresses'];
}

/**
 * RuleFacts in six fields: a 170,000-rule dump keeps one per rule, and each
 * field of an object costs 8 bytes (and the young-generation collector
 * copies every byte a parse keeps, twice). A fast rule line's shape is its
 * own facts (FastShape extends this).
 */
export class CompactFacts implements RuleFacts {
  constructor(
    readonly jumpTo: string | undefined,
    readonly verdict: string | undefined,
    readonly protoText: string | undefined,
    readonly uses: readonly KernelUse[] | undefined,
    /** Allowed hooks (nft: bits 0-4, legacy: 5-9), the flags above, the protocol number from PROTO_SHIFT. */
    private readonly bits: number,
    private readonly rare: RareFacts | undefined,
  ) {}

  get protoNum(): number {
    return this.bits >>> PROTO_SHIFT;
  }
  get protoInvert(): boolean {
    return (this.bits & PROTO_INVERT) !== 0;
  }
  get allowedNft(): number {
    return this.bits & ALL_HOOKS;
  }
  get allowedLegacy(): number {
    return (this.bits >> 5) & ALL_HOOKS;
  }
  get hasCheck(): boolean {
    return (this.bits & HAS_CHECK) !== 0;
  }
  get unconditional(): boolean {
    return (this.bits & UNCONDITIONAL) !== 0;
  }
  get countersSet(): boolean {
    return (this.bits & COUNTERS_SET) !== 0;
  }
  get conntrack(): boolean {
    return (this.bits & CONNTRACK) !== 0;
  }
  get matches(): RuleFacts['matches'] {
    return this.rare?.matches;
  }
  get shared(): RuleFacts['shared'] {
    return this.rare?.shared;
  }
  get zeroSrc(): RuleFacts['zeroSrc'] {
    return this.rare?.zeroSrc;
  }
  get zeroDst(): RuleFacts['zeroDst'] {
    return this.rare?.zeroDst;
  }
  get anyAddresses(): RuleFacts['anyAddresses'] {
    return this.rare?.anyAddresses;
  }

  /** The same facts jumping to `to` (iptables-legacy's -E). */
  renamed(to: string): CompactFacts {
    return new CompactFacts(to, this.verdict, this.protoText, this.uses, this.bits, this.rare);
  }

  /** Every fact as a plain object (what tests compare and print). */
  toJSON(): Record<string, unknown> {
    const { jumpTo, verdict, protoNum, protoInvert, protoText, uses, allowedNft, allowedLegacy, hasCheck, matches, shared, zeroSrc, zeroDst, unconditional, anyAddresses, countersSet, conntrack } = this;
    return { jumpTo, verdict, protoNum, protoInvert, protoText, uses, allowedNft, allowedLegacy, hasCheck, matches, shared, zeroSrc, zeroDst, unconditional, anyAddresses, countersSet, conntrack };
  }
}

/** Makes the object that holds a rule's facts (CompactFacts' constructor arguments). */
export type FactsMaker<T> = (jumpTo: string | undefined, verdict: string | undefined, protoText: string | undefined, uses: readonly KernelUse[] | undefined, bits: number, rare: RareFacts | undefined) => T;

const compact: FactsMaker<RuleFacts> = (jumpTo, verdict, protoText, uses, bits, rare) => new CompactFacts(jumpTo, verdict, protoText, uses, bits, rare);

/** `jumpTo`: the target chain's own name string when it exists (cheap set and map lookups later). */
export function ruleFacts(spec: RuleSpec, family: Family, jumpTo?: string): RuleFacts {
  return ruleFactsWith(spec, family, jumpTo, compact);
}

/** ruleFacts, the facts held by what `make` makes of them. */
export function ruleFactsWith<T>(spec: RuleSpec, family: Family, jumpTo: string | undefined, make: FactsMaker<T>): T {
  const ms = spec.matches;
  const t = spec.target;
  const targetExt = t?.kind === 'extension' ? t.use : undefined;
  // Arrays of their exact length: an empty array grown by push() reserves 17 slots, for each of 170,000 rules.
  let n = 0;
  for (let i = 0; i < ms.length; i++) if (ms[i]!.spec?.kernel) n++;
  if (targetExt?.spec?.kernel) n++;
  let uses: readonly KernelUse[] | undefined;
  let allowedNft = ALL_HOOKS;
  let allowedLegacy = ALL_HOOKS;
  let hasCheck = false;
  if (n > 0) {
    const made = new Array<KernelUse>(n);
    let k = 0;
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i]!;
      if (m.spec?.kernel) made[k++] = kernelUse(m.name, 'match', m.spec, m.data);
    }
    if (targetExt?.spec?.kernel) made[k++] = kernelUse(targetExt.name, 'target', targetExt.spec, targetExt.data);
    uses = sharedUses(made);
    for (let i = 0; i < n; i++) {
      const u = uses[i]!;
      const kernel = u.ext.kernel!;
      if (kernel.check) hasCheck = true;
      if (!kernel.hooks) continue;
      const m = maskOf(kernel.hooks);
      allowedLegacy &= m;
      if (!u.native) allowedNft &= m;
    }
  }
  let conntrack = false;
  for (let i = 0; i < ms.length && !conntrack; i++) conntrack = CONNTRACK_USERS.has(ms[i]!.name);
  if (!conntrack && targetExt && CONNTRACK_USERS.has(targetExt.name)) conntrack = !(targetExt.name === 'CT' && targetExt.options.some((o) => o.name === 'notrack'));
  const p = spec.proto;
  const c = spec.counters;
  const noCondition = t?.kind === 'verdict' && ms.length === 0 && !spec.inIface && !spec.outIface && !spec.fragment
    && (!p || (family === 'ipv4' && p.num === 0 && !p.invert));
  const anyBoth = noCondition && anyAddress(spec.src) && anyAddress(spec.dst);
  // A "[p:b]" prefix (at column 0) does not count, only "-c".
  const countersSet = c !== undefined && c.span.start.col !== 0 && (nonZero(c.packets) || nonZero(c.bytes));
  const bits = allowedNft | (allowedLegacy << 5) | (p?.invert ? PROTO_INVERT : 0) | (hasCheck ? HAS_CHECK : 0) | (anyBoth ? UNCONDITIONAL : 0)
    | (countersSet ? COUNTERS_SET : 0) | (conntrack ? CONNTRACK : 0) | ((p?.num ?? 0) << PROTO_SHIFT);
  const matches = hasCheck ? ms.map((m) => ({ name: m.name, data: m.data })) : undefined;
  const shared = sharedClaims(spec);
  const zeroSrc = zeroMasks(spec.src);
  const zeroDst = zeroMasks(spec.dst);
  const anyAddresses = noCondition && !anyBoth ? anyEach(spec.src, spec.dst) : undefined;
  const rare = matches || shared || zeroSrc || zeroDst || anyAddresses ? { matches, shared, zeroSrc, zeroDst, anyAddresses } : undefined;
  return make(t?.kind === 'jump' ? jumpTo ?? t.chain : undefined, t?.kind === 'verdict' ? t.name : undefined, p?.text, uses, bits, rare);
}

/** The same facts with the jump target renamed (iptables-legacy's -E). */
export function renamedFacts(f: RuleFacts, to: string): RuleFacts {
  return f instanceof CompactFacts ? f.renamed(to) : { ...f, jumpTo: to };
}
