/**
 * What the chain walks found: per rule, per hook, the packets its conditions
 * took; per chain, the flows each jump site sent in. Held by position (table,
 * chain, index) rather than in maps keyed by strings built per visit: a
 * kube-proxy dump has its rules visited hundreds of thousands of times.
 * What it is handed at INPUT (or FORWARD) that routing drops as martians
 * whole (a piece of a walk) it records as no packet: such packets never get
 * there.
 */
import type { EmuChain, EmuRule } from '../../emulator/compile';
import { HOOKS, type Hook } from '../../lang/iptables/extension';
import { SlotMap } from '../../lang/iptables/slotMap';
import type { Box, Space } from '../space/fields';
import { ruleMatch, type AddressFacts, type RuleMatch } from '../space/ruleMatch';
import { effectOf, type Effect } from './effect';
import { isDead, NO_FLOW, type Flow } from './flow';
import { NO_ROUTING_DROPS, onlyRoutingDrops, type RoutingDrops } from './martians';
import { JumpSites } from './jumpSites';

export interface RuleFacts {
  readonly rule: EmuRule;
  readonly table: string;
  readonly chain: string;
  readonly match: RuleMatch;
  readonly effect: Effect;
}

export interface RuleRecord {
  readonly facts: RuleFacts;
  /** hook, flow, hook, flow, …: the packets taken, in the order the walks met the rule (pieces, joined when read). */
  hits: Array<Hook | Flow>;
  /**
   * Once the rule is hit often (LONG_HITS pieces), the boxes its hits hold per hook: may then must, at
   * HOOK_SLOT × 2 (hover counts KUBE-MARK-MASQ's 120,000 pieces without reading each: hitHeadsOf).
   */
  counts: Int32Array | undefined;
  /** For a jump or goto, the record of the chain it enters (set by the walk). */
  target?: ChainRecord;
  /** For a jump or goto, the chain it enters (set by the walk). */
  targetChain?: EmuChain;
}

/** A chain's jump sites by hook (Recorder.sitesByHook), and how many flows with some packet came in (each the entry of one walk). */
export interface SitesByHook {
  /** Hooks whose sites are the same share one list. */
  readonly byHook: ReadonlyMap<Hook, ReadonlyArray<EmuRule | string>>;
  readonly live: number;
}

/** One chain: its rules' records by index, and per jump site (the jumping rule, or "hook X") the flows sent in. */
export class ChainRecord {
  /** By rule index; sized when the walk first enters (a list grown from empty makes room for 17). */
  rules: Array<RuleRecord | undefined> = [];
  /** The flows each site sent in (a rule's id is written when the entries are read: most are never asked for). */
  readonly sites = new JumpSites();
  /** Whether some packet enters (a site sent a flow that is not empty). */
  entered = false;
  /** The hooks whose packets enter it (HOOK_BITS; Recorder.entryHooks lists them). */
  hookBits = 0;
  /** How many entries of its analysis's walk log are about it (the next analysis may take it over: walkMemo.ts). */
  ops = 0;
  /** What the next analysis (its WalkMemo's stamp) replayed of those entries: how many, the last one's place, whether in order. */
  seenBy = 0;
  seen = 0;
  lastSeen = -1;
  inOrder = true;
  /** The next analysis's decision (its stamp): this record taken over (itself), or the record made in its place. */
  decidedBy = 0;
  movedTo: ChainRecord | undefined = undefined;
  /** The last recorder that took it over as it is (Recorder.adopt). */
  adoptedBy = 0;
  /**
   * The record a later recorder made of the same chain while this one was still in its maps
   * (Recorder.chain); that recorder's when its madeBy says so. settle() reads it instead of looking
   * 60,000 records up by "table/chain" after a kube edit (the first lookup of each also hashed its key).
   */
  remade: ChainRecord | undefined = undefined;
  /**
   * Which of a chain's rules some packet reaches (Recorder.reachedRules), once the analysis
   * that made or took over this record is done: a later analysis that takes the record over
   * reads it again instead of every rule's hits (findings of a 170,000-rule dump after an edit).
   */
  reachedFor: { readonly rules: readonly EmuRule[]; readonly reached: readonly boolean[] } | undefined = undefined;

