/**
 * Which conntrack state each TCP segment gets (emulator/tcpConntrack.ts): the kernel's state machine
 * decides per segment, from the entry's TCP state, the direction and the flags, whether it is
 * tracked, ignored (keeps its entry, changes nothing) or INVALID (loses it), and tcp_error makes any
 * unusual flag combination INVALID. A client namespace writes hand-made segments to the host (raw
 * socket, python3); the host writes the other direction the same way, marked so that its own
 * stack's resets are dropped in raw OUTPUT before conntrack sees them. The host counts every segment
 * per state in mangle PREROUTING (the client's) and mangle OUTPUT (its own). For each segment of
 * each sequence, the emulator, fed the same segments in the same order, must give the state the
 * kernel counted. Found by the random trace test (seed 150224: with the host's answers NOTRACKed,
 * the client's ACKs after its SYN were INVALID in the kernel and ESTABLISHED in the emulator, so an
 * nth counter behind a connmark match advanced on them). Two namespaces of our own, deleted after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { basePacket } from '../../server/src/emulator/conversation';
import { Emulator, parseHostFile, type TraceEvent } from '../../server/src/emulator/index';
import { flagsText, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../../server/src/emulator/packet';
import { tcpFlagsValid } from '../../server/src/emulator/tcpConntrack';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { ip } from '../helpers/targetPackets';
import { sendSegment } from '../helpers/craftedSegment';
import { countsByComment, kernelSkip, labTag, onePeerHostJson, peerAndHostLab, sh } from '../helpers/kernelCounters';

const skip = kernelSkip('TCP STATE', { does: 'it writes the segments' });

const tag = labTag('nflt');
const [C, H] = [`${tag}c`, `${tag}h`];
const CLIENT = '10.9.4.1';
const HOST = '10.9.4.2';
/** The mark the hand-made segments carry (SO_MARK): whatever else the host sends is dropped before conntrack. */
const MARK = 7;
const ECE = 0x40;
const CWR = 0x80;
const STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'] as const;

const RULES = [
  '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  `-A OUTPUT -p tcp -m mark ! --mark ${MARK} -j DROP`,
  'COMMIT',
  '*mangle', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  ...STATES.map((s) => `-A PREROUTING -i eth0 -p tcp -m conntrack --ctstate ${s} -m comment --comment in-${s}`),
  ...STATES.map((s) => `-A OUTPUT -o eth0 -p tcp -m conntrack --ctstate ${s} -m comment --comment out-${s}`),
  '-A PREROUTING -i eth0 -p udp -m conntrack --ctstatus ASSURED -m comment --comment udp-assured',
  // Flags conntrack refuses: never in a tracked state; a SYN-ACK: never NEW or RELATED (the analysis: space/impossibleTcp.ts).
  '-A PREROUTING -i eth0 -p tcp --tcp-flags SYN,FIN SYN,FIN -m conntrack ! --ctstate INVALID,UNTRACKED -m comment --comment synfin-never',
  '-A PREROUTING -i eth0 -p tcp --tcp-flags ALL NONE -m conntrack ! --ctstate INVALID,UNTRACKED -m comment --comment null-never',
  '-A PREROUTING -i eth0 -p tcp --tcp-flags ALL NONE -m conntrack --ctstate INVALID -m comment --comment null-invalid',
  '-A PREROUTING -i eth0 -p tcp --tcp-flags SYN,ACK,RST SYN,ACK -m conntrack --ctstate NEW,RELATED -m comment --comment synack-never',
  '-A PREROUTING -i eth0 -p tcp --tcp-flags SYN,ACK,RST SYN,ACK -m comment --comment synack-in',
  '-A OUTPUT -o eth0 -p tcp --tcp-flags SYN,ACK,RST SYN,ACK -m conntrack --ctstate NEW,RELATED -m comment --comment synack-out-never',
  'COMMIT', '',
].join('\n');
const LINES = RULES.split('\n');

const HOST_JSON = onePeerHostJson('tcpstates', `${HOST}/24`, { name: 'c', address: CLIENT });

/** One segment: from the client (c) or the host (h), its flags and payload bytes. */
type Seg = readonly [from: 'c' | 'h', flags: number, bytes?: number];
const [S, A, F, R, P, U] = [TCP_SYN, TCP_ACK, TCP_FIN, TCP_RST, TCP_PSH, TCP_URG];
const HANDSHAKE: readonly Seg[] = [['c', S], ['h', S | A], ['c', A]];
const CLOSE: readonly Seg[] = [['c', P | A, 5], ['h', A], ['c', F | A], ['h', F | A], ['c', A]];

