/**
 * The Space of one ruleset: the interface names its rules and the host
 * mention (with an "other" entry per wildcard prefix), the mark and
 * connection-mark bits some rule tests, what its REJECT rules send, and
 * whether any rule untracks packets.
 */
import type { EmuChain, EmuRule, EmuRuleset } from '../../emulator/compile';
import type { HostModel } from '../../emulator/host/model';
import type { ConnmarkMatch } from '../../lang/iptables/extensions/matches/connmark';
import type { MarkMatch } from '../../lang/iptables/extensions/matches/mark';
import type { CtTarget } from '../../lang/iptables/extensions/targets/CT';
import { REJECT4_ICMP_CODE, type RejectTarget, type RejectWith4 } from '../../lang/iptables/extensions/targets/REJECT';
import { IfaceTable, makeSpace, MarkBits, NO_REJECTS, type Space } from './fields';
import { fromRanges, range, subtract, union } from './intSet';
import type { AddressFacts } from './ruleMatch';

/** What one chain's rules add to the space: interface names and prefixes, mark and connmark bits, what its REJECTs send. */
interface ChainDims {
  readonly names: readonly string[];
  readonly prefixes: readonly string[];
  readonly mark: number;
  readonly connmark: number;
  /** ICMP destination-unreachable codes, and -1 for a TCP reset. */
  readonly rejects: readonly number[];
  /** A NOTRACK or CT --notrack rule. */
  readonly untracks: boolean;
}

const NO_DIMS: ChainDims = { names: [], prefixes: [], mark: 0, connmark: 0, rejects: [], untracks: false };

/** Per compiled chain (a reparse keeps the chains it left alone: their rules are not read again). */
const dimsOf = new WeakMap<EmuChain, ChainDims>();

function chainDims(c: EmuChain): ChainDims {
  let d = dimsOf.get(c);
  if (d) return d;
  const names: string[] = [];
  const prefixes: string[] = [];
  let mark = 0;
  let connmark = 0;
  const rejects = new Set<number>();
  let untracks = false;
  for (const r of c.rules) {
    for (const i of [r.iif, r.oif]) {
      if (!i) continue;
      if (i.prefix) prefixes.push(i.name);
      else names.push(i.name);
    }
    for (const m of r.matches) {
      if (m.name === 'mark') mark |= (m.data as MarkMatch).mask;
      if (m.name === 'connmark') connmark |= (m.data as ConnmarkMatch).mask;
    }
    if (r.target.kind === 'ext' && r.target.name === 'REJECT') {
      const w = (r.target.data as RejectTarget<RejectWith4> | undefined)?.with ?? 'icmp-port-unreachable';
      rejects.add(w === 'tcp-reset' ? -1 : REJECT4_ICMP_CODE[w] ?? 3);
    }
    if (untracksPackets(r)) untracks = true;
  }
  // Most chains add nothing: one shared object for them (a kube dump has 60,000 chains).
  d = names.length || prefixes.length || mark || connmark || rejects.size || untracks ? { names, prefixes, mark, connmark, rejects: [...rejects].sort((x, y) => x - y), untracks } : NO_DIMS;
  dimsOf.set(c, d);
  return d;
}

/**
 * The space of a ruleset. Given the space of an earlier analysis of the same document, returns
 * that very object when the new one would equal it, so that conditions built over it stay valid.
 */
export function buildSpace(rs: EmuRuleset, host?: HostModel, previous?: Space, kept?: KeptChains): Space {
  if (previous && !host && kept && sameDims(rs, kept)) return previous;
  // lo always has a name of its own: routing treats it apart (martians, looped-back packets), and so
  // must an example packet, whether or not a rule names it.
  const names = new Set<string>(host ? [...host.ifaces.keys(), 'lo'] : ['lo']);
  const prefixes = new Set<string>();
  let mark = 0;
  let connmark = 0;
  const rejects = new Set<number>();
  let untracks = false;
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      const d = chainDims(c);
      for (const n of d.names) names.add(n);
      for (const p of d.prefixes) prefixes.add(p);
      mark |= d.mark;
      connmark |= d.connmark;
      for (const x of d.rejects) rejects.add(x);
      untracks ||= d.untracks;
    }
  }
  prefixes.delete('');
  const codes = [...rejects].filter((x) => x >= 0).sort((x, y) => x - y);
  const space = makeSpace(new IfaceTable(names, prefixes), new MarkBits(mark >>> 0), new MarkBits(connmark >>> 0), rejects.size ? { reset: rejects.has(-1), codes } : NO_REJECTS, untracks);
  return previous && sameSpace(space, previous) ? previous : space;
}

