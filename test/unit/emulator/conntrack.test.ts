/** Connection tracking and NAT bookkeeping, table-driven: what state each packet of a flow gets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../../../server/src/emulator/clock';
import { ConntrackTable } from '../../../server/src/emulator/conntrack';
import { basePacket } from '../../../server/src/emulator/conversation';
import { CT_ASSURED, CT_DST_NAT, CT_SEEN_REPLY, CT_SRC_NAT } from '../../../server/src/emulator/ct';
import { Emulator } from '../../../server/src/emulator/index';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../../../server/src/emulator/packet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { ip, testHost } from '../../helpers/targetPackets';

const A = '10.0.0.2';
const B = '192.168.1.10';
type Step = readonly [from: 'a' | 'b', flags: number, state: string];

function pkt(proto: number, from: 'a' | 'b', flags: number, icmpType?: number): Packet {
  const [s, d] = from === 'a' ? [A, B] : [B, A];
  const p = basePacket(proto, ip(s), ip(d));
  if (proto === PROTO_ICMP) {
    p.icmpType = icmpType ?? (from === 'a' ? 8 : 0);
    p.icmpId = 7;
  } else {
    p.sport = from === 'a' ? 40000 : 80;
    p.dport = from === 'a' ? 80 : 40000;
    p.tcpFlags = flags;
  }
  return p;
}

function run(proto: number, steps: readonly Step[]): string[] {
  const ct = new ConntrackTable(manualClock(0), true);
  return steps.map(([from, flags]) => {
    const l = ct.lookup(pkt(proto, from, flags));
    if (l.unconfirmed) ct.confirm(l.unconfirmed);
    return `${l.info.state}/${l.info.dir}`;
  });
}

describe('conntrack states along a flow', () => {
  const flows: Array<[name: string, proto: number, steps: readonly Step[]]> = [
    ['TCP handshake, data and close', PROTO_TCP, [
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['b', TCP_SYN | TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_ACK, 'ESTABLISHED/ORIGINAL'],
      ['a', TCP_PSH | TCP_ACK, 'ESTABLISHED/ORIGINAL'], ['a', TCP_FIN | TCP_ACK, 'ESTABLISHED/ORIGINAL'], ['b', TCP_FIN | TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_ACK, 'ESTABLISHED/ORIGINAL'],
    ]],
    ['a retransmitted SYN before any reply stays NEW', PROTO_TCP, [['a', TCP_SYN, 'NEW/ORIGINAL'], ['a', TCP_SYN, 'NEW/ORIGINAL']]],
    // tcp_conntracks: an ACK, data or FIN from the client in SYN_SENT is invalid (seed 150224).
    ["the client's ACK, data and FIN before the server's SYN-ACK are INVALID", PROTO_TCP, [
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['a', TCP_ACK, 'INVALID/ORIGINAL'], ['a', TCP_PSH | TCP_ACK, 'INVALID/ORIGINAL'], ['a', TCP_FIN | TCP_ACK, 'INVALID/ORIGINAL'],
    ]],
    ["the client's SYN-ACK after its SYN is INVALID", PROTO_TCP, [['a', TCP_SYN, 'NEW/ORIGINAL'], ['a', TCP_SYN | TCP_ACK, 'INVALID/ORIGINAL']]],
    // tcp_error: flag combinations other than tcp_valid_flags' are INVALID, with or without an entry.
    ['flag combinations conntrack refuses, mid-connection and first', PROTO_TCP, [
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['b', TCP_SYN | TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_ACK, 'ESTABLISHED/ORIGINAL'],
      ['a', TCP_SYN | TCP_FIN, 'INVALID/ORIGINAL'], ['a', 0, 'INVALID/ORIGINAL'], ['a', TCP_FIN | TCP_PSH | TCP_URG, 'INVALID/ORIGINAL'], ['b', TCP_SYN | TCP_RST, 'INVALID/ORIGINAL'],
      ['a', TCP_ACK | 0x40 | 0x80, 'ESTABLISHED/ORIGINAL'],
    ]],
    ['a first SYN with URG, ECE and CWR opens a connection', PROTO_TCP, [['a', TCP_SYN | TCP_URG | 0x40 | 0x80, 'NEW/ORIGINAL']]],
    // An invalid reply does not set SEEN_REPLY; an ignored one (the server's ACK in SYN_SENT) does.
    ["the server's FIN, then ACK, before its SYN-ACK", PROTO_TCP, [
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['b', TCP_FIN | TCP_ACK, 'INVALID/REPLY'], ['a', TCP_SYN, 'NEW/ORIGINAL'],
      ['b', TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_SYN, 'ESTABLISHED/ORIGINAL'], ['a', TCP_ACK, 'INVALID/ORIGINAL'],
    ]],
    ["a reset answering the SYN removes the entry: the client's ACK is picked up afresh", PROTO_TCP, [
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['b', TCP_RST | TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_ACK, 'NEW/ORIGINAL'],
    ]],
    ['a SYN after a FIN exchange reopens the connection', PROTO_TCP, [
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['b', TCP_SYN | TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_ACK, 'ESTABLISHED/ORIGINAL'],
      ['a', TCP_FIN | TCP_ACK, 'ESTABLISHED/ORIGINAL'], ['b', TCP_FIN | TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_ACK, 'ESTABLISHED/ORIGINAL'], ['a', TCP_SYN, 'NEW/ORIGINAL'],
    ]],
    ["a SYN after the client's own reset reopens; after the server's it is ignored", PROTO_TCP, [
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['b', TCP_SYN | TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_ACK, 'ESTABLISHED/ORIGINAL'], ['a', TCP_RST, 'ESTABLISHED/ORIGINAL'],
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['b', TCP_SYN | TCP_ACK, 'ESTABLISHED/REPLY'], ['a', TCP_ACK, 'ESTABLISHED/ORIGINAL'], ['b', TCP_RST, 'ESTABLISHED/REPLY'],
      ['a', TCP_SYN, 'ESTABLISHED/ORIGINAL'], ['a', TCP_ACK, 'ESTABLISHED/ORIGINAL'],
    ]],
    ['simultaneous open', PROTO_TCP, [
      ['a', TCP_SYN, 'NEW/ORIGINAL'], ['b', TCP_SYN, 'ESTABLISHED/REPLY'], ['a', TCP_SYN | TCP_ACK, 'ESTABLISHED/ORIGINAL'], ['b', TCP_ACK, 'ESTABLISHED/REPLY'],
    ]],
    ['UDP request, reply, next request', PROTO_UDP, [['a', 0, 'NEW/ORIGINAL'], ['b', 0, 'ESTABLISHED/REPLY'], ['a', 0, 'ESTABLISHED/ORIGINAL']]],
    ['UDP: two requests without reply are both NEW', PROTO_UDP, [['a', 0, 'NEW/ORIGINAL'], ['a', 0, 'NEW/ORIGINAL']]],
    ['ICMP echo request and reply', PROTO_ICMP, [['a', 0, 'NEW/ORIGINAL'], ['b', 0, 'ESTABLISHED/REPLY']]],
    ['an echo reply nobody asked for', PROTO_ICMP, [['b', 0, 'INVALID/ORIGINAL']]],
  ];
  for (const [name, proto, steps] of flows) {
    it(name, () => assert.deepEqual(run(proto, steps), steps.map((s) => s[2])));
  }
  it('the first reply sets SEEN_REPLY', () => {
    const ct = new ConntrackTable(manualClock(0), true);
    const l = ct.lookup(pkt(PROTO_UDP, 'a', 0));
    ct.confirm(l.unconfirmed!);
    assert.equal(l.unconfirmed!.status & CT_SEEN_REPLY, 0);
    ct.lookup(pkt(PROTO_UDP, 'b', 0));
    assert.notEqual(l.unconfirmed!.status & CT_SEEN_REPLY, 0);
  });
  it('an ICMP error quoting a tracked packet is RELATED, in the direction opposite to the quoted packet', () => {
    const ct = new ConntrackTable(manualClock(0), true);
    const req = pkt(PROTO_UDP, 'a', 0);
    ct.confirm(ct.lookup(req).unconfirmed!);
    const err = basePacket(PROTO_ICMP, ip(B), ip(A));
    err.icmpType = 3;
    err.icmpCode = 3;
    err.inner = req;
    assert.equal(`${ct.lookup(err).info.state}/${ct.lookup(err).info.dir}`, 'RELATED/REPLY');
    const stray = { ...err, inner: pkt(PROTO_UDP, 'b', 0) };
    stray.inner.sport = 1;
    assert.equal(ct.lookup(stray).info.state, 'INVALID');
  });
  it('a TCP entry keeps the timeout of its state: TIME_WAIT 120 s, then a plain ACK is picked up afresh', () => {
    const clock = manualClock(0);
    const ct = new ConntrackTable(clock, true);
    const close: ReadonlyArray<readonly ['a' | 'b', number]> = [['a', TCP_SYN], ['b', TCP_SYN | TCP_ACK], ['a', TCP_ACK], ['a', TCP_FIN | TCP_ACK], ['b', TCP_FIN | TCP_ACK], ['a', TCP_ACK]];
    for (const [from, flags] of close) {
      const l = ct.lookup(pkt(PROTO_TCP, from, flags));
      if (l.unconfirmed) ct.confirm(l.unconfirmed);
    }
    clock.advance(119_000);
    assert.equal(ct.lookup(pkt(PROTO_TCP, 'a', TCP_ACK)).info.state, 'ESTABLISHED');
    clock.advance(121_000);
    assert.equal(ct.lookup(pkt(PROTO_TCP, 'a', TCP_ACK)).info.state, 'NEW');
  });
  it("says why the client's ACK in SYN_SENT is INVALID: conntrack saw no answer", () => {
    const ct = new ConntrackTable(manualClock(0), true);
    ct.confirm(ct.lookup(pkt(PROTO_TCP, 'a', TCP_SYN)).unconfirmed!);
    assert.match(ct.lookup(pkt(PROTO_TCP, 'a', TCP_ACK)).why ?? '', /before conntrack saw an answer \(SYN-ACK\).*NOTRACKed/);
    assert.match(ct.lookup(pkt(PROTO_TCP, 'b', TCP_FIN | TCP_ACK)).why ?? '', /FIN packet in the reply direction is invalid in state SYN_SENT/);
  });
  it("a SYN in LAST_ACK is ignored, and the other side's answer to it is a challenge ACK, not the last ACK (the entry stays in LAST_ACK)", () => {
    const ct = new ConntrackTable(manualClock(0), true);
    const states: string[] = [];
    const steps: ReadonlyArray<readonly ['a' | 'b', number]> = [['a', TCP_SYN], ['b', TCP_SYN | TCP_ACK], ['a', TCP_ACK], ['a', TCP_FIN | TCP_ACK], ['b', TCP_FIN | TCP_ACK], ['a', TCP_SYN], ['b', TCP_ACK], ['a', TCP_ACK]];
    let conn: NonNullable<ReturnType<ConntrackTable['lookup']>['info']['conn']> | undefined;
    for (const [from, flags] of steps) {
      const l = ct.lookup(pkt(PROTO_TCP, from, flags));
      if (l.unconfirmed) ct.confirm(l.unconfirmed);
      conn ??= l.info.conn;
      states.push(conn!.tcp!.state);
    }
    assert.deepEqual(states, ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'LAST_ACK', 'LAST_ACK', 'LAST_ACK', 'TIME_WAIT']);
  });
  it('an answered UDP flow is ASSURED only once it is still active 2 s after its first datagram', () => {
    const clock = manualClock(0);
    const ct = new ConntrackTable(clock, true);
    const l = ct.lookup(pkt(PROTO_UDP, 'a', 0));
    ct.confirm(l.unconfirmed!);
    ct.lookup(pkt(PROTO_UDP, 'b', 0));
    ct.lookup(pkt(PROTO_UDP, 'a', 0));
    assert.equal(l.unconfirmed!.status & CT_ASSURED, 0, 'a quick query and answer is no stream');
    clock.advance(2_500);
    ct.lookup(pkt(PROTO_UDP, 'a', 0));
    assert.notEqual(l.unconfirmed!.status & CT_ASSURED, 0);
  });
  it('entries expire with their timeout (UDP unreplied: 30 s)', () => {
    const clock = manualClock(0);
    const ct = new ConntrackTable(clock, true);
    ct.confirm(ct.lookup(pkt(PROTO_UDP, 'a', 0)).unconfirmed!);
    clock.advance(29_000);
    assert.equal(ct.lookup(pkt(PROTO_UDP, 'b', 0)).info.state, 'ESTABLISHED');
    clock.advance(121_000);
    assert.equal(ct.lookup(pkt(PROTO_UDP, 'b', 0)).info.state, 'NEW', 'gone after the replied timeout (120 s)');
  });
});

describe('conntrack zones (a CT template\'s zone, per direction)', () => {
  type Zone = { readonly id: number; readonly dir: 'both' | 'ORIGINAL' | 'REPLY' } | undefined;
  /** A query from a, then its answer from b, each looked up in its own zone: the answer's state. */
  function answer(queryZone: Zone, answerZone: Zone): string {
    const ct = new ConntrackTable(manualClock(0), true);
    const l = ct.lookup(pkt(PROTO_UDP, 'a', 0), queryZone);
    ct.confirm(l.unconfirmed!);
    const r = ct.lookup(pkt(PROTO_UDP, 'b', 0), answerZone);
    return `${r.info.state}/${r.info.dir}`;
  }
  it('an answer looked up in the connection\'s zone finds it; in another zone it starts a connection of its own', () => {
    assert.equal(answer({ id: 7, dir: 'both' }, { id: 7, dir: 'both' }), 'ESTABLISHED/REPLY');
    assert.equal(answer({ id: 7, dir: 'both' }, { id: 8, dir: 'both' }), 'NEW/ORIGINAL');
    assert.equal(answer({ id: 7, dir: 'both' }, undefined), 'NEW/ORIGINAL');
    assert.equal(answer(undefined, { id: 7, dir: 'both' }), 'NEW/ORIGINAL');
    assert.equal(answer(undefined, undefined), 'ESTABLISHED/REPLY');
  });
  it('--zone-orig keeps only the original tuple in the zone; --zone-reply only the reply tuple', () => {
    // A connection made in zone 9 for its original direction: its reply tuple is in zone 0.
    assert.equal(answer({ id: 9, dir: 'ORIGINAL' }, undefined), 'ESTABLISHED/REPLY');
    assert.equal(answer({ id: 9, dir: 'ORIGINAL' }, { id: 9, dir: 'both' }), 'NEW/ORIGINAL');
    // Made in zone 9 both ways, answered with a template for the reply direction only: found.
    assert.equal(answer({ id: 9, dir: 'both' }, { id: 9, dir: 'REPLY' }), 'ESTABLISHED/REPLY');
    assert.equal(answer({ id: 9, dir: 'both' }, { id: 9, dir: 'ORIGINAL' }), 'NEW/ORIGINAL');
  });
  it('a later packet of the original direction needs the original tuple\'s zone', () => {
    const ct = new ConntrackTable(manualClock(0), true);
    ct.confirm(ct.lookup(pkt(PROTO_UDP, 'a', 0), { id: 7, dir: 'both' }).unconfirmed!);
    assert.equal(ct.lookup(pkt(PROTO_UDP, 'a', 0), { id: 7, dir: 'REPLY' }).info.state, 'NEW', 'the original tuple is looked up in zone 0');
    assert.equal(ct.lookup(pkt(PROTO_UDP, 'a', 0), { id: 7, dir: 'ORIGINAL' }).info.state, 'NEW', 'found, not yet answered');
    assert.ok(!ct.lookup(pkt(PROTO_UDP, 'a', 0), { id: 7, dir: 'ORIGINAL' }).unconfirmed, 'the existing entry');
  });
});

