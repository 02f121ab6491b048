/**
 * Chain walks remembered from one analysis of a document to the next (the
 * editor's re-analysis after an edit). A walk into a chain depends only on
 * its rules, the chains it enters, the space, and the packets entering. When
 * the chain is the previous compile's very object (recompileRuleset keeps the
 * chains a reparse left alone), no chain the previous analysis's walks went
 * from it into was made anew (found upwards from the chains made, through
 * their records' jump sites: dirtyChains), and the entry equals the
 * remembered one box for box, the walk is not made again:
 * its records are taken from the previous analysis and its result handed
 * back. A kube-proxy dump's edit re-walks the edited chain and those that
 * reach it, not the 60,000 others.
 * A chain whose rules only moved to other lines (lines added or removed
 * above it) is the previous compile's object too (compile.ts `shifted`).
 *
 * The walks do not write into the recorder as they go: they log what they
 * record (a rule took these packets; packets entered a chain from this site),
 * in order, and settle() applies the log at the end. A replayed walk copies
 * its part of the previous log. A chain record of the previous analysis every
 * one of whose entries was replayed, in the same order, and that no fresh
 * walk touched, is taken over as it is (its rules' hits and all); the others
 * are made anew from the log.
 *
 * Results must equal a fresh analysis's exactly, and set operations treat a
 * set met twice as one object differently from an equal copy (analysis
 * README, "Cost"): a remembered walk is replayed at most once per analysis,
 * and sets it returned that were its entry's are handed back as the new
 * entry's. test/unit/analysis/reachReuse.test.ts holds it to a fresh analysis.
 */
import type { EmuChain, EmuRule, EmuRuleset, EmuTable } from '../../emulator/compile';
import { HOOKS, type Hook } from '../../lang/iptables/extension';
import { FIELD_COUNT } from '../space/fields';
import { equalSets } from '../space/intSet';
import type { HandOff, PacketSet } from '../space/packetSet';
import type { Flow } from './flow';
import type { ChainRecord, Recorder, RuleRecord } from './recorder';
import type { ChainOut } from './walk';
import { RemainderMemo } from './remainderMemo';

/** Log entries take four slots: kind + 2 × hook index, the chain record, then a rule record (Hit) or the site (Enter), then the flow. */
const HIT = 0;
const ENTER = 1;
/** 2 × the hook's index in HOOKS, the rest of an entry's first slot (looked up once per hook, not per entry). */
const HOOK_CODE = Object.fromEntries(HOOKS.map((h, i) => [h, 2 * i])) as Readonly<Record<Hook, number>>;

export interface RememberedWalk {
  /** The analysis (WalkMemo stamp) that replayed it: each replays it at most once. */
  usedBy?: number;
  readonly chain: EmuChain;
  readonly depth: number;
  readonly entry: Flow;
  /** entryKey(entry, depth), once asked for (keyOf): walks are found by it (a chain entered from 60,000 sites has as many walks). */
  key?: number;
  readonly out: ChainOut;
  /** The packets left at its end (part of out.ret): a walk made again that reads its rules' hits from this one's ends with them. */
  readonly rest: Flow;
  /**
   * Its entries: slots [from, to) of the log of the analysis that made it (the one before `from` is the
   * entry into the chain). A later analysis that replays it logs them `shift` slots further (lines added
   * above it: more entries before), and whoever holds the walk there notes that shift (Walks, the
   * `shifts` of the walk it is inside, the top walks): the walk itself is not copied.
   */
  readonly from: number;
  readonly to: number;
  /** The walks it made into other chains, remembered with it for the analysis after the next. */
  readonly inner: readonly RememberedWalk[];
  /**
   * Per inner walk, how far its entries lie in this walk's log from where that walk was made (a walk
   * this one replayed: WalkMemo.replay's shift); NO_SHIFTS when every one is 0. Within a walk replayed
   * `shift` slots further, each adds to that shift.
   */
  readonly shifts: readonly number[];
}

/** The walks a table's built-in chain made at a hook, in order, with their shifts (RememberedWalk.shifts). */
export interface TopWalks {
  readonly inner: readonly RememberedWalk[];
  readonly shifts: readonly number[];
}

/** A table's hand-off at one hook: the previous analysis's (coarsen regroups from it), and where this one's goes. */
export interface HandOffMemo {
  readonly earlier: HandOff | undefined;
  readonly keep: (h: HandOff) => void;
}