/**
 * A compile that kept the previous one's chains but a few (recompileRuleset's `replaced`), and that
 * previous compile, whose space (built without a host description) is the one at hand.
 */
export interface KeptChains {
  readonly previous: EmuRuleset;
  readonly replaced: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Whether the replaced chains add to the space what the chains they replace did: then the space
 * is the previous one, without reading the dimensions of every chain (60,000 in a kube dump, ~4 ms).
 */
function sameDims(rs: EmuRuleset, kept: KeptChains): boolean {
  const same = <T>(x: readonly T[], y: readonly T[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  for (const [t, names] of kept.replaced) {
    for (const n of names) {
      const now = rs.tables.get(t)?.chains.get(n);
      const was = kept.previous.tables.get(t)?.chains.get(n);
      if (!now || !was) return false;
      const a = chainDims(now);
      const b = chainDims(was);
      if (a !== b && !(same(a.names, b.names) && same(a.prefixes, b.prefixes) && a.mark === b.mark && a.connmark === b.connmark && same(a.rejects, b.rejects) && a.untracks === b.untracks)) return false;
    }
  }
  return true;
}

/** Marks: the same bits, and modelled or not alike (over 16 bits none are kept). */
function sameBits(a: MarkBits, b: MarkBits): boolean {
  return a.modelled === b.modelled && a.bits.length === b.bits.length && a.bits.every((v, i) => v === b.bits[i]);
}

function sameSpace(a: Space, b: Space): boolean {
  const same = <T>(x: readonly T[], y: readonly T[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  const others = (s: Space): string[] => [...s.ifaces.others].map(([i, p]) => `${i}:${p}`);
  return same(a.ifaces.names, b.ifaces.names) && same(others(a), others(b)) && sameBits(a.mark, b.mark) && sameBits(a.connmark, b.connmark)
    && a.rejects.reset === b.rejects.reset && same(a.rejects.codes, b.rejects.codes) && a.untracks === b.untracks;
}

/**
 * The host's address types as the emulator's Router.addrType gives them
 * (__inet_dev_addr_type): 0.0.0.0/8 and 255.255.255.255 are BROADCAST, then
 * multicast, then all of 127/8 is LOCAL, then the local table (an address of
 * the host over a directed broadcast). `delivered` is what routing hands to
 * INPUT: the host's addresses, 127/8, directed broadcasts and 255.255.255.255.
 */
export function addressFacts(host: HostModel): AddressFacts {
  const loopback: [number, number] = [0x7f000000, 0x7fffffff];
  const own: Array<[number, number]> = [];
  const bcasts: Array<[number, number]> = [];
  for (const i of host.ifaces.values()) {
    for (const a of i.addrs) {
      own.push([a.addr >>> 0, a.addr >>> 0]);
      if (a.prefix < 31) {
        const bc = (a.addr | ((2 ** (32 - a.prefix)) - 1)) >>> 0;
        bcasts.push([bc, bc]);
      }
    }
  }
  const special = fromRanges([[0, 0x00ffffff], [0xffffffff, 0xffffffff]]);
  const multicast = range(0xe0000000, 0xefffffff);
  const local = subtract(subtract(fromRanges([loopback, ...own]), special), multicast);
  const broadcast = union(special, subtract(subtract(fromRanges(bcasts), local), multicast));
  const delivered = fromRanges([loopback, ...own, ...bcasts, [0xffffffff, 0xffffffff]]);
  return { local, broadcast, delivered, own: fromRanges(own) };
}

/** Whether a rule untracks the packets it matches (NOTRACK, CT --notrack). */
export function untracksPackets(r: EmuRule): boolean {
  return r.target.kind === 'ext' && (r.target.name === 'NOTRACK' || (r.target.name === 'CT' && !!(r.target.data as CtTarget | undefined)?.notrack));
}
