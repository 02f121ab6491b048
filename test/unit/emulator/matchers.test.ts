/**
 * Emulator matchers against the kernel's semantics (net/netfilter/xt_*.c,
 * net/ipv4/netfilter/ip_tables.c). Every rule is parsed from iptables text,
 * so these tests also pin the parser's typed data that the matchers read.
 * Stateful matches advance a manual clock and check the packet counts the
 * kernel's arithmetic gives (HZ=250: 4 ms jiffies).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock, type ManualClock } from '../../../server/src/emulator/clock';
import { isUnknown, type MatchOutcome } from '../../../server/src/emulator/context';
import { CT_CONFIRMED, CT_DST_NAT, CT_SRC_NAT } from '../../../server/src/emulator/ct';
import { MATCHERS } from '../../../server/src/emulator/registry';
import { MemoryStore } from '../../../server/src/emulator/store';
import type { Packet } from '../../../server/src/emulator/packet';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../../../server/src/emulator/packet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { conn, evalContext, hostView, icmpPacket, ip, localPacket, scriptedRng, tcpAck, tcpPacket, udpPacket, type ContextInit } from '../../helpers/packets';

interface Where {
  readonly table?: string;
  readonly chain?: string;
}

/** The typed data of match `name` in a one-rule file (the rule must load without errors). */
function matchData(rule: string, name: string, where: Where = {}): unknown {
  const table = where.table ?? 'filter';
  const chain = where.chain ?? 'INPUT';
  const parsed = parseIptables(`*${table}\n-A ${chain} ${rule}\nCOMMIT\n`, { family: 'ipv4', backend: 'legacy' });
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  assert.deepEqual(errors, [], `"${rule}" should load`);
  const spec = parsed.ruleset.tables.get(table)!.chains.get(chain)!.rules[0]!.spec;
  const use = spec.matches.find((m) => m.name === name);
  assert.ok(use, `"${rule}" has no ${name} match`);
  return use.data;
}

type Want = boolean | 'unknown';

function outcome(name: string, data: unknown, packet: Packet, init: ContextInit = {}): Want {
  const entry = MATCHERS.get(name);
  assert.ok(entry, `no emulator matcher "${name}"`);
  const out: MatchOutcome = entry.fn(data, evalContext(packet, init));
  return isUnknown(out) ? 'unknown' : out;
}

function unknownWhy(name: string, data: unknown, packet: Packet, init: ContextInit = {}): string {
  const out = MATCHERS.get(name)!.fn(data, evalContext(packet, init));
  assert.ok(isUnknown(out), 'expected an unknown outcome');
  return out.unknown;
}

interface Case {
  readonly what: string;
  readonly packet: Packet;
  readonly ctx?: ContextInit;
  readonly want: Want;
}

/** One `it` per case: rule text, the match it loads, and the expected outcomes. */
function table(name: string, rule: string, cases: readonly Case[], where?: Where): void {
  const data = matchData(rule, name, where);
  for (const c of cases) it(`${rule}: ${c.what}`, () => assert.equal(outcome(name, data, c.packet, c.ctx), c.want));
}

/** A sequence of packets through one rule's match on one clock and store. */
class Seq {
  constructor(
    private readonly name: string,
    private readonly data: unknown,
    private readonly ruleId = 'filter/INPUT/0/2',
    readonly clock: ManualClock = manualClock(),
    readonly store = new MemoryStore(),
  ) {}

  /** Evaluates `n` packets at clock time `ms`; returns how many matched. */
  at(ms: number, packet: Packet, n = 1, init: ContextInit = {}): number {
    assert.ok(ms >= this.clock.now(), 'time runs forward');
    this.clock.advance(ms - this.clock.now());
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const o = outcome(this.name, this.data, packet, { clock: this.clock, store: this.store, ruleId: this.ruleId, ...init });
      assert.notEqual(o, 'unknown');
      if (o) hits++;
    }
    return hits;
  }

  /** Like `at`, the outcome of each packet. */
  each(ms: number, packets: readonly Packet[], init: ContextInit = {}): Want[] {
    this.clock.advance(ms - this.clock.now());
    return packets.map((p) => outcome(this.name, this.data, p, { clock: this.clock, store: this.store, ruleId: this.ruleId, ...init }));
  }
}

const NO_CONN = { state: 'INVALID', dir: 'ORIGINAL' } as const;
const UNTRACKED = { state: 'UNTRACKED', dir: 'ORIGINAL' } as const;

describe('comment', () => {
  table('comment', '-m comment --comment "allow web"', [{ what: 'always matches', packet: tcpPacket(), want: true }]);
});

describe('tcp', () => {
  table('tcp', '-p tcp --dport 80', [
    { what: 'destination port 80', packet: tcpPacket({ dport: 80 }), want: true },
    { what: 'another port', packet: tcpPacket({ dport: 81 }), want: false },
    { what: 'a later fragment', packet: tcpPacket({ dport: 80, fragOffset: 10 }), want: false },
  ]);
  table('tcp', '-p tcp ! --sport 1000:2000', [
    { what: 'source port outside', packet: tcpPacket({ sport: 999 }), want: true },
    { what: 'source port inside', packet: tcpPacket({ sport: 2000 }), want: false },
  ]);
  table('tcp', '-p tcp --syn', [
    { what: 'a SYN', packet: tcpPacket({ tcpFlags: TCP_SYN }), want: true },
    { what: 'a SYN-ACK', packet: tcpPacket({ tcpFlags: TCP_SYN | TCP_ACK }), want: false },
    { what: 'an ACK', packet: tcpAck(), want: false },
  ]);
  table('tcp', '-p tcp ! --syn', [
    { what: 'an ACK', packet: tcpAck(), want: true },
    { what: 'a SYN', packet: tcpPacket(), want: false },
  ]);
  table('tcp', '-p tcp --tcp-flags ALL FIN', [
    { what: 'FIN alone', packet: tcpPacket({ tcpFlags: TCP_FIN }), want: true },
    { what: 'FIN,ACK', packet: tcpPacket({ tcpFlags: TCP_FIN | TCP_ACK }), want: false },
  ]);
  table('tcp', '-p tcp --tcp-option 2', [
    { what: 'MSS present', packet: tcpPacket({ tcpOptions: [2, 4] }), want: true },
    { what: 'no options', packet: tcpPacket({ tcpOptions: [] }), want: false },
  ]);
  table('tcp', '-p tcp ! --tcp-option 2', [
    { what: 'no options', packet: tcpPacket({ tcpOptions: [] }), want: true },
    { what: 'MSS present', packet: tcpPacket({ tcpOptions: [2] }), want: false },
  ]);
});

