/**
 * A set minus many holes (a service table's taken boxes when its flow is
 * made whole): the very pieces, in the very order, that subtracting one hole
 * after another gives (each box a hole meets replaced in place by what is
 * left of it), but a hole looks only at the pieces whose destinations come
 * near its own, through an index, instead of at every piece. One after
 * another costs holes × pieces, and each hole leaves a piece or two behind.
 */
import { Field, type Box } from './fields';
import type { PacketSet } from './packetSet';
import { NARROW, SortedRanges } from './sortedRanges';

interface Piece {
  readonly box: Box;
  /** The hull of its destinations. */
  readonly lo: number;
  readonly hi: number;
  next: Piece | undefined;
  prev: Piece | undefined;
  alive: boolean;
}

/**
 * Narrow pieces by destination; dead ones are skipped, and swept now and then. Pieces a hole leaves
 * come in any order: they wait in a short list, read by every query, and go into the index together
 * (one merge instead of a splice each). Which order a query finds pieces in does not matter: each
 * is replaced in place.
 */
class ByDestination {
  private readonly index = new SortedRanges<Piece>();
  private waiting: Piece[] = [];
  private dead = 0;

  add(p: Piece): void {
    // (In order, as a service table's holes leave them: straight to the end of the index.)
    if (!this.waiting.length && this.index.appends(p.lo)) return this.index.add(p, p.lo, p.hi);
    this.waiting.push(p);
    if (this.waiting.length >= WAITING) this.indexWaiting();
  }

  /** Living pieces whose hull meets [lo, hi]. */
  near(lo: number, hi: number, out: Piece[]): void {
    this.index.near(lo, hi, out, isAlive);
    for (const p of this.waiting) if (p.alive && p.hi >= lo && p.lo <= hi) out.push(p);
  }

  died(): void {
    if (++this.dead * 2 <= this.index.size + this.waiting.length) return;
    this.indexWaiting();
    this.index.retain(isAlive);
    this.dead = 0;
  }

  private indexWaiting(): void {
    const w = this.waiting.filter(isAlive).sort((a, b) => a.lo - b.lo);
    this.waiting = [];
    this.index.addSorted(w, w.map((p) => p.lo), w.map((p) => p.hi));
  }
}

/** Pieces waiting to go into the index at most. */
const WAITING = 256;

const isAlive = (p: Piece): boolean => p.alive;

/** a minus every hole, one after another (without the tidying merge subtractSets may add). */
export function subtractEach(a: PacketSet, holes: PacketSet, boxSubtract: (x: Box, y: Box) => Box[], boxesOverlap: (x: Box, y: Box) => boolean): Box[] {
  const head: Piece = { box: [], lo: 0, hi: -1, next: undefined, prev: undefined, alive: false };
  let wide: Piece[] = [];
  let wideDead = 0;
  const narrow = new ByDestination();
  const make = (box: Box): Piece => {
    const d = box[Field.Dst]!;
    const p: Piece = { box, lo: d[0]!, hi: d[d.length - 1]!, next: undefined, prev: undefined, alive: true };
    // Narrow pieces by destination in the index; wide ones are looked at by every hole.
    if (p.hi - p.lo < NARROW) narrow.add(p);
    else wide.push(p);
    return p;
  };
  let last = head;
  for (const x of a) {
    const p = make(x);
    p.prev = last;
    last.next = p;
    last = p;
  }
  let alive = a.length;
  const met: Piece[] = [];
  for (const y of holes) {
    if (!alive) break;
    const d = y[Field.Dst]!;
    if (!d.length) continue;
    const lo = d[0]!;
    const hi = d[d.length - 1]!;
    met.length = 0;
    for (const p of wide) if (p.alive && p.hi >= lo && p.lo <= hi) met.push(p);
    narrow.near(lo, hi, met);
    for (const p of met) {
      if (!boxesOverlap(p.box, y)) continue;
      // Replace p, in place, by what the hole leaves of it.
      let before = p.prev!;
      for (const z of boxSubtract(p.box, y)) {
        const q = make(z);
        q.prev = before;
        before.next = q;
        before = q;
        alive++;
      }
      before.next = p.next;
      if (p.next) p.next.prev = before;
      p.alive = false;
      alive--;
      if (p.hi - p.lo < NARROW) narrow.died();
      else if (++wideDead * 2 > wide.length) {
        wide = wide.filter((w) => w.alive);
        wideDead = 0;
      }
    }
  }
  const out: Box[] = [];
  for (let p = head.next; p; p = p.next) out.push(p.box);
  return out;
}