let analyses = 0;
export const NO_WALKS: readonly RememberedWalk[] = [];
export const NO_SHIFTS: readonly number[] = [];

/**
 * The walks remembered at one table and hook, in the order remembered. The next analysis looks
 * them up by chain and entry: the index (and the walks' keys) is made when it first does. An
 * analysis nothing follows (nflens analyze, a file's first analysis) pays for neither; a 170,000-rule
 * dump remembers ~200,000 walks (~0.2 s to index and key).
 */
export class Walks {
  /**
   * In the order remembered: walks, and replayed walks that stand for themselves and every walk
   * inside them (Tree: a replay remembers one entry, not the ~12 walks of a kube service each),
   * with the shift of their entries in this analysis's log.
   */
  private readonly list: Array<RememberedWalk | Tree> = [];
  /** The walks of `list`, trees laid out (itself, then the walks inside it), once indexed; and each one's shift. */
  private flat: RememberedWalk[] = [];
  private flatShifts: number[] = [];
  /** The shift of the walk of() yielded last. */
  shift = 0;
  /**
   * By chain and entryKey mixed into one number (indexKey), open addressing over two arrays of
   * numbers: the number, and the walk's place in `flat` + 1 (0: free). Walks whose numbers are
   * equal lie along one probe run in the order remembered (those of other chains among them).
   * 200,000 walks took ~90 ms per edit to index as a map per chain of lists per key, ~70 as one map.
   */
  private keys: Int32Array | undefined;
  private places: Int32Array | undefined;

  get indexed(): boolean {
    return this.places !== undefined;
  }

  add(w: RememberedWalk): void {
    this.list.push(w);
  }

  /** A walk and, inside it, the walks it made (and so on down), in that order, its entries `shift` slots from where it was made. */
  addTree(w: RememberedWalk, shift: number): void {
    this.list.push(w.inner.length || shift !== 0 ? new Tree(w, shift) : w);
  }

  /** The walks into a chain whose entry has this entryKey, in the order remembered (`shift` says where each one's entries are). */
  *of(chain: EmuChain, key: number): Generator<RememberedWalk> {
    if (!this.places) this.index();
    const keys = this.keys!;
    const places = this.places!;
    const mask = places.length - 1;
    const k = indexKey(chain.uid, key);
    for (let p = k & mask; places[p] !== 0; p = (p + 1) & mask) {
      if (keys[p] !== k) continue;
      const w = this.flat[places[p]! - 1]!;
      if (w.chain !== chain) continue;
      this.shift = this.flatShifts[places[p]! - 1]!;
      yield w;
    }
  }

  private index(): void {
    const list = this.flat;
    const shifts = this.flatShifts;
    const lay = (w: RememberedWalk, shift: number): void => {
      list.push(w);
      shifts.push(shift);
      for (let k = 0; k < w.inner.length; k++) lay(w.inner[k]!, shift + (w.shifts[k] ?? 0));
    };
    for (const e of this.list) {
      if (e instanceof Tree) lay(e.root, e.shift);
      else {
        list.push(e);
        shifts.push(0);
      }
    }
    // At most half full: probe runs stay short.
    let size = 16;
    while (size < list.length * 2) size *= 2;
    const keys = new Int32Array(size);
    const places = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < list.length; i++) {
      const w = list[i]!;
      const k = indexKey(w.chain.uid, keyOf(w));
      let p = k & mask;
      while (places[p] !== 0) p = (p + 1) & mask;
      keys[p] = k;
      places[p] = i + 1;
    }
    this.keys = keys;
    this.places = places;
  }
}

class Tree {
  constructor(
    readonly root: RememberedWalk,
    readonly shift: number,
  ) {}
}

export const indexKey = (chain: number, key: number): number => (Math.imul(chain, 0x9e3779b1) ^ key) | 0;

function keyOf(w: RememberedWalk): number {
  return (w.key ??= entryKey(w.entry, w.depth));
}

/** A hash of a walk's entry and depth (equal entries, as sameFlow compares them, have equal keys). */
export function entryKey(f: Flow, depth: number): number {
  let h = (depth * 2 + (f.may === f.must ? 1 : 0)) | 0;
  const mix = (s: PacketSet): void => {
    h = (Math.imul(h, 31) + s.length) | 0;
    for (const b of s) {
      for (let k = 0; k < FIELD_COUNT; k++) {
        const v = b[k]!;
        const n = v.length;
        h = (Math.imul(h, 31) + n) | 0;
        if (n) h = (Math.imul(Math.imul(h, 31) + v[0]!, 31) + v[n - 1]!) | 0;
      }
    }
  };
  mix(f.may);
  if (f.may !== f.must) mix(f.must);
  return h;
}

