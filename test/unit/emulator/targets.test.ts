/**
 * Emulator targets: each is run on the typed data the parser gives a real
 * rule (so these tests also pin the parser/emulator contract), on packets
 * built here; then end-to-end conversations through Emulator for REJECT,
 * CONNMARK and NOTRACK.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emulator, type TraceEvent } from '../../../server/src/emulator/index';
import { CT_CONFIRMED } from '../../../server/src/emulator/ct';
import type { NatRequest, TargetOutcome } from '../../../server/src/emulator/context';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../../server/src/emulator/packet';
import { TARGETS } from '../../../server/src/emulator/registry';
import { Router } from '../../../server/src/emulator/host/routing';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { conn, ip, packet, parseRules, runTarget, testHost, type TestPacket } from '../../helpers/targetPackets';

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

describe('registry', () => {
  it('has every target of the brief', () => {
    for (const n of ['LOG', 'NFLOG', 'ULOG', 'TRACE', 'MARK', 'CONNMARK', 'CT', 'NOTRACK', 'REJECT', 'TPROXY', 'NFQUEUE', 'CHECKSUM', 'TCPMSS', 'CLASSIFY', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP']) {
      assert.ok(TARGETS.has(n), n);
    }
  });
});

describe('MARK: mark = (mark & ~mask) ^ value (xt_mark.c)', () => {
  const cases: Array<[rule: string, before: number, after: number]> = [
    ['--set-xmark 0x1/0xff', 0x1234, 0x1201],
    ['--set-xmark 0xff/0xf0', 0x0f, 0xf0],
    ['--set-xmark 0x1', 0xffff, 0x1],
    ['--set-xmark 0x80000000/0x80000000', 0x7fffffff, 0xffffffff],
    ['--set-xmark 0xffffffff/0x0', 0x1, 0xfffffffe],
    ['--set-xmark 0x0/0xffffffff', 0xdeadbeef, 0x0],
    ['--set-mark 0x10', 0xdeadbeef, 0x10],
    ['--set-mark 0x10/0xf0', 0xff, 0x1f],
    ['--set-mark 0x11/0xf0', 0x0f, 0x1f], // mask = value|mask: value bits outside the mask are set too
    ['--set-mark 0xffffffff', 0x0, 0xffffffff],
    ['--and-mark 0xf0f0', 0xffff, 0xf0f0],
    ['--and-mark 0x0', 0x1234, 0x0],
    ['--or-mark 0x3', 0x4, 0x7],
    ['--or-mark 0x3', 0x5, 0x7],
    ['--or-mark 0x80000000', 0x1, 0x80000001],
    ['--xor-mark 0x3', 0x5, 0x6],
    ['--xor-mark 0xffffffff', 0x0f0f0f0f, 0xf0f0f0f0],
  ];
  for (const [rule, before, after] of cases) {
    it(`${rule}: ${hex(before)} → ${hex(after)}`, () => {
      const r = runTarget(`-j MARK ${rule}`, { packet: packet({ mark: before }) });
      assert.deepEqual(r.outcome, { kind: 'continue' });
      assert.equal(r.packet.mark, after);
      assert.ok(r.packet.mark >= 0, 'unsigned');
    });
  }
});

describe('CONNMARK (xt_connmark.c connmark_tg_shift)', () => {
  const cases: Array<[rule: string, ct: number, mark: number, ctAfter: number, markAfter: number]> = [
    // set: ct = (ct & ~ctmask) ^ ctmark
    ['--set-xmark 0x5/0xf', 0xf3, 0x99, 0xf5, 0x99],
    ['--set-mark 0x5/0xf', 0xf3, 0, 0xf5, 0],
    ['--set-mark 0x5', 0xf3, 0, 0x5, 0],
    ['--and-mark 0x0f', 0xf3, 0, 0x03, 0],
    ['--or-mark 0x0c', 0x03, 0, 0x0f, 0],
    ['--xor-mark 0x01', 0x03, 0, 0x02, 0],
    // save: ct = (ct & ~ctmask) ^ (mark & nfmask)
    ['--save-mark', 0xaa, 0x55, 0x55, 0x55],
    ['--save-mark --nfmask 0xff --ctmask 0xff00', 0x12345678, 0xabcd, 0x123400b5, 0xabcd],
    ['--save-mark --mask 0xff00', 0x1111, 0xabcd, 0xab11, 0xabcd],
    // restore: mark = (mark & ~nfmask) ^ (ct & ctmask)
    ['--restore-mark', 0x7, 0x100, 0x7, 0x7],
    ['--restore-mark --nfmask 0xff --ctmask 0xff00', 0x1234, 0xab, 0x1234, 0x1200],
    ['--restore-mark --mask 0xf', 0x35, 0xa0, 0x35, 0xa5],
    // shifts (revision 2)
    ['--save-mark --nfmask 0xff00 --ctmask 0xff --right-shift-mark 8', 0xab00, 0x1200, 0xab12, 0x1200],
    ['--restore-mark --ctmask 0xff --nfmask 0xff00 --left-shift-mark 8', 0x34, 0x1, 0x34, 0x3401],
    ['--save-mark --left-shift-mark 31', 0x0, 0x3, 0x80000000, 0x3],
    // set shifts the whole new value
    ['--set-xmark 0x1/0xff --left-shift-mark 4', 0xf00, 0, 0xf010, 0],
    ['--set-xmark 0x1/0xff --right-shift-mark 4', 0xf00, 0, 0xf0, 0],
  ];
  for (const [rule, ct, mark, ctAfter, markAfter] of cases) {
    it(`${rule}: ct ${hex(ct)} mark ${hex(mark)} → ct ${hex(ctAfter)} mark ${hex(markAfter)}`, () => {
      const c = conn({ mark: ct });
      const r = runTarget(`-j CONNMARK ${rule}`, { packet: packet({ mark }), conn: c });
      assert.deepEqual(r.outcome, { kind: 'continue' });
      assert.equal(c.mark, ctAfter);
      assert.equal(r.packet.mark, markAfter);
      assert.equal(r.notes.length, 1);
    });
  }
  it('does nothing without a connection', () => {
    for (const state of ['UNTRACKED', 'INVALID'] as const) {
      const r = runTarget('-j CONNMARK --restore-mark', { packet: packet({ mark: 0x42 }), state });
      assert.deepEqual(r.outcome, { kind: 'continue' });
      assert.equal(r.packet.mark, 0x42);
      assert.match(r.notes[0] ?? '', new RegExp(state));
    }
  });
});

describe('CT and NOTRACK (xt_CT.c)', () => {
  // In raw a packet without an entry is INVALID (no entry yet): what these targets act on.
  it('NOTRACK and CT --notrack make the packet untracked', () => {
    for (const rule of ['-j NOTRACK', '-j CT --notrack', '-p udp -j CT --notrack']) {
      assert.deepEqual(runTarget(rule, { state: 'INVALID' }).outcome, { kind: 'notrack' }, rule);
    }
  });
  it('a packet an earlier NOTRACK marked untracked is left alone', () => {
    for (const rule of ['-j NOTRACK', '-j CT --zone 7']) {
      const r = runTarget(rule, { state: 'UNTRACKED' });
      assert.deepEqual(r.outcome, { kind: 'continue' }, rule);
      assert.match(r.notes[0] ?? '', /earlier NOTRACK/);
    }
  });
  it('a packet that already has a connection (looped back) is left alone', () => {
    const c = conn({ status: CT_CONFIRMED });
    const r = runTarget('-j NOTRACK', { conn: c, state: 'NEW' });
    assert.deepEqual(r.outcome, { kind: 'continue' });
    assert.match(r.notes[0] ?? '', /already belongs/);
  });
  it("-j NOTRACK on a REJECT's reply (its unconfirmed entry attached): ignored, as xt_CT ignores any packet with an entry", () => {
    const r = runTarget('-j NOTRACK', { conn: conn({ status: 0 }), state: 'RELATED' });
    assert.deepEqual(r.outcome, { kind: 'continue' });
    assert.match(r.notes[0] ?? '', /already belongs to a tracked connection \(a REJECT's reply\)/);
  });
  const templates: Array<[rule: string, mark: number, words: RegExp, outcome: TargetOutcome]> = [
    ['-j CT --zone 7', 0, /zone 7/, { kind: 'template', zone: { id: 7, fromMark: false, dir: 'both' } }],
    ['-j CT --zone mark', 0x12345, /zone 9029 \(the low 16 bits of the packet mark\)/, { kind: 'template', zone: { id: 0, fromMark: true, dir: 'both' } }],
    ['-j CT --zone-orig 3', 0, /zone 3 for the original direction/, { kind: 'template', zone: { id: 3, fromMark: false, dir: 'ORIGINAL' } }],
    ['-j CT --zone-reply 4', 0, /zone 4 for the reply direction/, { kind: 'template', zone: { id: 4, fromMark: false, dir: 'REPLY' } }],
    ['-p tcp -j CT --helper ftp', 0, /helper "ftp"/, { kind: 'template' }],
    ['-p udp -j CT --helper tftp --zone 2', 0, /zone 2, helper "tftp"/, { kind: 'template', zone: { id: 2, fromMark: false, dir: 'both' } }],
    ['-j CT --ctevents new,destroy', 0, /events new,destroy/, { kind: 'template' }],
  ];
  for (const [rule, mark, words, outcome] of templates) {
    it(`${rule}: a template without a connection (its zone for the lookup), ignored with one`, () => {
      const none = runTarget(rule, { packet: packet({ mark }), state: 'INVALID' });
      assert.deepEqual(none.outcome, outcome);
      assert.match(none.notes[0] ?? '', words);
      const had = runTarget(rule, { packet: packet({ mark }), conn: conn({ status: 0 }), state: 'RELATED' });
      assert.deepEqual(had.outcome, { kind: 'continue' });
      assert.match(had.notes[0] ?? '', /kernel ignores this target/);
    });
  }
});

describe('a CT template on the packet (xt_CT.c: the first CT or NOTRACK stays)', () => {
  it('a later NOTRACK or CT leaves it alone', () => {
    for (const rule of ['-j NOTRACK', '-j CT --notrack', '-j CT --zone 8']) {
      const r = runTarget(rule, { template: true });
      assert.deepEqual(r.outcome, { kind: 'continue' }, rule);
      assert.match(r.notes[0] ?? '', /an earlier CT put its conntrack template on the packet, so the kernel ignores this target/);
    }
  });
});

describe('REJECT (ipt_REJECT.c, nf_reject_ipv4.c, icmp.c)', () => {
  const sent: Array<[rule: string, with_: string]> = [
    ['-j REJECT', 'icmp-port-unreachable'],
    ['-j REJECT --reject-with icmp-net-unreachable', 'icmp-net-unreachable'],
    ['-j REJECT --reject-with host-unreach', 'icmp-host-unreachable'],
    ['-j REJECT --reject-with icmp-proto-unreachable', 'icmp-proto-unreachable'],
    ['-j REJECT --reject-with port-unreach', 'icmp-port-unreachable'],
    ['-j REJECT --reject-with icmp-net-prohibited', 'icmp-net-prohibited'],
    ['-j REJECT --reject-with icmp-host-prohibited', 'icmp-host-prohibited'],
    ['-j REJECT --reject-with icmp-admin-prohibited', 'icmp-admin-prohibited'],
    ['-p tcp -j REJECT --reject-with tcp-reset', 'tcp-reset'],
    ['-p tcp -j REJECT --reject-with tcp-rst', 'tcp-reset'],
  ];
  for (const [rule, with_] of sent) {
    it(`${rule} → reject with ${with_}`, () => {
      const r = runTarget(rule, { chain: 'INPUT' });
      assert.deepEqual(r.outcome, { kind: 'reject', with: with_ });
      assert.deepEqual(r.notes, []);
    });
  }
  const silent: Array<[what: string, rule: string, p: TestPacket, why: RegExp]> = [
    ['a RST gets no RST', '-p tcp -j REJECT --reject-with tcp-reset', packet({ tcpFlags: TCP_RST | TCP_ACK }), /itself a RST/],
    ['a later fragment gets no RST', '-p tcp -j REJECT --reject-with tcp-reset', packet({ fragOffset: 185 }), /not the first fragment/],
    ['a later fragment gets no ICMP', '-j REJECT', packet({ fragOffset: 185 }), /not the first fragment/],
    ['no RST to a broadcast destination', '-p tcp -j REJECT --reject-with tcp-reset', packet({ dst: ip('10.0.0.255') }), /broadcast address/],
    ['no ICMP to a broadcast destination', '-j REJECT', packet({ proto: PROTO_UDP, dst: ip('255.255.255.255') }), /broadcast address/],
    ['no ICMP to a multicast destination', '-j REJECT', packet({ proto: PROTO_UDP, dst: ip('224.0.0.251'), pktType: 'multicast' }), /multicast/],
    ['no ICMP for a link-layer broadcast', '-j REJECT', packet({ proto: PROTO_UDP, pktType: 'broadcast' }), /link-layer broadcast/],
    ['no ICMP error about an ICMP error', '-j REJECT', packet({ proto: PROTO_ICMP, icmpType: 3, icmpCode: 1 }), /itself an ICMP error \(type 3\)/],
    ['no ICMP error about a time-exceeded', '-j REJECT --reject-with icmp-host-prohibited', packet({ proto: PROTO_ICMP, icmpType: 11 }), /type 11/],
    ['unknown ICMP types count as errors', '-j REJECT', packet({ proto: PROTO_ICMP, icmpType: 40 }), /type 40/],
  ];
  for (const [what, rule, p, why] of silent) {
    it(`${what}: DROP, with a note`, () => {
      const r = runTarget(rule, { chain: 'INPUT', packet: p });
      assert.deepEqual(r.outcome, { kind: 'verdict', verdict: 'DROP' });
      assert.match(r.notes[0] ?? '', why);
      assert.match(r.notes[0] ?? '', /sends nothing/);
    });
  }
  it('an ICMP echo request is answered with the error (queries are not errors)', () => {
    for (const t of [8, 13, 0]) {
      const r = runTarget('-j REJECT', { chain: 'INPUT', packet: packet({ proto: PROTO_ICMP, icmpType: t }) });
      assert.deepEqual(r.outcome, { kind: 'reject', with: 'icmp-port-unreachable' }, `type ${t}`);
    }
  });
  it('a RST is still sent for a link-layer broadcast frame to a unicast address (nf_send_reset does not check it)', () => {
    const r = runTarget('-p tcp -j REJECT --reject-with tcp-reset', { chain: 'INPUT', packet: packet({ pktType: 'broadcast' }) });
    assert.deepEqual(r.outcome, { kind: 'reject', with: 'tcp-reset' });
  });
  it('in FORWARD the ICMP error comes from this host, and says so', () => {
    const r = runTarget('-j REJECT', { chain: 'FORWARD', packet: packet({ dst: ip('192.168.1.10'), oif: 'eth1' }) });
    assert.deepEqual(r.outcome, { kind: 'reject', with: 'icmp-port-unreachable' });
    assert.match(r.notes[0] ?? '', /from this host's own address .* not from 192\.168\.1\.10/);
  });
});

describe('NFQUEUE (xt_NFQUEUE.c)', () => {
  it('queues; nothing listens, so the packet would be dropped', () => {
    const r = runTarget('-j NFQUEUE --queue-num 3', { chain: 'INPUT' });
    assert.deepEqual(r.outcome, { kind: 'verdict', verdict: 'QUEUE' });
    assert.match(r.notes[0] ?? '', /queue 3.*drops it/);
  });
  it('--queue-bypass: accepted by this table', () => {
    const r = runTarget('-j NFQUEUE --queue-num 3 --queue-bypass', { chain: 'INPUT' });
    assert.deepEqual(r.outcome, { kind: 'verdict', verdict: 'ACCEPT' });
    assert.match(r.notes[0] ?? '', /queue 3.*--queue-bypass/);
  });
  it('--queue-balance names the range', () => {
    const r = runTarget('-j NFQUEUE --queue-balance 2:5 --queue-cpu-fanout', { chain: 'INPUT' });
    assert.deepEqual(r.outcome, { kind: 'verdict', verdict: 'QUEUE' });
    assert.match(r.notes[0] ?? '', /queues 2-5 \(chosen by CPU\)/);
  });
});

describe('TPROXY (xt_TPROXY.c)', () => {
  it('assumes the transparent socket, sets the mark, accepts', () => {
    const r = runTarget('-p tcp -j TPROXY --on-port 3128 --tproxy-mark 0x1/0x1', { packet: packet({ mark: 0x10 }) });
    assert.equal(r.outcome.kind, 'unmodeled');
    assert.ok(r.outcome.kind === 'unmodeled' && r.outcome.then === 'ACCEPT');
    assert.match(r.outcome.kind === 'unmodeled' ? r.outcome.why : '', /10\.0\.0\.1:3128.*mark 0x10 → 0x11/);
    assert.equal(r.packet.mark, 0x11);
  });
  it('--on-ip and port 0 (the packet\'s destination port)', () => {
    const r = runTarget('-p tcp -j TPROXY --on-ip 127.0.0.1 --on-port 0');
    assert.match(r.outcome.kind === 'unmodeled' ? r.outcome.why : '', /127\.0\.0\.1:80/);
    assert.equal(r.packet.mark, 0);
  });
});

describe('CHECKSUM, CLASSIFY', () => {
  it('CHECKSUM --checksum-fill continues and notes', () => {
    const p = packet({ proto: PROTO_UDP, sport: 67, dport: 68 });
    const before = { ...p };
    const r = runTarget('-p udp -j CHECKSUM --checksum-fill', { chain: 'POSTROUTING', packet: p });
    assert.deepEqual(r.outcome, { kind: 'continue' });
    assert.deepEqual(r.packet, before);
    assert.match(r.notes[0] ?? '', /checksum/);
  });
  const classes: Array<[arg: string, prio: number, text: string]> = [
    ['1:10', 0x10010, '1:10'],
    ['ffff:ffff', 0xffffffff, 'ffff:ffff'],
    ['0x2:0x3', 0x20003, '2:3'],
  ];
  for (const [arg, prio, text] of classes) {
    it(`CLASSIFY --set-class ${arg} sets priority ${hex(prio)}`, () => {
      const r = runTarget(`-j CLASSIFY --set-class ${arg}`, { chain: 'POSTROUTING' });
      assert.deepEqual(r.outcome, { kind: 'continue' });
      assert.equal(r.packet.priority, prio);
      assert.match(r.notes[0] ?? '', new RegExp(`${hex(prio)} — tc class ${text}$`));
    });
  }
});

describe('TCPMSS (xt_TCPMSS.c)', () => {
  const syn = (over: Partial<TestPacket> = {}): TestPacket => packet({ tcpFlags: TCP_SYN, tcpOptions: [2], tcpMss: 1460, length: 60, ...over });
  const cases: Array<[what: string, rule: string, chain: 'FORWARD' | 'OUTPUT' | 'POSTROUTING', p: TestPacket, mss: number | undefined, opts: number[]]> = [
    ['--set-mss lowers', '-p tcp --syn -j TCPMSS --set-mss 1400', 'FORWARD', syn(), 1400, [2]],
    ['--set-mss never raises', '-p tcp --syn -j TCPMSS --set-mss 1400', 'FORWARD', syn({ tcpMss: 1300 }), 1300, [2]],
    ['--set-mss equal: unchanged', '-p tcp --syn -j TCPMSS --set-mss 1460', 'FORWARD', syn(), 1460, [2]],
    ['no option, no data: adds min(mss, 536)', '-p tcp --syn -j TCPMSS --set-mss 1400', 'FORWARD', syn({ tcpOptions: [], tcpMss: undefined }), 536, [2]],
    ['no option, small --set-mss: adds it', '-p tcp --syn -j TCPMSS --set-mss 500', 'FORWARD', syn({ tcpOptions: [4], tcpMss: undefined }), 500, [4, 2]],
    ['no option but data: left alone', '-p tcp --syn -j TCPMSS --set-mss 500', 'FORWARD', syn({ tcpOptions: [], tcpMss: undefined, payload: 'x' }), undefined, []],
    // (84 bytes are more than any header: the kernel finds data after it. Soundness seed 650104.)
    ['no option, longer than any header: left alone', '-p tcp --syn -j TCPMSS --set-mss 500', 'FORWARD', syn({ tcpOptions: [], tcpMss: undefined, length: 84 }), undefined, []],
    ['a later fragment is left alone', '-p tcp --syn -j TCPMSS --set-mss 500', 'FORWARD', syn({ fragOffset: 3 }), 1460, [2]],
    ['clamp: out eth1 MTU 1400 - 40', '-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', 'FORWARD', syn({ iif: 'eth0', oif: 'eth1' }), 1360, [2]],
    ['clamp: the way back (tun0 MTU 1300) is smaller', '-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', 'FORWARD', syn({ iif: 'tun0', oif: 'eth1' }), 1260, [2]],
    ['clamp in OUTPUT: local source, out tun0', '-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', 'OUTPUT', syn({ src: ip('10.8.0.1'), iif: '', oif: 'tun0' }), 1260, [2]],
    ['clamp in POSTROUTING to eth0 (1500)', '-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', 'POSTROUTING', syn({ iif: 'eth1', src: ip('192.168.1.10'), oif: 'eth0', tcpMss: 1200 }), 1200, [2]],
  ];
  for (const [what, rule, chain, p, mss, opts] of cases) {
    it(what, () => {
      const len = p.length;
      const added = !p.tcpOptions.includes(2) && opts.includes(2);
      const r = runTarget(rule, { chain, packet: p });
      assert.deepEqual(r.outcome, { kind: 'continue' });
      assert.equal(r.packet.tcpMss, mss);
      assert.deepEqual([...r.packet.tcpOptions], opts);
      assert.equal(r.packet.length, len + (added ? 4 : 0));
    });
  }
  it('adding the option grows the packet by 4 bytes', () => {
    const r = runTarget('-p tcp --syn -j TCPMSS --set-mss 1400', { chain: 'FORWARD', packet: packet({ tcpOptions: [], length: 40 }) });
    assert.equal(r.packet.length, 44);
    assert.equal(r.packet.tcpMss, 536);
    assert.match(r.notes[0] ?? '', /added with MSS 536/);
  });
  it('an MSS option without a modelled value: notes the rule', () => {
    const r = runTarget('-p tcp --syn -j TCPMSS --set-mss 1400', { chain: 'FORWARD', packet: packet({ tcpOptions: [2] }) });
    assert.deepEqual(r.outcome, { kind: 'continue' });
    assert.equal(r.packet.tcpMss, undefined);
    assert.match(r.notes[0] ?? '', /lowered to 1400 .* if it is above that, never raised/);
  });
  it('clamping to an MTU of 40 or less drops', () => {
    const host = testHost();
    const eth1 = host.ifaces.get('eth1')!;
    const tiny = testHost({ ifaces: new Map([...host.ifaces, ['eth1', { ...eth1, mtu: 40 }]]) });
    const r = runTarget('-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', { chain: 'FORWARD', packet: syn({ oif: 'eth1' }), host: tiny });
    assert.deepEqual(r.outcome, { kind: 'verdict', verdict: 'DROP' });
  });
  it('acts on any TCP packet that reaches it (iptables-nft does not insist on --syn)', () => {
    const r = runTarget('-p tcp -j TCPMSS --set-mss 1400', { chain: 'FORWARD', packet: packet({ tcpFlags: TCP_ACK, tcpOptions: [], length: 40 }) });
    assert.deepEqual([...r.packet.tcpOptions], [2]);
  });
});

describe('LOG line (nf_log_syslog.c)', () => {
  const eth0In = { srcMac: '02:00:00:00:00:02' };
  const cases: Array<[what: string, rule: string, chain: 'INPUT' | 'OUTPUT' | 'FORWARD' | 'PREROUTING', p: TestPacket, line: string]> = [
    [
      'TCP SYN in INPUT',
      '-j LOG --log-prefix "IN-DROP: "',
      'INPUT',
      packet(eth0In),
      'IN-DROP: IN=eth0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:00:02:08:00 SRC=10.0.0.2 DST=10.0.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=? PROTO=TCP SPT=43210 DPT=80 WINDOW=? RES=0x00 SYN URGP=0',
    ],
    [
      '--log-macdecode',
      '-j LOG --log-macdecode',
      'INPUT',
      packet({ ...eth0In, tcpFlags: TCP_FIN | TCP_ACK }),
      'IN=eth0 OUT= MACSRC=02:00:00:00:00:02 MACDST=02:00:00:00:00:01 MACPROTO=0800 SRC=10.0.0.2 DST=10.0.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=? PROTO=TCP SPT=43210 DPT=80 WINDOW=? RES=0x00 ACK FIN URGP=0',
    ],
    [
      'UDP in OUTPUT with a mark: no MAC, MARK last',
      '-j LOG --log-prefix "out "',
      'OUTPUT',
      packet({ proto: PROTO_UDP, src: ip('192.168.1.1'), dst: ip('192.168.1.10'), sport: 5353, dport: 53, iif: '', oif: 'eth1', length: 40, mark: 0x1f, tos: 0xb8 }),
      'out IN= OUT=eth1 SRC=192.168.1.1 DST=192.168.1.10 LEN=40 TOS=0x18 PREC=0xA0 TTL=64 ID=? PROTO=UDP SPT=5353 DPT=53 LEN=20 MARK=0x1f',
    ],
    [
      'ICMP echo through lo',
      '-j LOG',
      'INPUT',
      packet({ proto: PROTO_ICMP, src: ip('127.0.0.1'), dst: ip('127.0.0.1'), iif: 'lo', icmpType: 8, icmpId: 0x1234, length: 84, sport: 0, dport: 0 }),
      'IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.1 DST=127.0.0.1 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=? PROTO=ICMP TYPE=8 CODE=0 ID=4660 SEQ=?',
    ],
    [
      'an ICMP error quotes the packet in brackets; tun has no MAC header',
      '-j LOG',
      'FORWARD',
      packet({
        proto: PROTO_ICMP, src: ip('10.8.0.5'), dst: ip('10.0.0.2'), iif: 'tun0', oif: 'eth0', icmpType: 3, icmpCode: 3, length: 56, sport: 0, dport: 0,
        inner: packet({ proto: PROTO_UDP, src: ip('10.0.0.2'), dst: ip('10.8.0.5'), sport: 4000, dport: 53, length: 28, iif: '', mark: 5 }),
      }),
      'IN=tun0 OUT=eth0 MAC= SRC=10.8.0.5 DST=10.0.0.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=? PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.2 DST=10.8.0.5 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=? PROTO=UDP SPT=4000 DPT=53 LEN=8 ]',
    ],
    [
      '--log-uid --log-tcp-sequence --log-tcp-options on a local SYN',
      '-j LOG --log-uid --log-tcp-sequence --log-tcp-options',
      'OUTPUT',
      packet({ src: ip('10.0.0.1'), dst: ip('10.0.0.2'), iif: '', oif: 'eth0', tcpOptions: [2], tcpMss: 1460, owner: { uid: 1000, gid: 100, groups: [] } }),
      'IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=? PROTO=TCP SPT=43210 DPT=80 SEQ=? ACK=? WINDOW=? RES=0x00 SYN URGP=0 OPT (020405B4) UID=1000 GID=100',
    ],
    [
      'a later fragment: FRAG and no ports',
      '-j LOG',
      'INPUT',
      packet({ ...eth0In, fragOffset: 185 }),
      'IN=eth0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:00:02:08:00 SRC=10.0.0.2 DST=10.0.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=? FRAG:185 PROTO=TCP',
    ],
    [
      'other protocols by number; a bridged frame names its port',
      '-j LOG',
      'PREROUTING',
      packet({ ...eth0In, proto: 47, sport: 0, dport: 0, physIn: 'veth1' }),
      'IN=eth0 OUT= PHYSIN=veth1 MAC=02:00:00:00:00:01:02:00:00:00:00:02:08:00 SRC=10.0.0.2 DST=10.0.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=? PROTO=47',
    ],
    [
      'a link-layer broadcast, unknown source MAC',
      '-j LOG',
      'INPUT',
      packet({ proto: PROTO_UDP, dst: ip('10.0.0.255'), sport: 68, dport: 67, pktType: 'broadcast', length: 328 }),
      'IN=eth0 OUT= MAC=ff:ff:ff:ff:ff:ff:??:??:??:??:??:??:08:00 SRC=10.0.0.2 DST=10.0.0.255 LEN=328 TOS=0x00 PREC=0x00 TTL=64 ID=? PROTO=UDP SPT=68 DPT=67 LEN=308',
    ],
  ];
  for (const [what, rule, chain, p, line] of cases) {
    it(what, () => {
      const r = runTarget(rule, { chain, packet: p });
      assert.deepEqual(r.outcome, { kind: 'continue' });
      assert.deepEqual(r.notes, [line]);
    });
  }
  it('NFLOG: the same fields, with the group', () => {
    const r = runTarget('-j NFLOG --nflog-group 5 --nflog-prefix "drop " --nflog-size 128', { chain: 'INPUT', packet: packet(eth0In) });
    assert.deepEqual(r.outcome, { kind: 'continue' });
    assert.match(r.notes[0] ?? '', /^\[NFLOG group 5, first 128 bytes\] drop IN=eth0 OUT= MAC=.* SRC=10\.0\.0\.2 DST=10\.0\.0\.1 .*PROTO=TCP SPT=43210 DPT=80 /);
  });
  it('ULOG: noted, and says the kernel has no such target', () => {
    const parsed = parseIptables('*filter\n-A INPUT -j ULOG --ulog-prefix old\nCOMMIT\n', { family: 'ipv4' });
    const t = parsed.ruleset.tables.get('filter')?.chains.get('INPUT')?.rules[0]?.spec.target;
    assert.ok(t?.kind === 'extension');
    const notes: string[] = [];
    const p = packet();
    const out = TARGETS.get('ULOG')!.fn(t.use.data, {
      packet: p, hook: 'INPUT', table: 'filter', ct: { state: 'UNTRACKED', dir: 'ORIGINAL' }, host: new Router(testHost()),
      clock: { now: () => 0 }, rng: { uint32: () => 0 }, store: { forRule: (_i, f) => f(), shared: (_k, _n, f) => f() }, ruleId: 'x', note: (s) => void notes.push(s),
    });
    assert.deepEqual(out, { kind: 'continue' });
    assert.match(notes[0] ?? '', /^\[ULOG group 1: .*3\.17.*\] oldIN=eth0 /);
  });
  it('TRACE turns tracing on and continues', () => {
    const r = runTarget('-j TRACE', { table: 'raw', chain: 'PREROUTING' });
    assert.deepEqual(r.outcome, { kind: 'continue' });
    assert.equal(r.packet.nfTrace, true);
    assert.match(r.notes[0] ?? '', /TRACE: raw:<chain>:rule\|return\|policy:<n>/);
  });
});

describe('NAT targets (xt_nat.c, nf_nat_masquerade.c, nf_nat_redirect.c, xt_NETMAP.c)', () => {
  const natOf = (rule: string, chain: 'PREROUTING' | 'POSTROUTING' | 'OUTPUT' | 'INPUT', p: TestPacket = packet(), c = conn({ status: 0 })): NatRequest => {
    const r = runTarget(rule, { chain, packet: p, conn: { ...c, orig: { ...c.orig, src: p.src, sport: p.sport, dport: p.dport } }, state: 'NEW' });
    assert.equal(r.outcome.kind, 'nat', rule);
    return (r.outcome as { nat: NatRequest }).nat;
  };
  it('DNAT address and port', () => {
    assert.deepEqual(natOf('-p tcp -j DNAT --to-destination 10.0.0.9:8080', 'PREROUTING'), {
      manip: 'dst', kind: 'dnat', addrMin: ip('10.0.0.9'), addrMax: ip('10.0.0.9'), portMin: 8080, portMax: 8080, random: false, persistent: false,
    });
    assert.deepEqual(natOf('-j DNAT --to-destination 10.0.0.9-10.0.0.12 --persistent', 'OUTPUT'), {
      manip: 'dst', kind: 'dnat', addrMin: ip('10.0.0.9'), addrMax: ip('10.0.0.12'), random: false, persistent: true,
    });
  });
  const shifted: Array<[dport: number, to: number]> = [[80, 8000], [85, 8005], [200, 8020], [10, 8066]];
  for (const [dport, to] of shifted) {
    it(`DNAT shifted port map 8000-8099/80: port ${dport} → ${to}`, () => {
      const n = natOf('-p tcp -j DNAT --to-destination 10.0.0.9:8000-8099/80', 'PREROUTING', packet({ dport }));
      assert.equal(n.portMin, to);
      assert.equal(n.portMax, to);
    });
  }
  it('SNAT keeps the offset flag with base 0: port = min + port % size, unless already inside the range', () => {
    assert.equal(natOf('-p tcp -j SNAT --to-source 1.2.3.4:1000-1099/5', 'POSTROUTING', packet({ sport: 1234 })).portMin, 1034);
    const inside = natOf('-p tcp -j SNAT --to-source :1000-1099/5', 'POSTROUTING', packet({ sport: 1050 }));
    assert.deepEqual([inside.portMin, inside.portMax], [1000, 1099]);
    assert.equal(natOf('-p tcp -j SNAT --to-source :1000-1099/5 --random', 'POSTROUTING', packet({ sport: 1050 })).portMin, 1050);
  });
  it('SNAT flags', () => {
    const n = natOf('-j SNAT --to-source 1.2.3.4 --random-fully --persistent', 'POSTROUTING');
    assert.deepEqual(n, { manip: 'src', kind: 'snat', addrMin: ip('1.2.3.4'), addrMax: ip('1.2.3.4'), random: true, persistent: true });
  });
  it('MASQUERADE asks for the interface address', () => {
    assert.deepEqual(natOf('-p tcp -j MASQUERADE --to-ports 2000-2999', 'POSTROUTING'), { manip: 'src', kind: 'masquerade', portMin: 2000, portMax: 2999, random: false, persistent: false });
  });
  it('MASQUERADE leaves a 0.0.0.0 source alone (NF_ACCEPT, no binding)', () => {
    const c = conn({ status: 0 });
    const r = runTarget('-j MASQUERADE', { chain: 'POSTROUTING', packet: packet({ src: 0, iif: '', oif: 'eth1' }), conn: { ...c, orig: { ...c.orig, src: 0 } }, state: 'NEW' });
    assert.deepEqual(r.outcome, { kind: 'verdict', verdict: 'ACCEPT' });
    assert.match(r.notes[0] ?? '', /0\.0\.0\.0/);
  });
  it('REDIRECT', () => {
    assert.deepEqual(natOf('-p tcp -j REDIRECT --to-ports 3128', 'PREROUTING'), { manip: 'dst', kind: 'redirect', portMin: 3128, portMax: 3128, random: false, persistent: false });
  });
  it('NETMAP: destination before routing, source after', () => {
    assert.deepEqual(natOf('-j NETMAP --to 172.16.0.0/16', 'PREROUTING').netmap, { addr: ip('172.16.0.0'), prefix: 16 });
    assert.equal(natOf('-j NETMAP --to 172.16.0.0/16', 'PREROUTING').manip, 'dst');
    assert.equal(natOf('-j NETMAP --to 172.16.0.0/16', 'OUTPUT').manip, 'dst');
    assert.equal(natOf('-j NETMAP --to 172.16.0.0/16', 'POSTROUTING').manip, 'src');
    assert.equal(natOf('-j NETMAP --to 172.16.0.0/16', 'INPUT').manip, 'src');
  });
});

// ------------------------------------------------------------------ end to end

function clientSpec(host: ReturnType<typeof testHost>, proto: 'tcp' | 'udp', dst: string, dport: number, sport = 43210) {
  const peer = host.peers.find((p) => p.name === 'client')!;
  return { proto, src: peer.addr, sport, dst: ip(dst), dport, origin: { kind: 'peer' as const, peer } };
}

/** The events after the n-th 'packet' event, up to the next one. */
function packetEvents(events: readonly TraceEvent[], n: number): TraceEvent[] {
  const start = events.findIndex((e) => e.type === 'packet' && e.n === n);
  assert.ok(start >= 0, `no packet ${n}`);
  const end = events.findIndex((e, i) => i > start && e.type === 'packet');
  return events.slice(start, end < 0 ? undefined : end);
}

