/**
 * Sets of packets as unions of disjoint boxes: a box gives every field a set
 * of values and holds the packets whose fields all lie in them. Rules match
 * boxes (a conjunction of per-field conditions; a negation or a port list is
 * still one field's set), so a rule is one box or a few, and "what reaches
 * rule n" is a union of differences. Boxes may overlap (a union is the
 * boxes of both sides, with identical and mergeable boxes joined), so
 * emptiness is "no boxes"; subtraction keeps the pieces of each box apart.
 */
import { Field, FIELD_COUNT, type Box, type Space } from './fields';
import { subtractEach } from './manyHoles';
import { subtractInRuns } from './alikeHoles';
import { intersect, isEmptySet, range, sharedCount, size, subtract as subtractSet, overlaps, within, type IntSet, equalSets, union as unionSet, unionOwned } from './intSet';

export type PacketSet = readonly Box[];

export const NONE: PacketSet = [];

const fullBoxes = new WeakMap<Space, Box>();

/** Every packet: one shared box per space (boxes are never changed, and shared field sets compare by reference). */
export function fullBox(space: Space): Box {
  let b = fullBoxes.get(space);
  if (!b) fullBoxes.set(space, (b = space.max.map((m) => range(0, m))));
  return b;
}

export function all(space: Space): PacketSet {
  return [fullBox(space)];
}

/** The box of every packet with `field` in `values` (others free). */
export function where(space: Space, field: Field, values: IntSet): PacketSet {
  if (isEmptySet(values)) return NONE;
  const b = fullBox(space).slice();
  b[field] = intersect(values, range(0, space.max[field]!));
  return isEmptySet(b[field]!) ? NONE : [b];
}

/** a ∩ b; a or b itself when it lies inside the other (boxes are never changed, so they can be shared). */
export function boxIntersect(a: Box, b: Box): Box | undefined {
  let out: IntSet[] | undefined;
  let isB = true;
  for (let i = 0; i < FIELD_COUNT; i++) {
    const s = a[i] === b[i] ? a[i]! : intersect(a[i]!, b[i]!);
    if (isEmptySet(s)) return undefined;
    if (s !== b[i]) isB = false;
    if (out) out[i] = s;
    else if (s !== a[i]) {
      out = a.slice();
      out[i] = s;
    }
  }
  return !out ? a : isB ? b : out;
}

/** Fields in the order that most often tells two rules' boxes apart (destination first, as in service tables). */
const OVERLAP_ORDER = [Field.Dst, Field.Dport, Field.Proto, Field.Src, Field.Sport, Field.Iif, Field.Oif, Field.Ct, Field.Mark, Field.Icmp, Field.TcpFlags, Field.Connmark, Field.Length, Field.Ttl, Field.PktType, Field.Frag];

export function boxesOverlap(a: Box, b: Box): boolean {
  for (const i of OVERLAP_ORDER) if (a[i] !== b[i] && !overlaps(a[i]!, b[i]!)) return false;
  return true;
}

/** a − b as disjoint boxes: peel off, field by field, the part of a outside b. */
export function boxSubtract(a: Box, b: Box): Box[] {
  if (!boxesOverlap(a, b)) return [a];
  const out: Box[] = [];
  // Copied only when a field narrows: most of b's fields are unconstrained.
  let cur: IntSet[] | undefined;
  for (let i = 0; i < FIELD_COUNT; i++) {
    const c = cur ? cur[i]! : a[i]!;
    if (c === b[i]) continue;
    const outside = subtractSet(c, b[i]!);
    if (!isEmptySet(outside)) {
      const piece = (cur ?? a).slice();
      piece[i] = outside;
      out.push(piece);
    }
    const inside = intersect(c, b[i]!);
    if (inside !== c) {
      cur ??= a.slice();
      cur[i] = inside;
    }
  }
  return out;
}

/**
 * a ∩ b, at its own length (every rule's hits are one of these, kept): one box and one box, the
 * usual case, directly; otherwise gathered in a list reused from call to call, then copied out.
 * With a `limit`, undefined as soon as it would have more boxes than that (a set made only to be
 * looked into when small).
 */
export function intersectSets(a: PacketSet, b: PacketSet): PacketSet;
export function intersectSets(a: PacketSet, b: PacketSet, limit: number): PacketSet | undefined;
export function intersectSets(a: PacketSet, b: PacketSet, limit = Infinity): PacketSet | undefined {
  if (!a.length || !b.length) return NONE;
  if (a.length === 1 && b.length === 1) {
    const z = boxesOverlap(a[0]!, b[0]!) ? boxIntersect(a[0]!, b[0]!) : undefined;
    return !z ? NONE : limit < 1 ? undefined : [z];
  }
  // Never a itself, though it may be the answer: a union of a set with itself is a as it is,
  // while with an equal copy it is tidied (merge), and results must not depend on which.
  const out = gathered;
  for (const x of a) {
    for (const y of b) {
      if (!boxesOverlap(x, y)) continue;
      const z = boxIntersect(x, y);
      if (!z) continue;
      if (out.length >= limit) {
        out.length = 0;
        return undefined;
      }
      out.push(z);
    }
  }
  const result = out.length ? out.slice() : NONE;
  out.length = 0;
  return result;
}

