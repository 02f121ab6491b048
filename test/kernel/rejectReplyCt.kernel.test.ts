/**
 * A REJECT's reply carries the rejected packet's conntrack entry from the start: the reset or ICMP
 * error meets raw OUTPUT already RELATED, with the rejected connection's connmark, and NOTRACK
 * there leaves it alone (xt_CT ignores a packet that has an entry). The host's own answers to a
 * closed port carry none (the stack drops the entry first): raw OUTPUT sees them INVALID and
 * NOTRACK makes them UNTRACKED. A REJECT's reply to a packet without an entry (NOTRACKed on the way
 * in) carries a bare conntrack word: INVALID, and NOTRACK leaves it so. Found by the random kernel
 * trace test (seed 70123: a raw OUTPUT connmark match on a REJECT's reset; seed 1184: an INVALID
 * match in mangle OUTPUT on a REJECT's error to an untracked datagram). A client namespace sends to the host's REJECTing and closed
 * ports one at a time; the host counts its replies in raw OUTPUT. The emulator must match the same
 * raw OUTPUT rules for each, and the analysis must have packets (may) at every rule the kernel
 * counted. Two namespaces of our own, deleted after.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { Emulator, parseHostFile } from '../../server/src/emulator/index';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { countsByComment, kernelSkip, labTag, onePeerHostJson, peerAndHostLab, sh } from '../helpers/kernelCounters';

const skip = kernelSkip('REJECT REPLY', { does: 'it sends the probes' });

const tag = labTag('nflr');
const [C, H] = [`${tag}c`, `${tag}h`];
const CLIENT = '10.9.3.1';
const HOST = '10.9.3.2';

/** The raw OUTPUT rules that count (by comment), after a NOTRACK of every packet. */
const COUNTED = ['related', 'related-marked', 'untracked', 'invalid'] as const;
const RULES = [
  '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  '-A PREROUTING -i eth0 -p tcp --dport 86 -j NOTRACK',
  '-A PREROUTING -i eth0 -p udp --dport 87 -j NOTRACK',
  '-A OUTPUT -o eth0 -j NOTRACK',
  '-A OUTPUT -o eth0 -m conntrack --ctstate RELATED -m comment --comment related',
  '-A OUTPUT -o eth0 -m connmark --mark 0x5 -m comment --comment related-marked',
  '-A OUTPUT -o eth0 -m conntrack --ctstate UNTRACKED -m comment --comment untracked',
  '-A OUTPUT -o eth0 -m conntrack --ctstate INVALID -m comment --comment invalid',
  'COMMIT',
  '*mangle', ':PREROUTING ACCEPT [0:0]',
  '-A PREROUTING -i eth0 -j CONNMARK --set-mark 0x5',
  'COMMIT',
  '*filter', ':INPUT ACCEPT [0:0]',
  '-A INPUT -p tcp --dport 81 -j REJECT --reject-with tcp-reset',
  '-A INPUT -p udp --dport 82 -j REJECT --reject-with icmp-port-unreachable',
  '-A INPUT -p tcp --dport 83 -j REJECT --reject-with icmp-admin-prohibited',
  '-A INPUT -p tcp --dport 86 -j REJECT --reject-with tcp-reset',
  '-A INPUT -p udp --dport 87 -j REJECT',
  'COMMIT', '',
].join('\n');

const HOST_JSON = onePeerHostJson('rejects', `${HOST}/24`, { name: 'c', address: CLIENT });

/** One probe each: what the client sends, and which raw OUTPUT rules count the host's answer. */
const PROBES = [
  { name: "REJECT's reset", proto: 'tcp', port: 81, counted: ['related', 'related-marked'] },
  { name: "REJECT's port unreachable", proto: 'udp', port: 82, counted: ['related', 'related-marked'] },
  { name: "REJECT's admin prohibited (to TCP)", proto: 'tcp', port: 83, counted: ['related', 'related-marked'] },
  { name: "a closed port's reset", proto: 'tcp', port: 84, counted: ['untracked'] },
  { name: "a closed port's port unreachable", proto: 'udp', port: 85, counted: ['untracked'] },
  { name: "REJECT's reset to an untracked segment", proto: 'tcp', port: 86, counted: ['invalid'] },
  { name: "REJECT's port unreachable to an untracked datagram", proto: 'udp', port: 87, counted: ['invalid'] },
] as const;

/** A connect() or a datagram to the host, answered by nobody: argv proto dst port. */
const PROBE = `
import socket, sys
proto, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == 'tcp' else socket.SOCK_DGRAM)
s.settimeout(1)
try:
    if proto == 'tcp': s.connect((dst, port))
    else: s.sendto(b'nflens', (dst, port)); s.recvfrom(100)
except OSError: pass
`;

describe("kernel: a REJECT's reply meets raw OUTPUT with the rejected connection's entry, as the emulator and the analysis say", { skip }, () => {
  let destroy: (() => void) | undefined;
  before(() => {
    destroy = peerAndHostLab([C, CLIENT], [H, HOST], RULES);
  });
  after(() => destroy?.());

  it('each reply is counted by the raw OUTPUT rules the emulator matches, and the analysis has packets there', () => {
    const host = parseHostFile(HOST_JSON).value!.host;
    const rs = parseIptables(RULES, { backend: 'nft', family: 'ipv4' }).ruleset;
    const lines = RULES.split('\n');
    const commentOf = (line: number): string | undefined => /--comment (\S+)/.exec(lines[line] ?? '')?.[1];
    const kernelSaw = new Set<string>();
    for (const p of PROBES) {
      const was = countsByComment(H);
      sh(['ip', 'netns', 'exec', C, 'python3', '-c', PROBE, p.proto, HOST, String(p.port)]);
      const now = countsByComment(H);
      const kernel = COUNTED.filter((k) => (now.get(k) ?? 0) > (was.get(k) ?? 0));
      assert.deepEqual(kernel, p.counted, `${p.name}: the rules the kernel counted`);
      for (const k of kernel) kernelSaw.add(k);
      // The emulator, on a fresh host for each probe: the raw OUTPUT rules it matched for the reply.
      const emu = new Emulator(rs, host);
      const peer = host.peers.find((x) => x.name === 'c')!;
      const r = emu.trace({ proto: p.proto, src: peer.addr, dst: host.ifaces.get('eth0')!.addrs[0]!.addr, dport: p.port, origin: { kind: 'peer', peer } });
      const matched = r.events.flatMap((e) => (e.type === 'rule' && e.matched && e.rule.table === 'raw' && e.rule.chain === 'OUTPUT' ? [commentOf(e.rule.line)] : [])).filter((c) => c !== undefined);
      assert.deepEqual(matched, p.counted, `${p.name}: the emulator matched ${matched.join(', ') || 'nothing'} in raw OUTPUT`);
    }
    // The analysis: packets at every rule the kernel counted (NOTRACK untracks only what carries no entry).
    const an = analyzeReachability(rs, { host });
    for (const k of kernelSaw) {
      const rule = [...an.rules()].find((x) => x.table === 'raw' && commentOf(x.rule.ref.line) === k)!;
      assert.ok((an.reach(rule.rule, rule.table, rule.chain).hits.get('OUTPUT')?.may.length ?? 0) > 0, `${k}: the kernel counted a reply, the analysis has no packet there`);
    }
  });
});
