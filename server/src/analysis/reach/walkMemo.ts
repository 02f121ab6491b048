/**
 * Chain walks remembered from one analysis of a document to the next (the
 * editor's re-analysis after an edit). A walk into a chain depends only on
 * its rules, the chains they reach, the space, and the packets entering. When
 * the chain and every chain it reaches are the previous compile's very
 * objects (compileRuleset keeps the chains a reparse left alone) and the
 * entry equals the remembered one box for box, the walk's records are
 * replayed into the new recorder and its result handed back: a kube-proxy
 * dump's edit re-walks the edited chain and those that reach it, not the
 * 60,000 others.
 *
 * Results must equal a fresh walk's exactly, and set operations treat a set
 * met twice as one object differently from an equal copy (analysis README,
 * "Cost"): a remembered walk is replayed at most once per analysis, and sets
 * it returned that were its entry's are handed back as the new entry's.
 */
import type { EmuChain, EmuRuleset, EmuTable } from '../../emulator/compile';
import type { Hook } from '../../lang/iptables/extension';
import { FIELD_COUNT } from '../space/fields';
import { equalSets } from '../space/intSet';
import type { PacketSet } from '../space/packetSet';
import type { Flow } from './flow';
import type { ChainOut } from './walk';

/** Log entries, four slots each: the op, then its operands. */
export const enum Op {
  /** chain name, rule count: ChainRecord.fit. */
  Fit,
  /** rule, flow: the rule took these packets (Recorder.hit). */
  Hit,
  /** chain name, jump site (rule), flow: packets entering a chain (Recorder.enter). */
  Enter,
}

export interface RememberedWalk {
  readonly chain: EmuChain;
  readonly depth: number;
  readonly entry: Flow;
  readonly out: ChainOut;
  /** Its records: slots [from, to) of its log. */
  readonly from: number;
  readonly to: number;
  /** The walks it made into other chains, remembered with it for the analysis after the next. */
  readonly inner: readonly RememberedWalk[];
}

/** One table's walks at one hook: every record they made, in order, and each walk into a chain. */
export class WalkLog {
  readonly ops: unknown[] = [];
  private readonly walks = new Map<EmuChain, RememberedWalk[]>();
  /** Walks this analysis has replayed (each at most once: see the header). */
  private readonly used = new Set<RememberedWalk>();

  remember(w: RememberedWalk): void {
    const l = this.walks.get(w.chain);
    if (l) l.push(w);
    else this.walks.set(w.chain, [w]);
  }

  /** A remembered walk of the chain at this depth with an equal entry, not yet replayed. */
  take(chain: EmuChain, depth: number, entry: Flow): RememberedWalk | undefined {
    for (const w of this.walks.get(chain) ?? []) {
      if (w.depth !== depth || this.used.has(w) || !sameFlow(w.entry, entry)) continue;
      this.used.add(w);
      return w;
    }
    return undefined;
  }

  /** Remembers a replayed walk (and those inside it) again, its records now from slot `from` of this log. */
  again(w: RememberedWalk, from: number): RememberedWalk {
    const shift = from - w.from;
    const moved = (x: RememberedWalk): RememberedWalk => {
      const y: RememberedWalk = { chain: x.chain, depth: x.depth, entry: x.entry, out: x.out, from: x.from + shift, to: x.to + shift, inner: x.inner.map(moved) };
      this.remember(y);
      return y;
    };
    return moved(w);
  }
}

/**
 * The logs of one analysis, by table and hook, and what it may take from the
 * previous analysis: its logs, and which chains are unchanged since.
 */
export class WalkMemo {
  private readonly logs = new Map<string, WalkLog>();
  /** Walks into chains this analysis replayed instead of walking, and those it walked (tests and the bench read them). */
  replayed = 0;
  walked = 0;
  /** Per table: chain → whether it and every chain it reaches are the previous compile's. */
  private readonly clean = new Map<EmuTable, Map<EmuChain, boolean>>();

  constructor(
    /** The previous analysis's memo and compile, when its space and address facts are this one's. */
    private previous?: { readonly memo: WalkMemo; readonly emu: EmuRuleset },
  ) {}

  /** This analysis's log for a table at a hook. */
  log(table: string, hook: Hook): WalkLog {
    const key = `${table}/${hook}`;
    let l = this.logs.get(key);
    if (!l) this.logs.set(key, (l = new WalkLog()));
    return l;
  }

  /** The previous analysis's log for a table at a hook. */
  earlier(table: string, hook: Hook): WalkLog | undefined {
    return this.previous?.memo.logs.get(`${table}/${hook}`);
  }

  /** Drops what was taken from the previous analysis once the walks are done (it must not be kept alive). */
  done(): void {
    this.previous = undefined;
    this.clean.clear();
  }

  /** Whether the chain and every chain its rules reach are the previous compile's objects (and reach the same names). */
  unchanged(table: EmuTable, chain: EmuChain): boolean {
    const before = this.previous?.emu.tables.get(table.name);
    if (!before) return false;
    let known = this.clean.get(table);
    if (!known) this.clean.set(table, (known = new Map()));
    const visit = (c: EmuChain): boolean => {
      const k = known!.get(c);
      if (k !== undefined) return k;
      known!.set(c, false); // a loop (never in a ruleset that loaded) stays "changed"
      let ok = before.chains.get(c.name) === c;
      for (let i = 0; ok && i < c.rules.length; i++) {
        const t = c.rules[i]!.target;
        if (t.kind !== 'jump') continue;
        const next = table.chains.get(t.chain);
        ok = next ? visit(next) : before.chains.get(t.chain) === undefined;
      }
      known!.set(c, ok);
      return ok;
    };
    return visit(chain);
  }
}

/** The result of a replayed walk, its sets that were its entry's replaced by the new entry's. */
export function handBack(w: RememberedWalk, entry: Flow): ChainOut {
  const swap = (s: PacketSet): PacketSet => (s === w.entry.may ? entry.may : s === w.entry.must ? entry.must : s);
  const flow = (f: Flow): Flow => {
    const may = swap(f.may);
    const must = swap(f.must);
    return may === f.may && must === f.must ? f : { may, must };
  };
  return { ret: flow(w.out.ret), accepted: flow(w.out.accepted) };
}

function sameFlow(a: Flow, b: Flow): boolean {
  const aOne = a.may === a.must;
  if (aOne !== (b.may === b.must)) return false;
  return sameSet(a.may, b.may) && (aOne || sameSet(a.must, b.must));
}

function sameSet(a: PacketSet, b: PacketSet): boolean {
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