/** intersectSets' list (never held across calls). */
const gathered: Box[] = [];

/** From this many holes on, subtraction finds the pieces a hole meets through an index (manyHoles.ts). */
const MANY_HOLES = 16;

export function subtractSets(a: PacketSet, b: PacketSet): PacketSet {
  if (!a.length || !b.length) return a;
  if (b.length >= MANY_HOLES) {
    const cut = subtractInRuns(a, b, oneByOne) ?? oneByOne(a, b);
    return cut.length > a.length + 16 ? merge(cut) : cut;
  }
  let cur: Box[] = a.slice();
  for (const y of b) {
    if (!cur.length) break;
    // A new list only from the first box y cuts: most holes miss most boxes.
    let next: Box[] | undefined;
    for (let j = 0; j < cur.length; j++) {
      const x = cur[j]!;
      if (!boxesOverlap(x, y)) {
        next?.push(x);
        continue;
      }
      next ??= cur.slice(0, j);
      for (const z of boxSubtract(x, y)) next.push(z);
    }
    if (next) cur = next;
  }
  // Tidy only when the pieces multiplied: a hole punched into a set adds a few boxes at most.
  return cur.length > a.length + 16 ? merge(cur) : cur;
}

/** a minus the holes one after another, through the index of manyHoles.ts. */
const oneByOne = (a: PacketSet, holes: PacketSet): Box[] => subtractEach(a, holes, boxSubtract, boxesOverlap);

/** Unions of at most this many boxes are tidied (merge); larger ones only concatenated. */
export const UNION_TIDY_LIMIT = 48;

export function unionSets(a: PacketSet, b: PacketSet): PacketSet {
  if (!a.length) return b;
  if (!b.length) return a;
  if (a === b) return a;
  // Small unions are tidied at once; large ones (accumulated accepts, many jump sites) only concatenated.
  return a.length + b.length <= UNION_TIDY_LIMIT ? merge([...a, ...b]) : [...a, ...b];
}

/** A set that is kept (a rule's hits and conditions), at its own length: one grown by push has room for 17 boxes. */
export function kept(s: PacketSet): PacketSet {
  return s.length && s.length < 16 ? s.slice() : s;
}

/** How many packets the boxes hold, summed (a packet in two boxes counts twice): to rank sets by size. */
export function volume(s: PacketSet): number {
  let v = 0;
  for (const b of s) {
    let p = 1;
    for (const f of b) {
      let n = 0;
      for (let i = 0; i < f.length; i += 2) n += f[i + 1]! - f[i]! + 1;
      p *= n;
    }
    v += p;
  }
  return v;
}

/**
 * volume(intersectSets(a, b)) without making the intersection: the same sum, box pair by box pair in
 * the same order, so the same number (findings compares rules by it, on sets of thousands of boxes).
 */
export function overlapVolume(a: PacketSet, b: PacketSet): number {
  let v = 0;
  for (const x of a) {
    for (const y of b) {
      if (!boxesOverlap(x, y)) continue;
      let p = 1;
      for (let i = 0; i < FIELD_COUNT; i++) p *= x[i] === y[i] ? size(x[i]!) : sharedCount(x[i]!, y[i]!);
      v += p;
    }
  }
  return v;
}

export function isEmpty(s: PacketSet): boolean {
  return s.length === 0;
}

/** Whether a ⊆ b. */
export function subsetOf(a: PacketSet, b: PacketSet): boolean {
  return isEmpty(subtractSets(a, b));
}

export function overlapsSet(a: PacketSet, b: PacketSet): boolean {
  for (const x of a) for (const y of b) if (boxesOverlap(x, y)) return true;
  return false;
}

/** Packets with `field` replaced by any value of `values` (what a rewrite leaves: --set-mark, DNAT). */
export function assign(s: PacketSet, field: Field, values: IntSet): PacketSet {
  if (!s.length || isEmptySet(values)) return NONE;
  return tidy(s.map((b) => {
    const c = b.slice();
    c[field] = values;
    return c;
  }));
}

