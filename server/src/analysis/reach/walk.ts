/**
 * The symbolic chain walk: the emulator's runTable with packet sets instead
 * of one packet. Each rule records the packets it takes (per hook); a
 * jump walks the called chain with the packets the jumping rule takes and
 * brings back those that return; a goto's returns go to the caller's
 * caller; a built-in chain's end applies its policy.
 */
import type { EmuChain, EmuRule, EmuTable } from '../../emulator/compile';
import type { RuleMatch } from '../space/ruleMatch';
import type { Hook } from '../../lang/iptables/extension';
import type { Effect } from './effect';
import { FlowSum, isDead, join, NO_FLOW, type Flow } from './flow';
import type { ChainRecord, Recorder, RuleRecord } from './recorder';
import { PendingFlow } from './pendingFlow';
import { coarsen } from '../space/packetSet';
import { handBack, NO_SHIFTS, NO_WALKS, sameFlow, swapEntry, type HandOffMemo, type RememberedWalk, type WalkMemo, type Walks } from './walkMemo';

/** Largest set (in boxes) a table hands on; beyond it `may` is widened and `must` trimmed (both stay sound). */
const HANDOFF_LIMIT = 256;

function budget(f: Flow, memo?: HandOffMemo): Flow {
  return f.may.length <= HANDOFF_LIMIT && f.must.length <= HANDOFF_LIMIT ? f : { may: coarsen(f.may, HANDOFF_LIMIT, memo?.earlier, memo?.keep), must: f.must.slice(0, HANDOFF_LIMIT) };
}

const MAX_DEPTH = 64;

export interface ChainOut {
  /** Packets that fall off the end of a user chain or RETURN from it. */
  readonly ret: Flow;
  /** Packets the table lets through (ACCEPT, NAT targets, an ACCEPT policy). */
  readonly accepted: Flow;
}

/** Jumps that looked their chain up by name so far in this process (not handed on from the previous analysis): tests read it. */
let targetLookups = 0;
export function jumpTargetLookups(): number {
  return targetLookups;
}

export class Walker {
  /**
   * The walks into chains made by the walk in progress (each remembered with the walk that made it), and
   * their shifts (RememberedWalk.shifts): made when the first one is not 0 (a fresh analysis makes 200,000
   * walks, none shifted).
   */
  private inner: RememberedWalk[] = [];
  private innerShifts: number[] | undefined;
  /** The previous analysis's walks into this table's chains at this hook. */
  private readonly earlier: Walks | undefined;
  /**
   * The walks the previous analysis made from the chain walked now, with an equal entry, in order,
   * and how many of them this walk has met (placed): an edit's walk down to the edited chain finds
   * the walks to replay at their places instead of indexing the 200,000 of a kube dump.
   */
  private earlierInner: readonly RememberedWalk[] | undefined;
  /** Their shifts in the previous log: the shift of the walk they are inside (`earlierBase`) plus each one's own. */
  private earlierShifts: readonly number[] = NO_SHIFTS;
  private earlierBase = 0;
  private cursor = 0;
  /** The shift of the walk placed() found last. */
  private placedShift = 0;

  constructor(
    private readonly table: EmuTable,
    private readonly hook: Hook,
    private readonly rec: Recorder,
    /** Where the walks log what they record (applied by WalkMemo.settle), and the previous analysis's walks. */
    private readonly memo: WalkMemo,
  ) {
    this.earlier = memo.earlier(table.name, hook);
  }

  /** The table's walk from its built-in chain for this hook: what it lets through. */
  run(entry: Flow): Flow {
    const base = this.table.chains.get(this.hook);
    if (!base) return entry;
    const here = this.rec.chain(this.table.name, this.hook);
    this.memo.enter(here, `hook ${this.hook}`, entry, this.hook);
    const top = this.memo.earlierTop(this.table.name, this.hook);
    const out = this.walk(base, this.hook, here, entry, 0, top?.inner, top?.shifts ?? NO_SHIFTS, 0);
    const key = `${this.table.name}/${this.hook}`;
    // Returns from a built-in chain (RETURN, or a goto'd chain's end) meet the policy.
    this.rec.policy.set(key, join(this.rec.policy.get(key) ?? NO_FLOW, out.ret));
    return budget(base.policy === 'ACCEPT' ? join(out.accepted, out.ret) : out.accepted, this.memo.handOffMemo(this.table.name, this.hook));
  }