export class WalkMemo {
  /**
   * What the walks recorded, in order (see HIT, ENTER): slots [0, n). Made as long as the previous
   * analysis's log (an edit's log is mostly that one's entries again) and written by index: pushing
   * a kube dump's 2,800,000 slots onto a growing list took a third of the replays' time.
   */
  private readonly ops: unknown[];
  private n = 0;
  /** This log's slots while this analysis has them (the analysis after the next one writes its log over them). */
  private readonly slots: LogSlots;
  /** The previous analysis's log slots, which the analysis after this one writes its log over (logSlots). */
  private handDown: LogSlots | undefined;
  /** Walks into chains, by "table/hook". */
  private readonly walks = new Map<string, Walks>();
  /** By "table/hook": the walks the built-in chain's walk made, in order (the next analysis follows them down: Walker.placed). */
  private readonly tops = new Map<string, TopWalks>();
  /** By "table/hook": the boxes the table handed off, how they were grouped and their hashes, when it coarsened them (coarsen reads the previous analysis's). */
  private readonly handOffs = new Map<string, HandOff>();
  /** Per table: the chains whose walks may differ from the previous analysis's (dirtyChains). */
  private readonly dirty = new Map<EmuTable, ReadonlySet<string>>();
  /** The table and hook walks were last remembered for (a walker remembers thousands in a row). */
  private lastWalks: { readonly table: string; readonly hook: Hook; readonly walks: Walks } | undefined;
  /** Marks the previous analysis's chain records with what this analysis replayed of them. */
  private readonly stamp = ++analyses;
  /** Walks into chains this analysis replayed, and those it made (tests and the bench read them). */
  replayed = 0;
  walked = 0;
  /** Of the walks made, those that read their rules' hits from the previous walk of their chain (Walker.walk). */
  patched = 0;
  /** Of those, the ones that went on as fresh walks after a walk inside them returned other packets than before. */
  resumed = 0;
  /** Of the walks replayed, those at the same place in this log as in the previous one (no line added or removed above them). */
  replayedInPlace = 0;
  /**
   * Set by settle() when there was a previous analysis: the chains ("table", "chain") whose record
   * there this analysis neither took over nor replaced and has none of its own made for (no packet
   * enters them now; or it was made by a question asked after its analysis). chainScan.ts reads it.
   */
  recordsGone: ReadonlyArray<readonly [string, string]> | undefined;
  /** How many previous records settle() went through one by one to list those (none when the count says there are none). */
  goneRead = 0;
  /** What is left at the end of walks with many holes, remembered from the previous analysis on. */
  readonly remainders: RemainderMemo;

  constructor(
    readonly rec: Recorder,
    /**
     * The previous analysis's memo and compile, when its space and address facts are this one's,
     * and which chains this compile made anew (recompileRuleset).
     */
    private previous?: { readonly memo: WalkMemo; readonly emu: EmuRuleset; readonly made: ReadonlySet<EmuChain> },
  ) {
    // (A previous analysis whose log slots a later one took cannot hand on its walks.)
    if (previous && !previous.memo.slots.ops) {
      this.previous = previous = undefined;
      rec.startAfresh();
    }
    this.remainders = new RemainderMemo(previous?.memo.remainders);
    this.ops = previous ? logSlots(previous.memo, previous.memo.n + 1024) : [];
    this.slots = { ops: this.ops };
    this.handDown = previous?.memo.slots;
  }

  hit(c: ChainRecord, r: RuleRecord, hook: Hook, f: Flow): void {
    c.ops++;
    this.log(HIT + HOOK_CODE[hook], c, r, f);
  }

  enter(c: ChainRecord, site: EmuRule | string, f: Flow, hook: Hook): void {
    c.ops++;
    this.log(ENTER + HOOK_CODE[hook], c, site, f);
  }

  private log(code: number, c: ChainRecord, what: unknown, f: unknown): void {
    const ops = this.ops;
    const n = this.n;
    ops[n] = code;
    ops[n + 1] = c;
    ops[n + 2] = what;
    ops[n + 3] = f;
    this.n = n + 4;
  }