/** Packets with `field` mapped value by value (e.g. mark = (mark & ~m) ^ x, on compressed marks). */
export function mapField(s: PacketSet, field: Field, f: (v: number) => number): PacketSet {
  // One function (a MARK rule's) meets the same few sets over and over: its images are kept.
  let memo = images.get(f);
  if (!memo || memo.size > 1024) images.set(f, (memo = new Map()));
  const m = memo;
  return tidy(s.map((b) => {
    const set = b[field]!;
    let u = m.get(set);
    if (!u) {
      const vals: number[] = [];
      for (let i = 0; i < set.length; i += 2) for (let v = set[i]!; v <= set[i + 1]!; v++) vals.push(f(v));
      vals.sort((x, y) => x - y);
      const out: number[] = [];
      for (const v of vals) {
        const n = out.length;
        if (n && v <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, v);
        else out.push(v, v);
      }
      u = equalSets(out, set) ? set : out.slice();
      m.set(set, u);
    }
    if (u === set) return b;
    const c = b.slice();
    c[field] = u;
    return c;
  }));
}

/** Per value function, the image of each field set it was applied to (sets are never changed). */
const images = new WeakMap<(v: number) => number, Map<IntSet, IntSet>>();

/** Rewritten boxes often become equal (every mark set to one value): join them while the set is small. */
function tidy(boxes: Box[]): Box[] {
  return boxes.length <= 48 ? merge(boxes) : boxes;
}

/**
 * Joins boxes that agree on every field but one (their union is a box), and
 * drops duplicates, so repeated subtraction and union do not fragment a set
 * more than they must. Grouping by the other fields' text keeps it linear.
 */
export function merge(boxes: Box[]): Box[] {
  if (boxes.length < 2) return boxes;
  const small = boxes.length <= SMALL_MERGE;
  // A few boxes: first see, pair by pair, in which fields two of them could join. Grouping on a
  // field where none can would return them as they are, so it is skipped (the result is the same).
  if (small) {
    const joinable = joinableFields(boxes);
    return joinable ? mergeFew(boxes, joinable) : boxes;
  }
  // Per box: each field's hash once, and their weighted sum; the key "all fields but k" is the sum minus field k's term.
  let cur = boxes.map(hashed);
  for (let pass = 0; pass < 3; pass++) {
    const before = cur.length;
    for (let k = 0; k < FIELD_COUNT && cur.length > 1; k++) {
      const buckets = new Map<number, Hashed[]>();
      let merged = false;
      for (const b of cur) {
        const h = (b.total - Math.imul(WEIGHTS[k]!, b.hs[k]!)) | 0;
        const bucket = buckets.get(h);
        if (!bucket) {
          buckets.set(h, [b]);
          continue;
        }
        const j = bucket.findIndex((g) => sameExcept(g.box, b.box, k));
        if (j < 0) bucket.push(b);
        else {
          merged = true;
          if (!equalSets(bucket[j]!.box[k]!, b.box[k]!)) {
            const c = bucket[j]!.box.slice();
            c[k] = unionSet(bucket[j]!.box[k]!, b.box[k]!);
            bucket[j] = hashed(c);
          }
        }
      }
      if (merged) cur = [...buckets.values()].flat();
    }
    if (cur.length === before) break;
  }
  return cur.map((h) => h.box);
}

/**
 * merge() for a few boxes, step for step (the same buckets, by the same hashes, in the same
 * order), in scratch storage reused from call to call (it ran hundreds of thousands of times
 * per analysis, and its lists were a tenth of everything allocated); and a field is grouped on
 * only when two boxes can join there (`joinable`: bit k for field k), since otherwise grouping
 * changes nothing.
 */
function mergeFew(boxes: Box[], joinable: number): Box[] {
  const sc = scratch;
  sc.slots = 0;
  let n = boxes.length;
  const cur = sc.cur;
  for (let i = 0; i < n; i++) cur[i] = slotOf(boxes[i]!);
  for (let pass = 0; pass < 3 && joinable; pass++) {
    const before = n;
    for (let k = 0; k < FIELD_COUNT && n > 1 && joinable; k++) {
      if (!(joinable & (1 << k))) continue;
      // Buckets in the order their key first appears; a bucket's members in order (a join replaces in place).
      let nb = 0;
      let merged = false;
      const w = WEIGHTS[k]!;
      for (let x = 0; x < n; x++) {
        const s = cur[x]!;
        const h = (sc.total[s]! - Math.imul(w, sc.hs[s * FIELD_COUNT + k]!)) | 0;
        let at = -1;
        for (let q = 0; q < nb; q++) if (sc.keys[q] === h) { at = q; break; }
        if (at < 0) {
          sc.keys[nb] = h;
          sc.members[nb * SMALL_MERGE] = s;
          sc.counts[nb] = 1;
          nb++;
          continue;
        }
        const b = sc.box[s]!;
        const base = at * SMALL_MERGE;
        const cnt = sc.counts[at]!;
        let j = -1;
        for (let q = 0; q < cnt; q++) if (sameExcept(sc.box[sc.members[base + q]!]!, b, k)) { j = q; break; }
        if (j < 0) {
          sc.members[base + cnt] = s;
          sc.counts[at] = cnt + 1;
        } else {
          merged = true;
          const g = sc.box[sc.members[base + j]!]!;
          if (!equalSets(g[k]!, b[k]!)) {
            const c = g.slice();
            c[k] = unionSet(g[k]!, b[k]!);
            sc.members[base + j] = slotOf(c);
          }
        }
      }
      if (merged) {
        n = 0;
        for (let q = 0; q < nb; q++) for (let m = 0, base = q * SMALL_MERGE; m < sc.counts[q]!; m++) cur[n++] = sc.members[base + m]!;
        joinable = joinableSlots(cur, n);
      }
    }
    if (n === before) break;
  }
  const out = new Array<Box>(n);
  for (let i = 0; i < n; i++) out[i] = sc.box[cur[i]!]!;
  // Boxes held by the scratch would stay alive until the next call: let them go.
  sc.box.fill(undefined, 0, sc.slots);
  return out;
}