describe('a packet INVALID in OUTPUT and looped back through lo', () => {
  it('is looked up again (here in raw\'s zone, where it answers a connection), and a de-NAT that sends it on makes it a martian source', () => {
    // A ping SNATed in nat INPUT in zone 5; the host's echo reply, looked up in zone 0, is INVALID and goes to
    // the SNAT address, its own: back in through lo it meets zone 5, answers the ping, and is sent back towards
    // the client, from the host's own address: dropped (seed 210043 of the random kernel trace test).
    const rules = [
      '*raw', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -p icmp -j CT --zone 5', 'COMMIT',
      '*nat', ':INPUT ACCEPT [0:0]', '-A INPUT -p icmp -j SNAT --to-source 192.168.1.1', 'COMMIT', '',
    ].join('\n');
    const emu = new Emulator(parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset, testHost());
    const client = testHost().peers.find((x) => x.name === 'client')!;
    const r = emu.trace({ proto: 'icmp', src: client.addr, dst: ip('10.0.0.1'), origin: { kind: 'peer', peer: client } });
    const ct = r.events.flatMap((e) => (e.type === 'conntrack' ? [`${e.event} ${e.state}${e.zone ? ` z${e.zone}` : ''}`] : []));
    assert.deepEqual(ct, ['new NEW z5', 'confirmed NEW z5', 'invalid INVALID', 'found ESTABLISHED z5']);
    assert.ok(r.events.some((e) => e.type === 'route' && e.decision === 'martian' && /a martian source/.test(e.reason)), 'dropped as a martian source');
  });
});