describe('end to end: REJECT sends its reply through OUTPUT', () => {
  const rules = `*filter
-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset
-A INPUT -p udp --dport 99 -j REJECT
-A OUTPUT -p tcp --tcp-flags RST RST -j LOG --log-prefix "RST-OUT: "
-A OUTPUT -p icmp -j LOG --log-prefix "ICMP-OUT: "
COMMIT
`;
  it('tcp-reset: a RST from the rejected destination, logged in filter OUTPUT, sent back out of eth0', () => {
    const host = testHost();
    const emu = new Emulator(parseRules(rules), host);
    const r = emu.trace(clientSpec(host, 'tcp', '10.0.0.1', 23));
    assert.equal(r.completed, false);
    const rejected = r.events.find((e) => e.type === 'fate' && e.fate === 'rejected');
    assert.ok(rejected, 'the SYN is rejected');
    const reply = r.events.find((e) => e.type === 'packet' && e.n === 2);
    assert.ok(reply && reply.type === 'packet');
    assert.equal(reply.packet.proto, PROTO_TCP);
    assert.ok(reply.packet.tcpFlags & TCP_RST);
    assert.deepEqual([reply.packet.src, reply.packet.sport, reply.packet.dst, reply.packet.dport], [ip('10.0.0.1'), 23, ip('10.0.0.2'), 43210]);
    const after = packetEvents(r.events, 2);
    assert.ok(after.some((e) => e.type === 'hook' && e.hook === 'OUTPUT' && e.packet.tcpFlags & TCP_RST), 'traced through OUTPUT');
    const log = after.find((e) => e.type === 'log');
    assert.ok(log && log.type === 'log');
    assert.match(log.text, /^RST-OUT: IN= OUT=eth0 SRC=10\.0\.0\.1 DST=10\.0\.0\.2 .*PROTO=TCP SPT=23 DPT=43210 .*RST/);
    assert.equal(log.rule.table, 'filter');
    assert.equal(log.rule.chain, 'OUTPUT');
    assert.ok(after.some((e) => e.type === 'fate' && e.fate === 'sent' && e.dev === 'eth0'));
  });
  it('icmp-port-unreachable for UDP: the ICMP error quotes the datagram', () => {
    const host = testHost();
    const emu = new Emulator(parseRules(rules), host);
    const r = emu.trace(clientSpec(host, 'udp', '10.0.0.1', 99));
    const after = packetEvents(r.events, 2);
    const hook = after.find((e) => e.type === 'hook' && e.hook === 'OUTPUT');
    assert.ok(hook && hook.type === 'hook');
    assert.deepEqual([hook.packet.proto, hook.packet.icmpType, hook.packet.icmpCode], [PROTO_ICMP, 3, 3]);
    const log = after.find((e) => e.type === 'log');
    assert.ok(log && log.type === 'log');
    assert.match(log.text, /^ICMP-OUT: IN= OUT=eth0 SRC=10\.0\.0\.1 DST=10\.0\.0\.2 .*PROTO=ICMP TYPE=3 CODE=3 \[SRC=10\.0\.0\.2 DST=10\.0\.0\.1 .*PROTO=UDP SPT=43210 DPT=99 LEN=\d+ \]$/);
  });
});