/** mergeFew's storage: every box met, by slot (its 16 field hashes, their weighted sum), and the buckets. */
const scratch = {
  slots: 0,
  box: [] as Array<Box | undefined>,
  hs: new Int32Array(64 * FIELD_COUNT),
  total: new Int32Array(64),
  cur: new Int32Array(12),
  keys: new Int32Array(12),
  counts: new Int32Array(12),
  members: new Int32Array(12 * 12),
};

function slotOf(box: Box): number {
  const sc = scratch;
  const s = sc.slots++;
  if (s >= sc.total.length) {
    const hs = new Int32Array(sc.hs.length * 2);
    hs.set(sc.hs);
    sc.hs = hs;
    const total = new Int32Array(sc.total.length * 2);
    total.set(sc.total);
    sc.total = total;
  }
  let total = 0;
  for (let i = 0; i < FIELD_COUNT; i++) {
    const h = setHash(box[i]!);
    sc.hs[s * FIELD_COUNT + i] = h;
    total = (total + Math.imul(WEIGHTS[i]!, h)) | 0;
  }
  sc.box[s] = box;
  sc.total[s] = total;
  return s;
}

/** The one field two boxes differ in: -1 when they are equal, -2 when they differ in more. */
export function soleDifference(a: Box, b: Box): number {
  let at = -1;
  for (let k = 0; k < FIELD_COUNT; k++) {
    if (a[k] === b[k] || equalSets(a[k]!, b[k]!)) continue;
    if (at >= 0) return -2;
    at = k;
  }
  return at;
}

/** joinableFields over the boxes of the first n slots of cur. */
function joinableSlots(cur: Int32Array, n: number): number {
  let fields = 0;
  const box = scratch.box;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const at = soleDifference(box[cur[i]!]!, box[cur[j]!]!);
      if (at === -1) return ALL_FIELDS;
      if (at >= 0) fields |= 1 << at;
    }
  }
  return fields;
}

/** Up to this many boxes, merge looks pair by pair for two it could join (mergeFew). */
const SMALL_MERGE = 12;

/** The fields (bit k for field k) in which two of the boxes differ alone; every field when two are equal. */
function joinableFields(boxes: readonly Box[]): number {
  let fields = 0;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const at = soleDifference(boxes[i]!, boxes[j]!);
      if (at === -1) return ALL_FIELDS;
      if (at >= 0) fields |= 1 << at;
    }
  }
  return fields;
}

const ALL_FIELDS = (1 << FIELD_COUNT) - 1;

interface Hashed {
  readonly box: Box;
  readonly hs: readonly number[];
  readonly total: number;
}

const WEIGHTS = Array.from({ length: FIELD_COUNT }, (_, i) => (2 * i + 1) * 0x9e3779b1 | 0);

function hashed(box: Box): Hashed {
  const hs = new Array<number>(FIELD_COUNT);
  let total = 0;
  for (let i = 0; i < FIELD_COUNT; i++) {
    hs[i] = setHash(box[i]!);
    total = (total + Math.imul(WEIGHTS[i]!, hs[i]!)) | 0;
  }
  return { box, hs, total };
}

/**
 * The boxes of `s` that no box of `others` equals (field by field, whether or not the same object),
 * in order: a box equal to one of `others` leaves nothing of `s − others`. Looked up by a hash of
 * every field, then compared in full.
 */