  constructor(
    readonly table: string,
    readonly name: string,
    /** "table/chain". */
    readonly key: string,
    /** The recorder that made it (Recorder.id). */
    readonly madeBy: number,
  ) {}

  /** Room for the records of a chain of `size` rules. */
  fit(size: number): ChainRecord {
    if (!this.rules.length && size) this.rules = new Array<RuleRecord | undefined>(size);
    return this;
  }
}

/** Whether some packet reaches the rule of this record (at any hook), without joining its pieces. */
function someHit(rec: RuleRecord | undefined): boolean {
  const hits = rec?.hits ?? [];
  for (let i = 1; i < hits.length; i += 2) if (!isDead(hits[i] as Flow)) return true;
  return false;
}

let recorders = 0;

export class Recorder {
  readonly id = ++recorders;
  /**
   * Table → chain → record. After an edit each table's map starts as a copy of the previous
   * recorder's (SlotMap: microseconds, where setting a kube dump's 60,000 records taken over one by
   * one took ~10 ms); its records are the previous analysis's until settled() (`settling`), except
   * those made or taken over meanwhile, which chain() and existing() tell by madeBy and adoptedBy.
   */
  private readonly chains = new Map<string, SlotMap<ChainRecord>>();
  /** Whether the maps still hold records of the previous analysis not yet taken over or dropped. */
  private settling: boolean;
  /** Rules whose position holds another rule (asked about from another ruleset): by id. */
  private readonly strays = new Map<string, RuleRecord>();
  /** Built-in chain key → flow that met the policy. */
  readonly policy = new Map<string, Flow>();
  /** The chain records this recorder made (not taken over), in the order made: the next findings pass looks again at their chains only (chainScan.ts). */
  readonly made: ChainRecord[] = [];

  constructor(
    readonly space: Space,
    readonly addrs: AddressFacts | undefined,
    /**
     * The previous analysis's recorder, over this very space and these address facts: a rule
     * compiled then (the same EmuRule object) keeps its conditions and effect.
     */
    private previous?: Recorder,
    /**
     * Whether a chain the previous compile held is this compile's chain of its name (it then marks
     * it so: EmuChain.inCompile): a rule's record made from the previous one keeps the chain its
     * jump enters, instead of each of KUBE-SERVICES's 10,000 jumps looking it up again per hook in
     * a map of 60,000 (~7 ms per edit).
     */
    private readonly stillHeld?: (table: string, chain: EmuChain) => boolean,
    /**
     * What routing surely drops as martians, and at which hooks every packet was routed (INPUT;
     * FORWARD too when no bridged frame passes it: martians.ts routingDrops). The walks' flows keep
     * the martians (their words stay short: "from any address"); a piece of a walk there made of
     * them alone is recorded as no packet, so that a rule only they would reach is dead.
     */
    readonly routing: RoutingDrops = NO_ROUTING_DROPS,
  ) {
    this.settling = previous !== undefined;
    if (previous) for (const [t, m] of previous.chains) this.chains.set(t, SlotMap.copyOf(m));
  }

  /** Forgets the previous analysis (which must not be kept alive by this one). */
  done(): void {
    this.previous = undefined;
    this.lookedUp.clear();
    this.finished = true;
  }

  /** Set by done(): records no longer change. */
  private finished = false;

  chain(table: string, chain: string): ChainRecord {
    let t = this.chains.get(table);
    if (!t) this.chains.set(table, (t = new SlotMap()));
    let c = t.get(chain);
    if (!c || !this.mine(c)) {
      const made = new ChainRecord(table, chain, `${table}/${chain}`, this.id);
      if (c) c.remade = made;
      t.set(chain, (c = made));
      this.made.push(c);
    }
    return c;
  }

  /** How many chain records it holds (made or taken over). */
  get size(): number {
    let n = 0;
    for (const t of this.chains.values()) n += t.size;
    return n;
  }

  /** Every chain record it holds. */
  *records(): Generator<ChainRecord> {
    for (const t of this.chains.values()) yield* t.values();
  }

  /** The chain's record, if one was made. */
  existing(table: string, chain: string): ChainRecord | undefined {
    const c = this.chains.get(table)?.get(chain);
    return c && this.mine(c) ? c : undefined;
  }