  /**
   * Makes the slots the next analysis writes its log into, when none are handed down (this analysis
   * had no previous one): an edit's log is as long as this one (2,800,000 slots for a kube dump), and
   * making them inside the first edit took ~10-25 ms of it. For a quiet moment (server.ts).
   */
  spareLog(): void {
    this.handDown ??= { ops: new Array<unknown>(this.n + 1024) };
  }

  /** The log slots this analysis handed down (once: see logSlots). */
  takeHandDown(): LogSlots | undefined {
    const s = this.handDown;
    this.handDown = undefined;
    return s;
  }

  /** Where the next walk's entries start. */
  get at(): number {
    return this.n;
  }

  /** The tables and hooks ("table/hook") whose walks a later analysis has indexed (tests read it). */
  get indexedWalkLists(): string[] {
    return [...this.walks].filter(([, w]) => w.indexed).map(([key]) => key);
  }

  remember(table: string, hook: Hook, w: RememberedWalk): void {
    this.walksAt(table, hook).add(w);
  }

  /** For coarsen at a table's hand-off: the previous analysis's hand-off there (its boxes, grouping, hashes), and where to keep this one's. */
  handOffMemo(table: string, hook: Hook): HandOffMemo {
    const key = `${table}/${hook}`;
    return { earlier: this.previous?.memo.handOffs.get(key), keep: (h) => void this.handOffs.set(key, h) };
  }

  /** The walks a table's built-in chain made at a hook, in order. */
  rememberTop(table: string, hook: Hook, top: TopWalks): void {
    this.tops.set(`${table}/${hook}`, top);
  }

  /** The previous analysis's rememberTop. */
  earlierTop(table: string, hook: Hook): TopWalks | undefined {
    return this.previous?.memo.tops.get(`${table}/${hook}`);
  }

  /**
   * Whether the previous analysis's walk w went into a chain of this name at this depth with an
   * entry equal to this one, and is not replayed yet: the walk take() may hand back when the chain
   * is unchanged, else the one whose inner walks the walk made again meets in the same order.
   */
  sameWalk(w: RememberedWalk, chain: EmuChain, depth: number, entry: Flow): boolean {
    return w.chain.name === chain.name && w.depth === depth && w.usedBy !== this.stamp && sameFlow(w.entry, entry);
  }

  /**
   * Where the hit of each rule the previous walk w met is in the previous log, in order (its hits at
   * w's own level), when its entries are those of one walk over its chain at this hook: a hit for each
   * rule met, in order, and after a jump's hit the entry into the chain it jumped to followed by the
   * next of w.inner's entries, whole. Else undefined. `shift`: where w's entries are in the previous
   * log (RememberedWalk.from). takenAt and heldAt read what such a hit says.
   */
  takesOf(w: RememberedWalk, hook: Hook, shift: number): number[] | undefined {
    const old = this.previous?.memo.ops;
    if (!old) return undefined;
    const rules = w.chain.rules;
    const hit = HIT + HOOK_CODE[hook];
    const enter = ENTER + HOOK_CODE[hook];
    const out: number[] = [];
    const to = w.to + shift;
    let p = w.from + shift;
    let k = 0;
    while (p < to) {
      const r = rules[out.length];
      if (old[p] !== hit || !r || (old[p + 2] as RuleRecord).facts.rule !== r) return undefined;
      out.push(p);
      p += 4;
      if (p < to && old[p] === enter && old[p + 2] === r) {
        const inner = w.inner[k];
        const at = shift + (w.shifts[k++] ?? 0);
        if (!inner || inner.from + at !== p + 4) return undefined;
        p = inner.to + at;
      }
    }
    return p === to && k === w.inner.length ? out : undefined;
  }

  /** The packets the previous log's hit at `p` (a place takesOf gave) says its rule took. */
  takenAt(p: number): Flow {
    return this.previous!.memo.ops[p + 3] as Flow;
  }

  /** The previous analysis's record of the rule of the hit at `p` (a place takesOf gave). */
  heldAt(p: number): RuleRecord {
    return this.previous!.memo.ops[p + 2] as RuleRecord;
  }