export function withoutEqualBoxes(s: PacketSet, others: PacketSet): Box[] {
  if (!others.length) return s.slice();
  // The very objects first: within one analysis a rule's hits are mostly the boxes that entered its
  // chain, and an identity lookup is far cheaper than hashing 16 fields of every box on both sides.
  const same = new Set<Box>(others);
  const rest = s.filter((b) => !same.has(b));
  if (!rest.length) return rest;
  const byHash = new Map<number, Box[]>();
  for (const b of others) {
    const h = boxHash(b);
    const l = byHash.get(h);
    if (l) l.push(b);
    else byHash.set(h, [b]);
  }
  return rest.filter((b) => !(byHash.get(boxHash(b))?.some((o) => sameExcept(o, b, -1)) ?? false));
}

/** hashed(box).total without the per-field list. */
function boxHash(box: Box): number {
  let total = 0;
  for (let i = 0; i < FIELD_COUNT; i++) total = (total + Math.imul(WEIGHTS[i]!, setHash(box[i]!))) | 0;
  return total;
}

/** The key merge() groups a box by when joining on field k (its fields but k, hashed as merge hashes them). */
export function keyWithout(box: Box, k: number): number {
  const h = hashed(box);
  return (h.total - Math.imul(WEIGHTS[k]!, h.hs[k]!)) | 0;
}

const hashes = new WeakMap<IntSet, number>();

/**
 * A content hash of an IntSet: its length and first and last ranges, enough to spread buckets
 * (equal sets are still compared in full). Cached for long sets only: a short one hashes faster
 * than a WeakMap lookup, and every cached set is an entry the garbage collector must trace.
 */
function setHash(s: IntSet): number {
  const n = s.length;
  if (n <= 8) return rawHash(s);
  let h = hashes.get(s);
  if (h === undefined) hashes.set(s, (h = rawHash(s)));
  return h;
}

function rawHash(s: IntSet): number {
  const n = s.length;
  let h = n;
  for (let i = 0; i < n; i = i < 3 || i >= n - 4 ? i + 1 : n - 4) h = (Math.imul(h, 1000003) ^ s[i]!) | 0;
  return h;
}

/** Whether two boxes agree on every field but k (every field, for k = -1). */
function sameExcept(a: Box, b: Box, k: number): boolean {
  for (let i = 0; i < FIELD_COUNT; i++) if (i !== k && !equalSets(a[i]!, b[i]!)) return false;
  return true;
}

/** Whether a box holds every value of `field` in `values`. */
export function boxCovers(b: Box, field: Field, values: IntSet): boolean {
  return within(values, b[field]!);
}

class HashBuffer {
  rows = new Int32Array(0);
  /** Which coarsen call wrote it last (HandOff made before that are gone). */
  stamp = 0;
}

/**
 * The hashes are written in buffers kept between calls, at the largest size met, in turn: megabytes
 * allocated per hand-off go straight to the old generation (and, as array buffers, count against
 * it from outside: a 1 GB heap was collected whole in one ~450 ms pause every few edits).
 */
const hashBuffers = [new HashBuffer(), new HashBuffer(), new HashBuffer(), new HashBuffer()];
let nextBuffer = 0;
let coarsenCalls = 0;

/** The boxes a hand-off coarsened, for the next analysis's hand-off at the same place. */
export interface HandOff {
  readonly boxes: PacketSet;
  /** Their field hashes, while the buffer still holds them (its stamp is this one); none when regrouped. */
  readonly buffer: HashBuffer | undefined;
  readonly stamp: number;
  /** How they were grouped (regroup reads it). */
  readonly grouping: Grouping;
}

/** How coarsen grouped a hand-off's boxes at the stage that fit. */
interface Grouping {
  readonly limit: number;
  readonly stage: number;
  /** Per stage before it, the box at which it gave up (one group too many). */
  readonly gaveUpAt: readonly number[];
  /** Per box, its group (groups numbered in the order made). */
  readonly groupOf: Int32Array;
  /** Per group, its first box. */
  readonly first: readonly number[];
  /** Per group, how many boxes it has. */
  readonly size: readonly number[];
  /**
   * Per group (a full coarsen keeps them all; a regroup makes those of a group it touches that has
   * none): chunk by chunk of CHUNK boxes, its boxes' loose fields joined (undefined where it has
   * none). A regroup then joins again only the chunks a changed box is in.
   */
  readonly partials: ReadonlyMap<number, ReadonlyArray<readonly IntSet[] | undefined>>;
  /** Per group, its place in the result. */
  readonly place: readonly number[];
  readonly out: PacketSet;
}