describe('NAT bookkeeping', () => {
  const rules = `*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.10:80
-A POSTROUTING -o eth1 -j MASQUERADE
COMMIT
`;
  it('DNAT and MASQUERADE set their status bits; the reply is rewritten back; later packets skip the nat chains', () => {
    const emu = new Emulator(parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset, testHost());
    const syn = basePacket(PROTO_TCP, ip(A), ip('10.0.0.1'));
    syn.sport = 40000;
    syn.dport = 8080;
    syn.tcpFlags = TCP_SYN;
    const out = emu.stack.receive(syn, 'eth0');
    assert.ok(out.fate === 'out');
    assert.deepEqual([out.packet.src, out.packet.dst, out.packet.dport], [ip('192.168.1.1'), ip(B), 80]);
    const conn = out.ct.conn!;
    assert.equal(conn.status & (CT_DST_NAT | CT_SRC_NAT), CT_DST_NAT | CT_SRC_NAT);
    const reply = basePacket(PROTO_TCP, ip(B), ip('192.168.1.1'));
    reply.sport = 80;
    reply.dport = out.packet.sport;
    reply.tcpFlags = TCP_SYN | TCP_ACK;
    const events: string[] = [];
    const back = emu.stack.tracing((e) => e.type === 'table' && events.push(`${e.table}/${e.hook}`), () => emu.stack.receive(reply, 'eth1'));
    assert.ok(back.fate === 'out' && back.dev === 'eth0');
    assert.deepEqual([back.packet.src, back.packet.sport, back.packet.dst, back.packet.dport], [ip('10.0.0.1'), 8080, ip(A), 40000]);
    assert.ok(!events.some((e) => e.startsWith('nat/')), 'replies never pass the nat chains');
  });
});