  /**
   * A walk made again that reads its rules' hits from the previous walk w (Walker.walk): logs the
   * entry into w's chain from `site` as the previous log has it (its record, its packets) and counts
   * it, when the entry just before w's entries there is that one; true then, and the walk logs its
   * hits by rehit while every walk inside returns what it returned then, so that the previous record
   * of the chain is taken over (settle) instead of made again rule by rule (a kube dump's
   * KUBE-SERVICES: 20,000 rule records per edit). Else false and nothing logged.
   */
  reenter(w: RememberedWalk, shift: number, site: EmuRule, table: string, chainName: string, hook: Hook): boolean {
    const old = this.previous!.memo.ops;
    const code = ENTER + HOOK_CODE[hook];
    const e = w.from + shift - 4;
    const was = enteredAs(old, e, code, site, w.entry, table, chainName);
    if (!was) return false;
    this.log(code, was, site, old[e + 3]);
    this.count(was, e);
    return true;
  }

  /** The previous log's hit at `p` (a place takesOf gave), logged again as it is and counted against its record (see reenter). */
  rehit(p: number): void {
    const old = this.previous!.memo.ops;
    const c = old[p + 1] as ChainRecord;
    this.count(c, p);
    this.log(old[p] as number, c, old[p + 2], old[p + 3]);
  }

  /** The walks remembered for a table at a hook (a replay looks them up once, not once per inner walk). */
  private walksAt(table: string, hook: Hook): Walks {
    const last = this.lastWalks;
    if (last?.table === table && last.hook === hook) return last.walks;
    const key = `${table}/${hook}`;
    let walks = this.walks.get(key);
    if (!walks) this.walks.set(key, (walks = new Walks()));
    this.lastWalks = { table, hook, walks };
    return walks;
  }

  /** Where the entries of the walk take() returned last are in the previous log: its shift (RememberedWalk.from). */
  takenShift = 0;

  /**
   * A walk of the previous analysis into this chain (at this depth, with an equal entry, not yet
   * replayed) when the chain and the chains such walks enter are unchanged; undefined when it must be walked.
   * `placed`, found at its place in the previous walks with its shift `placedShift`; takenShift says the returned walk's.
   */
  take(earlier: Walks | undefined, table: EmuTable, chain: EmuChain, depth: number, entry: Flow, placed: RememberedWalk | undefined, placedShift: number): RememberedWalk | undefined {
    // (Unchanged first: the walks are indexed when first looked up.)
    if (!earlier || !this.unchanged(table, chain)) return undefined;
    // Found at its place in the walk being redone (sameWalk, by name): no index needed. (An unchanged chain
    // is the previous compile's object, so the check below holds today: a guard.)
    if (placed?.chain === chain) {
      placed.usedBy = this.stamp;
      this.takenShift = placedShift;
      return placed;
    }
    for (const w of earlier.of(chain, entryKey(entry, depth))) {
      if (w.depth !== depth || w.usedBy === this.stamp || !sameFlow(w.entry, entry)) continue;
      w.usedBy = this.stamp;
      this.takenShift = earlier.shift;
      return w;
    }
    return undefined;
  }

  /** The previous analysis's walks into chains of a table at a hook (a walker asks once). */
  earlier(table: string, hook: Hook): Walks | undefined {
    return this.previous?.memo.walks.get(`${table}/${hook}`);
  }

  /**
   * Logs the jump's entry into the chain, then copies a remembered walk's entries into this log,
   * counting them against the previous analysis's chain records, and remembers it (with the walks
   * inside it) again. The entry is the previous one (its record and packets) when it is the same
   * site and packets, so that the entered chain's record can be taken over too; else it goes to
   * this analysis's record of the chain, made then (`jumper.target`, once per jumping rule; not kept
   * on a jumper that is the previous analysis's record, `jumperIsPrevious`: see reenter).
   * `shift`: where w's entries are in the previous log (takenShift). Returns where they are in this
   * one: the walk is remembered again as it is, with that shift (a line added above it: further down).
   */
  replay(table: EmuTable, hook: Hook, w: RememberedWalk, shift: number, site: EmuRule, entry: Flow, jumper: RuleRecord, chainName: string, jumperIsPrevious: boolean): number {
    const old = this.previous!.memo.ops;
    const code = ENTER + HOOK_CODE[hook];
    const from = w.from + shift;
    const to = w.to + shift;
    const e = from - 4;
    const was = enteredAs(old, e, code, site, w.entry, table.name, chainName);
    if (was) {
      this.log(code, was, site, old[e + 3]);
      this.count(was, e);
    } else this.enter(this.rec.targetRecord(jumper, table.name, chainName, jumperIsPrevious), site, entry, hook);
    const now = this.n - w.from;
    for (let i = from; i < to; i += 4) {
      this.count(old[i + 1] as ChainRecord, i);
      this.log(old[i] as number, old[i + 1] as ChainRecord, old[i + 2], old[i + 3]);
    }
    this.walksAt(table.name, hook).addTree(w, now);
    this.replayed++;
    if (now === shift) this.replayedInPlace++;
    return now;
  }