/** The fields each stage of coarsen joins boxes over (loosens): each more than the one before, the last every field. */
const STAGES: ReadonlyArray<readonly boolean[]> = [
  [Field.Dst, Field.Dport],
  [Field.Dst, Field.Dport, Field.Src, Field.Sport],
  [Field.Dst, Field.Dport, Field.Src, Field.Sport, Field.Mark, Field.Connmark, Field.Oif, Field.Iif],
  Array.from({ length: FIELD_COUNT }, (_, i) => i as Field),
].map((loose) => Array.from({ length: FIELD_COUNT }, (_, i) => loose.includes(i as Field)));

/** More boxes changed than this since the previous hand-off: grouped again in full. */
const REGROUP_MAX = 256;
let regroups = 0;
/** How many hand-offs this process regrouped from the previous one (tests and the bench read it). */
export function regroupCount(): number {
  return regroups;
}

/** Boxes per chunk of a group's partial joins (Grouping.partials). */
const CHUNK = 1024;

/**
 * A superset of s in at most about `limit` boxes: boxes that agree on every
 * field outside `loose` are joined into one (their union in those fields),
 * with ever more fields loosened until it fits. Used on the `may` bound only,
 * where a larger set is still sound ("no packet reaches" stays true); it
 * costs precision, never correctness.
 *
 * Each stage groups the boxes of s (stages only loosen more, so joining a
 * stage's groups would give the same boxes, in another order), and a stage
 * is given up as soon as it has more groups than `limit`: a kube-proxy
 * dump's 100,000 DNAT'd flows differ in their sources, so the first stage
 * never fits, and it was grouped in full before.
 *
 * Given the previous analysis's hand-off at the same place (`earlier`, from its `keep`): after an
 * edit, a kube dump's nat hand-off is ~100,000 boxes of the previous one and the edited service's
 * few. Regrouped from the previous grouping when it can be (regroup); else grouped in full, the
 * hashes of a box that is the very box at its place there copied.
 */
