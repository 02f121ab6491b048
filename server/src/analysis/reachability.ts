/**
 * Exact reachability over a whole ruleset: for every rule, per hook, the
 * packets that reach it (may / must bounds) from the same compiled model the
 * emulator runs. Entry point for diagnostics, hover and the CLI.
 */
import { recompileRuleset, type EmuChain, type EmuRule, type EmuRuleset, type Recompiled } from '../emulator/compile';
import type { HostModel } from '../emulator/host/model';
import type { Hook } from '../lang/iptables/extension';
import type { LoadedRule, Ruleset } from '../lang/iptables/ruleset';
import type { Flow } from './reach/flow';
import { Pipeline, type ConntrackFacts } from './reach/pipeline';
import { Recorder, type ChainRecord, type HitHead, type RuleFacts, type SitesByHook } from './reach/recorder';
import type { ChainScan } from './chainScan';
import { addressFacts, buildSpace } from './space/build';
import type { Space } from './space/fields';
import { equalSets, fromRanges, intersect, single, subtract, union, type IntSet } from './space/intSet';
import type { AddressFacts } from './space/ruleMatch';
import { sameSet, WalkMemo } from './reach/walkMemo';
import { LOOPBACK, routingDrops, type RoutingDrops } from './reach/martians';
import { fullBox, type PacketSet } from './space/packetSet';
import { Field, type Box } from './space/fields';
import { inferHost, sameAddressHints } from '../emulator/host/infer';
import { buildLineIndex, deriveLineIndex, type LineIndex, type ReplacedChains } from './lineIndex';

export interface RuleReach {
  readonly facts: RuleFacts;
  /** Packets the rule's conditions take, per hook. */
  readonly hits: ReadonlyMap<Hook, Flow>;
}

/** What an analysis handed the previous one's walks changed (chainScan.ts looks again at these chains only). */
export interface ReachChanges {
  /** The chains this compile made anew. */
  readonly chainsMade: ReadonlySet<EmuChain>;
  /** The chain records this analysis made (Recorder.made). */
  readonly recordsMade: readonly ChainRecord[];
  /** The chains whose previous record is gone with no new one (WalkMemo.recordsGone). */
  readonly recordsGone: ReadonlyArray<readonly [string, string]>;
  /** The previous analysis's scan, when findings made one (let go once read). */
  scan: ChainScan | undefined;
}

export class Reachability {
  private lines: LineIndex | undefined;
  /** An earlier version's line index and the chains made anew since (every other chain kept at its lines), until this one has its own. */
  private linesFrom: { readonly base: LineIndex; readonly replaced: ReplacedChains } | undefined;
  private readonly hitCache = new Map<EmuRule, ReadonlyMap<Hook, Flow>>();
  private readonly entryCache = new Map<string, ReadonlyMap<string, Flow>>();
  /** What findings found chain by chain (chainScan.ts), for this analysis's findings and the next one's. */
  scan: ChainScan | undefined;
  constructor(
    /** The parse analysed: where each rule's line is now (lineOf), and what the next analysis compares its rules with. */
    readonly rs: Ruleset,
    readonly emu: EmuRuleset,
    readonly space: Space,
    readonly rec: Recorder,
    /** The chain walks, for the analysis of the document's next version. */
    readonly memo: WalkMemo,
    /** What hover reads of the conntrack rules (found by the pipeline). */
    readonly conntrack: ConntrackFacts,
    /** Without a host description: the address facts of the host the rules imply (for the next analysis). */
    readonly inferred: AddressFacts | undefined,
    /** Since the previous analysis, when it was handed one and used its walks. */
    readonly changes?: ReachChanges,
    /** Whether its compile was made from this parse alone (no earlier compile): each rule's own line is then its line. */
    readonly compiledAfresh = false,
  ) {}

  /**
   * The rule's line in the parse analysed. (Its ref.line is where it was when compiled: the compile
   * keeps chains whose lines moved, compile.ts `shifted`.) -1 for a rule the parse does not hold there.
   */
  lineOf(rule: EmuRule): number {
    return this.loadedOf(rule)?.command.line ?? -1;
  }

  /** The rule's id as EmuRule.id writes it, "table/chain/index/line", with its line in the parse analysed. */
  idOf(rule: EmuRule): string {
    return `${rule.ref.table}/${rule.ref.chain}/${rule.ref.index}/${this.lineOf(rule)}`;
  }

