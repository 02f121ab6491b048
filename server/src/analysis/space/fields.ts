/**
 * The dimensions of a packet set: every packet field a match reads, each a
 * set of integers. Interfaces are indices into the names the ruleset and
 * host mention plus "any other name" entries; marks are compressed to the
 * bits some rule tests or sets, so (mark & mask) == value stays a short list
 * of ranges. The Space holds those per-ruleset tables.
 */
import { fromRanges, type IntSet } from './intSet';

export const enum Field {
  Src,
  Dst,
  Proto,
  Sport,
  Dport,
  /** ICMP type * 256 + code. */
  Icmp,
  TcpFlags,
  Iif,
  Oif,
  /** Conntrack state: see CtState. */
  Ct,
  Mark,
  Connmark,
  Length,
  Ttl,
  PktType,
  /** 0: unfragmented or first fragment; 1: a later fragment. */
  Frag,
}

export const FIELD_COUNT = 16;

export const FIELD_NAMES = ['src', 'dst', 'proto', 'sport', 'dport', 'icmp', 'tcp-flags', 'in', 'out', 'ctstate', 'mark', 'connmark', 'length', 'ttl', 'pkttype', 'fragment'] as const;

export const CT_STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED'] as const;

/** The Ct field's values for these states (names it does not know are left out). */
export function ctValues(names: readonly string[]): IntSet {
  return fromRanges(names.map((n) => CT_STATES.indexOf(n as (typeof CT_STATES)[number])).filter((i) => i >= 0).map((i) => [i, i] as [number, number]));
}
export type CtStateName = (typeof CT_STATES)[number];
export const PKT_TYPES = ['unicast', 'broadcast', 'multicast', 'otherhost'] as const;

/** The "no interface" index: OUTPUT/POSTROUTING have no input interface, PREROUTING/INPUT no output interface. */
export const NO_IFACE = 0;

/** Interface names known to the analysis: index 0 is "none", then concrete names, then one "other name starting with P" per wildcard prefix, then "any other name". */
export class IfaceTable {
  readonly names: string[] = [''];
  /** Index → the wildcard prefix it stands for ('' for "any other name"), for the synthetic entries. */
  readonly others = new Map<number, string>();

  constructor(concrete: Iterable<string>, prefixes: Iterable<string>) {
    for (const n of [...new Set(concrete)].filter((x) => x).sort()) this.names.push(n);
    for (const p of [...new Set(prefixes)].sort()) {
      this.others.set(this.names.length, p);
      this.names.push(`${p}*`);
    }
    this.others.set(this.names.length, '');
    this.names.push('*');
  }

  get max(): number {
    return this.names.length - 1;
  }

  /** Indices an "-i NAME" / "-i PREFIX+" match covers ("none" is the empty name: only "+" covers it). */
  matching(name: string, wildcard: boolean): number[] {
    const out: number[] = wildcard && name === '' ? [NO_IFACE] : [];
    for (let i = 1; i < this.names.length; i++) {
      const prefix = this.others.get(i);
      if (prefix === undefined) {
        const n = this.names[i]!;
        if (wildcard ? n.startsWith(name) : n === name) out.push(i);
      } else if (wildcard && prefix.startsWith(name)) {
        out.push(i); // every other name with a longer prefix also starts with this one
      }
    }
    return out;
  }

  /** The index a concrete interface name falls in: its own, else the longest wildcard prefix it has, else "any other name". */
  indexOf(name: string): number {
    const own = this.names.indexOf(name, 1);
    if (own > 0 && !this.others.has(own)) return own;
    let best = this.max;
    let len = -1;
    for (const [i, p] of this.others) if (p && name.startsWith(p) && p.length > len) [best, len] = [i, p.length];
    return best;
  }

  /** A concrete name for an index (a witness needs one). */
  example(i: number): string {
    const prefix = this.others.get(i);
    if (prefix === undefined) return this.names[i] ?? '';
    const taken = new Set(this.names);
    for (let k = 0; ; k++) {
      const n = `${prefix || 'if'}x${k}`;
      if (!taken.has(n)) return n;
    }
  }
}

/** Mark bits some rule reads or writes; values are compressed to those bits (at most 16, else marks are left unmodelled). */
export class MarkBits {
  readonly bits: number[];
  readonly modelled: boolean;

  constructor(mask: number) {
    const bits: number[] = [];
    for (let b = 0; b < 32; b++) if ((mask >>> 0) & (2 ** b) ? true : false) bits.push(b);
    this.modelled = bits.length <= 16;
    this.bits = this.modelled ? bits : [];
  }

  get max(): number {
    return 2 ** this.bits.length - 1;
  }

  /** The compressed form of a 32-bit value or mask. */
  compress(v: number): number {
    let out = 0;
    this.bits.forEach((b, i) => {
      if (((v >>> 0) / 2 ** b) % 2 >= 1) out += 2 ** i;
    });
    return out;
  }

  expand(c: number): number {
    let out = 0;
    this.bits.forEach((b, i) => {
      if ((c / 2 ** i) % 2 >= 1) out += 2 ** b;
    });
    return out >>> 0;
  }
}

/** What the ruleset's REJECT rules may send back: TCP resets, and destination-unreachable codes. */
export interface RejectReplies {
  readonly reset: boolean;
  /** Sorted. */
  readonly codes: readonly number[];
}
export const NO_REJECTS: RejectReplies = { reset: false, codes: [] };

export interface Space {
  readonly ifaces: IfaceTable;
  readonly mark: MarkBits;
  readonly connmark: MarkBits;
  /** What REJECTs send (their replies skip NOTRACK and carry their connection's state: reach/rejectReplies.ts). */
  readonly rejects: RejectReplies;
  /** Some rule untracks packets (NOTRACK, CT --notrack): without one no packet is ever UNTRACKED. */
  readonly untracks: boolean;
  /** The largest value of each field. */
  readonly max: readonly number[];
}

export function makeSpace(ifaces: IfaceTable, mark: MarkBits, connmark: MarkBits, rejects: RejectReplies = NO_REJECTS, untracks = true): Space {
  const max = [0xffffffff, 0xffffffff, 255, 65535, 65535, 65535, 255, ifaces.max, ifaces.max, CT_STATES.length - 1, mark.max, connmark.max, 65535, 255, PKT_TYPES.length - 1, 1];
  return { ifaces, mark, connmark, rejects, untracks, max };
}

export type Box = readonly IntSet[];