describe('end to end: CONNMARK save/restore across a conversation', () => {
  const rules = `*mangle
-A PREROUTING -j CONNMARK --restore-mark
-A PREROUTING -m conntrack --ctstate NEW -j MARK --set-mark 0x7
-A PREROUTING -j CONNMARK --save-mark
-A PREROUTING -j LOG --log-prefix "PRE: "
COMMIT
`;
  it('the first packet marks the connection; every later packet, both ways, gets the mark back', () => {
    const host = testHost();
    const emu = new Emulator(parseRules(rules), host);
    const r = emu.trace(clientSpec(host, 'tcp', '192.168.1.10', 443));
    assert.equal(r.completed, true, r.summary);
    const logs = r.events.filter((e): e is Extract<TraceEvent, { type: 'log' }> => e.type === 'log' && e.text.startsWith('PRE: '));
    assert.equal(logs.length, 7, 'all seven packets of the TCP conversation pass PREROUTING');
    for (const l of logs) assert.match(l.text, / MARK=0x7$/);
    // The MARK rule matched only the SYN; later packets got 0x7 from the connection.
    const markRule = r.events.filter((e) => e.type === 'rule' && e.rule.table === 'mangle' && e.rule.index === 1);
    assert.deepEqual(markRule.map((e) => e.type === 'rule' && e.matched), [true, false, false, false, false, false, false]);
    const synAck = packetEvents(r.events, 2);
    assert.ok(synAck.some((e) => e.type === 'log' && /CONNMARK --restore-mark: packet mark 0x0 → 0x7/.test(e.text)), 'the reply restores it');
    assert.ok(synAck.some((e) => e.type === 'conntrack' && e.mark === 7));
  });
});