  /** The parse's rule at the rule's place (its table, chain and index). */
  private loadedOf(rule: EmuRule): LoadedRule | undefined {
    return this.rs.tables.get(rule.ref.table)?.chains.get(rule.ref.chain)?.rules[rule.ref.index];
  }

  /** The kernel rules of each line (hover): made on first use, from an earlier version's when one was handed on. */
  lineIndex(): LineIndex {
    if (!this.lines) {
      const from = this.linesFrom;
      this.linesFrom = undefined;
      this.lines = (from && deriveLineIndex(from.base, from.replaced, this.emu, this.rs)) ?? buildLineIndex(this.emu, this.rs, this.compiledAfresh);
    }
    return this.lines;
  }

  /**
   * Hands this version's line index (or the one it was to be made from) on to the next version, whose
   * compile kept every chain but `replaced` with its rules at their lines. Its index, when first asked
   * for, is then made from this one's (lineIndex.ts) instead of reading every rule's line again.
   */
  handLinesOn(next: Reachability, replaced: ReplacedChains): void {
    if (this.lines) next.linesFrom = { base: this.lines, replaced };
    else if (this.linesFrom) next.linesFrom = { base: this.linesFrom.base, replaced: unite(this.linesFrom.replaced, replaced) };
  }

  /** Every kernel rule in table/chain order. */
  *rules(): Generator<{ table: string; chain: string; rule: EmuRule }> {
    for (const t of this.emu.tables.values()) for (const c of t.chains.values()) for (const r of c.rules) yield { table: t.name, chain: c.name, rule: r };
  }

  /** The rule's conditions and effect (without joining what reaches it: reach() does). */
  facts(rule: EmuRule, table: string, chain: string): RuleFacts {
    return this.rec.facts(this.own(rule), table, chain);
  }

  /** A rule's hits per hook as hover reads them: the first `head` boxes of each bound and their counts (recorder.ts `hitHeadsOf`). */
  hitHeads(rule: EmuRule, head: number): Map<Hook, HitHead> {
    return this.rec.hitHeadsOf(this.own(rule), head);
  }

  reach(rule: EmuRule, table: string, chain: string): RuleReach {
    const r = this.own(rule);
    const facts = this.rec.facts(r, table, chain);
    let hits = this.hitCache.get(r);
    if (!hits) this.hitCache.set(r, (hits = this.rec.hitsOf(r)));
    return { facts, hits };
  }

  /**
   * The analysed compile's rule for a copy of it compiled at the lines of the parse analysed (another
   * compile of that parse: its line is the one this compile's rule at that place has now, even when that
   * rule kept an older line, compile.ts `shifted`); any other rule as it is (the recorder tells copies
   * compiled at the same lines by their id).
   */
  private own(rule: EmuRule): EmuRule {
    const mine = this.emu.tables.get(rule.ref.table)?.chains.get(rule.ref.chain)?.rules[rule.ref.index];
    return mine !== undefined && mine !== rule && mine.ref.line !== rule.ref.line && this.lineOf(mine) === rule.ref.line ? mine : rule;
  }

  /** Whether any packet reaches the rule (at some hook). */
  reached(rule: EmuRule): boolean {
    return this.rec.reached(this.own(rule));
  }

  /** Whether any packet enters the chain. */
  entered(table: string, chain: string): boolean {
    return this.rec.entered(table, chain);
  }

  /** The flows jump sites send into a chain, by site: "hook X", or the jumping rule's id (idOf: its line now). */
  entries(table: string, chain: string): ReadonlyMap<string, Flow> {
    const key = `${table}/${chain}`;
    let e = this.entryCache.get(key);
    if (!e) this.entryCache.set(key, (e = this.rec.entriesOf(table, chain, (s) => this.idOf(s))));
    return e;
  }

  /**
   * By hook, the sites some packet enters a chain from at that hook, in the order first met: "hook X",
   * or the jumping rule (lineOf, idOf name it); and how many flows with some packet entered it.
   */
  sitesByHook(table: string, chain: string): SitesByHook {
    return this.rec.sitesByHook(table, chain);
  }