describe('udp', () => {
  table('udp', '-p udp --sport 53 --dport 1024:65535', [
    { what: 'a DNS reply', packet: udpPacket({ sport: 53, dport: 40000 }), want: true },
    { what: 'a DNS query', packet: udpPacket({ sport: 40000, dport: 53 }), want: false },
    { what: 'a later fragment', packet: udpPacket({ sport: 53, dport: 40000, fragOffset: 3 }), want: false },
  ]);
  table('udp', '-p udp --dport 90:80', [{ what: 'a reversed range never matches', packet: udpPacket({ dport: 85 }), want: false }]);
  table('udp', '-p udp ! --dport 90:80', [{ what: 'so its inversion always does', packet: udpPacket({ dport: 85 }), want: true }]);
});

describe('addrtype', () => {
  const host = hostView({ types: { '10.0.0.1': 'LOCAL', '10.0.0.255': 'BROADCAST' } });
  table('addrtype', '-m addrtype --dst-type LOCAL', [
    { what: 'to a local address', packet: tcpPacket({ dst: '10.0.0.1' }), ctx: { host }, want: true },
    { what: 'to another host', packet: tcpPacket({ dst: '10.0.0.9' }), ctx: { host }, want: false },
  ]);
  table('addrtype', '-m addrtype ! --dst-type LOCAL,BROADCAST', [
    { what: 'to a broadcast address', packet: udpPacket({ dst: '10.0.0.255' }), ctx: { host }, want: false },
    { what: 'to another host', packet: udpPacket({ dst: '10.0.0.9' }), ctx: { host }, want: true },
  ]);
  it('--limit-iface-in asks about the input device only', () => {
    const seen: Array<string | undefined> = [];
    const data = matchData('-m addrtype --dst-type LOCAL --limit-iface-in', 'addrtype', { chain: 'INPUT' });
    outcome('addrtype', data, tcpPacket({ iif: 'eth1' }), { host: hostView({ onAddrType: (_a, dev) => seen.push(dev) }) });
    assert.deepEqual(seen, ['eth1']);
  });
});

describe('conntrack', () => {
  const est = { state: 'ESTABLISHED', dir: 'REPLY', conn: conn() } as const;
  table('conntrack', '-m conntrack --ctstate RELATED,ESTABLISHED', [
    { what: 'an established reply', packet: tcpAck(), ctx: { ct: est }, want: true },
    { what: 'a new connection', packet: tcpPacket(), want: false },
    { what: 'an invalid packet', packet: tcpAck(), ctx: { ct: NO_CONN }, want: false },
  ]);
  table('conntrack', '-m conntrack --ctstate DNAT', [
    { what: 'IPS_DST_NAT set', packet: tcpPacket(), ctx: { ct: { state: 'NEW', dir: 'ORIGINAL', conn: conn({ status: CT_DST_NAT }) } }, want: true },
    { what: 'no NAT status bit', packet: tcpPacket(), want: false },
  ]);
  table('conntrack', '-m conntrack --ctstate SNAT', [
    { what: 'IPS_SRC_NAT set', packet: tcpPacket(), ctx: { ct: { state: 'NEW', dir: 'ORIGINAL', conn: conn({ status: CT_SRC_NAT }) } }, want: true },
  ]);
  table('conntrack', '-m conntrack --ctstate INVALID --ctdir REPLY', [
    // ct == NULL: after the state test the kernel returns "state was tested".
    { what: 'no connection: the other tests are skipped', packet: tcpAck(), ctx: { ct: NO_CONN }, want: true },
  ]);
  table('conntrack', '-m conntrack --ctstate UNTRACKED --ctproto udp', [
    { what: 'an untracked TCP packet still matches', packet: tcpPacket(), ctx: { ct: UNTRACKED }, want: true },
  ]);
  table('conntrack', '-m conntrack --ctproto tcp', [
    { what: 'a TCP connection', packet: tcpPacket(), want: true },
    { what: 'no connection (no state test)', packet: tcpPacket(), ctx: { ct: NO_CONN }, want: false },
  ]);
  table('conntrack', '-m conntrack --ctproto 0', [{ what: 'protocol 0 matches no real connection', packet: tcpPacket(), want: false }]);
  table('conntrack', '-m conntrack --ctdir ORIGINAL', [
    { what: 'original direction', packet: tcpPacket(), want: true },
    { what: 'a reply', packet: tcpAck(), ctx: { ct: est }, want: false },
  ]);
  table('conntrack', '-m conntrack --ctorigdst 10.0.0.0/24 --ctorigdstport 80', [
    { what: 'original destination in the net and port', packet: tcpPacket(), want: true },
    { what: 'another original destination', packet: tcpPacket(), ctx: { ct: { state: 'NEW', dir: 'ORIGINAL', conn: conn({ orig: { src: ip('192.0.2.10'), dst: ip('10.0.1.1'), proto: 6, sport: 40000, dport: 80 } }) } }, want: false },
  ]);
  const echo: ContextInit = { ct: { state: 'NEW', dir: 'ORIGINAL', conn: conn({ orig: { src: 1, dst: 2, proto: 1, sport: 7, dport: 7 }, reply: { src: 2, dst: 1, proto: 1, sport: 7, dport: 7 } }) } };
  // The kernel's ICMP tuples hold type << 8 | code where ports go: the request's, and its reply's in the reply tuple (icmpStates.kernel.test.ts).
  const ping: ContextInit = { ct: { state: 'NEW', dir: 'ORIGINAL', conn: conn({ orig: { src: 1, dst: 2, proto: 1, sport: 7, dport: 7 }, reply: { src: 2, dst: 1, proto: 1, sport: 7, dport: 7 }, icmpQuery: { type: 8, code: 0 } }) } };
  table('conntrack', '-m conntrack --ctorigdstport 2048', [
    { what: 'an echo request opened it (8 << 8)', packet: icmpPacket(), ctx: ping, want: true },
    { what: 'an ICMP connection whose request the emulator did not see', packet: icmpPacket(), ctx: echo, want: 'unknown' },
  ]);
  table('conntrack', '-m conntrack --ctorigdstport 80', [{ what: 'not an echo request\'s type and code', packet: icmpPacket(), ctx: ping, want: false }]);
  table('conntrack', '-m conntrack --ctrepldstport 0', [{ what: 'the reply tuple holds the echo reply (type 0)', packet: icmpPacket(), ctx: ping, want: true }]);
  table('conntrack', '-m conntrack --ctrepldstport 2048', [{ what: 'not the request', packet: icmpPacket(), ctx: ping, want: false }]);
  table('conntrack', '-m conntrack --ctorigsrcport 7', [{ what: "an ICMP connection's source \"port\" is the echo id", packet: icmpPacket(), ctx: echo, want: true }]);
  table('conntrack', '-m conntrack --ctorigsrcport 8 --ctorigdstport 2048', [{ what: 'a failing test decides even next to an undecidable one', packet: icmpPacket(), ctx: echo, want: false }]);
  table('conntrack', '-m conntrack --ctstatus ASSURED', [
    { what: 'not assured', packet: tcpPacket(), want: false },
    { what: 'assured', packet: tcpAck(), ctx: { ct: { state: 'ESTABLISHED', dir: 'ORIGINAL', conn: conn({ status: CT_CONFIRMED | 4 }) } }, want: true },
  ]);
  it('--ctexpire counts whole seconds left on a confirmed connection', () => {
    const data = matchData('-m conntrack --ctexpire 100:119', 'conntrack');
    const clock = manualClock(0);
    const ct = { state: 'ESTABLISHED', dir: 'ORIGINAL', conn: conn({ expires: 120_999 }) } as const;
    assert.equal(outcome('conntrack', data, tcpAck(), { ct, clock }), false); // 120.999 s left: 120
    clock.advance(1000);
    assert.equal(outcome('conntrack', data, tcpAck(), { ct, clock }), true); // 119.999 s left: 119
  });
  it('--ctexpire on an unconfirmed connection is undecidable', () => {
    const data = matchData('-m conntrack --ctexpire 0:10', 'conntrack');
    assert.equal(outcome('conntrack', data, tcpPacket(), { ct: { state: 'NEW', dir: 'ORIGINAL', conn: conn({ status: 0 }) } }), 'unknown');
  });
});