  /** One of the previous analysis's entries (at slot `at` of its log) replayed into chain record c. */
  private count(c: ChainRecord, at: number): void {
    if (c.seenBy !== this.stamp) {
      c.seenBy = this.stamp;
      c.seen = 0;
      c.lastSeen = -1;
      c.inOrder = true;
    }
    c.seen++;
    if (at <= c.lastSeen) c.inOrder = false;
    c.lastSeen = at;
  }

  /**
   * Applies the log to the recorder, in order: entries into this analysis's records as they
   * are; a previous record taken over whole when all its entries were replayed in order and no
   * fresh walk touched it; the others' entries moved onto new records. Then lets go of the
   * previous analysis (the new one must not keep it alive).
   */
  settle(): void {
    const rec = this.rec;
    const ops = this.ops;
    let decided = 0;
    // (Made as long as the previous log: cut to what was written.)
    ops.length = this.n;
    for (let i = 0; i < ops.length; i += 4) {
      const code = ops[i] as number;
      const hook = HOOKS[code >> 1]!;
      let c = ops[i + 1] as ChainRecord;
      if (c.madeBy !== rec.id) {
        if (c.decidedBy !== this.stamp) {
          c.decidedBy = this.stamp;
          decided++;
          // This analysis's record of the chain, if the walks made one (Recorder.chain).
          const mine = c.remade?.madeBy === rec.id ? c.remade : undefined;
          c.remade = undefined;
          c.movedTo = this.takeOver(c, mine);
        }
        const now = c.movedTo!;
        if (now === c) continue;
        now.ops++;
        ops[i + 1] = now;
        c = now;
        if ((code & 1) === HIT) ops[i + 2] = rec.record((ops[i + 2] as RuleRecord).facts.rule, c.table, c.name, c);
      }
      if ((code & 1) === HIT) rec.hit(ops[i + 2] as RuleRecord, hook, ops[i + 3] as Flow);
      else rec.enter(c, ops[i + 2] as EmuRule | string, ops[i + 3] as Flow, hook);
    }
    if (this.previous) this.recordsGone = this.gone(this.previous.memo.rec, decided);
    rec.settled(this.recordsGone ?? []);
    this.previous = undefined;
    this.dirty.clear();
  }

  /**
   * The previous recorder's records that settle() did not decide on (`decided` of them it did) and
   * whose chain has no record made by this analysis. Counted first: after a kube dump's one-line
   * edit there are none, and listing them means reading all 60,000 records.
   */
  private gone(before: Recorder, decided: number): Array<readonly [string, string]> {
    const replaced = new Set<ChainRecord>();
    for (const m of this.rec.made) {
      const p = before.existing(m.table, m.name);
      if (p && p.decidedBy !== this.stamp) replaced.add(p);
    }
    if (decided + replaced.size === before.size) return [];
    const out: Array<readonly [string, string]> = [];
    for (const p of before.records()) {
      this.goneRead++;
      if (p.decidedBy !== this.stamp && !replaced.has(p)) out.push([p.table, p.name]);
    }
    return out;
  }

  /**
   * A previous analysis's record as it is, when this one replayed every entry of it in order and made none
   * (`mine`, its record of the chain if the walks made one); else this one's (new) record.
   */
  private takeOver(c: ChainRecord, mine: ChainRecord | undefined): ChainRecord {
    if (c.seenBy === this.stamp && c.seen === c.ops && c.inOrder && !(mine && mine.ops > 0)) {
      this.rec.adopt(c, mine);
      return c;
    }
    return (mine ?? this.rec.chain(c.table, c.name)).fit(c.rules.length);
  }

  /**
   * Whether a walk into the chain with an entry the previous analysis walked it with comes out as
   * then: the chain is the previous compile's object and none of the chains
   * that walk went into was made anew.
   */
  private unchanged(table: EmuTable, chain: EmuChain): boolean {
    const previous = this.previous;
    if (!previous || !previous.emu.tables.has(table.name)) return false;
    let dirty = this.dirty.get(table);
    if (!dirty) this.dirty.set(table, (dirty = this.dirtyChains(table)));
    // (A chain made anew is dirty under its name: the one object of that name in this compile.)
    return !dirty.has(chain.name);
  }