describe('end to end: NOTRACK skips the nat table', () => {
  const nat = `*nat
-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.9:8080
-A PREROUTING -p tcp --dport 22 -j DNAT --to-destination 10.0.0.9:2222
COMMIT
`;
  for (const [what, raw, dport] of [
    ['NOTRACK', '-A PREROUTING -p tcp --dport 80 -j NOTRACK', 80],
    ['CT --notrack', '-A PREROUTING -p tcp --dport 22 -j CT --notrack', 22],
  ] as const) {
    it(`${what}: untracked, never DNATed, delivered to the local listener`, () => {
      const host = testHost();
      const emu = new Emulator(parseRules(`*raw\n${raw}\nCOMMIT\n${nat}`), host);
      const r = emu.trace(clientSpec(host, 'tcp', '10.0.0.1', dport));
      const first = packetEvents(r.events, 1);
      assert.ok(first.some((e) => e.type === 'conntrack' && e.event === 'untracked' && e.state === 'UNTRACKED'));
      assert.ok(first.some((e) => e.type === 'skip' && e.table === 'nat' && e.hook === 'PREROUTING' && /untracked/.test(e.reason)));
      assert.ok(!r.events.some((e) => e.type === 'rewrite' && e.what === 'DNAT'));
      const fate = first.find((e) => e.type === 'fate');
      assert.ok(fate && fate.type === 'fate');
      assert.equal(fate.fate, 'delivered');
      assert.deepEqual([fate.packet.dst, fate.packet.dport], [ip('10.0.0.1'), dport]);
    });
  }
  it('without the raw rule the same packet is DNATed', () => {
    const host = testHost();
    const emu = new Emulator(parseRules(nat), host);
    const r = emu.trace(clientSpec(host, 'tcp', '10.0.0.1', 80));
    const rw = r.events.find((e) => e.type === 'rewrite' && e.what === 'DNAT');
    assert.ok(rw && rw.type === 'rewrite');
    assert.deepEqual([rw.after.dst, rw.after.dport], [ip('10.0.0.9'), 8080]);
  });
});