/** Each on a client port of its own. */
const SEQUENCES: ReadonlyArray<readonly [name: string, segs: readonly Seg[]]> = [
  ['a whole connection', [...HANDSHAKE, ...CLOSE]],
  ["the client's ACK, data and FIN before the host answered", [['c', S], ['c', A], ['c', P | A, 5], ['c', F | A]]],
  ['flag combinations conntrack refuses, mid-connection', [...HANDSHAKE, ['c', S | F], ['c', 0], ['c', F | P | U], ['c', S | R], ['c', A | ECE | CWR]]],
  ['a first SYN+FIN', [['c', S | F]]],
  ['a first segment without flags', [['c', 0]]],
  ['a first SYN+URG', [['c', S | U]]],
  ['a first ECN SYN (ECE, CWR)', [['c', S | ECE | CWR]]],
  ['a first FIN', [['c', F | A]]],
  ['a first RST', [['c', R]]],
  ['a first SYN-ACK', [['c', S | A]]],
  ['a first ACK (picked up mid-stream)', [['c', A], ['h', A], ['c', A]]],
  ["the client's SYN-ACK after its SYN", [['c', S], ['c', S | A]]],
  ["the host's FIN, then ACK, before its SYN-ACK", [['c', S], ['h', F | A], ['c', S], ['h', A], ['c', S], ['c', A]]],
  ["the host's reset to the SYN removes the entry", [['c', S], ['h', R | A], ['c', A]]],
  ['a SYN after a full close opens a new connection', [...HANDSHAKE, ...CLOSE, ['c', S]]],
  ["the client's reset, then its SYN", [...HANDSHAKE, ['c', R], ['c', S]]],
  ["the host's reset, then the client's SYN and ACK", [...HANDSHAKE, ['h', R], ['c', S], ['c', A]]],
  ['both sides send a SYN (simultaneous open)', [['c', S], ['h', S], ['c', S | A], ['h', A], ['c', A]]],
];

