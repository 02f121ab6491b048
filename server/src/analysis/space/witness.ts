/**
 * One concrete packet out of a packet set: the example a hover shows and the
 * packet "Trace this packet" sends. Each field takes a familiar value when
 * the set allows it (TTL 64, a SYN, or an ACK in an established connection,
 * port 40000 as the source), else the smallest it has.
 */
import { CT_STATES, Field, NO_IFACE, PKT_TYPES, type Box, type Space } from './fields';
import { has, type IntSet } from './intSet';
import { subtractSets, type PacketSet } from './packetSet';
import { impossibleTcp } from './impossibleTcp';
import { tcpFlagsValid, tcpIndex } from '../../emulator/tcpConntrack';

export interface Witness {
  readonly src: number;
  readonly dst: number;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly tcpFlags: number;
  /** '' for none. */
  readonly iif: string;
  readonly oif: string;
  readonly ctState: (typeof CT_STATES)[number];
  readonly mark: number;
  readonly connmark: number;
  readonly length: number;
  readonly ttl: number;
  readonly pktType: (typeof PKT_TYPES)[number];
  readonly fragment: boolean;
}

const PREFERRED: Partial<Record<Field, readonly number[]>> = {
  [Field.Src]: [0x0a000001 + 100, 0xc0a80164, 0x08080808],
  [Field.Dst]: [0x0a000001, 0xc0a80101, 0x01010101],
  [Field.Proto]: [6, 17, 1],
  [Field.Sport]: [40000, 1024],
  [Field.Dport]: [80, 443, 22],
  [Field.Icmp]: [8 * 256],
  [Field.TcpFlags]: [0x02, 0x10, 0x18],
  [Field.Ct]: [1, 2],
  [Field.Mark]: [0],
  [Field.Connmark]: [0],
  [Field.Length]: [60, 84, 40],
  [Field.Ttl]: [64, 63],
  [Field.PktType]: [0],
  [Field.Frag]: [0],
};

function pick(f: Field, s: IntSet): number {
  for (const v of PREFERRED[f] ?? []) if (has(s, v)) return v;
  return s[0]!;
}

/** An established connection's TCP packet: an ACK (with data, else a SYN) rather than a SYN, and a length an ACK has. */
const ESTABLISHED_FLAGS = [0x10, 0x18, 0x02];

/**
 * The input interface: the set's first that is not lo (nor another "lo…" of a `lo+` match) when it has
 * one. lo carries only what this host sends itself, so "tcp 10.0.0.101 → 10.0.0.1, in lo" is a packet
 * nobody expects; a rule without -i meets lo first only because the names are sorted.
 */
function pickIif(space: Space, s: IntSet): number {
  const names = space.ifaces.names;
  for (let i = 0; i < s.length; i += 2) {
    for (let v = s[i]!; v <= s[i + 1]!; v++) if (v === NO_IFACE || !names[v]!.startsWith('lo')) return v;
  }
  return s[0]!;
}

const onLo = (space: Space, b: Box): boolean => {
  const v = pickIif(space, b[Field.Iif]!);
  return v !== NO_IFACE && space.ifaces.names[v]!.startsWith('lo');
};

export function witnessOfBox(space: Space, b: Box): Witness {
  const v = (f: Field): number => pick(f, b[f]!);
  const icmp = v(Field.Icmp);
  const ct = v(Field.Ct);
  const established = CT_STATES[ct] === 'ESTABLISHED';
  const tcpFlags = established ? (ESTABLISHED_FLAGS.find((x) => has(b[Field.TcpFlags]!, x)) ?? v(Field.TcpFlags)) : v(Field.TcpFlags);
  // The length a real first packet of that protocol has: a Linux SYN with its options, a default ping, a small datagram
  // (later in an established connection, a bare ACK with timestamps).
  const proto = v(Field.Proto);
  const lengths = proto === 6 ? (established && tcpFlags !== 0x02 ? [52, 40, 60] : [60, 52, 40]) : proto === 1 ? [84, 28] : proto === 17 ? [33, 29, 28] : [];
  const length = lengths.find((n) => has(b[Field.Length]!, n)) ?? v(Field.Length);
  return {
    src: v(Field.Src),
    dst: v(Field.Dst),
    proto,
    sport: v(Field.Sport),
    dport: v(Field.Dport),
    icmpType: icmp >> 8,
    icmpCode: icmp & 255,
    tcpFlags,
    iif: space.ifaces.example(pickIif(space, b[Field.Iif]!)),
    oif: space.ifaces.example(v(Field.Oif)),
    ctState: CT_STATES[ct]!,
    mark: space.mark.expand(v(Field.Mark)),
    connmark: space.connmark.expand(v(Field.Connmark)),
    length,
    ttl: v(Field.Ttl),
    pktType: PKT_TYPES[v(Field.PktType)]!,
    fragment: v(Field.Frag) === 1,
  };
}