describe('state', () => {
  table('state', '-m state --state NEW', [
    { what: 'a new connection', packet: tcpPacket(), want: true },
    { what: 'an untracked packet', packet: tcpPacket(), ctx: { ct: UNTRACKED }, want: false },
  ]);
  table('state', '-m state ! --state INVALID', [
    { what: 'an invalid packet', packet: tcpAck(), ctx: { ct: NO_CONN }, want: false },
    { what: 'a new connection', packet: tcpPacket(), want: true },
  ]);
});

describe('multiport', () => {
  table('multiport', '-p tcp -m multiport --dports 22,80,8000:8080', [
    { what: 'a listed port', packet: tcpPacket({ dport: 22 }), want: true },
    { what: 'inside the range', packet: tcpPacket({ dport: 8080 }), want: true },
    { what: 'outside', packet: tcpPacket({ dport: 443 }), want: false },
    { what: 'the source port is not looked at', packet: tcpPacket({ sport: 22, dport: 443 }), want: false },
    { what: 'a later fragment', packet: tcpPacket({ dport: 22, fragOffset: 1 }), want: false },
  ]);
  table('multiport', '-p udp -m multiport --sports 53,123', [
    { what: 'source port listed', packet: udpPacket({ sport: 123, dport: 5000 }), want: true },
    { what: 'only the destination is', packet: udpPacket({ sport: 5000, dport: 53 }), want: false },
  ]);
  table('multiport', '-p tcp -m multiport --ports 25,587', [
    { what: 'destination listed', packet: tcpPacket({ sport: 40000, dport: 587 }), want: true },
    { what: 'source listed', packet: tcpPacket({ sport: 25, dport: 40000 }), want: true },
    { what: 'neither', packet: tcpPacket({ sport: 40000, dport: 80 }), want: false },
  ]);
  table('multiport', '-p tcp -m multiport ! --dports 22,80', [
    { what: 'a listed port', packet: tcpPacket({ dport: 80 }), want: false },
    { what: 'another port', packet: tcpPacket({ dport: 81 }), want: true },
  ]);
});

describe('iprange', () => {
  table('iprange', '-m iprange --src-range 192.0.2.5-192.0.2.20', [
    { what: 'first address', packet: tcpPacket({ src: '192.0.2.5' }), want: true },
    { what: 'last address', packet: tcpPacket({ src: '192.0.2.20' }), want: true },
    { what: 'just past it', packet: tcpPacket({ src: '192.0.2.21' }), want: false },
  ]);
  table('iprange', '-m iprange ! --dst-range 10.0.0.0-10.0.0.127 --src-range 192.0.2.10', [
    { what: 'the single source, destination outside', packet: tcpPacket({ src: '192.0.2.10', dst: '10.0.0.200' }), want: true },
    { what: 'destination inside', packet: tcpPacket({ src: '192.0.2.10', dst: '10.0.0.1' }), want: false },
    { what: 'another source', packet: tcpPacket({ src: '192.0.2.11', dst: '10.0.0.200' }), want: false },
  ]);
  table('iprange', '-m iprange --src-range 10.0.0.9-10.0.0.1', [{ what: 'a reversed range contains nothing', packet: tcpPacket({ src: '10.0.0.5' }), want: false }]);
});

describe('mark', () => {
  table('mark', '-m mark --mark 0x1', [
    { what: 'mark 1', packet: tcpPacket({ mark: 1 }), want: true },
    { what: 'mark 3', packet: tcpPacket({ mark: 3 }), want: false },
  ]);
  table('mark', '-m mark --mark 0x4000/0xff00', [
    { what: 'masked bits equal', packet: tcpPacket({ mark: 0x40aa }), want: true },
    { what: 'masked bits differ', packet: tcpPacket({ mark: 0x41aa }), want: false },
  ]);
  table('mark', '-m mark ! --mark 0x80000000/0x80000000', [
    { what: 'high bit clear', packet: tcpPacket({ mark: 0x7fffffff }), want: true },
    { what: 'high bit set', packet: tcpPacket({ mark: 0x80000001 }), want: false },
  ]);
});

