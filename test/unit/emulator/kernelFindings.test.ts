/**
 * Behaviours the kernel trace differential test (test/kernel/trace.kernel.test.ts)
 * showed the emulator got wrong, each pinned here so it stays fixed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emulator, parseHostFile } from '../../../server/src/emulator/index';
import { martianAddress, Router } from '../../../server/src/emulator/host/routing';
import { PROTO_ICMP, PROTO_TCP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../../server/src/emulator/packet';
import { basePacket } from '../../../server/src/emulator/conversation';
import type { TraceEvent } from '../../../server/src/emulator/trace';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { ip, testHost } from '../../helpers/targetPackets';

const emulator = (rules: string, backend: 'nft' | 'legacy' = 'nft'): Emulator => new Emulator(parseIptables(rules, { backend, family: 'ipv4' }).ruleset, testHost());
const syn = (src: string, dst: string, dport: number) => {
  const p = basePacket(PROTO_TCP, ip(src), ip(dst));
  p.sport = 40000;
  p.dport = dport;
  p.tcpFlags = TCP_SYN;
  return p;
};
const traced = (emu: Emulator, fn: () => unknown): TraceEvent[] => {
  const ev: TraceEvent[] = [];
  emu.stack.tracing((e) => ev.push(e), fn);
  return ev;
};

describe('connection tracking is on only when a loaded rule needs it', () => {
  it('without a conntrack-using rule the nat chains never run', () => {
    const emu = emulator('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j ACCEPT\nCOMMIT\n');
    assert.equal(emu.compiled.conntrackActive, false);
    const ev = traced(emu, () => emu.stack.receive(syn('10.0.0.2', '10.0.0.1', 22), 'eth0'));
    assert.ok(!ev.some((e) => e.type === 'table' && e.table === 'nat'));
    assert.ok(ev.some((e) => e.type === 'skip' && /connection tracking is off/.test(e.reason)));
  });
  it('a conntrack match anywhere turns it on, and the nat chain runs for the first packet', () => {
    const emu = emulator('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j ACCEPT\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n');
    assert.equal(emu.compiled.conntrackActive, true);
    const ev = traced(emu, () => emu.stack.receive(syn('10.0.0.2', '10.0.0.1', 22), 'eth0'));
    assert.ok(ev.some((e) => e.type === 'table' && e.table === 'nat' && e.hook === 'PREROUTING'));
  });
  for (const target of ['-j NOTRACK', '-j CT --notrack']) {
    it(`"${target}" does not (xt_CT returns before asking for conntrack)`, () => {
      assert.equal(emulator(`*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING ${target}\nCOMMIT\n`).compiled.conntrackActive, false);
    });
  }
  for (const target of ['-j DNAT --to-destination 10.0.0.9', '-j CONNMARK --save-mark', '-j CT --zone 1', '-m state --state NEW']) {
    it(`"${target}" turns it on`, () => {
      const table = target.includes('DNAT') ? 'nat' : target.includes('CT') ? 'raw' : 'mangle';
      const emu = emulator(`*${table}\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING ${target}\nCOMMIT\n`);
      assert.equal(emu.compiled.conntrackActive, true);
    });
  }
});

describe('the first TCP packet conntrack accepts for a new connection', () => {
  const emu = (): Emulator => emulator('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n');
  const cases: Array<[flags: number, state: string]> = [
    [TCP_SYN, 'NEW'],
    [TCP_ACK, 'NEW'], // picked up mid-stream (nf_conntrack_tcp_loose)
    [TCP_ACK | TCP_PSH, 'NEW'],
    [TCP_SYN | TCP_ACK, 'INVALID'],
    [TCP_FIN | TCP_ACK, 'INVALID'],
    [TCP_RST, 'INVALID'],
    [TCP_RST | TCP_ACK, 'INVALID'],
  ];
  for (const [flags, state] of cases) {
    it(`flags 0x${flags.toString(16)}: ${state}`, () => {
      const p = syn('10.0.0.2', '10.0.0.1', 22);
      p.tcpFlags = flags;
      assert.equal(emu().stack.conntrack.lookup(p).info.state, state);
    });
  }
});

describe('iptables-nft creates only the built-in chains a file names', () => {
  const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-A FORWARD -j ACCEPT\nCOMMIT\n';
  it('nft: INPUT (declared) and FORWARD (used) exist, OUTPUT does not', () => {
    const chains = emulator(rules).compiled.tables.get('filter')!.chains;
    assert.deepEqual([chains.has('INPUT'), chains.has('FORWARD'), chains.has('OUTPUT')], [true, true, false]);
  });
  it('legacy: every built-in chain exists', () => {
    const chains = emulator(rules, 'legacy').compiled.tables.get('filter')!.chains;
    assert.deepEqual([chains.has('INPUT'), chains.has('FORWARD'), chains.has('OUTPUT')], [true, true, true]);
  });
});

describe('packets the kernel makes', () => {
  it('an ICMP error about a forwarded packet comes from this host, quotes the packet and has TOS 0xc0', () => {
    const emu = emulator('*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n');
    const p = { ...syn('10.0.0.2', '192.168.1.10', 80), ttl: 63 };
    const reply = emu.stack.replyFor(p, 'icmp-host-prohibited')!;
    assert.equal(reply.ttl, 64, 'a new packet: the default TTL, not the quoted one');
    assert.deepEqual([reply.proto, reply.icmpType, reply.icmpCode], [PROTO_ICMP, 3, 10]);
    assert.equal(reply.src, ip('10.0.0.1'), 'the address routing picks towards the sender, not the quoted destination');
    assert.equal(reply.length, 28 + p.length);
    assert.equal(reply.tos, 0xc0);
  });
  it('an ICMP error about a packet for this host comes from the address it was sent to', () => {
    const emu = emulator('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    assert.equal(emu.stack.replyFor(syn('10.0.0.2', '192.168.1.1', 80), 'icmp-port-unreachable')!.src, ip('192.168.1.1'));
  });
  it('a TCP reset for a bridged packet goes straight out of its bridge port, past OUTPUT and POSTROUTING', () => {
    const emu = emulator('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j LOG\nCOMMIT\n');
    const p = { ...syn('10.0.0.2', '10.0.0.7', 80), iif: 'eth0', physIn: 'veth1' };
    let sent: ReturnType<typeof emu.stack.sendRejectReply>;
    const ev = traced(emu, () => (sent = emu.stack.sendRejectReply({ fate: 'rejected', packet: p, rejectWith: 'tcp-reset', detail: '' })));
    assert.ok(sent! && sent.outcome.fate === 'out' && sent.outcome.dev === 'veth1');
    assert.ok(!ev.some((e) => e.type === 'hook'), 'no hook sees it');
  });
});

describe('a bridged frame DNATed to an address behind the same bridge is switched, not routed', () => {
  const hostJson = (hairpin: boolean): string => JSON.stringify({
    interfaces: [
      { name: 'eth0', addresses: ['10.0.0.1/24'] },
      { name: 'docker0', kind: 'bridge', addresses: ['172.17.0.1/16'] },
      { name: 'vetha', kind: 'veth', master: 'docker0', hairpin },
      { name: 'vethb', kind: 'veth', master: 'docker0', hairpin },
    ],
    sysctl: { 'net.ipv4.ip_forward': 0, 'net.bridge.bridge-nf-call-iptables': 1 },
    peers: [
      { name: 'a', address: '172.17.0.2', via: 'docker0', port: 'vetha' },
      { name: 'b', address: '172.17.0.3', via: 'docker0', port: 'vethb' },
    ],
  });
  const rules = (to: string): string => `*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination ${to}\nCOMMIT\n`;
  const make = (to: string, hairpin = false): Emulator => new Emulator(parseIptables(rules(to), { backend: 'nft', family: 'ipv4' }).ruleset, parseHostFile(hostJson(hairpin)).value!.host);
  it('to another container: out of its port, through FORWARD, even with ip_forward off', () => {
    const emu = make('172.17.0.3');
    const o = emu.stack.bridge(syn('172.17.0.2', '172.17.0.9', 80), 'docker0', 'vetha', 'vethb');
    assert.ok(o.fate === 'bridged' && o.port === 'vethb' && o.packet.dst === ip('172.17.0.3'), JSON.stringify(o.fate));
  });
  it('back to the sender: dropped by the bridge without hairpin mode', () => {
    const o = make('172.17.0.2').stack.bridge(syn('172.17.0.2', '172.17.0.9', 80), 'docker0', 'vetha', 'vethb');
    assert.equal(o.fate, 'dropped');
  });
  it('back to the sender with hairpin mode: out of the same port', () => {
    const o = make('172.17.0.2', true).stack.bridge(syn('172.17.0.2', '172.17.0.9', 80), 'docker0', 'vetha', 'vethb');
    assert.ok(o.fate === 'bridged' && o.port === 'vetha');
  });
  // Kernel trace test seeds 1119 and 130295 (NETMAP onto docker0's subnet): the bridge asks for the MAC first.
  it('to an address behind the bridge that nothing holds: dropped before FORWARD (its ARP request goes unanswered)', () => {
    const emu = make('172.17.9.9');
    const ev = traced(emu, () => assert.equal(emu.stack.bridge(syn('172.17.0.2', '172.17.0.9', 80), 'docker0', 'vetha', 'vethb').fate, 'dropped'));
    assert.ok(!ev.some((e) => e.type === 'hook' && e.hook === 'FORWARD'), 'no FORWARD');
    assert.ok(ev.some((e) => e.type === 'route' && /ARP request goes unanswered/.test(e.reason)));
  });
});

describe('forwarding and local sockets', () => {
  it('a forwarded packet has one less TTL from FORWARD on', () => {
    const emu = emulator('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m ttl --ttl-eq 63 -j ACCEPT\nCOMMIT\n');
    const ev = traced(emu, () => emu.stack.receive({ ...syn('10.0.0.2', '192.168.1.10', 80), ttl: 64 }, 'eth0'));
    assert.ok(ev.some((e) => e.type === 'hook' && e.hook === 'FORWARD' && e.packet.ttl === 63));
    assert.ok(ev.some((e) => e.type === 'verdict' && e.verdict === 'ACCEPT' && e.rule?.index === 0));
  });
  it('-m owner: packets of the kernel\'s own sockets match only inverted uid/gid options', () => {
    const emu = emulator('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m owner --uid-owner 0 -j ACCEPT\n-A OUTPUT -m owner ! --uid-owner 0 -j DROP\nCOMMIT\n');
    const rst = { ...syn('10.0.0.1', '10.0.0.2', 5555), tcpFlags: TCP_RST, socket: 'kernel' as const };
    const ev = traced(emu, () => emu.stack.send(rst));
    assert.deepEqual(ev.filter((e) => e.type === 'rule' && e.matched).map((e) => e.type === 'rule' && e.rule.index), [1]);
    const mine = { ...syn('10.0.0.1', '10.0.0.2', 80), owner: { uid: 0, gid: 0, groups: [] } };
    const ev2 = traced(emu, () => emu.stack.send(mine));
    assert.deepEqual(ev2.filter((e) => e.type === 'rule' && e.matched).map((e) => e.type === 'rule' && e.rule.index), [0]);
  });
  // nflens verify: the kernel's replies come from a socket with no file (so "! --gid-owner 0
  // --suppl-groups" holds: xt_owner ignores --suppl-groups there), a REJECT's reset from no socket.
  const SOCKETS = '*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 81 -j REJECT --reject-with tcp-reset\n-A INPUT -p tcp --dport 82 -j REJECT\n'
    + '-A OUTPUT -m owner ! --socket-exists -j ACCEPT\n-A OUTPUT -m owner ! --gid-owner 0 --suppl-groups -j ACCEPT\n-A OUTPUT -m owner --socket-exists -j ACCEPT\nCOMMIT\n';
  const client = testHost().peers.find((p) => p.name === 'client')!;
  const replyTakenBy = (proto: 'tcp' | 'udp' | 'icmp', dport?: number): (number | undefined)[] => {
    const r = emulator(SOCKETS).trace({ proto, src: client.addr, dst: ip('10.0.0.1'), ...(dport ? { dport } : {}), origin: { kind: 'peer', peer: client } });
    return r.events.flatMap((e) => (e.type === 'verdict' && e.rule?.chain === 'OUTPUT' ? [e.rule.index] : []));
  };
  it('-m owner on the kernel\'s replies: no socket for a REJECT\'s reset, the kernel\'s own (no file) for the rest', () => {
    assert.deepEqual(replyTakenBy('tcp', 81), [0], 'REJECT --reject-with tcp-reset: ! --socket-exists');
    assert.deepEqual(replyTakenBy('tcp', 82), [1], 'REJECT\'s ICMP error');
    assert.deepEqual(replyTakenBy('tcp', 83), [1], 'a closed port\'s reset');
    assert.deepEqual(replyTakenBy('udp', 83), [1], 'a closed port\'s ICMP port unreachable');
    assert.deepEqual(replyTakenBy('icmp'), [1], 'the echo reply');
  });
  it('the host\'s own echo reply: -m owner decided (the kernel\'s ICMP socket), not assumed', () => {
    const emu = emulator('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p icmp -m owner --uid-owner 0 -j DROP\nCOMMIT\n');
    const r = emu.trace({ proto: 'icmp', src: client.addr, dst: ip('10.0.0.1'), origin: { kind: 'peer', peer: client } });
    assert.equal(r.completed, true, r.summary);
    const runs = r.events.filter((e) => e.type === 'rule');
    assert.deepEqual(runs.map((e) => e.type === 'rule' && [e.matched, e.assumed ?? []]), [[false, []]]);
  });
  it('-m recent --rttl counts a REJECT\'s reset (no socket) with one more TTL in OUTPUT, a closed port\'s reset not', () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m recent --name seen --set\n-A INPUT -p tcp --dport 81 -j REJECT --reject-with tcp-reset\n'
      + '-A OUTPUT -p tcp -m recent --name seen --rdest --rcheck --rttl -j ACCEPT\n-A OUTPUT -p tcp -m recent --name seen --rdest --rcheck -j ACCEPT\nCOMMIT\n';
    const takenBy = (dport: number): (number | undefined)[] => emulator(rules).trace({ proto: 'tcp', src: client.addr, dst: ip('10.0.0.1'), dport, origin: { kind: 'peer', peer: client } })
      .events.flatMap((e) => (e.type === 'verdict' && e.rule?.chain === 'OUTPUT' ? [e.rule.index] : []));
    assert.deepEqual(takenBy(81), [1], 'REJECT\'s reset: TTL 64 counted as 65, not the 64 recorded');
    assert.deepEqual(takenBy(83), [0], 'the TCP stack\'s reset: 64');
  });
  it('a REJECT reset has no socket at all, its ICMP errors come from the kernel\'s ICMP socket', () => {
    const emu = emulator('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    assert.equal(emu.stack.replyFor(syn('10.0.0.2', '10.0.0.1', 80), 'tcp-reset')!.socket, 'none');
    assert.equal(emu.stack.replyFor(syn('10.0.0.2', '10.0.0.1', 80), 'icmp-port-unreachable')!.socket, 'kernel');
  });
});

describe('loopback and source addresses', () => {
  it('raw PREROUTING runs again for a packet looped back through lo', () => {
    const emu = emulator('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n');
    const ev = traced(emu, () => emu.stack.send(syn('10.0.0.1', '10.0.0.1', 22)));
    const i = ev.findIndex((e) => e.type === 'hook' && e.hook === 'PREROUTING' && e.iif === 'lo');
    assert.ok(i >= 0);
    assert.ok(ev.slice(i).some((e) => e.type === 'table' && e.table === 'raw' && e.hook === 'PREROUTING'));
  });
  it('MASQUERADE out of lo takes the first universe-scope address of the host, even towards 127.0.0.1', () => {
    assert.equal(new Router(testHost()).primaryAddr('lo', ip('192.168.1.1')), ip('10.0.0.1'));
    assert.equal(new Router(testHost()).primaryAddr('lo', ip('127.0.0.1')), ip('10.0.0.1'));
  });
  it('DNAT in OUTPUT of a loopback-sourced packet to an address behind eth0 is dropped (route_localnet off)', () => {
    const emu = emulator('*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp -j DNAT --to-destination 10.0.0.2\nCOMMIT\n');
    const o = emu.stack.send(syn('127.0.0.1', '127.0.0.1', 80));
    assert.equal(o.fate, 'martian');
  });
  it('an ICMP error about a DNATed connection is un-NATed with its quoted header, without the nat chains', () => {
    const emu = emulator('*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p udp -j DNAT --to-destination 192.168.1.10\n-A POSTROUTING -j LOG\nCOMMIT\n');
    const req = basePacket(17, ip('10.0.0.2'), ip('10.0.0.1'));
    req.sport = 5000;
    req.dport = 53;
    const out = emu.stack.receive(req, 'eth0');
    assert.ok(out.fate === 'out' && out.packet.dst === ip('192.168.1.10'));
    const err = basePacket(PROTO_ICMP, ip('192.168.1.10'), ip('10.0.0.2'));
    err.icmpType = 3;
    err.icmpCode = 3;
    err.inner = out.packet;
    const ev = traced(emu, () => emu.stack.receive(err, 'eth1'));
    assert.ok(ev.some((e) => e.type === 'conntrack' && e.state === 'RELATED'));
    assert.ok(!ev.some((e) => e.type === 'table' && e.table === 'nat'), 'no nat chain sees it');
    const fate = emu.stack.receive(err, 'eth1');
    assert.ok(fate.fate === 'out' && fate.packet.src === ip('10.0.0.1') && fate.packet.inner?.dst === ip('10.0.0.1') && fate.packet.inner?.dport === 53);
  });
});

describe('found by the reachability soundness test (checked against the kernel source)', () => {
  it('the raw table sees a packet without a conntrack entry as INVALID, not UNTRACKED', () => {
    const emu = emulator('*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m conntrack --ctstate UNTRACKED -j LOG\n-A PREROUTING -m conntrack --ctstate INVALID -j LOG\nCOMMIT\n');
    const ev = traced(emu, () => emu.stack.receive(syn('10.0.0.2', '10.0.0.1', 22), 'eth0'));
    const hits = ev.filter((e) => e.type === 'verdict' && e.table === 'raw' && e.rule).map((e) => e.type === 'verdict' && e.rule!.index);
    assert.deepEqual(hits, [1]);
  });
  it('a packet whose TTL would run out is dropped before FORWARD (ip_forward), which never sees it', () => {
    const emu = emulator('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j LOG\nCOMMIT\n');
    const p = syn('10.0.0.2', '192.168.1.10', 80);
    p.ttl = 1;
    let out: ReturnType<typeof emu.stack.receive> | undefined;
    const ev = traced(emu, () => (out = emu.stack.receive(p, 'eth0')));
    assert.ok(!ev.some((e) => e.type === 'table' && e.hook === 'FORWARD'));
    assert.equal(out!.fate, 'dropped');
    assert.match('detail' in out! ? String(out.detail) : '', /TTL \(1\) runs out/);
  });
});

describe('replies to a local process without connection tracking', () => {
  // Found by nflens verify holding its trace against the kernel: with no rule needing conntrack, nothing
  // marks the answer as a reply, yet the kernel hands it to the socket the process sent from.
  const idle = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
  const peer = testHost().peers.find((p) => p.name === 'server')!;
  for (const proto of ['udp', 'tcp'] as const) {
    it(`${proto}: the answer reaches the sending socket, no port unreachable or reset`, () => {
      const emu = emulator(idle);
      assert.equal(emu.compiled.conntrackActive, false);
      const r = emu.trace({ proto, src: 0, dst: peer.addr, sport: 43210, dport: 53, origin: { kind: 'local' } });
      assert.equal(r.completed, true, r.summary);
      assert.ok(!r.events.some((e) => e.type === 'fate' && /no-listener/.test(JSON.stringify(e))), r.summary);
    });
  }
  it('an answer to a port no process sent from is still refused', () => {
    const emu = emulator(idle);
    const p = basePacket(PROTO_TCP, peer.addr, ip('192.168.1.1'));
    p.sport = 53;
    p.dport = 43211;
    p.tcpFlags = TCP_SYN;
    const o = emu.stack.receive(p, 'eth1');
    assert.equal(o.fate, 'no-listener');
  });
});

describe('martians (test/kernel/martians.kernel.test.ts)', () => {
  const rules = '*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp\nCOMMIT\n';
  const fate = (src: string, dst: string, iif = 'eth0') => {
    const emu = emulator(rules);
    const ev = traced(emu, () => emu.stack.receive(syn(src, dst, 22), iif));
    return { pre: ev.some((e) => e.type === 'hook' && e.hook === 'PREROUTING'), input: ev.some((e) => e.type === 'hook' && e.hook === 'INPUT'), martian: ev.some((e) => e.type === 'route' && e.decision === 'martian') };
  };

  it('a multicast, broadcast, 0.0.0.0 or loopback source, or the destination 0.0.0.0, from outside: PREROUTING, then dropped', () => {
    for (const [src, dst] of [['224.0.0.5', '10.0.0.1'], ['255.255.255.255', '10.0.0.1'], ['0.0.0.0', '10.0.0.1'], ['127.0.0.5', '10.0.0.1'], ['10.0.0.2', '0.0.0.0']] as const) {
      assert.deepEqual(fate(src, dst), { pre: true, input: false, martian: true }, `${src} → ${dst}`);
    }
  });

  it('the rest of 0.0.0.0/8 is unicast (Linux 5.3), and the ordinary packet is delivered', () => {
    assert.deepEqual(fate('0.0.0.7', '10.0.0.1'), { pre: true, input: true, martian: false });
    assert.deepEqual(fate('10.0.0.2', '10.0.0.1'), { pre: true, input: true, martian: false });
  });

  it("a source that is the host's own address, from outside: dropped (accept_local 0), to 255.255.255.255 too; on lo delivered", () => {
    assert.deepEqual(fate('10.0.0.1', '10.0.0.1'), { pre: true, input: false, martian: true });
    assert.deepEqual(fate('10.0.0.1', '255.255.255.255'), { pre: true, input: false, martian: true });
    assert.deepEqual(fate('127.0.0.1', '255.255.255.255'), { pre: true, input: false, martian: true }, "lo's 127.0.0.1 is an address of the host");
    assert.deepEqual(fate('10.0.0.1', '10.0.0.1', 'lo'), { pre: true, input: true, martian: false });
  });

  it('a loopback source to 255.255.255.255 is routed as a broadcast before the loopback test: delivered', () => {
    assert.deepEqual(fate('127.0.0.5', '255.255.255.255'), { pre: true, input: true, martian: false });
  });

  it('loopback addresses pass on lo and where route_localnet is on', () => {
    assert.equal(martianAddress(ip('127.0.0.5'), ip('10.0.0.1'), true), undefined);
    assert.match(martianAddress(ip('127.0.0.5'), ip('10.0.0.1'), false)!, /loopback source/);
    assert.equal(martianAddress(ip('0.0.0.0'), ip('255.255.255.255'), false), undefined, 'DHCP');
  });
});

describe("NAT on a REJECT's reset (kernel trace seed 300006)", () => {
  it('a source binding the reset meets in nat POSTROUTING leaves it as it is: it goes the reply way of the rejected connection', () => {
    const emu = emulator('*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j SNAT --to-source 10.8.0.1\nCOMMIT\n*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp -m state --state NEW -j REJECT --reject-with tcp-reset\nCOMMIT\n');
    const ev = emu.trace({ proto: 'tcp', src: ip('192.168.1.1'), dst: ip('192.168.1.10'), sport: 40000, dport: 81, origin: { kind: 'local' } }).events;
    // The reset, from the server's address to the host's, is never rewritten; its SNAT rule still matched.
    const rewrites = ev.filter((e) => e.type === 'rewrite');
    assert.deepEqual(rewrites, [], JSON.stringify(rewrites));
    assert.ok(ev.some((e) => e.type === 'note' && /SNAT: binding set for the connection; this packet goes its reply way/.test(e.text)), JSON.stringify(ev.filter((e) => e.type === 'note')));
  });
});