/** Whether the box's packets may be in a state a packet usually has (NEW, ESTABLISHED), not only INVALID or UNTRACKED. */
const usualState = (b: Box): boolean => (PREFERRED[Field.Ct] ?? []).some((v) => has(b[Field.Ct]!, v));

/**
 * From the set's first box whose packets may come in on another interface than lo (pickIif) and be NEW
 * or ESTABLISHED; failing that, the first that may come in on another interface, then the first box.
 * A SYN "conntrack INVALID" is a packet nobody expects either: a set rendered "conntrack INVALID,NEW"
 * is often two boxes, the INVALID one first. Never a TCP packet in a state conntrack never gives it
 * (impossibleTcp: an ESTABLISHED packet with no flags) while the set has another: the walks keep such
 * packets where no flags test took them out, and a rule's own flags test leaves them out (ruleMatch),
 * so one met at a later rule may be a packet the earlier rule would have taken (soundness seed 360257).
 */
export function witnessOf(space: Space, s: PacketSet): Witness | undefined {
  if (!s.length) return undefined;
  // (Then a box with a protocol a reader knows: which of the pieces a subtraction left comes first says nothing.)
  const ranked = s.map((b, i) => ({ b, i, rank: (onLo(space, b) ? 4 : 0) + (usualState(b) ? 0 : 2) + (knownProto(b) ? 0 : 1) })).sort((x, y) => x.rank - y.rank || x.i - y.i);
  for (const { b } of ranked) {
    const w = witnessOfBox(space, b);
    if (!neverTracked(w)) return w;
    // The box's packets conntrack does give a state, if it has some.
    for (const piece of subtractSets([b], impossibleTcp(space))) return witnessOfBox(space, piece);
  }
  return witnessOfBox(space, ranked[0]!.b);
}

const knownProto = (b: Box): boolean => (PREFERRED[Field.Proto] ?? []).some((v) => has(b[Field.Proto]!, v));

/** A TCP packet in a state conntrack never gives it (impossibleTcp, for one packet). */
function neverTracked(w: Witness): boolean {
  if (w.proto !== 6 || (w.ctState !== 'NEW' && w.ctState !== 'ESTABLISHED' && w.ctState !== 'RELATED')) return false;
  return !tcpFlagsValid(w.tcpFlags) || (tcpIndex(w.tcpFlags) === 'SYNACK' && w.ctState !== 'ESTABLISHED');
}

const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };

function addr(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** "tcp 10.0.0.101:40000 → 10.0.0.1:22 [SYN] in eth0, conntrack NEW": the fields a reader cares about. */
export function witnessText(w: Witness): string {
  const proto = PROTO_NAMES[w.proto] ?? `protocol ${w.proto}`;
  const ports = w.proto === 6 || w.proto === 17;
  let s = `${proto} ${addr(w.src)}${ports ? `:${w.sport}` : ''} → ${addr(w.dst)}${ports ? `:${w.dport}` : ''}`;
  if (w.proto === 1) s += ` type ${w.icmpType} code ${w.icmpCode}`;
  if (w.proto === 6) s += ` flags 0x${w.tcpFlags.toString(16)}`;
  if (w.fragment) s += ' (a later fragment)';
  const extra: string[] = [];
  if (w.iif) extra.push(`in ${w.iif}`);
  if (w.oif) extra.push(`out ${w.oif}`);
  extra.push(`conntrack ${w.ctState}`);
  if (w.mark) extra.push(`mark 0x${w.mark.toString(16)}`);
  if (w.connmark) extra.push(`connmark 0x${w.connmark.toString(16)}`);
  if (w.ttl !== 64) extra.push(`ttl ${w.ttl}`);
  if (w.pktType !== 'unicast') extra.push(w.pktType);
  return `${s}, ${extra.join(', ')}`;
}