describe('connmark', () => {
  const withMark = (mark: number): ContextInit => ({ ct: { state: 'ESTABLISHED', dir: 'ORIGINAL', conn: conn({ mark }) } });
  table('connmark', '-m connmark --mark 0x2/0x2', [
    { what: 'bit set on the connection', packet: tcpAck(), ctx: withMark(3), want: true },
    { what: 'bit clear', packet: tcpAck(), ctx: withMark(1), want: false },
    { what: 'the packet mark does not count', packet: tcpAck({ mark: 2 }), ctx: withMark(0), want: false },
  ]);
  table('connmark', '-m connmark ! --mark 0x1', [
    { what: 'another connection mark', packet: tcpAck(), ctx: withMark(0), want: true },
    { what: 'no connection: never, even inverted', packet: tcpAck(), ctx: { ct: NO_CONN }, want: false },
    { what: 'untracked: never', packet: tcpAck(), ctx: { ct: UNTRACKED }, want: false },
  ]);
});

describe('mac', () => {
  table('mac', '-m mac --mac-source 00:11:22:aa:bb:cc', [
    { what: 'that source MAC', packet: tcpPacket({ srcMac: '00:11:22:AA:BB:CC' }), want: true },
    { what: 'another MAC', packet: tcpPacket({ srcMac: '00:11:22:aa:bb:cd' }), want: false },
    { what: 'from lo: no Ethernet header', packet: tcpPacket({ iif: 'lo' }), want: false },
    { what: 'MAC not known on eth0', packet: tcpPacket({ iif: 'eth0' }), want: 'unknown' },
  ]);
  table('mac', '-m mac ! --mac-source 00:11:22:aa:bb:cc', [
    { what: 'another MAC', packet: tcpPacket({ srcMac: '02:00:00:00:00:01' }), want: true },
    { what: 'from lo: never, even inverted', packet: tcpPacket({ iif: 'lo' }), want: false },
    { what: 'from a tun device: never', packet: tcpPacket({ iif: 'tun0' }), ctx: { host: hostView({ ifaces: { tun0: 'tun' } }) }, want: false },
  ]);
});

describe('physdev', () => {
  const bridgedIn = (p: Packet): Packet => ({ ...p, iif: 'br0', physIn: 'veth1', bridged: true });
  const bridgedFwd = (p: Packet): Packet => ({ ...bridgedIn(p), oif: 'br0', physOut: 'veth2' });
  const routed = tcpPacket({ iif: 'eth0' });
  table('physdev', '-m physdev --physdev-is-bridged', [
    { what: 'a bridged frame in FORWARD', packet: bridgedFwd(tcpPacket()), ctx: { hook: 'FORWARD' }, want: true },
    { what: 'the same frame in PREROUTING (out port not chosen yet)', packet: bridgedIn(tcpPacket()), ctx: { hook: 'PREROUTING' }, want: false },
    { what: 'a routed packet', packet: routed, want: false },
  ], { chain: 'FORWARD' });
  table('physdev', '-m physdev ! --physdev-is-bridged', [
    { what: 'a routed packet (no bridge info: all options inverted)', packet: routed, want: true },
    { what: 'a bridged frame in FORWARD', packet: bridgedFwd(tcpPacket()), ctx: { hook: 'FORWARD' }, want: false },
  ], { chain: 'FORWARD' });
  table('physdev', '-m physdev --physdev-in veth+ --physdev-out veth2', [
    { what: 'bridged veth1 → veth2', packet: bridgedFwd(tcpPacket()), want: true },
    { what: 'out through veth3', packet: { ...bridgedFwd(tcpPacket()), physOut: 'veth3' }, want: false },
    { what: 'in through eth1', packet: { ...bridgedFwd(tcpPacket()), physIn: 'eth1' }, want: false },
  ], { chain: 'FORWARD' });
  table('physdev', '-m physdev ! --physdev-out veth2 --physdev-is-bridged', [
    { what: 'out through veth3', packet: { ...bridgedFwd(tcpPacket()), physOut: 'veth3' }, want: true },
    { what: 'entered through a port but routed: no out port, never', packet: bridgedIn(tcpPacket()), want: false },
  ], { chain: 'FORWARD' });
  table('physdev', '-m physdev --physdev-in veth1', [
    { what: 'in port known', packet: bridgedIn(tcpPacket()), ctx: { hook: 'PREROUTING' }, want: true },
    { what: 'bridge info without an in port: the test is skipped', packet: { ...tcpPacket(), physOut: 'veth2' }, want: true },
    { what: 'no bridge info', packet: routed, want: false },
  ], { chain: 'PREROUTING', table: 'mangle' });
  table('physdev', '-m physdev ! --physdev-is-in ! --physdev-in veth1', [
    { what: 'no bridge info: every option inverted, so it matches', packet: routed, want: true },
  ], { chain: 'INPUT' });
});

describe('icmp', () => {
  table('icmp', '-p icmp --icmp-type echo-request', [
    { what: 'an echo request', packet: icmpPacket({ icmpType: 8 }), want: true },
    { what: 'an echo reply', packet: icmpPacket({ icmpType: 0 }), want: false },
    { what: 'a later fragment', packet: icmpPacket({ icmpType: 8, fragOffset: 20 }), want: false },
  ]);
  table('icmp', '-p icmp --icmp-type 3/4', [
    { what: 'fragmentation needed', packet: icmpPacket({ icmpType: 3, icmpCode: 4 }), want: true },
    { what: 'port unreachable', packet: icmpPacket({ icmpType: 3, icmpCode: 3 }), want: false },
  ]);
  table('icmp', '-p icmp --icmp-type destination-unreachable', [
    { what: 'any code of type 3', packet: icmpPacket({ icmpType: 3, icmpCode: 13 }), want: true },
  ]);
  table('icmp', '-p icmp --icmp-type any', [{ what: 'every ICMP packet', packet: icmpPacket({ icmpType: 42, icmpCode: 9 }), want: true }]);
  table('icmp', '-p icmp ! --icmp-type any', [{ what: 'never', packet: icmpPacket({ icmpType: 8 }), want: false }]);
  table('icmp', '-p icmp ! --icmp-type echo-request', [
    { what: 'an echo reply', packet: icmpPacket({ icmpType: 0 }), want: true },
    { what: 'an echo request', packet: icmpPacket({ icmpType: 8 }), want: false },
  ]);
});