  /**
   * Whether every walk of a chain with some packet in it (`live` of them: sitesByHook) got to its first
   * rule: then the rule's hits hold every entering packet its conditions accept. One that did not was
   * cut (MAX_DEPTH, walk.ts).
   */
  walksReachFirstRule(rule: EmuRule, live: number): boolean {
    return rule.ref.index === 0 && this.rec.visits(this.own(rule)) >= live;
  }

  /** The boxes (`may`) every site sends into a chain, site by site (entries() without naming the sites or joining their flows). */
  entryBoxes(table: string, chain: string): Box[] {
    return this.rec.entryBoxes(table, chain);
  }

  /** The sites some packet enters a chain from (as entries() names them), in the order first met, without joining any flow. */
  sitesEntering(table: string, chain: string): string[] {
    return this.rec.sitesEntering(table, chain, (s) => this.idOf(s));
  }
}

export interface ReachOptions {
  readonly host?: HostModel;
  /**
   * The reachability of the document's previous version (same family): chains the reparse left
   * alone keep their compile, conditions and, where the packets entering are the same, their walks
   * (walkMemo.ts). The result is the same as without it; it is not kept alive by the new one.
   */
  readonly previous?: Reachability;
}

export function analyzeReachability(rs: Ruleset, opts: ReachOptions = {}): Reachability {
  const before = opts.previous;
  const compiled = recompileRuleset(rs, before?.emu);
  const emu = compiled.emu;
  // (The previous space is one without a host description when the previous analysis inferred its host.)
  const kept = !opts.host && before?.inferred && compiled.replaced ? { previous: before.emu, replaced: compiled.replaced } : undefined;
  const space = buildSpace(emu, opts.host, before?.space, kept);
  // Without a description, the host inferred from the rules (as traces use it) only picks example packets.
  const found = opts.host ? addressFacts(opts.host) : before?.inferred && sameAddressHints(before.rs, rs) ? before.inferred : { ...addressFacts(inferHost(rs)), exact: false };
  const localnet = opts.host ? localnetOf(opts.host, space) : undefined;
  // (Without a host description, any interface may be a bridge whose frames pass FORWARD.)
  const bridges = opts.host ? bridgesOf(opts.host, space) : undefined;
  // (The own addresses of a host guessed from the rules keep no packet from a finding: only a description's do,
  // and lo's 127.0.0.1, which every host has.)
  const routing = routingDrops(space, localnet, bridges === undefined || bridges.length > 0, opts.host ? found.own : LO_ADDRESS);
  // (The previous records' hits at INPUT were read with its routing: taken over only when that is the same.)
  const same = before !== undefined && before.space === space && before.rec.addrs !== undefined && sameAddressFacts(before.rec.addrs, found) && sameRouting(before.rec.routing, routing);
  const addrs = same ? before.rec.addrs! : found;
  const rec = new Recorder(space, addrs, same ? before.rec : undefined, stillHeld(compiled, before?.emu), routing);
  const memo = new WalkMemo(rec, same ? { memo: before.memo, emu: before.emu, made: compiled.made } : undefined);
  const pipeline = new Pipeline(emu, space, rec, memo);
  pipeline.runAll(opts.host ? { local: addrs.delivered, bridges, routes: routesOf(opts.host, space, addrs.local), sources: sourcesOf(addrs.local, space), localnet } : {});
  memo.settle();
  rec.done();
  const changes = same && memo.recordsGone ? { chainsMade: compiled.made, recordsMade: rec.made, recordsGone: memo.recordsGone, scan: before.scan } : undefined;
  const reach = new Reachability(rs, emu, space, rec, memo, pipeline.facts, opts.host ? undefined : found, changes, before === undefined);
  // (Rules of chains whose lines moved keep the lines they were compiled at: then every line is read again.)
  if (before && compiled.replaced && compiled.shifted.size === 0) before.handLinesOn(reach, compiled.replaced);
  return reach;
}

/**
 * Whether a chain the previous compile held (as the analyses marked it: EmuChain.inCompile) is this
 * compile's chain of its name, when this compile kept the previous one's chains but a few (and
 * marks it as this compile's). A chain handed on from older compiles is not the previous one's.
 */