  /** Whether a record in the maps is this recorder's (while settling, the others are the previous analysis's). */
  private mine(c: ChainRecord): boolean {
    return !this.settling || c.madeBy === this.id || c.adoptedBy === this.id;
  }

  /**
   * Takes over the previous analysis's record of a chain as it is, or a copy of it made by this
   * recorder (walkMemo.ts says when); `over`, this recorder's record of the chain that it replaces.
   * The maps hold the previous record already (copied from the previous recorder's).
   */
  adopt(c: ChainRecord, over: ChainRecord | undefined): void {
    c.adoptedBy = this.id;
    if (c.madeBy === this.id) this.made.push(c);
    if (c.madeBy === this.id || over) this.chains.get(c.table)!.set(c.name, c);
  }

  /** Holds none of the previous analysis's chain records (its walks are not replayed: walkMemo.ts). */
  startAfresh(): void {
    this.chains.clear();
    this.settling = false;
  }

  /** The end of settling: drops the previous analysis's records that were neither taken over nor replaced (WalkMemo.gone lists them). */
  settled(gone: ReadonlyArray<readonly [string, string]>): void {
    for (const [t, n] of gone) this.chains.get(t)?.delete(n);
    this.settling = false;
  }

  /**
   * The hooks whose packets enter a chain, in hook order: the order the walks meet them (pipeline.ts),
   * so the order they were recorded in. Read from the record's bits: a kube dump's 60,000 chains
   * kept a set each.
   */
  entryHooks(table: string, chain: string): Hook[] {
    return hooksOf(this.chains.get(table)?.get(chain)?.hookBits ?? 0);
  }

  /** Every chain some packet enters ("table/chain"), with its hooks (tests compare analyses by them). */
  *chainsEntered(): Generator<readonly [string, Hook[]]> {
    for (const t of this.chains.values()) for (const c of t.values()) if (c.hookBits) yield [c.key, hooksOf(c.hookBits)];
  }

  /**
   * The chain a jumping rule's record says it enters, if known. `previous`: the record is a previous
   * analysis's, read and never written (a walk that logs its hits as the previous log had them:
   * WalkMemo.reenter): its chain when still this compile's (stillHeld), or the one this analysis
   * looked up for it at another hook. Undefined: the walk looks it up by name (noteTargetChain).
   */
  targetChain(rec: RuleRecord, previous: boolean): EmuChain | undefined {
    if (!previous) return rec.targetChain;
    const into = rec.targetChain;
    return into && this.stillHeld?.(rec.facts.rule.ref.table, into) ? into : this.lookedUp.get(rec);
  }

  /** Keeps the chain looked up for a jumping rule: on its record, or here when the record is a previous analysis's. */
  noteTargetChain(rec: RuleRecord, chain: EmuChain | undefined, previous: boolean): void {
    if (!previous) rec.targetChain = chain;
    else if (chain) this.lookedUp.set(rec, chain);
  }

  /**
   * This analysis's record of the chain a jumping rule enters: kept on the rule's record (once per
   * jumping rule: a service table jumps 10,000 times per hook), unless that is a previous analysis's.
   */
  targetRecord(rec: RuleRecord, table: string, chainName: string, previous: boolean): ChainRecord {
    return previous ? this.chain(table, chainName) : (rec.target ??= this.chain(table, chainName));
  }

  /** Chains looked up for previous analyses' records of jumping rules: kept here, those records being read only. */
  private readonly lookedUp = new Map<RuleRecord, EmuChain>();

  facts(r: EmuRule, table: string, chain: string): RuleFacts {
    return this.record(r, table, chain).facts;
  }

  /**
   * The rule's record, made on first sight. A rule is known by its id (table, chain, index and
   * the line it was compiled at), so a copy from another compile of the same rules at the same
   * lines finds the same record. (A chain whose lines moved keeps its compiled rules: compile.ts
   * `shifted`; Reachability hands this recorder its own rule for a copy compiled at the new lines.) `at` is the
   * chain record the caller already holds (the walk's), else found from the rule's position.
   */
  record(r: EmuRule, table: string, chain: string, at?: ChainRecord): RuleRecord {
    const c = at && at.name === r.ref.chain && at.table === r.ref.table ? at : this.chain(r.ref.table, r.ref.chain);
    const held = c.rules[r.ref.index];
    if (held && (held.facts.rule === r || held.facts.rule.id === r.id)) return held;
    if (held) {
      let stray = this.strays.get(r.id);
      if (!stray) this.strays.set(r.id, (stray = this.make(r, table, chain)));
      return stray;
    }
    const rec = this.make(r, table, chain);
    c.rules[r.ref.index] = rec;
    return rec;
  }