describe('set', () => {
  it('ipset members are not known', () => {
    const data = matchData('-m set --match-set blocklist src', 'set');
    assert.equal(unknownWhy('set', data, tcpPacket()), 'members of ipset "blocklist" are not known');
    const inv = matchData('-m set ! --match-set allow src,dst', 'set');
    assert.equal(outcome('set', inv, tcpPacket()), 'unknown');
  });
});

describe('u32', () => {
  it('is not evaluated', () => {
    const data = matchData('-m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0x10"', 'u32');
    assert.equal(unknownWhy('u32', data, tcpPacket()), 'u32 expressions are not evaluated');
  });
});

describe('length', () => {
  table('length', '-m length --length 0:64', [
    { what: '60 bytes', packet: tcpPacket({ length: 60 }), want: true },
    { what: '65 bytes', packet: tcpPacket({ length: 65 }), want: false },
  ]);
  table('length', '-m length ! --length 1500', [
    { what: '1500 bytes', packet: tcpPacket({ length: 1500 }), want: false },
    { what: '1499 bytes', packet: tcpPacket({ length: 1499 }), want: true },
  ]);
});

describe('ttl', () => {
  const cases = (rule: string, wants: readonly [number, boolean][]): void =>
    table('ttl', rule, wants.map(([t, want]) => ({ what: `TTL ${t}`, packet: tcpPacket({ ttl: t }), want })));
  cases('-m ttl --ttl-eq 64', [[64, true], [63, false]]);
  cases('-m ttl ! --ttl-eq 64', [[64, false], [63, true]]);
  cases('-m ttl --ttl-lt 10', [[9, true], [10, false]]);
  cases('-m ttl --ttl-gt 10', [[11, true], [10, false]]);
});

describe('pkttype', () => {
  table('pkttype', '-m pkttype --pkt-type unicast', [
    { what: 'to this host', packet: tcpPacket({ pktType: 'host' }), want: true },
    { what: 'a broadcast frame', packet: udpPacket({ pktType: 'broadcast' }), want: false },
  ]);
  table('pkttype', '-m pkttype ! --pkt-type broadcast', [
    { what: 'a broadcast frame', packet: udpPacket({ pktType: 'broadcast' }), want: false },
    { what: 'a multicast frame', packet: udpPacket({ pktType: 'multicast' }), want: true },
  ]);
  table('pkttype', '-m pkttype --pkt-type otherhost', [{ what: 'promiscuous capture', packet: tcpPacket({ pktType: 'otherhost' }), want: true }]);
});