export function coarsen(s: PacketSet, limit: number, earlier?: HandOff, keep?: (h: HandOff) => void): PacketSet {
  if (s.length <= limit) return s;
  const again = earlier ? regroup(s, limit, earlier) : undefined;
  if (again) {
    regroups++;
    keep?.({ boxes: s, buffer: undefined, stamp: 0, grouping: again });
    return again.out;
  }
  const stages = STAGE_FIELDS;
  // Each box's field hashes, once for every stage: of the fields some stage keeps (not the first
  // stage's loose ones), and from the box before when it has the very same set there (boxes of one
  // walk share most of theirs; a nat table hands off ~100,000 boxes after a kube dump's edit).
  const valid = earlier?.buffer !== undefined && earlier.buffer.stamp === earlier.stamp;
  const was = valid ? earlier!.boxes : undefined;
  // (Taken before the buffer in turn is grown: it may be this one. Otherwise each row is read before it is written.)
  const wasRows = valid ? earlier!.buffer!.rows : undefined;
  const buf = hashBuffers[nextBuffer++ % hashBuffers.length]!;
  if (buf.rows.length < s.length * FIELD_COUNT) buf.rows = new Int32Array(s.length * FIELD_COUNT * 2);
  buf.stamp = ++coarsenCalls;
  const hs = buf.rows;
  const kept: Field[] = [];
  for (let i = 0; i < FIELD_COUNT; i++) if (!stages[0]!.includes(i)) kept.push(i);
  for (let k = 0; k < s.length; k++) {
    const b = s[k]!;
    const row = k * FIELD_COUNT;
    if (was !== undefined && was[k] === b) {
      for (const i of kept) hs[row + i] = wasRows![row + i]!;
      continue;
    }
    const before = k > 0 ? s[k - 1]! : undefined;
    for (const i of kept) hs[row + i] = before !== undefined && before[i] === b[i] ? hs[row - FIELD_COUNT + i]! : setHash(b[i]!);
  }
  const gaveUpAt: number[] = [];
  const groupOf = new Int32Array(s.length);
  const chunks = Math.ceil(s.length / CHUNK);
  for (let st = 0; st < stages.length; st++) {
    const loose = stages[st]!;
    // The last stage (every field loose: one box) is always taken.
    const cap = st === stages.length - 1 ? Infinity : limit;
    const isLoose = STAGES[st]!;
    // Groups by the hash of the fields kept, in buckets as a Map of arrays would hold them: the
    // buckets in the order first met, each bucket's groups in the order made (a linked list).
    const bucketOf = new Map<number, number>();
    const head: number[] = [];
    const tail: number[] = [];
    const gBox: Box[] = [];
    const gNext: number[] = [];
    /**
     * Per group, its loose fields joined chunk by chunk of CHUNK boxes (as chunkJoin makes them): the
     * chunk being joined (`gPart`, a copy of ours once a second box joined it: `gPartOwn`) and those
     * done (`gParts`). The group's box is joined from them at the end, and they are kept for the next
     * regroup (Grouping.partials), which would otherwise make them all on the first edit after a full
     * analysis (~50 ms for a kube dump's nat hand-off).
     */
    const gPart: IntSet[][] = [];
    const gPartOwn: boolean[] = [];
    const gChunk: number[] = [];
    const gParts: Array<Array<readonly IntSet[] | undefined> | undefined> = [];
    /**
     * Per group and field, the last set found equal to the group's there (boxes of one walk share
     * their sets: most boxes of a kube hand-off's few groups are then told equal without reading them).
     */
    const gSame: Array<IntSet | undefined> = [];
    const gFirst: number[] = [];
    const gSize: number[] = [];
    let fits = true;
    for (let k = 0; k < s.length; k++) {
      const b = s[k]!;
      const row = k * FIELD_COUNT;
      let h = 17;
      for (let i = 0; i < FIELD_COUNT; i++) if (!isLoose[i]) h = (Math.imul(h, 31) + hs[row + i]!) | 0;
      const at = bucketOf.get(h);
      let g = at === undefined ? -1 : head[at]!;
      while (g >= 0 && !sameKept(gBox[g]!, b, isLoose, gSame, g * FIELD_COUNT)) g = gNext[g]!;
      if (g >= 0) {
        const chunk = (k / CHUNK) | 0;
        if (chunk !== gChunk[g]) {
          (gParts[g] ??= new Array<readonly IntSet[] | undefined>(chunks))[gChunk[g]!] = gPart[g];
          gPart[g] = loose.map((f) => b[f]!);
          gPartOwn[g] = false;
          gChunk[g] = chunk;
        } else {
          // From its second box in the chunk on, the chunk's join is a copy of ours, joined in place.
          const part = gPartOwn[g] ? gPart[g]! : (gPart[g] = gPart[g]!.map((x) => x.slice()));
          gPartOwn[g] = true;
          for (let i = 0; i < loose.length; i++) part[i] = unionOwned(part[i] as number[], b[loose[i]!]!);
        }
        groupOf[k] = g;
        gSize[g]!++;
        continue;
      }
      const made = gBox.length;
      if (made === cap) {
        fits = false;
        gaveUpAt.push(k);
        break;
      }
      groupOf[k] = made;
      gFirst.push(k);
      gSize.push(1);
      gBox.push(b);
      gNext.push(-1);
      gPart.push(loose.map((f) => b[f]!));
      gPartOwn.push(false);
      gChunk.push((k / CHUNK) | 0);
      gParts.push(undefined);
      for (let i = 0; i < FIELD_COUNT; i++) gSame.push(undefined);
      if (at === undefined) {
        bucketOf.set(h, head.length);
        head.push(made);
        tail.push(made);
      } else {
        gNext[tail[at]!] = made;
        tail[at] = made;
      }
    }
    if (!fits) continue;
    const partials = new Map<number, ReadonlyArray<readonly IntSet[] | undefined>>();
    for (let g = 0; g < gBox.length; g++) {
      const parts = (gParts[g] ??= new Array<readonly IntSet[] | undefined>(chunks));
      parts[gChunk[g]!] = gPart[g];
      // A group of one box keeps its box's fields too: a regroup touching it (its box made again, a box
      // joining it) then joins only the chunks that changed, not all of them (~600 chunks of 1,024 boxes
      // in a kube dump's first edit after a full analysis: three groups of one at each nat hand-off).
      if (gSize[g] !== 1) gBox[g] = joinedBox(gBox[g]!, parts, loose);
      partials.set(g, parts);
    }
    const out: Box[] = [];
    const place = new Array<number>(gBox.length);
    for (let q = 0; q < head.length; q++) {
      for (let g = head[q]!; g >= 0; g = gNext[g]!) {
        place[g] = out.length;
        out.push(gBox[g]!);
      }
    }
    keep?.({ boxes: s, buffer: buf, stamp: buf.stamp, grouping: { limit, stage: st, gaveUpAt, groupOf, first: gFirst, size: gSize, partials, place, out } });
    return out;
  }
  throw new Error('coarsen: the last stage always fits');
}

const FIELDS: readonly Field[] = Array.from({ length: FIELD_COUNT }, (_, i) => i as Field);
/** STAGES as lists of the loose fields. */
const STAGE_FIELDS: ReadonlyArray<readonly Field[]> = STAGES.map((isLoose) => FIELDS.filter((f) => isLoose[f]));

/**
 * coarsen from the previous hand-off at the same place when the boxes are its boxes at their places
 * but a few: those few are put in the group they belong to, and only the groups they leave or join
 * are joined again (a kube dump's nat hand-off after an edit: 100,000 boxes, a handful changed, five
 * groups). Undefined, and grouped in full, when that could give another grouping: the
 * boxes are not as many, a stage before gave up at or after a changed box, a changed box was its
 * group's first or would be, or makes a group of its own.
 */