  private make(r: EmuRule, table: string, chain: string): RuleRecord {
    const previous = this.previous;
    // The record at the rule's place before: this very rule's, or another rule's there.
    const held = previous?.heldAt(r);
    const was = previous?.recordOf(r, held);
    const before = was?.facts;
    if (before?.rule === r) {
      const rec: RuleRecord = { facts: before, hits: [], counts: undefined };
      const into = was!.targetChain;
      if (into && this.stillHeld?.(r.ref.table, into)) rec.targetChain = into;
      return rec;
    }
    return { facts: { rule: r, table, chain, match: ruleMatch(this.space, r, this.addrs), effect: effectOf(this.space, r, table) }, hits: [], counts: undefined };
  }

  /** The record at the rule's place (whatever rule it is of). */
  private heldAt(r: EmuRule): RuleRecord | undefined {
    return this.chains.get(r.ref.table)?.get(r.ref.chain)?.rules[r.ref.index];
  }

  hit(rec: RuleRecord, hook: Hook, flow: Flow): void {
    const f = this.routed(hook, flow);
    // Most rules are met once or twice: a list at its own length (pushing onto [] makes room for 17),
    // copied by hand (concat took twice as long, 340,000 times in a kube dump).
    const hits = rec.hits;
    const n = hits.length;
    if (n >= LONG_HITS) {
      // Counted while the flow is at hand: hover reading them back later costs ~200 ns a piece.
      const c = (rec.counts ??= countsOf(hits));
      hits.push(hook, f);
      const slot = HOOK_SLOT[hook] * 2;
      c[slot] = c[slot]! + f.may.length;
      c[slot + 1] = c[slot + 1]! + f.must.length;
      return;
    }
    const grown = new Array<Hook | Flow>(n + 2);
    for (let i = 0; i < n; i++) grown[i] = hits[i]!;
    grown[n] = hook;
    grown[n + 1] = f;
    rec.hits = grown;
  }

  /** A rule's hits per hook (in the order the hooks first met it). */
  hitsOf(r: EmuRule): Map<Hook, Flow> {
    const parts = new Map<Hook, Flow[]>();
    const hits = this.find(r)?.hits ?? [];
    for (let i = 0; i < hits.length; i += 2) {
      const h = hits[i] as Hook;
      const l = parts.get(h);
      if (l) l.push(hits[i + 1] as Flow);
      else parts.set(h, [hits[i + 1] as Flow]);
    }
    const out = new Map<Hook, Flow>();
    for (const [h, l] of parts) out.set(h, concat(l));
    return out;
  }

  /**
   * A rule's hits per hook as hover reads them, without joining their pieces (KUBE-MARK-MASQ's rule
   * has 120,000): of each bound, the first `head` boxes of the joined set and how many it has.
   */
  hitHeadsOf(r: EmuRule, head: number): Map<Hook, HitHead> {
    const out = new Map<Hook, HitHead>();
    const rec = this.find(r);
    const hits = rec?.hits ?? [];
    const counts = rec?.counts;
    let lastHook: Hook | undefined;
    let x: HitHead | undefined;
    for (let i = 0; i < hits.length; i += 2) {
      const h = hits[i] as Hook;
      // A chain's walks at one hook come one after another: the map is looked up when the hook changes.
      if (h !== lastHook) {
        lastHook = h;
        x = out.get(h);
        if (!x) out.set(h, (x = { may: [], mayCount: 0, must: [], mustCount: 0 }));
      }
      // Counted already: a piece is read only while a head is short.
      if (counts && x!.may.length >= head && x!.must.length >= head) continue;
      const { may, must } = hits[i + 1] as Flow;
      if (x!.may.length < head) for (let j = 0; j < may.length && x!.may.length < head; j++) x!.may.push(may[j]!);
      if (x!.must.length < head) for (let j = 0; j < must.length && x!.must.length < head; j++) x!.must.push(must[j]!);
      x!.mayCount += may.length;
      x!.mustCount += must.length;
    }
    if (counts)
      for (const [h, x] of out) {
        x.mayCount = counts[HOOK_SLOT[h] * 2]!;
        x.mustCount = counts[HOOK_SLOT[h] * 2 + 1]!;
      }
    return out;
  }

