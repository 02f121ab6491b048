/**
 * Small builders for the emulator target tests: packets, connections, a
 * test host, the typed data the parser gives one rule's target, and a
 * TargetContext that collects notes. (Matchers have their own helper in
 * packets.ts.)
 */
import assert from 'node:assert/strict';
import type { TargetContext, TargetOutcome } from '../../server/src/emulator/context';
import { CT_CONFIRMED, type Conn, type CtInfo, type CtStateName } from '../../server/src/emulator/ct';
import { connectedRoutes } from '../../server/src/emulator/host/file';
import type { HostModel, Iface, Listener, Peer } from '../../server/src/emulator/host/model';
import { Router } from '../../server/src/emulator/host/routing';
import { manualClock, seededRng } from '../../server/src/emulator/clock';
import { MemoryStore } from '../../server/src/emulator/store';
import { PROTO_TCP, TCP_SYN, type Packet } from '../../server/src/emulator/packet';
import { TARGETS } from '../../server/src/emulator/registry';
import type { Hook } from '../../server/src/lang/iptables/extension';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { parseIpv4Strict } from '../../server/src/lang/iptables/inet';
import type { PacketExtras } from '../../server/src/emulator/targets/extras';

export function ip(text: string): number {
  const a = parseIpv4Strict(text);
  if (a === undefined) throw new Error(`bad address ${text}`);
  return a;
}

export type TestPacket = Packet & PacketExtras;

/** A TCP SYN 10.0.0.2:43210 → 10.0.0.1:80 arriving on eth0, unless overridden. */
export function packet(over: Partial<TestPacket> = {}): TestPacket {
  return {
    src: ip('10.0.0.2'), dst: ip('10.0.0.1'), proto: PROTO_TCP, sport: 43210, dport: 80,
    tcpFlags: TCP_SYN, tcpOptions: [], icmpType: 0, icmpCode: 0, icmpId: 0,
    length: 60, ttl: 64, tos: 0, fragOffset: 0, mark: 0, iif: 'eth0', oif: '', pktType: 'host', localOrigin: false,
    ...over,
  };
}

export function conn(over: Partial<Conn> = {}): Conn {
  const t = { src: ip('10.0.0.2'), dst: ip('10.0.0.1'), proto: PROTO_TCP, sport: 43210, dport: 80 };
  return {
    id: 1, orig: t, reply: { src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport },
    status: CT_CONFIRMED, mark: 0, created: 0, expires: 1e12, ...over,
  };
}

function iface(name: string, kind: Iface['kind'], addrs: Array<[string, number]>, extra: Partial<Iface> = {}): Iface {
  return {
    name, kind, up: true, addrs: addrs.map(([a, prefix]) => ({ addr: ip(a), prefix })),
    mtu: kind === 'loopback' ? 65536 : 1500, routeLocalnet: false, rpFilter: 0, ...extra,
  };
}

/**
 * lo 127.0.0.1/8; eth0 10.0.0.1/24 (clients); eth1 192.168.1.1/24 (uplink,
 * default route via 192.168.1.254, MTU 1400); tun0 10.8.0.1/24 (MTU 1300).
 * Listens on tcp/22, tcp/80 and udp/53; peers: client 10.0.0.2 (eth0),
 * server 192.168.1.10 (eth1).
 */
export function testHost(over: Partial<HostModel> = {}): HostModel {
  const ifaces = [
    iface('lo', 'loopback', [['127.0.0.1', 8]]),
    iface('eth0', 'ethernet', [['10.0.0.1', 24]], { mac: '02:00:00:00:00:01' }),
    iface('eth1', 'ethernet', [['192.168.1.1', 24]], { mac: '02:00:00:00:01:01', mtu: 1400 }),
    iface('tun0', 'tun', [['10.8.0.1', 24]], { mtu: 1300 }),
  ];
  const listeners: Listener[] = [
    { proto: 'tcp', addr: 0, port: 22 },
    { proto: 'tcp', addr: 0, port: 80, program: 'nginx' },
    { proto: 'udp', addr: 0, port: 53 },
  ];
  const peers: Peer[] = [
    { name: 'client', addr: ip('10.0.0.2'), via: 'eth0', kind: 'external' },
    { name: 'server', addr: ip('192.168.1.10'), via: 'eth1', kind: 'external' },
  ];
  return {
    name: 'fw',
    ifaces: new Map(ifaces.map((i) => [i.name, i])),
    routes: [...connectedRoutes(ifaces), { dst: 0, prefix: 0, dev: 'eth1', via: ip('192.168.1.254'), metric: 0, origin: 'default' }],
    sysctls: { ipForward: true, bridgeNfCallIptables: false, tcpLoose: true },
    listeners,
    peers,
    assumed: [],
    ...over,
  };
}