  /**
   * A jump's walk into its chain: the previous analysis's, replayed, when it must come out the same;
   * else walked, into the chain's record in this analysis (made when first needed: a replayed walk's
   * entry is logged into the previous record, which is taken over), or into the previous record
   * while the walk reads its hits from the previous walk of the chain (WalkMemo.reenter).
   * `recIsPrevious`: `rec` is the previous analysis's record of the jumping rule, read and never written.
   */
  private jump(r: EmuRule, rec: RuleRecord, chainName: string, entry: Flow, depth: number, recIsPrevious: boolean): ChainOut {
    // The chain itself, looked up once per rule: a rule's target is in its own table, whichever hook walks it.
    let chain = this.rec.targetChain(rec, recIsPrevious);
    if (!chain) {
      targetLookups++;
      chain = this.table.chains.get(chainName);
      this.rec.noteTargetChain(rec, chain, recIsPrevious);
      // (The next analysis may then trust it: Recorder's stillHeld.)
      if (chain) chain.inCompile = this.table.compile;
    }
    const placed = chain ? this.placed(chain, depth, entry) : undefined;
    // The previous walk from here went into this chain with other packets: it is walked anew (looking it up
    // would index the previous analysis's 200,000 walks), and the walks inside it are met at their places.
    const near = chain && !placed ? this.near(chain, depth) : undefined;
    const placedShift = this.placedShift;
    const w = chain && !near ? this.memo.take(this.earlier, this.table, chain, depth, entry, placed, placedShift) : undefined;
    if (w) {
      this.noteShift(this.memo.replay(this.table, this.hook, w, this.memo.takenShift, r, entry, rec, chainName, recIsPrevious));
      this.inner.push(w);
      return handBack(w, entry);
    }
    const takes = placed && placed.chain === chain ? this.memo.takesOf(placed, this.hook, placedShift) : undefined;
    if (placed && takes && this.memo.reenter(placed, placedShift, r, this.table.name, chainName, this.hook)) return this.walk(chain, chainName, undefined, entry, depth, placed.inner, placed.shifts, placedShift, placed, takes);
    const there = this.rec.targetRecord(rec, this.table.name, chainName, recIsPrevious);
    this.memo.enter(there, r, entry, this.hook);
    // The previous walk whose inner walks this one meets at their places, if any (only `placed` had this entry).
    const guide = placed ?? near;
    return this.walk(chain, chainName, there, entry, depth, guide?.inner, guide ? guide.shifts : NO_SHIFTS, guide ? placedShift : 0, placed, takes);
  }

  /** The shift of the inner walk about to be pushed (innerShifts, made with zeros for those before it when it is the first not 0). */
  private noteShift(shift: number): void {
    if (shift !== 0 && !this.innerShifts) this.innerShifts = new Array<number>(this.inner.length).fill(0);
    this.innerShifts?.push(shift);
  }

  /**
   * The previous analysis's next walk from the chain walked now, when it went into this chain with an
   * equal entry (one walk skipped: a jump the edit removed); else undefined (take() looks in the index).
   */
  private placed(chain: EmuChain, depth: number, entry: Flow): RememberedWalk | undefined {
    const list = this.earlierInner;
    if (!list) return undefined;
    for (let k = this.cursor; k < list.length && k <= this.cursor + 1; k++) {
      if (!this.memo.sameWalk(list[k]!, chain, depth, entry)) continue;
      this.cursor = k + 1;
      this.placedShift = this.earlierBase + (this.earlierShifts[k] ?? 0);
      return list[k];
    }
    return undefined;
  }