function regroup(s: PacketSet, limit: number, earlier: HandOff): Grouping | undefined {
  const g0 = earlier.grouping;
  const was = earlier.boxes;
  if (s.length !== was.length || g0.limit !== limit) return undefined;
  const changed: number[] = [];
  for (let k = 0; k < s.length; k++) {
    if (s[k] === was[k]) continue;
    if (changed.push(k) > REGROUP_MAX) return undefined;
  }
  if (changed.length && g0.gaveUpAt.some((at) => changed[0]! <= at)) return undefined;
  const isLoose = STAGES[g0.stage]!;
  const groupOf = g0.groupOf.slice();
  const size = g0.size.slice();
  const touched = new Set<number>();
  const same: Array<IntSet | undefined> = new Array<IntSet | undefined>(FIELD_COUNT * g0.first.length);
  for (const k of changed) {
    const left = groupOf[k]!;
    // An equal copy (a walk's rest made again): grouped as before, its group's box made again from it.
    if (sameExcept(was[k]!, s[k]!, -1)) {
      touched.add(left);
      continue;
    }
    if (g0.first[left] === k) return undefined;
    let joins = -1;
    for (let g = 0; g < g0.first.length; g++) {
      if (!sameKept(s[g0.first[g]!]!, s[k]!, isLoose, same, g * FIELD_COUNT)) continue;
      joins = g;
      break;
    }
    if (joins < 0 || g0.first[joins]! > k) return undefined;
    groupOf[k] = joins;
    size[left]!--;
    size[joins]!++;
    touched.add(left);
    touched.add(joins);
  }
  const out = g0.out.slice();
  const loose = STAGE_FIELDS[g0.stage]!;
  const partials = new Map(g0.partials);
  const chunks = Math.ceil(s.length / CHUNK);
  const dirty = [...new Set(changed.map((k) => Math.floor(k / CHUNK)))];
  for (const g of touched) {
    const made = partials.get(g);
    const parts = made ? made.slice() : new Array<readonly IntSet[] | undefined>(chunks);
    for (const c of made ? dirty : parts.keys()) parts[c] = chunkJoin(s, groupOf, g, c, loose);
    partials.set(g, parts);
    const first = s[g0.first[g]!]!;
    out[g0.place[g]!] = size[g] === 1 ? first : joinedBox(first, parts, loose);
  }
  return { ...g0, groupOf, size, partials, out };
}

/** Chunks of a group's boxes joined by a regroup so far in this process (tests read it). */
let chunkJoins = 0;
export function chunkJoinCount(): number {
  return chunkJoins;
}

/** The loose fields of a group's boxes in one chunk, joined (a box's own sets when it is the only one); undefined if it has none there. */
function chunkJoin(s: PacketSet, groupOf: Int32Array, g: number, chunk: number, loose: readonly Field[]): readonly IntSet[] | undefined {
  chunkJoins++;
  let one: IntSet[] | undefined;
  let joined: number[][] | undefined;
  const end = Math.min(s.length, (chunk + 1) * CHUNK);
  for (let k = chunk * CHUNK; k < end; k++) {
    if (groupOf[k] !== g) continue;
    const b = s[k]!;
    if (!one) {
      one = loose.map((f) => b[f]!);
      continue;
    }
    joined ??= one.map((x) => x.slice());
    for (let i = 0; i < loose.length; i++) joined[i] = unionOwned(joined[i]!, b[loose[i]!]!);
  }
  return joined ?? one;
}

/**
 * The box of a group of two boxes or more, as coarsen joins it: a copy of its first box, each loose
 * field a set of its own holding the group's (its first box's and the chunks' joins: the same values).
 */
function joinedBox(first: Box, parts: ReadonlyArray<readonly IntSet[] | undefined>, loose: readonly Field[]): Box {
  const c = first.slice();
  for (let i = 0; i < loose.length; i++) {
    let acc = first[loose[i]!]!.slice();
    for (const p of parts) if (p) acc = unionOwned(acc, p[i]!);
    c[loose[i]!] = acc;
  }
  return c;
}

/**
 * Whether two boxes agree on every field that is not loose. `same` from `at` on: per field, a set
 * already found equal to x's there (x's sets outside the loose fields never change), and kept.
 */
function sameKept(x: Box, b: Box, isLoose: readonly boolean[], same: Array<IntSet | undefined>, at: number): boolean {
  for (let i = 0; i < FIELD_COUNT; i++) {
    if (isLoose[i]) continue;
    const s = b[i]!;
    if (same[at + i] === s) continue;
    if (!equalSets(x[i]!, s)) return false;
    same[at + i] = s;
  }
  return true;
}
