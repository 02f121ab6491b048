/**
 * A table as the clean proof (cleanProof.ts) keeps it, with no object per
 * rule: its chains by number, found by name in the text without cutting the
 * name out; the hooks each chain's targets allow; the jumps between chains;
 * and what COMMIT finds over them (atCommit()).
 */
import { span, type Diagnostic } from '../diagnostic';
import { emptyTable, unusedChain } from './lints';
import { ALL_HOOKS } from './ruleFacts';

/** nftables allows 16 levels of jumps; deeper than this is left to the full parse. */
const MAX_DEPTH = 12;

/** FNV-1a over the characters [a, b) of `t`. */
function hashOf(t: string, a: number, b: number): number {
  let h = 0x811c9dc5;
  for (let i = a; i < b; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class ProofTable {
  readonly names: string[] = [];
  /** Chain numbers by name, looked up in the text without cutting the name out: open addressing, a slot holds number + 1. */
  private slots = new Int32Array(256);
  /** Per chain: its hook bit (built-in chains) or 0; the hooks its targets allow; its rules; the line declaring it. */
  readonly hook: number[] = [];
  readonly allowed: number[] = [];
  readonly rulesOf: number[] = [];
  readonly declLine: number[] = [];
  /** Jumps, as pairs of chain numbers. */
  from = new Int32Array(1024);
  to = new Int32Array(1024);
  jumps = 0;
  rules = 0;
  /** A built-in chain's policy is not ACCEPT. */
  dropPolicy = false;
  /** `line`: the table's header line. */
  constructor(readonly name: string, readonly line: number) {}

  /** The number of the chain named by [a, b) of `t`, or -1. */
  find(t: string, a: number, b: number): number {
    const mask = this.slots.length - 1;
    const len = b - a;
    for (let s = hashOf(t, a, b) & mask; ; s = (s + 1) & mask) {
      const id = this.slots[s]! - 1;
      if (id < 0) return -1;
      const name = this.names[id]!;
      if (name.length === len && t.startsWith(name, a)) return id;
    }
  }

  /** Numbers a new chain declared on `line`: a built-in chain's hook bit, or 0. */
  add(name: string, hook: number, line: number): number {
    const id = this.names.length;
    this.names.push(name);
    this.hook.push(hook);
    this.allowed.push(ALL_HOOKS);
    this.rulesOf.push(0);
    this.declLine.push(line);
    if (this.names.length * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 4);
      for (let i = 0; i < this.names.length; i++) this.place(i);
    } else this.place(id);
    return id;
  }

  private place(id: number): void {
    const name = this.names[id]!;
    const mask = this.slots.length - 1;
    let s = hashOf(name, 0, name.length) & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = id + 1;
  }

  jump(a: number, b: number): void {
    if (this.jumps === this.from.length) {
      const f = new Int32Array(this.jumps * 2);
      f.set(this.from);
      this.from = f;
      const t = new Int32Array(this.jumps * 2);
      t.set(this.to);
      this.to = t;
    }
    this.from[this.jumps] = a;
    this.to[this.jumps++] = b;
  }

  /**
   * At COMMIT: undefined where the proof gives up (a loop, deep nesting, a
   * restricted target reached from a hook it does not allow), else the
   * table's lints as lints.ts words them: user chains no rule jumps to, a
   * table that changes nothing. A chain nothing jumps to is reached from no
   * hook, so its targets meet no hook check (the kernel's hook mask is empty).
   */
  atCommit(): Diagnostic[] | undefined {
    const n = this.names.length;
    const inDegree = new Int32Array(n);
    const first = new Int32Array(n + 1);
    for (let e = 0; e < this.jumps; e++) {
      inDegree[this.to[e]!]!++;
      first[this.from[e]! + 1]!++;
    }
    for (let i = 0; i < n; i++) first[i + 1]! += first[i]!;
    const edges = new Int32Array(this.jumps);
    const fill = first.slice(0, n);
    for (let e = 0; e < this.jumps; e++) edges[fill[this.from[e]!]!++] = this.to[e]!;
    const reach = new Int32Array(n);
    const depth = new Int32Array(n);
    const queue = new Int32Array(n);
    let head = 0;
    let tail = 0;
    const lints: Diagnostic[] = [];
    for (let i = 0; i < n; i++) {
      if (inDegree[i]) continue;
      reach[i] = this.hook[i]!;
      queue[tail++] = i;
      if (!this.hook[i]) lints.push(unusedChain(this.names[i]!, this.rulesOf[i]!, span(this.declLine[i]!, 1, 1 + this.names[i]!.length)));
    }
    // Kahn's order: a chain is done once every jump into it is.
    while (head < tail) {
      const c = queue[head++]!;
      if ((reach[c]! & ~this.allowed[c]!) !== 0 || depth[c]! > MAX_DEPTH) return undefined;
      for (let e = first[c]!; e < first[c + 1]!; e++) {
        const d = edges[e]!;
        reach[d]! |= reach[c]!;
        if (depth[d]! < depth[c]! + 1) depth[d] = depth[c]! + 1;
        if (--inDegree[d]! === 0) queue[tail++] = d;
      }
    }
    if (tail < n) return undefined; // a loop
    if (this.rules === 0 && !this.dropPolicy && this.hook.every((h) => h !== 0)) lints.unshift(emptyTable(this.name, span(this.line, 1, 1 + this.name.length)));
    return lints;
  }
}