  /**
   * The chains of a table made anew, and every chain the previous analysis's
   * walks went from into one of them (its record's jump sites), and so on up: found from the
   * few chains an edit makes, not by following the jumps of every chain down. A chain whose walk
   * never entered a changed chain (its jump to it took no packet) walks the same with the same
   * entry: the rules before that jump are its own and those of chains it entered, all unchanged.
   */
  private dirtyChains(table: EmuTable): ReadonlySet<string> {
    const { made, memo } = this.previous!;
    const names = new Set<string>();
    const todo: string[] = [];
    for (const c of made) {
      if (table.chains.get(c.name) !== c) continue;
      names.add(c.name);
      todo.push(c.name);
    }
    while (todo.length) {
      const rec = memo.rec.existing(table.name, todo.pop()!);
      if (!rec) continue;
      for (const site of rec.sites.keys()) {
        if (typeof site === 'string' || names.has(site.ref.chain)) continue;
        names.add(site.ref.chain);
        todo.push(site.ref.chain);
      }
    }
    return names;
  }
}

/** A walk log's slots, undefined once a later analysis took them. */
interface LogSlots {
  ops: unknown[] | undefined;
}

/**
 * Slots for the log of the analysis after `previous`: those of the analysis before it, written over.
 * An edit's log is as long as the previous one (a kube dump's 2,800,000 slots) and making it anew took
 * ~20-40 ms per edit. That analysis's walks can then no longer be handed on (the editor hands on the
 * newest analysis only; one handed an older one walks everything, as without). Made anew when there are none.
 */
function logSlots(previous: WalkMemo, size: number): unknown[] {
  const spare = previous.takeHandDown();
  const ops = spare?.ops;
  if (!spare || !ops) return new Array<unknown>(size);
  spare.ops = undefined;
  // (Written from slot 0 on, past its length if need be; settle() cuts it at the end of the new log.)
  return ops;
}

/** The result of a replayed walk, its sets that were its entry's replaced by the new entry's. */
export function handBack(w: RememberedWalk, entry: Flow): ChainOut {
  return { ret: swapEntry(w.out.ret, w.entry, entry), accepted: swapEntry(w.out.accepted, w.entry, entry) };
}

/** A flow of a walk with entry `was`, its sets that were that entry's replaced by `now`'s. */
export function swapEntry(f: Flow, was: Flow, now: Flow): Flow {
  if (was === now) return f;
  // (Written out: a closure here was made on each of a kube edit's ~60,000 calls, ~4 MB per edit.)
  const may = f.may === was.may ? now.may : f.may === was.must ? now.must : f.may;
  const must = f.must === was.may ? now.may : f.must === was.must ? now.must : f.must;
  return may === f.may && must === f.must ? f : { may, must };
}

/**
 * The previous record of the chain, when the previous log's entry at slot `e` is the entry into that
 * chain (table and name) from `site` with packets equal to `entry` (the walk's): the very object, or
 * equal box for box (a walk made again logs the entry as the previous log had it, reenter, while it
 * remembers its own). Else undefined.
 */
function enteredAs(old: readonly unknown[], e: number, code: number, site: EmuRule, entry: Flow, table: string, chainName: string): ChainRecord | undefined {
  if (e < 0 || old[e] !== code || old[e + 2] !== site) return undefined;
  const logged = old[e + 3] as Flow;
  if (logged !== entry && !sameFlow(logged, entry)) return undefined;
  const was = old[e + 1] as ChainRecord;
  return was.table === table && was.name === chainName ? was : undefined;
}

/** Whether two flows hold the same boxes, in order (and may is must in both or neither). */
export function sameFlow(a: Flow, b: Flow): boolean {
  const aOne = a.may === a.must;
  if (aOne !== (b.may === b.must)) return false;
  return sameSet(a.may, b.may) && (aOne || sameSet(a.must, b.must));
}

/** Whether two sets have equal boxes in the same order. */
export function sameSet(a: PacketSet, b: PacketSet): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    for (let k = 0; k < FIELD_COUNT; k++) if (x[k] !== y[k] && !equalSets(x[k]!, y[k]!)) return false;
  }
  return true;
}