  /** How many times the walks met the rule (its hits, empty ones too: one per walk of its chain that got to it). */
  visits(r: EmuRule): number {
    return (this.find(r)?.hits.length ?? 0) / 2;
  }

  /** Whether some packet reaches the rule (at any hook), without joining its pieces. */
  reached(r: EmuRule): boolean {
    return someHit(this.find(r));
  }

  /** Per rule of a chain (its rules in order), whether some packet reaches it: reached() for each, with one chain lookup (none when the caller has its record: existing()). */
  reachedRules(table: string, chain: string, rules: readonly EmuRule[], record: ChainRecord | undefined = this.chains.get(table)?.get(chain)): readonly boolean[] {
    const c = record;
    const known = c?.reachedFor;
    if (known && known.rules === rules) return known.reached;
    let own = true;
    const reached = rules.map((r) => {
      const held = c?.rules[r.ref.index];
      // A rule read through a stray record (another ruleset's rule at this place): not kept.
      if (held?.facts.rule !== r && (held || this.strays.has(r.id))) own = false;
      return someHit(this.recordOf(r, held));
    });
    if (c && own && this.finished) c.reachedFor = { rules, reached };
    return reached;
  }

  private find(r: EmuRule): RuleRecord | undefined {
    return this.recordOf(r, this.heldAt(r));
  }

  /** The rule's record: the one its chain holds at its place, if it is this rule's, else a stray's. */
  private recordOf(r: EmuRule, held: RuleRecord | undefined): RuleRecord | undefined {
    return held && (held.facts.rule === r || held.facts.rule.id === r.id) ? held : this.strays.get(r.id);
  }

  /** A chain's entry flows per jump site (the jumping rule named by `name`: its id by default; or "hook X" for a built-in chain). */
  entriesOf(table: string, chain: string, name: (site: EmuRule) => string = (s) => s.id): Map<string, Flow> {
    const out = new Map<string, Flow>();
    this.chains.get(table)?.get(chain)?.sites.forEach((site, parts) => out.set(typeof site === 'string' ? site : name(site), concat(parts)));
    return out;
  }

  /** The boxes (`may`) every site sent into a chain, site by site and in the order sent. */
  entryBoxes(table: string, chain: string): Box[] {
    const out: Box[] = [];
    this.chains.get(table)?.get(chain)?.sites.forEach((_, parts) => {
      for (let i = 0; i < parts.length; i++) for (const b of parts[i]!.may) out.push(b);
    });
    return out;
  }

  /**
   * The sites (a rule's id, or "hook X") some packet enters a chain from, in the order first met:
   * which of entriesOf() are not empty, without joining any flow.
   */
  sitesEntering(table: string, chain: string, name: (site: EmuRule) => string = (s) => s.id): string[] {
    const out: string[] = [];
    this.chains.get(table)?.get(chain)?.sites.forEach((site, parts) => {
      if (parts.some((f) => !isDead(f))) out.push(typeof site === 'string' ? site : name(site));
    });
    return out;
  }

