/**
 * Packet sets in words: "tcp from 10.0.0.0/8 except 10.1.0.0/16 to port 80,
 * 443, arriving on eth0". Only fields a box constrains are named; a field is
 * said as its complement ("any port except 22") when that is shorter.
 */
import { CT_STATES, Field, NO_IFACE, PKT_TYPES, type Box, type Space } from './fields';
import { equalSets, range, size, subtract, type IntSet } from './intSet';
import type { PacketSet } from './packetSet';

const PROTOS: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 132: 'sctp', 33: 'dccp' };
const ICMP: Readonly<Record<number, string>> = { 0: 'echo-reply', 3: 'destination-unreachable', 5: 'redirect', 8: 'echo-request', 11: 'time-exceeded', 12: 'parameter-problem', 13: 'timestamp-request', 14: 'timestamp-reply' };

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
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
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
  [Field.Ct]: [[0, 3], [0, 0]],
  [Field.Ttl]: [[1, 254]],
  [Field.Frag]: [[0, 0]],
};

function field(space: Space, f: Field, s: IntSet): string | undefined {
  const full = range(0, space.max[f]!);
  if (equalSets(s, full) || IMPLIED[f]?.some((x) => equalSets(x, s))) return undefined;
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
    case Field.Icmp: {
      const types = values(s, (lo, hi) => (hi - lo === 255 && lo % 256 === 0 ? [ICMP[lo >> 8] ?? `type ${lo >> 8}`] : [`type ${lo >> 8} code ${lo & 255}${hi !== lo ? `-${hi & 255}` : ''}`]));
      return `icmp ${list(types)}`;
    }
    case Field.TcpFlags:
      return size(s) === 1 ? `tcp flags 0x${s[0]!.toString(16)}${s[0] === 2 ? ' (SYN)' : ''}` : `${size(s)} of 256 tcp flag combinations`;
    case Field.Iif:
    case Field.Oif: {
      const names = values(s, (lo, hi) => { const o: string[] = []; for (let i = lo; i <= hi; i++) o.push(i === NO_IFACE ? 'none' : space.ifaces.names[i]!); return o; });
      const word = f === Field.Iif ? 'arriving on' : 'leaving by';
      if (names.length === 1 && names[0] === 'none') return f === Field.Iif ? 'with no input interface' : 'with no output interface';
      const anyIface = subtract(full, [NO_IFACE, NO_IFACE]);
      if (equalSets(s, anyIface)) return undefined; // every interface: the hook says so already
      const missing = values(subtract(anyIface, s), (lo, hi) => { const o: string[] = []; for (let i = lo; i <= hi; i++) o.push(space.ifaces.names[i]!); return o; });
      return missing.length < names.length && !names.includes('none') ? `${word} any interface except ${list(missing)}` : `${word} ${list(names)}`;
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

export function renderBox(space: Space, b: Box): string {
  const parts: string[] = [];
  for (let f = 0; f < b.length; f++) {
    const t = field(space, f as Field, b[f]!);
    if (t) parts.push(t);
  }
  return parts.length ? parts.join(' ') : 'every packet';
}

/** Boxes read for distinct words (a set of thousands is counted, not written out: hover renders a few sets per rule). */
const RENDER_SCAN = 16;

/**
 * The set in words, box by box up to `max`, then how many more. A set may hold the same
 * packets in two boxes (a union does not look for overlaps); words already said are said once.
 */
export function renderSet(space: Space, s: PacketSet, max = 4): string {
  if (!s.length) return 'no packet';
  const seen = new Set<string>();
  const scanned = Math.min(s.length, RENDER_SCAN);
  for (let i = 0; i < scanned; i++) seen.add(renderBox(space, s[i]!));
  const words = [...seen];
  const shown = words.slice(0, max).join('; ');
  const more = words.length - Math.min(max, words.length);
  if (scanned === s.length) return more ? `${shown}; and ${more} more` : shown;
  // Boxes past the scan may repeat some said already: at most this many more.
  return `${shown}; and up to ${more + s.length - scanned} more`;
}