  /**
   * The previous analysis's next walk from the chain walked now, when it went into a chain of this name at
   * this depth (with other packets: placed found none); else undefined. Its place is taken (the cursor
   * moves past it) and placedShift says its shift.
   */
  private near(chain: EmuChain, depth: number): RememberedWalk | undefined {
    const list = this.earlierInner;
    const k = this.cursor;
    const w = list?.[k];
    if (!w || w.chain.name !== chain.name || w.depth !== depth) return undefined;
    this.cursor = k + 1;
    this.placedShift = this.earlierBase + (this.earlierShifts[k] ?? 0);
    return w;
  }

  /**
   * A walk into a chain. `was`, the previous analysis's walk of this very chain with an equal entry
   * (placed): when its log holds a hit for each rule it met (takesOf), the rules' hits are read
   * from it instead of worked out again, and the packets left at the end are its own, while every
   * walk it made inside returns what it returned then. A kube dump's KUBE-SERVICES, walked again
   * because one service's chain changed, then costs what replaying its 10,000 jumps does. When
   * a walk inside returns other packets, the flow still pending is worked out from the entry
   * through the rules before (resume), and the walk goes on as a fresh one. `earlierInner`: the walks
   * the previous walk from this chain made (was's, or the top walks), `earlierShifts` theirs and
   * `earlierBase` was's (RememberedWalk.from). `given`: where was's hits are in the previous log
   * (takesOf), when the caller looked. `here`: this analysis's record of the chain; undefined when
   * the caller logged the entry into the previous one (reenter): then the hits read from the
   * previous walk are logged as they were (rehit), into the previous records, until a walk inside
   * returns other packets, and the walk goes on into this analysis's record.
   */
  private walk(chain: EmuChain | undefined, chainName: string, here: ChainRecord | undefined, entry: Flow, depth: number, earlierInner: readonly RememberedWalk[] | undefined, earlierShifts: readonly number[], earlierBase: number, was?: RememberedWalk, given?: number[]): ChainOut {
    if (!chain || depth > MAX_DEPTH) return { ret: NO_FLOW, accepted: NO_FLOW };
    const memo = this.memo;
    const from = memo.at;
    const outer = this.inner;
    const outerShifts = this.innerShifts;
    const outerEarlier = this.earlierInner;
    const outerEarlierShifts = this.earlierShifts;
    const outerBase = this.earlierBase;
    const outerCursor = this.cursor;
    this.inner = [];
    this.innerShifts = undefined;
    this.earlierInner = earlierInner;
    this.earlierShifts = earlierShifts;
    this.earlierBase = earlierBase;
    this.cursor = 0;
    here?.fit(chain.rules.length);
    const takes = was?.chain === chain ? (given ?? memo.takesOf(was, this.hook, earlierBase)) : undefined;
    // Only while the hits are read from the previous walk (a fresh analysis makes 200,000 walks without):
    // its sets that were its entry's made this entry's, and what each jump's walk returned (resume reads them).
    const swap = takes ? (f: Flow): Flow => swapEntry(f, was!.entry, entry) : undefined;
    const subs: Array<ChainOut | undefined> | undefined = takes ? [] : undefined;
    // Undefined while the hits are read from the previous walk.
    let cur = takes ? undefined : new PendingFlow(entry);
    let jumps = 0;
    if (takes) memo.patched++;
    // Sums over every rule of the chain (thousands of jump sites in a service table): built in place.
    const ret = new FlowSum();
    const accepted = new FlowSum();
    const rules = chain.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (cur ? cur.deadNow() : i >= takes!.length) break;
      // (Logged as it was while `here` is undefined: the previous record of the rule, read only.)
      const asBefore = here === undefined;
      const rec = asBefore ? memo.heldAt(takes![i]!) : this.rec.record(r, this.table.name, chainName, here);
      const facts = rec.facts;
      const m = facts.match;
      const e = facts.effect;
      const taken = cur ? cur.hit(m) : swap!(memo.takenAt(takes![i]!));
      if (asBefore) memo.rehit(takes![i]!);
      else memo.hit(here!, rec, this.hook, taken);
      if (isDead(taken)) continue;
      let sub: ChainOut | undefined;
      switch (e.kind) {
        case 'accept':
          accepted.add(taken);
          break;
        case 'return':
          ret.add(taken);
          break;
        case 'jump': {
          sub = this.jump(r, rec, e.chain, taken, depth + 1, asBefore);
          accepted.add(sub.accepted);
          if (e.goto) ret.add(sub.ret);
          if (!cur) {
            subs![i] = sub;
            if (!sameReturn(sub.ret, was!.inner[jumps++]!.out.ret)) {
              cur = this.resume(rules, entry, takes!, swap!, subs!, i);
              // The rest of the walk is this analysis's own: its record (the entries logged into the previous one are moved onto it by settle).
              here ??= this.rec.chain(this.table.name, chainName).fit(rules.length);
            }
          }
          break;
        }
        case 'nat':
          accepted.add(e.rewrite(taken));
          break;
        case 'unknown':
          // It may end the walk (either way) or go on: may keeps both, must neither.
          accepted.add({ may: taken.may, must: [] });
          break;
      }
      if (cur) advance(cur, m, e, taken, sub);
    }
    // Falling off the end: a user chain returns; for a built-in chain run() applies the policy.
    const rest = cur ? cur.whole(memo.remainders) : swap!(was!.rest);
    ret.add(rest);
    const out = { ret: ret.value, accepted: accepted.value };
    const shifts = this.innerShifts ?? NO_SHIFTS;
    if (depth > 0) {
      // Kept by the hundred thousand: at its own length (pushing onto [] makes room for 17).
      const inner = this.inner.length === 0 ? NO_WALKS : this.inner.length < 16 ? this.inner.slice() : this.inner;
      const w: RememberedWalk = { chain, depth, entry, out, rest, from, to: memo.at, inner, shifts: shifts.length < 16 && shifts !== NO_SHIFTS ? shifts.slice() : shifts };
      memo.remember(this.table.name, this.hook, w);
      outer.push(w);
      outerShifts?.push(0);
      memo.walked++;
    } else memo.rememberTop(this.table.name, this.hook, { inner: this.inner, shifts });
    this.inner = outer;
    this.innerShifts = outerShifts;
    this.earlierInner = outerEarlier;
    this.earlierShifts = outerEarlierShifts;
    this.earlierBase = outerBase;
    this.cursor = outerCursor;
    return out;
  }

  /** The flow pending before rule `upTo`, worked out from the entry and what the rules before took (as the walk would have). */
  private resume(rules: readonly EmuRule[], entry: Flow, takes: readonly number[], swap: (f: Flow) => Flow, subs: ReadonlyArray<ChainOut | undefined>, upTo: number): PendingFlow {
    this.memo.resumed++;
    const cur = new PendingFlow(entry);
    for (let j = 0; j < upTo; j++) {
      const taken = swap(this.memo.takenAt(takes[j]!));
      if (isDead(taken)) continue;
      const facts = this.rec.facts(rules[j]!, this.table.name, rules[j]!.ref.chain);
      advance(cur, facts.match, facts.effect, taken, subs[j]);
    }
    return cur;
  }
}

/** What a rule leaves of the pending flow: the packets it took gone, those a jump returns or a rewrite makes back in. */
function advance(cur: PendingFlow, m: RuleMatch, e: Effect, taken: Flow, sub: ChainOut | undefined): void {
  switch (e.kind) {
    case 'accept':
    case 'drop':
    case 'return':
    case 'nat':
      cur.take(m);
      return;
    case 'jump':
      if (e.goto || isDead(sub!.ret)) cur.take(m);
      else cur.set(join(cur.takeWhole(m), sub!.ret));
      return;
    case 'continue':
      if (e.rewrite) cur.set(join(cur.takeWhole(m), e.rewrite(taken)));
      return;
    case 'unknown':
      cur.takeMust(m);
      return;
  }
}

/** Whether a walk returned what it returned before: nothing either time, or the same boxes (sameFlow). */
function sameReturn(now: Flow, then: Flow): boolean {
  const dead = isDead(now);
  return dead === isDead(then) && (dead || sameFlow(now, then));
}

export type { Effect };