function stillHeld(compiled: Recompiled, previous: EmuRuleset | undefined): ((table: string, chain: EmuChain) => boolean) | undefined {
  const replaced = compiled.replaced;
  if (!replaced || !previous) return undefined;
  const now = compiled.emu.id;
  return (table, chain) => {
    // (Found held already by this analysis: at another hook, or from another rule.)
    if (chain.inCompile === now) return true;
    if (chain.inCompile !== previous.id || replaced.get(table)?.has(chain.name) !== false) return false;
    chain.inCompile = now;
    return true;
  };
}

/** Per table, the chain names either lists. */
function unite(a: ReplacedChains, b: ReplacedChains): ReplacedChains {
  const out = new Map<string, ReadonlySet<string>>(a);
  for (const [t, names] of b) {
    const had = out.get(t);
    out.set(t, had ? new Set([...had, ...names]) : names);
  }
  return out;
}

const LO_ADDRESS = single(0x7f000001);

function sameAddressFacts(a: AddressFacts, b: AddressFacts): boolean {
  return equalSets(a.local, b.local) && equalSets(a.broadcast, b.broadcast) && equalSets(a.delivered, b.delivered) && equalSets(a.own, b.own) && a.exact === b.exact;
}

/**
 * The host's routing as "destination → output interface" boxes. The local table first: the host's own
 * addresses (127.0.0.0/8 among them) are routed out lo, whatever the main table says of their subnet.
 * Then the main table (longest prefix wins; unicast routes only).
 */
function routesOf(host: HostModel, space: Space, local: IntSet): PacketSet {
  const sorted = [...host.routes].sort((a, b) => b.prefix - a.prefix || a.metric - b.metric);
  let covered: IntSet = local;
  const out: Box[] = [];
  const lo = space.ifaces.indexOf('lo');
  if (lo >= 0 && local.length) {
    const b = fullBox(space).slice();
    b[Field.Dst] = local;
    b[Field.Oif] = single(lo);
    out.push(b);
  }
  for (const r of sorted) {
    const size = 2 ** (32 - r.prefix);
    const start = Math.floor((r.dst >>> 0) / size) * size;
    const mine = subtract([start, start + size - 1], covered);
    covered = union(covered, [start, start + size - 1]);
    const dev = space.ifaces.indexOf(r.dev);
    if (!mine.length || dev < 0 || (r.type && r.type !== 'unicast')) continue;
    const b = fullBox(space).slice();
    b[Field.Dst] = mine;
    b[Field.Oif] = single(dev);
    out.push(b);
  }
  return out;
}

/**
 * The sources the host's sockets send from, by output interface: its own addresses, and a loopback one
 * only out of lo (the kernel refuses to route a loopback source out of another interface: EINVAL).
 */
function sourcesOf(local: IntSet, space: Space): PacketSet {
  const out: Box[] = [];
  const other = fullBox(space).slice();
  other[Field.Src] = subtract(local, LOOPBACK);
  if (other[Field.Src]!.length) out.push(other);
  const lo = space.ifaces.indexOf('lo');
  const loopback = fullBox(space).slice();
  loopback[Field.Src] = intersect(local, LOOPBACK);
  loopback[Field.Oif] = single(lo);
  if (lo >= 0 && loopback[Field.Src]!.length) out.push(loopback);
  return out;
}

function sameRouting(a: RoutingDrops, b: RoutingDrops): boolean {
  return sameSet(a.drops, b.drops) && a.hooks.join() === b.hooks.join() && equalSets(a.own, b.own);
}

/** The host's interfaces with route_localnet on, as interface indices (a name the space folds into "other names" is left out: off). */
function localnetOf(host: HostModel, space: Space): IntSet {
  const own = [...host.ifaces.values()].filter((i) => i.routeLocalnet).map((i) => space.ifaces.indexOf(i.name)).filter((x) => !space.ifaces.others.has(x));
  return fromRanges(own.map((x) => [x, x] as [number, number]));
}

/** The host's bridges whose frames iptables sees (bridge-nf-call-iptables), as interface indices. */
function bridgesOf(host: HostModel, space: Space): IntSet {
  if (!host.sysctls.bridgeNfCallIptables) return [];
  return fromRanges([...host.ifaces.values()].filter((i) => i.kind === 'bridge').map((i) => space.ifaces.indexOf(i.name)).map((x) => [x, x] as [number, number]));
}