  /**
   * By hook, the sites some packet enters a chain from at that hook, in the order first met: "hook X"
   * for that hook's own chain, and the jump sites that sent packets in at that hook (a jump sends in
   * what it takes: the jumping rule's own hits there are not empty). A chain jumped to from PREROUTING
   * and from OUTPUT is entered at PREROUTING only from the first. One pass over the sites' hooks
   * (JumpSites), nothing joined or looked up per site (KUBE-MARK-MASQ has 60,000 sites).
   */
  sitesByHook(table: string, chain: string): SitesByHook {
    const byHook = new Map<Hook, Array<EmuRule | string>>();
    const sites = this.chains.get(table)?.get(chain)?.sites;
    // Grouped by their hooks' bits first: most chains' sites all come in at the same hooks, and those
    // hooks then share one list (hover names it once), made without a look per hook and site.
    const byBits = sites?.byHooks() ?? new Map<number, Array<EmuRule | string>>();
    const merged = new Map<string, Array<EmuRule | string>>();
    for (const h of HOOKS) {
      const groups = [...byBits.keys()].filter((bits) => (bits & HOOK_BITS[h]) !== 0);
      if (groups.length === 1) byHook.set(h, byBits.get(groups[0]!)!);
      else if (groups.length > 1) {
        // Sites at this hook that came in with different other hooks: in the order first met, as ever
        // (one list for the hooks that take the same groups).
        const key = groups.join();
        let l = merged.get(key);
        if (!l) {
          merged.set(key, (l = []));
          sites!.forEach((site, _, bits) => {
            if (groups.includes(bits)) l!.push(site);
          });
        }
        byHook.set(h, l);
      }
    }
    return { byHook, live: sites?.live ?? 0 };
  }

  /** Whether any packet enters the chain. */
  entered(table: string, chain: string): boolean {
    return this.chains.get(table)?.get(chain)?.entered ?? false;
  }

  /** The flow as it gets to the hook: none at INPUT (or FORWARD, routing.hooks) when routing drops every packet of it as a martian. */
  private routed(hook: Hook, f: Flow): Flow {
    return f.must.length === 0 && this.routing.hooks.includes(hook) && onlyRoutingDrops(this.routing, f.may) ? NO_FLOW : f;
  }

  /** Packets entering a chain from a jump site: the jumping rule, or a hook (as "hook X"). */
  enter(c: ChainRecord, site: EmuRule | string, flow: Flow, hook: Hook): void {
    const f = this.routed(hook, flow);
    const dead = isDead(f);
    if (!dead) {
      c.entered = true;
      c.hookBits |= HOOK_BITS[hook];
    }
    c.sites.add(site, f, dead ? 0 : HOOK_BITS[hook]);
  }
}

const HOOK_BITS: Readonly<Record<Hook, number>> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

/** A hook's place in a record's counts. */
const HOOK_SLOT: Readonly<Record<Hook, number>> = { PREROUTING: 0, INPUT: 1, FORWARD: 2, OUTPUT: 3, POSTROUTING: 4 };

/** From this many entries (hook, flow, …) on, a record counts its hits' boxes as they come (RuleRecord.counts). */
const LONG_HITS = 8;

/** The boxes of the hits recorded so far, per hook (RuleRecord.counts). */
function countsOf(hits: ReadonlyArray<Hook | Flow>): Int32Array {
  const c = new Int32Array(10);
  for (let i = 0; i < hits.length; i += 2) {
    const slot = HOOK_SLOT[hits[i] as Hook] * 2;
    c[slot] = c[slot]! + (hits[i + 1] as Flow).may.length;
    c[slot + 1] = c[slot + 1]! + (hits[i + 1] as Flow).must.length;
  }
  return c;
}

function hooksOf(bits: number): Hook[] {
  return bits === 0 ? [] : HOOKS.filter((h) => (bits & HOOK_BITS[h]) !== 0);
}

function concat(l: readonly Flow[]): Flow {
  return l.length === 1 ? l[0]! : { may: boxesOf(l, 'may'), must: boxesOf(l, 'must') };
}

/** The first boxes of a rule's hits at a hook, of each bound, and how many boxes each bound has in all. */
export interface HitHead {
  readonly may: Box[];
  mayCount: number;
  readonly must: Box[];
  mustCount: number;
}

/** The flows' boxes of one bound, in order, into one list made at its length (flatMap took ~50 ms for KUBE-MARK-MASQ's 60,000 flows a hook). */
function boxesOf(l: readonly Flow[], bound: 'may' | 'must'): Box[] {
  let n = 0;
  for (let i = 0; i < l.length; i++) n += l[i]![bound].length;
  const out = new Array<Box>(n);
  let k = 0;
  for (let i = 0; i < l.length; i++) {
    const s = l[i]![bound];
    for (let j = 0; j < s.length; j++) out[k++] = s[j]!;
  }
  return out;
}