/** A datagram from a bound port: argv src sport dst dport. */
const DATAGRAM = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.sendto(b'nflens', (sys.argv[3], int(sys.argv[4])))
`;

/** Sequence numbers as real endpoints would send them, so that the kernel's window checks pass. */
class Endpoints {
  private readonly next = { c: 1000, h: 5000 };
  seg(from: 'c' | 'h', flags: number, bytes: number): { seq: number; ack: number } {
    const to = from === 'c' ? 'h' : 'c';
    const isn = from === 'c' ? 1000 : 5000;
    // A SYN (a retransmission too) carries the initial sequence number.
    const seq = flags & TCP_SYN && !(flags & TCP_ACK && this.next[from] > isn + 1) ? isn : this.next[from];
    const ack = flags & TCP_ACK ? this.next[to] : 0;
    if (tcpFlagsValid(flags)) this.next[from] = Math.max(this.next[from], seq + bytes + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0));
    return { seq, ack };
  }
}

describe('kernel: conntrack gives each TCP segment the state the emulator gives it', { skip }, () => {
  let destroy: (() => void) | undefined;
  before(() => {
    destroy = peerAndHostLab([C, CLIENT], [H, HOST], RULES);
    // The client's own stack never sees the host's segments (it would answer them with resets).
    sh(['ip', 'netns', 'exec', C, 'iptables-nft', '-t', 'raw', '-A', 'PREROUTING', '-p', 'tcp', '-j', 'DROP']);
  });
  after(() => destroy?.());

  it('every segment of every sequence', () => {
    const host = parseHostFile(HOST_JSON).value!.host;
    const emu = new Emulator(parseIptables(RULES, { backend: 'nft', family: 'ipv4' }).ruleset, host);
    const failures: string[] = [];
    SEQUENCES.forEach(([name, segs], i) => {
      const port = 41000 + i;
      const ends = new Endpoints();
      const story: string[] = [];
      let differs = false;
      for (const [from, flags, bytes = 0] of segs) {
        const { seq, ack } = ends.seg(from, flags, bytes);
        const [src, dst, sport, dport] = from === 'c' ? [CLIENT, HOST, port, 80] : [HOST, CLIENT, 80, port];
        const was = countsByComment(H);
        sendSegment(from === 'c' ? C : H, { src, dst, sport, dport, flags, seq, ack, bytes, mark: MARK });
        const now = countsByComment(H);
        const kernel = STATES.filter((s) => (now.get(`${from === 'c' ? 'in' : 'out'}-${s}`) ?? 0) > (was.get(`${from === 'c' ? 'in' : 'out'}-${s}`) ?? 0)).join(',') || 'none';
        const p = basePacket(PROTO_TCP, ip(src), ip(dst));
        Object.assign(p, { sport, dport, tcpFlags: flags, length: 40 + bytes, mark: MARK });
        const events: TraceEvent[] = [];
        emu.stack.tracing((e) => events.push(e), () => (from === 'c' ? emu.stack.receive(p, 'eth0') : emu.stack.send(p)));
        const emulator = events.flatMap((e) => (e.type === 'rule' && e.matched && e.rule.table === 'mangle' ? [/--comment (?:in|out)-(\S+)/.exec(LINES[e.rule.line] ?? '')?.[1]] : [])).filter((x) => x !== undefined).join(',') || 'none';
        differs ||= kernel !== emulator;
        story.push(`${from} ${flagsText(flags) || 'no flags'}: ${kernel === emulator ? kernel : `≠ kernel ${kernel}, emulator ${emulator}`}`);
      }
      if (differs) failures.push(`${name}: ${story.join(' · ')}`);
      if (process.env.NFLENS_TCP_STATES_VERBOSE) console.log(`${name}: ${story.join(' · ')}`);
    });
    assert.deepEqual(failures, [], 'segments whose state differs (kernel vs emulator)');
    // The analysis: packets (may) at every mangle rule the kernel counted, none at those it never counted
    // (flags conntrack refuses in a tracked state, SYN-ACKs NEW or RELATED).
    const counts = countsByComment(H);
    const an = analyzeReachability(parseIptables(RULES, { backend: 'nft', family: 'ipv4' }).ruleset, { host });
    const wrong: string[] = [];
    for (const r of an.rules()) {
      const name = /--comment (\S+)/.exec(LINES[r.rule.ref.line] ?? '')?.[1];
      if (r.table !== 'mangle' || !name || name === 'udp-assured') continue;
      const analysis = (an.reach(r.rule, r.table, r.chain).hits.get(r.chain as 'PREROUTING' | 'OUTPUT')?.may.length ?? 0) > 0;
      const kernel = (counts.get(name) ?? 0) > 0;
      if (kernel && !analysis) wrong.push(`${name}: the kernel counted packets, the analysis has none`);
      if (/-never$/.test(name) && (kernel || analysis)) wrong.push(`${name}: the kernel ${kernel ? 'counted' : 'did not count'} packets, the analysis ${analysis ? 'has' : 'has none'}`);
    }
    assert.deepEqual(wrong, []);
    assert.ok((counts.get('null-invalid') ?? 0) > 0 && (counts.get('synack-in') ?? 0) > 0, 'the sequences sent flagless segments and SYN-ACKs');
  });

  it('an answered UDP flow is ASSURED only once it is still active 2 s after its first datagram', () => {
    const host = parseHostFile(HOST_JSON).value!.host;
    const emu = new Emulator(parseIptables(RULES, { backend: 'nft', family: 'ipv4' }).ruleset, host);
    const seen: string[] = [];
    const send = (from: 'c' | 'h'): void => {
      const [src, sport, dst, dport] = from === 'c' ? [CLIENT, 42000, HOST, 53] : [HOST, 53, CLIENT, 42000];
      const was = countsByComment(H).get('udp-assured') ?? 0;
      sh(['ip', 'netns', 'exec', from === 'c' ? C : H, 'python3', '-c', DATAGRAM, src, String(sport), dst, String(dport)]);
      const kernel = (countsByComment(H).get('udp-assured') ?? 0) > was;
      const p = basePacket(PROTO_UDP, ip(src), ip(dst));
      Object.assign(p, { sport, dport, length: 34 });
      const events: TraceEvent[] = [];
      emu.stack.tracing((e) => events.push(e), () => (from === 'c' ? emu.stack.receive(p, 'eth0') : emu.stack.send(p)));
      const emulator = events.some((e) => e.type === 'rule' && e.matched && /udp-assured/.test(LINES[e.rule.line] ?? ''));
      seen.push(`${from}: kernel ${kernel ? 'ASSURED' : '-'}, emulator ${emulator ? 'ASSURED' : '-'}`);
    };
    send('c');
    send('h');
    send('c');
    spawnSync('sleep', ['2.2']);
    emu.clock.advance(2_200);
    send('c');
    assert.deepEqual(seen, ['c: kernel -, emulator -', 'h: kernel -, emulator -', 'c: kernel -, emulator -', 'c: kernel ASSURED, emulator ASSURED']);
  });
});