describe('string', () => {
  const http = (payload: string | undefined, length = 52 + (payload?.length ?? 0)): Packet => tcpAck({ ...(payload !== undefined ? { payload } : {}), length });
  table('string', '-m string --algo bm --string "GET /admin"', [
    { what: 'in the payload', packet: http('GET /admin HTTP/1.1\r\n'), want: true },
    { what: 'different case', packet: http('get /ADMIN HTTP/1.1\r\n'), want: false },
    { what: 'absent', packet: http('GET / HTTP/1.1\r\n'), want: false },
    { what: 'payload not known', packet: http(undefined), want: 'unknown' },
    { what: 'an empty payload', packet: http(''), want: false },
  ]);
  table('string', '-m string --algo kmp --string "get /admin" --icase', [
    { what: 'any case', packet: http('GeT /AdMiN HTTP/1.1\r\n'), want: true },
  ]);
  table('string', '-m string --algo bm ! --hex-string "|0d0a0d0a|"', [
    { what: 'headers complete', packet: http('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), want: false },
    { what: 'headers not complete', packet: http('GET / HTTP/1.1\r\nHost: x\r\n'), want: true },
  ]);
  // Payload at offset 52 (20-byte IP + 32-byte TCP header): "GET" occupies bytes 52..54.
  table('string', '-m string --algo bm --string GET --from 52 --to 55', [{ what: 'exactly inside [from, to)', packet: http('GET /'), want: true }]);
  table('string', '-m string --algo bm --string GET --from 52 --to 54', [{ what: 'the pattern must end before --to', packet: http('GET /'), want: false }]);
  table('string', '-m string --algo bm --string GET --from 53', [{ what: 'the pattern must start at --from or later', packet: http('GET /'), want: false }]);
});

describe('owner', () => {
  const out = (init: Partial<Packet> = {}): Packet => localPacket(tcpPacket({ src: '10.0.0.1', dst: '192.0.2.10', ...init }));
  const user = (uid: number, gid: number, groups: number[] = []): Partial<Packet> => ({ owner: { uid, gid, groups } });
  const where = { chain: 'OUTPUT' };
  const fwd = { ...tcpPacket(), oif: 'eth1' };
  table('owner', '-m owner --uid-owner 1000-1999', [
    { what: 'uid 1000', packet: out(user(1000, 1000)), ctx: { hook: 'OUTPUT' }, want: true },
    { what: 'uid 0', packet: out(user(0, 0)), ctx: { hook: 'OUTPUT' }, want: false },
    { what: 'owner not known', packet: out(), ctx: { hook: 'OUTPUT' }, want: 'unknown' },
    { what: 'a forwarded packet has no socket', packet: fwd, ctx: { hook: 'POSTROUTING' }, want: false },
  ], where);
  table('owner', '-m owner ! --uid-owner 0', [
    { what: 'uid 33', packet: out(user(33, 33)), ctx: { hook: 'OUTPUT' }, want: true },
    { what: 'root', packet: out(user(0, 0)), ctx: { hook: 'OUTPUT' }, want: false },
    { what: 'no socket: every option inverted, so it matches', packet: fwd, ctx: { hook: 'POSTROUTING' }, want: true },
  ], where);
  table('owner', '-m owner --gid-owner 27 --suppl-groups', [
    { what: 'primary group', packet: out(user(1000, 27)), want: true },
    { what: 'supplementary group', packet: out(user(1000, 1000, [4, 27])), want: true },
    { what: 'neither', packet: out(user(1000, 1000, [4])), want: false },
    { what: 'no socket: --suppl-groups cannot be inverted, so never', packet: fwd, want: false },
  ], where);
  table('owner', '-m owner ! --gid-owner 27 --suppl-groups', [
    { what: 'a supplementary group', packet: out(user(1000, 1000, [27])), want: false },
    { what: 'no group of the user', packet: out(user(1000, 1000, [4])), want: true },
    { what: 'a kernel socket (no file): only uid/gid inversion counts, so it matches', packet: out({ socket: 'kernel' }), want: true },
    { what: 'no socket: --suppl-groups is never inverted, so never', packet: out({ socket: 'none' }), want: false },
  ], where);
  table('owner', '-m owner --gid-owner 27', [{ what: 'supplementary groups do not count without --suppl-groups', packet: out(user(1000, 1000, [27])), want: false }], where);
  table('owner', '-m owner --socket-exists', [
    { what: 'a local socket', packet: out(user(0, 0)), want: true },
    { what: 'forwarded', packet: fwd, want: false },
  ], where);
  table('owner', '-m owner ! --socket-exists', [
    { what: 'a local socket', packet: out(user(0, 0)), want: false },
    { what: 'forwarded', packet: fwd, want: true },
  ], where);
  table('owner', '-m owner --uid-owner www-data', [
    { what: 'a name resolved by the loading host', packet: out(user(33, 33)), want: 'unknown' },
    { what: 'still no socket, no match', packet: fwd, want: false },
  ], where);
});

describe('statistic', () => {
  it('random: the low 31 bits of one draw against round(p × 2^31)', () => {
    const data = matchData('-m statistic --mode random --probability 0.5', 'statistic');
    const draws = [0x3fffffff, 0x40000000, 0xbfffffff, 0xc0000000, 0];
    const got = draws.map((v) => outcome('statistic', data, tcpPacket(), { rng: scriptedRng([v]) }));
    assert.deepEqual(got, [true, false, true, false, true]);
  });
  it('random, inverted', () => {
    const data = matchData('-m statistic --mode random ! --probability 0.25', 'statistic');
    assert.deepEqual(
      [0x1fffffff, 0x20000000].map((v) => outcome('statistic', data, tcpPacket(), { rng: scriptedRng([v]) })),
      [false, true],
    );
  });
  it('random: probability 1 always matches, 0 never', () => {
    const one = matchData('-m statistic --mode random --probability 1', 'statistic');
    const zero = matchData('-m statistic --mode random --probability 0', 'statistic');
    assert.equal(outcome('statistic', one, tcpPacket(), { rng: scriptedRng([0xffffffff]) }), true);
    assert.equal(outcome('statistic', zero, tcpPacket(), { rng: scriptedRng([0]) }), false);
  });
  it('nth --every 3: packets 0, 3, 6 match', () => {
    const s = new Seq('statistic', matchData('-m statistic --mode nth --every 3 --packet 0', 'statistic'));
    assert.deepEqual(s.each(0, Array(7).fill(tcpPacket())), [true, false, false, true, false, false, true]);
  });
  it('nth --every 3 --packet 2: packets 2, 5 match; inverted: the others', () => {
    const s = new Seq('statistic', matchData('-m statistic --mode nth --every 3 --packet 2', 'statistic'));
    assert.deepEqual(s.each(0, Array(6).fill(tcpPacket())), [false, false, true, false, false, true]);
    const inv = new Seq('statistic', matchData('-m statistic --mode nth ! --every 2 --packet 1', 'statistic'));
    assert.deepEqual(inv.each(0, Array(4).fill(tcpPacket())), [true, false, true, false]);
  });
  it('nth counters are per rule', () => {
    const data = matchData('-m statistic --mode nth --every 2 --packet 0', 'statistic');
    const a = new Seq('statistic', data, 'filter/INPUT/0/1');
    const b = new Seq('statistic', data, 'filter/INPUT/1/1', a.clock, a.store);
    assert.deepEqual(a.each(0, [tcpPacket(), tcpPacket()]), [true, false]);
    assert.deepEqual(b.each(0, [tcpPacket()]), [true]);
  });
});

describe('limit', () => {
  it('--limit 3/min --limit-burst 2: two at once, then one every 20 s', () => {
    const s = new Seq('limit', matchData('-m limit --limit 3/min --limit-burst 2', 'limit'));
    assert.equal(s.at(0, tcpPacket(), 5), 2);
    assert.equal(s.at(19_996, tcpPacket()), 0); // 4999 jiffies × 128 credits < 640000
    assert.equal(s.at(20_000, tcpPacket(), 3), 1);
    assert.equal(s.at(39_999, tcpPacket()), 0);
    assert.equal(s.at(40_000, tcpPacket()), 1);
    // A long pause refills only up to the burst.
    assert.equal(s.at(400_000, tcpPacket(), 5), 2);
  });
  it('the failed checks still bank the time that passed', () => {
    const s = new Seq('limit', matchData('-m limit --limit 3/min --limit-burst 1', 'limit'));
    assert.equal(s.at(0, tcpPacket()), 1);
    assert.equal(s.at(10_000, tcpPacket()), 0);
    assert.equal(s.at(20_000, tcpPacket()), 1);
  });
  it('--limit 10/second (default burst 5): one every 100 ms after the burst', () => {
    const s = new Seq('limit', matchData('-m limit --limit 10/second', 'limit'));
    assert.equal(s.at(0, tcpPacket(), 10), 5);
    assert.equal(s.at(96, tcpPacket()), 0);
    assert.equal(s.at(100, tcpPacket()), 1);
    assert.equal(s.at(1_000, tcpPacket(), 20), 5); // 900 ms → 9 tokens, capped at 5
  });
  it('default rate 3/hour, burst 5', () => {
    const s = new Seq('limit', matchData('-m limit', 'limit'));
    assert.equal(s.at(0, tcpPacket(), 10), 5);
    assert.equal(s.at(1_199_996, tcpPacket()), 0);
    assert.equal(s.at(1_200_000, tcpPacket()), 1);
  });
  it('each rule has its own bucket; two limit matches in one rule have two', () => {
    const data = matchData('-m limit --limit 1/min --limit-burst 1', 'limit');
    const a = new Seq('limit', data, 'filter/INPUT/0/1');
    const b = new Seq('limit', data, 'filter/INPUT/1/2', a.clock, a.store);
    assert.equal(a.at(0, tcpPacket(), 2), 1);
    assert.equal(b.at(0, tcpPacket(), 2), 1);
    const other = matchData('-m limit --limit 1/min --limit-burst 1', 'limit');
    const c = new Seq('limit', other, 'filter/INPUT/0/1', a.clock, a.store);
    assert.equal(c.at(0, tcpPacket()), 1);
  });
});

describe('hashlimit', () => {
  const from = (src: string, sport = 40000): Packet => tcpPacket({ src, sport });
  it('--hashlimit-upto 2/sec --hashlimit-burst 3 per source address', () => {
    const s = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name web --hashlimit-htable-expire 10000', 'hashlimit'));
    assert.equal(s.at(0, from('192.0.2.1'), 5), 3);
    assert.equal(s.at(0, from('192.0.2.2'), 5), 3, 'another source has its own bucket');
    assert.equal(s.at(496, from('192.0.2.1')), 0); // 124 jiffies of credit < one packet's cost
    assert.equal(s.at(500, from('192.0.2.1'), 2), 1);
    assert.equal(s.at(1_500, from('192.0.2.1'), 5), 2);
  });
  it('an entry idle past --hashlimit-htable-expire is collected: its bucket starts full again', () => {
    const s = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name web2', 'hashlimit'));
    assert.equal(s.at(0, from('192.0.2.1'), 3), 3);
    // Default expiry for /sec is 1000 ms; the collector runs every 1000 ms: the entry is gone, 3 again (not 2).
    assert.equal(s.at(1_000, from('192.0.2.1'), 5), 3);
  });
  it('--hashlimit-srcmask groups a /24; without a mode everything shares one bucket', () => {
    const s = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 1/min --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-srcmask 24 --hashlimit-name net', 'hashlimit'));
    assert.equal(s.at(0, from('192.0.2.1')) + s.at(0, from('192.0.2.200'), 3), 2);
    assert.equal(s.at(0, from('192.0.3.1')), 1);
    const all = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 1/min --hashlimit-burst 2 --hashlimit-name all', 'hashlimit'));
    assert.equal(all.at(0, from('192.0.2.1')) + all.at(0, from('198.51.100.7'), 3), 2);
  });
  it('--hashlimit-mode srcip,dstport keys on the port too', () => {
    const s = new Seq('hashlimit', matchData('-p tcp -m hashlimit --hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-mode srcip,dstport --hashlimit-name ports', 'hashlimit'));
    assert.equal(s.at(0, tcpPacket({ dport: 22 }), 2), 1);
    assert.equal(s.at(0, tcpPacket({ dport: 80 }), 2), 1);
    assert.equal(s.at(0, tcpPacket({ dport: 80, sport: 1 })), 0, 'the source port is not part of the key');
  });
  it('--hashlimit-above matches the packets over the rate', () => {
    const s = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-above 2/sec --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name over', 'hashlimit'));
    assert.deepEqual(s.each(0, Array(5).fill(from('192.0.2.1'))), [false, false, false, true, true]);
  });
  it('rules with the same name share one table', () => {
    const a = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 1/min --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name shared', 'hashlimit'), 'filter/INPUT/0/1');
    const b = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 1/min --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name shared', 'hashlimit'), 'filter/FORWARD/0/1', a.clock, a.store);
    assert.equal(a.at(0, from('192.0.2.1')), 1);
    assert.equal(b.at(0, from('192.0.2.1'), 3), 1);
  });
  it('byte mode: --hashlimit-upto 1kb/s charges (len/16 + 1) chunks per packet', () => {
    const s = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 1kb/s --hashlimit-mode srcip --hashlimit-name bytes --hashlimit-htable-expire 60000', 'hashlimit'));
    // 100-byte packets cost 7 chunks each: a one-second bucket holds 9 of them, with 129055624 credits left over.
    assert.equal(s.at(0, tcpPacket({ length: 100 }), 20), 9);
    assert.equal(s.at(76, tcpPacket({ length: 100 })), 0); // + 19 jiffies × 2^24 credits: still short of 451694264
    assert.equal(s.at(80, tcpPacket({ length: 100 })), 1);
  });
  it('byte mode with a burst: that many extra full buckets', () => {
    const s = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 1kb/s --hashlimit-burst 2kb --hashlimit-mode srcip --hashlimit-name bytes2', 'hashlimit'));
    assert.equal(s.at(0, tcpPacket({ length: 100 }), 40), 27);
  });
  it('--hashlimit-rate-match: measures, and matches while the last interval stayed under the rate', () => {
    const s = new Seq('hashlimit', matchData('-m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 1 --hashlimit-rate-match --hashlimit-mode srcip --hashlimit-name rm --hashlimit-htable-expire 60000', 'hashlimit'));
    assert.deepEqual(s.each(0, Array(5).fill(from('192.0.2.1'))), [true, true, true, false, false]); // burst + rate = 3
    assert.deepEqual(s.each(1_000, [from('192.0.2.1')]), [false], 'the previous second was over the rate');
    assert.deepEqual(s.each(2_000, [from('192.0.2.1')]), [true]);
  });
});

describe('recent', () => {
  const src = (a: string, ttl = 64): Packet => tcpPacket({ src: a, ttl });
  const rules = (name: string, check: string) => {
    const store = new MemoryStore();
    const clock = manualClock();
    const set = new Seq('recent', matchData(`-m recent --set --name ${name}`, 'recent'), 'filter/INPUT/0/1', clock, store);
    const chk = new Seq('recent', matchData(`-m recent ${check} --name ${name}`, 'recent'), 'filter/INPUT/1/2', clock, store);
    return { set, chk };
  };
  it('--set adds and matches; --rcheck sees it by name; another list does not', () => {
    const { set, chk } = rules('ssh', '--rcheck');
    assert.equal(chk.at(0, src('192.0.2.1')), 0);
    assert.equal(set.at(0, src('192.0.2.1')), 1);
    assert.equal(chk.at(0, src('192.0.2.1')), 1);
    assert.equal(chk.at(0, src('192.0.2.2')), 0);
    const other = new Seq('recent', matchData('-m recent --rcheck --name other', 'recent'), 'x', chk.clock, new MemoryStore());
    assert.equal(other.at(0, src('192.0.2.1')), 0);
  });
  it('--rcheck --seconds 60 --hitcount 3: the classic SSH brute-force rule', () => {
    const { set, chk } = rules('sshbf', '--rcheck --seconds 60 --hitcount 3');
    set.at(0, src('192.0.2.1'));
    set.at(10_000, src('192.0.2.1'));
    assert.equal(chk.at(10_000, src('192.0.2.1')), 0, 'two hits');
    set.at(20_000, src('192.0.2.1'));
    assert.equal(chk.at(20_000, src('192.0.2.1')), 1, 'three hits within 60 s');
    assert.equal(chk.at(60_000, src('192.0.2.1')), 1, 'the first stamp is exactly 60 s old: it still counts');
    assert.equal(chk.at(60_004, src('192.0.2.1')), 0, 'one jiffy later it is too old');
  });
  it('--update refreshes the stamp only when it matches', () => {
    const { set, chk } = rules('upd', '--update --seconds 10');
    set.at(0, src('192.0.2.1'));
    assert.equal(chk.at(8_000, src('192.0.2.1')), 1);
    assert.equal(chk.at(16_000, src('192.0.2.1')), 1, 'refreshed at 8 s');
    assert.equal(chk.at(40_000, src('192.0.2.1')), 0);
    assert.equal(chk.at(41_000, src('192.0.2.1')), 0, 'a failed update adds nothing');
  });
  it('! --update refreshes when the address was not seen recently (the inverted result is true)', () => {
    const { set, chk } = rules('nupd', '! --update --seconds 10');
    set.at(0, src('192.0.2.1'));
    assert.equal(chk.at(5_000, src('192.0.2.1')), 0);
    assert.equal(chk.at(20_000, src('192.0.2.1')), 1, 'stale: matches, and refreshes');
    assert.equal(chk.at(25_000, src('192.0.2.1')), 0, 'fresh again from 20 s');
  });
  it('--remove deletes and matches once', () => {
    const { set, chk } = rules('rm', '--remove');
    set.at(0, src('192.0.2.1'));
    assert.equal(chk.at(1, src('192.0.2.1')), 1);
    assert.equal(chk.at(2, src('192.0.2.1')), 0);
  });
  it('--rdest and --mask', () => {
    const store = new MemoryStore();
    const clock = manualClock();
    const set = new Seq('recent', matchData('-m recent --set --rdest --mask 255.255.255.0 --name dst', 'recent'), 'a', clock, store);
    const chk = new Seq('recent', matchData('-m recent --rcheck --rdest --mask 255.255.255.0 --name dst', 'recent'), 'b', clock, store);
    set.at(0, tcpPacket({ dst: '10.0.0.1' }));
    assert.equal(chk.at(0, tcpPacket({ dst: '10.0.0.77', src: '198.51.100.1' })), 1);
    assert.equal(chk.at(0, tcpPacket({ dst: '10.0.1.1' })), 0);
  });
  it('--rttl needs the same TTL', () => {
    const { set, chk } = rules('ttl', '--rcheck --rttl');
    set.at(0, src('192.0.2.1', 50));
    assert.equal(chk.at(0, src('192.0.2.1', 50)), 1);
    assert.equal(chk.at(0, src('192.0.2.1', 51)), 0);
  });
  it('a forwarded packet is checked with the TTL it had before forwarding', () => {
    const { set, chk } = rules('fttl', '--rcheck --rttl');
    set.at(0, src('192.0.2.1', 50));
    assert.equal(chk.at(0, { ...src('192.0.2.1', 49), oif: 'eth1' }, 1, { hook: 'FORWARD' }), 1);
  });
  it('a local packet with no socket (a REJECT\'s reset) gets the same +1 in OUTPUT; one from a kernel socket does not', () => {
    const { set, chk } = rules('lttl', '--rcheck --rttl');
    set.at(0, src('192.0.2.1', 64));
    const out = (socket: 'none' | 'kernel'): Packet => ({ ...src('192.0.2.1', 64), localOrigin: true, socket, oif: 'eth0' });
    assert.equal(chk.at(0, out('none'), 1, { hook: 'OUTPUT' }), 0, 'counted as TTL 65');
    assert.equal(chk.at(0, out('kernel'), 1, { hook: 'OUTPUT' }), 1, 'counted as TTL 64');
  });
  it('--reap drops the least recently seen entry once it is older than --seconds', () => {
    const { set, chk } = rules('reap', '--rcheck --seconds 10 --reap');
    set.at(0, src('192.0.2.1'));
    set.at(5_000, src('192.0.2.2'));
    const peek = new Seq('recent', matchData('-m recent --rcheck --name reap', 'recent'), 'c', set.clock, set.store);
    assert.equal(chk.at(20_000, src('192.0.2.2')), 0);
    assert.equal(peek.at(20_000, src('192.0.2.1')), 0, '192.0.2.1 was reaped');
    assert.equal(peek.at(20_000, src('192.0.2.2')), 1, 'only one entry per check');
  });
  it('! --set never matches but still records', () => {
    const store = new MemoryStore();
    const clock = manualClock();
    const set = new Seq('recent', matchData('-m recent ! --set --name neg', 'recent'), 'a', clock, store);
    const chk = new Seq('recent', matchData('-m recent --rcheck --name neg', 'recent'), 'b', clock, store);
    assert.equal(set.at(0, src('192.0.2.1')), 0);
    assert.equal(chk.at(0, src('192.0.2.1')), 1);
  });
  it('a list keeps 100 addresses: the 101st evicts the least recently seen', () => {
    const { set, chk } = rules('full', '--rcheck');
    for (let i = 0; i < 101; i++) set.at(i, src(`192.0.2.${i}`));
    assert.equal(chk.at(200, src('192.0.2.0')), 0);
    assert.equal(chk.at(200, src('192.0.2.1')), 1);
    assert.equal(chk.at(200, src('192.0.2.100')), 1);
  });
});
