/**
 * Packet sets in words: "tcp from 10.0.0.0/8 except 10.1.0.0/16 to port 80,
 * 443, arriving on eth0". Only fields a box constrains are named; a field is
 * said as its complement ("any port except 22") when that is shorter.
 */
import { CT_STATES, Field, NO_IFACE, PKT_TYPES, type Box, type Space } from './fields';
import { equalSets, has, range, size, subtract, union, within, type IntSet } from './intSet';
import type { PacketSet } from './packetSet';
import { ICMP_TYPE_NAMES } from '../../lang/iptables/extensions/matches/icmp';

const PROTOS: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 132: 'sctp', 33: 'dccp' };
/** iptables' names (libxt_icmp's, the first for each): of whole types, and of single codes ("type × 256 + code"). */
const ICMP = new Map<number, string>();
const ICMP_CODES = new Map<number, string>();
for (const n of ICMP_TYPE_NAMES) {
  if (n.name === 'any') continue;
  const [lo, hi] = n.codes;
  if (lo === 0 && hi === 255 && !ICMP.has(n.type)) ICMP.set(n.type, n.name);
  if (lo === hi && !ICMP_CODES.has(n.type * 256 + lo)) ICMP_CODES.set(n.type * 256 + lo, n.name);
}

export function ip4(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** A range of addresses as the fewest CIDR blocks. */
function cidrs(lo: number, hi: number): string[] {
  const out: string[] = [];
  while (lo <= hi) {
    let prefix = 32;
    while (prefix > 0) {
      const blk = 2 ** (32 - prefix + 1);
      if (lo % blk !== 0 || lo + blk - 1 > hi) break;
      prefix--;
    }
    out.push(prefix === 32 ? ip4(lo) : `${ip4(lo)}/${prefix}`);
    lo += 2 ** (32 - prefix);
    if (out.length > 64) break;
  }
  return out;
}

function list(items: string[], max = 6): string {
  // ("and 1 more" is no shorter than the one item it stands for.)
  return items.length > max + 1 ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

function values(s: IntSet, one: (lo: number, hi: number) => string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += 2) out.push(...one(s[i]!, s[i + 1]!));
  return out;
}

/** The set, or "any … except" its complement when that is shorter. */
function either(s: IntSet, full: IntSet, one: (lo: number, hi: number) => string[], anyWord: string): string {
  const direct = values(s, one);
  const rest = values(subtract(full, s), one);
  return rest.length && rest.length < direct.length ? `${anyWord} except ${list(rest)}` : list(direct);
}

const num = (lo: number, hi: number): string[] => [lo === hi ? `${lo}` : `${lo}-${hi}`];

/**
 * A range of ICMP type × 256 + code in words, type by type: a whole type by its iptables name (or
 * "type 6"), a run of whole unnamed types as "types 1-2", one code by its name when it has one
 * ("port-unreachable"), else part of a type with its codes.
 */
function icmpTypes(lo: number, hi: number): string[] {
  const out: string[] = [];
  let run: [number, number] | undefined;
  const flush = (): void => {
    if (run) out.push(run[0] === run[1] ? `type ${run[0]}` : `types ${run[0]}-${run[1]}`);
    run = undefined;
  };
  for (let t = lo >> 8; t <= hi >> 8; t++) {
    const a = Math.max(lo, t * 256) & 255;
    const b = Math.min(hi, t * 256 + 255) & 255;
    if (a === 0 && b === 255 && !ICMP.has(t)) {
      run = run ? [run[0], t] : [t, t];
      continue;
    }
    flush();
    out.push(a === 0 && b === 255 ? ICMP.get(t)! : a === b && ICMP_CODES.has(t * 256 + a) ? ICMP_CODES.get(t * 256 + a)! : `type ${t} code ${a}${b !== a ? `-${b}` : ''}`);
  }
  flush();
  return out;
}

/** The smallest CIDR block holding [lo, hi]. */
function hullBlock(lo: number, hi: number): [number, number] {
  let prefix = 32;
  while (prefix > 0 && Math.floor(lo / 2 ** (32 - prefix)) !== Math.floor(hi / 2 ** (32 - prefix))) prefix--;
  const size = 2 ** (32 - prefix);
  const start = Math.floor(lo / size) * size;
  return [start, start + size - 1];
}

/** Addresses as a list, as "any address except …", or as "10.0.0.0/8 except 10.1.0.0/16", whichever is shortest. */
function addresses(s: IntSet, full: IntSet): string {
  const direct = values(s, cidrs);
  const options: Array<[number, string]> = [[direct.length, list(direct)]];
  const rest = values(subtract(full, s), cidrs);
  if (rest.length) options.push([rest.length + 0.5, `any address except ${list(rest)}`]);
  const [hlo, hhi] = hullBlock(s[0]!, s[s.length - 1]!);
  const holes = values(subtract([hlo, hhi], s), cidrs);
  if (holes.length && (hlo !== 0 || hhi !== full[1])) options.push([holes.length + 1, `${cidrs(hlo, hhi)[0]} except ${list(holes)}`]);
  options.sort((a, b) => a[0] - b[0]);
  return options[0]![1];
}

/** Values that only restate what every packet at that point has (conntrack has looked it up; a forwarded packet's TTL was decremented). */
const IMPLIED: Partial<Record<Field, readonly IntSet[]>> = {
  [Field.Ct]: [[0, 3]],
  [Field.Ttl]: [[1, 254]],
  [Field.Frag]: [[0, 0]],
};

/** An interface entry in words: its name, or for the entries standing for names no rule spells out, what they hold. */
function ifaceName(space: Space, i: number): string {
  const prefix = space.ifaces.others.get(i);
  if (prefix === undefined) return space.ifaces.names[i]!;
  return prefix ? `another ${prefix}+ interface` : 'an interface no rule names';
}

/** A Ct field holding INVALID only: said where conntrack has looked packets up, not where none has an entry yet. */
const NO_ENTRY: IntSet = [0, 0];

function field(space: Space, f: Field, s: IntSet, noEntryYet = false): string | undefined {
  const full = range(0, space.max[f]!);
  if (equalSets(s, full) || IMPLIED[f]?.some((x) => equalSets(x, s)) || (noEntryYet && f === Field.Ct && equalSets(s, NO_ENTRY))) return undefined;
  switch (f) {
    case Field.Src:
    case Field.Dst:
      return `${f === Field.Src ? 'from' : 'to'} ${addresses(s, full)}`;
    case Field.Proto:
      return either(s, full, (lo, hi) => (lo === hi ? [PROTOS[lo] ?? `protocol ${lo}`] : num(lo, hi).map((x) => `protocol ${x}`)), 'any protocol');
    case Field.Sport:
      return `from port ${either(s, full, num, 'any')}`;
    case Field.Dport:
      return `to port ${either(s, full, num, 'any')}`;
    case Field.Icmp:
      return `icmp ${either(s, full, icmpTypes, 'any type')}`;
    case Field.TcpFlags:
      return size(s) === 1 ? `tcp flags 0x${s[0]!.toString(16)}${s[0] === 2 ? ' (SYN)' : ''}` : `${size(s)} of 256 tcp flag combinations`;
    case Field.Iif:
    case Field.Oif: {
      const names = values(s, (lo, hi) => { const o: string[] = []; for (let i = lo; i <= hi; i++) o.push(i === NO_IFACE ? 'none' : ifaceName(space, i)); return o; });
      const word = f === Field.Iif ? 'arriving on' : 'leaving by';
      // No input interface: the host's own packets. No output interface (not routed yet) is said with the input one (renderBox).
      if (names.length === 1 && names[0] === 'none') return f === Field.Iif ? 'sent by this host' : undefined;
      const anyIface = subtract(full, [NO_IFACE, NO_IFACE]);
      if (equalSets(s, anyIface)) return undefined; // every interface: the hook says so already
      // The shorter of the names and "any interface except …", never "except an interface no rule names"
      // and rather "any interface except lo" than "an interface no rule names".
      const unnamed = (t: IntSet): boolean => [...space.ifaces.others.keys()].some((i) => has(t, i));
      const rest = subtract(anyIface, s);
      const missing = values(rest, (lo, hi) => { const o: string[] = []; for (let i = lo; i <= hi; i++) o.push(ifaceName(space, i)); return o; });
      const direct = names.length + (unnamed(s) ? 0.5 : 0);
      const except = unnamed(rest) || names.includes('none') ? Infinity : missing.length + 0.25;
      return except < direct ? `${word} any interface except ${list(missing)}` : `${word} ${list(names)}`;
    }
    case Field.Ct:
      return `conntrack ${values(s, (lo, hi) => CT_STATES.slice(lo, hi + 1) as unknown as string[]).join(',')}`;
    case Field.Mark:
    case Field.Connmark: {
      const bits = f === Field.Mark ? space.mark : space.connmark;
      const m = bits.expand(bits.max);
      return `${f === Field.Mark ? 'mark' : 'connmark'} ${list(values(s, (lo, hi) => { const o: string[] = []; for (let i = lo; i <= hi && o.length < 8; i++) o.push(`0x${bits.expand(i).toString(16)}/0x${m.toString(16)}`); return o; }))}`;
    }
    case Field.Length:
      return `length ${either(s, full, num, 'any')}`;
    case Field.Ttl:
      return `ttl ${either(s, full, num, 'any')}`;
    case Field.PktType:
      return values(s, (lo, hi) => PKT_TYPES.slice(lo, hi + 1) as unknown as string[]).join(' or ');
    case Field.Frag:
      return s[0] === 1 ? 'later fragments' : 'unfragmented or first fragments';
  }
  return undefined;
}

/** Fields a later fragment does not carry: no match reads them there, so a box's values in them say nothing. */
const NOT_IN_LATER_FRAGMENTS = new Set<Field>([Field.Sport, Field.Dport, Field.Icmp, Field.TcpFlags]);

/** Whether no packet in this table has a conntrack entry yet: the raw table runs before conntrack, and a ruleset may never track. */
export function noEntryYet(table: string, conntrackActive: boolean): boolean {
  return table === 'raw' || !conntrackActive;
}

/** `noEntryYet`: where no packet has a conntrack entry yet (the raw table, a ruleset that never tracks), INVALID goes without saying. */
export function renderBox(space: Space, b: Box, noEntryYet = false): string {
  const parts: string[] = [];
  const later = equalSets(b[Field.Frag]!, [1, 1]);
  for (let f = 0; f < b.length; f++) {
    if (later && NOT_IN_LATER_FRAGMENTS.has(f)) continue;
    let t = field(space, f as Field, b[f]!, noEntryYet);
    // Not routed yet (PREROUTING, INPUT): "arriving on eth0" says it; on any interface, it is said so.
    if (f === Field.Oif && equalSets(b[f]!, [NO_IFACE, NO_IFACE]) && !field(space, Field.Iif, b[Field.Iif]!)) t = 'arriving on any interface';
    // "icmp echo-request", not "icmp icmp echo-request": the protocol has said it.
    if (t && f === Field.Icmp && equalSets(b[Field.Proto]!, [1, 1])) t = t.slice('icmp '.length);
    if (t) parts.push(t);
  }
  return parts.length ? parts.join(' ') : 'every packet';
}

/**
 * Boxes said as fewer: one held in another is left out, and two that differ in one field only are
 * said as one (their union is that one box). A set's boxes may overlap (a union does not look for
 * overlaps): packets looped back through lo next to those arriving from outside, in other states.
 */
function joinedForWords(boxes: Box[]): Box[] {
  const out = boxes.slice();
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < out.length; j++) {
      if (i === j) continue;
      const a = out[i]!;
      const b = out[j]!;
      let differ = -1;
      let aHoldsB = true;
      for (let f = 0; f < a.length; f++) {
        if (equalSets(a[f]!, b[f]!)) continue;
        aHoldsB &&= within(b[f]!, a[f]!);
        differ = differ === -1 ? f : -2;
      }
      if (!aHoldsB && differ < 0) continue;
      if (!aHoldsB) {
        const u = a.slice();
        u[differ] = union(a[differ]!, b[differ]!);
        out[i] = u;
      }
      out.splice(j, 1);
      // Box i grew or lost a neighbour: look at every other again.
      i = -1;
      break;
    }
  }
  return out;
}

/** Boxes read for distinct words (a set of thousands is counted, not written out: hover renders a few sets per rule). */
export const RENDER_SCAN = 16;

/**
 * The set in words, box by box up to `max`, then how many more. A set may hold the same
 * packets in two boxes (a union does not look for overlaps); words already said are said once.
 * Only its first RENDER_SCAN boxes are read: `s` may be just those, with `total` the set's size.
 */
export function renderSet(space: Space, s: PacketSet, max = 4, total = s.length, noEntryYet = false): string {
  if (!total) return 'no packet';
  const seen = new Set<string>();
  const scanned = Math.min(s.length, RENDER_SCAN);
  for (const b of joinedForWords(s.slice(0, scanned))) seen.add(renderBox(space, b, noEntryYet));
  const words = [...seen];
  const shown = words.slice(0, max).join('; ');
  const more = words.length - Math.min(max, words.length);
  if (scanned === total) return more ? `${shown}; and ${more} more` : shown;
  // Boxes past the scan may repeat some said already: at most this many more.
  return `${shown}; and up to ${more + total - scanned} more`;
}