/** Parses a whole restore file and fails on any error diagnostic. */
export function parseRules(text: string) {
  const r = parseIptables(text, { family: 'ipv4' });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => d.message), [], `rules do not load:\n${text}`);
  return r.ruleset;
}

/** The target name and typed data the parser gives `-A chain <rule>` in `table`. */
export function targetOf(table: string, chain: string, rule: string): { name: string; data: unknown } {
  const rs = parseRules(`*${table}\n-A ${chain} ${rule}\nCOMMIT\n`);
  const t = rs.tables.get(table)?.chains.get(chain)?.rules[0]?.spec.target;
  assert.ok(t && t.kind === 'extension', `no extension target in "${rule}"`);
  return { name: t.use.name, data: t.use.data };
}

export interface TargetRun {
  readonly outcome: TargetOutcome;
  readonly notes: string[];
  readonly packet: TestPacket;
  readonly conn: Conn | undefined;
}

export interface RunOptions {
  readonly table?: string;
  readonly chain?: Hook;
  readonly packet?: TestPacket;
  /** The connection (absent: the packet has none). */
  readonly conn?: Conn;
  readonly state?: CtStateName;
  /** An earlier CT put its template on the packet (raw). */
  readonly template?: boolean;
  readonly host?: HostModel;
}

const TABLE_OF: Record<string, string> = {
  LOG: 'filter', NFLOG: 'filter', ULOG: 'filter', TRACE: 'raw', MARK: 'mangle', CONNMARK: 'mangle', CT: 'raw', NOTRACK: 'raw',
  REJECT: 'filter', TPROXY: 'mangle', NFQUEUE: 'filter', CHECKSUM: 'mangle', TCPMSS: 'mangle', CLASSIFY: 'mangle',
  DNAT: 'nat', SNAT: 'nat', MASQUERADE: 'nat', REDIRECT: 'nat', NETMAP: 'nat',
};

/**
 * Parses `-A chain <rule>` and runs its target through the emulator's
 * registry on `packet` (in place) with the given connection.
 */
export function runTarget(rule: string, o: RunOptions = {}): TargetRun {
  const name = /-j\s+(\S+)/.exec(rule)?.[1] ?? '';
  const chain = o.chain ?? 'PREROUTING';
  const dflt = TABLE_OF[name] ?? 'filter';
  // filter has no PREROUTING/POSTROUTING: take mangle there.
  const table = o.table ?? (dflt === 'filter' && (chain === 'PREROUTING' || chain === 'POSTROUTING') ? 'mangle' : dflt);
  const t = targetOf(table, chain, rule);
  const entry = TARGETS.get(t.name);
  assert.ok(entry, `the emulator has no target ${t.name}`);
  const p = o.packet ?? packet();
  const notes: string[] = [];
  const ct: CtInfo = o.conn ? { state: o.state ?? 'ESTABLISHED', dir: 'ORIGINAL', conn: o.conn } : o.template ? { state: 'NEW', dir: 'ORIGINAL', template: true } : { state: o.state ?? 'UNTRACKED', dir: 'ORIGINAL' };
  const ctx: TargetContext = {
    packet: p,
    hook: chain,
    table,
    ct,
    host: new Router(o.host ?? testHost()),
    clock: manualClock(1000),
    rng: seededRng(7),
    store: new MemoryStore(),
    ruleId: 'test/0',
    ...(o.conn ? { conn: o.conn } : {}),
    note: (text) => void notes.push(text),
  };
  const outcome = entry.fn(t.data, ctx);
  return { outcome, notes, packet: p, conn: o.conn };
}
