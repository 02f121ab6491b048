/**
 * Small builders for emulator unit tests: packets (tcpPacket({ dport: 80 })),
 * a stub host, and evaluation contexts with a manual clock, a scripted or
 * seeded random source and a fresh state store.
 */
import { manualClock, seededRng, type ManualClock, type Rng } from '../../server/src/emulator/clock';
import type { AddrTypeName, EvalContext, HostView, StateStore } from '../../server/src/emulator/context';
import type { Conn, CtInfo } from '../../server/src/emulator/ct';
import type { Iface, IfaceKind } from '../../server/src/emulator/host/model';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_SYN, type Packet } from '../../server/src/emulator/packet';
import { MemoryStore } from '../../server/src/emulator/store';
import type { Hook } from '../../server/src/lang/iptables/extension';

/** "10.0.0.1" → 0x0a000001 */
export function ip(text: string): number {
  const p = text.split('.').map(Number);
  return (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
}

type PacketInit = Partial<Omit<Packet, 'src' | 'dst'>> & { src?: number | string; dst?: number | string };

function base(init: PacketInit): Packet {
  const { src, dst, ...rest } = init;
  return {
    proto: PROTO_TCP,
    sport: 0,
    dport: 0,
    tcpFlags: 0,
    tcpOptions: [],
    icmpType: 0,
    icmpCode: 0,
    icmpId: 0,
    length: 60,
    ttl: 64,
    tos: 0,
    fragOffset: 0,
    mark: 0,
    iif: 'eth0',
    oif: '',
    pktType: 'host',
    localOrigin: false,
    ...rest,
    ...(src !== undefined ? { src: typeof src === 'string' ? ip(src) : src } : { src: ip('192.0.2.10') }),
    ...(dst !== undefined ? { dst: typeof dst === 'string' ? ip(dst) : dst } : { dst: ip('10.0.0.1') }),
  };
}

/** A TCP SYN from 192.0.2.10:40000 to 10.0.0.1:80 arriving on eth0, unless overridden. */
export function tcpPacket(init: PacketInit = {}): Packet {
  return base({ proto: PROTO_TCP, sport: 40000, dport: 80, tcpFlags: TCP_SYN, tcpOptions: [2], ...init });
}

/** An established-style TCP segment (ACK). */
export function tcpAck(init: PacketInit = {}): Packet {
  return tcpPacket({ tcpFlags: TCP_ACK, tcpOptions: [], length: 52, ...init });
}

export function udpPacket(init: PacketInit = {}): Packet {
  return base({ proto: PROTO_UDP, sport: 40000, dport: 53, length: 60, ...init });
}

/** An ICMP echo request unless overridden. */
export function icmpPacket(init: PacketInit = {}): Packet {
  return base({ proto: PROTO_ICMP, icmpType: 8, icmpCode: 0, icmpId: 7, length: 84, ...init });
}

/** A locally generated packet (OUTPUT path): no input device. */
export function localPacket(p: Packet, oif = 'eth0'): Packet {
  return { ...p, iif: '', oif, localOrigin: true };
}

export interface HostStub {
  /** Address types by dotted address (default UNICAST). */
  readonly types?: Readonly<Record<string, AddrTypeName>>;
  /** Interfaces by name: their kind (default: eth0 ethernet, lo loopback). */
  readonly ifaces?: Readonly<Record<string, IfaceKind>>;
  /** Called with (address, dev) for each addrType question. */
  readonly onAddrType?: (addr: number, dev: string | undefined) => void;
}

export function hostView(stub: HostStub = {}): HostView {
  const types = new Map(Object.entries(stub.types ?? {}).map(([a, t]) => [ip(a), t]));
  const kinds: Record<string, IfaceKind> = { eth0: 'ethernet', lo: 'loopback', ...(stub.ifaces ?? {}) };
  return {
    addrType(addr, dev) {
      stub.onAddrType?.(addr, dev);
      return types.get(addr) ?? 'UNICAST';
    },
    isLocal: (addr) => types.get(addr) === 'LOCAL',
    iface(name): Iface | undefined {
      const kind = kinds[name];
      return kind ? { name, kind, up: true, addrs: [], mtu: 1500, routeLocalnet: false, rpFilter: 0 } : undefined;
    },
    primaryAddr: () => undefined,
  };
}

/** A random source that returns the given values in turn (then repeats the last). */
export function scriptedRng(values: readonly number[]): Rng {
  let i = 0;
  return { uint32: () => values[Math.min(i++, values.length - 1)]! >>> 0 };
}

/** A connection with sensible defaults (a TCP connection 192.0.2.10:40000 → 10.0.0.1:80, confirmed). */
export function conn(init: Partial<Conn> = {}): Conn {
  const orig = { src: ip('192.0.2.10'), dst: ip('10.0.0.1'), proto: PROTO_TCP, sport: 40000, dport: 80 };
  return {
    id: 1,
    orig,
    reply: { src: orig.dst, dst: orig.src, proto: orig.proto, sport: orig.dport, dport: orig.sport },
    status: 1 << 3,
    mark: 0,
    created: 0,
    expires: 120_000,
    ...init,
  };
}

export interface ContextInit {
  readonly hook?: Hook;
  readonly table?: string;
  readonly ct?: CtInfo;
  readonly host?: HostView;
  readonly clock?: ManualClock;
  readonly rng?: Rng;
  readonly store?: StateStore;
  readonly ruleId?: string;
}

/** An evaluation context for one packet; pass the same clock/store/ruleId to model a sequence. */
export function evalContext(packet: Packet, init: ContextInit = {}): EvalContext {
  return {
    packet,
    hook: init.hook ?? 'INPUT',
    table: init.table ?? 'filter',
    ct: init.ct ?? { state: 'NEW', dir: 'ORIGINAL', conn: conn() },
    host: init.host ?? hostView(),
    clock: init.clock ?? manualClock(),
    rng: init.rng ?? seededRng(1),
    store: init.store ?? new MemoryStore(),
    ruleId: init.ruleId ?? 'filter/INPUT/0/1',
  };
}
