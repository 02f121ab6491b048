/**
 * CT templates and conntrack zones. A CT rule in raw puts a template on the packet: until conntrack,
 * matches see it NEW (not INVALID), a later CT or NOTRACK leaves it alone, and conntrack looks the
 * packet up in the template's zone, per direction (--zone-orig, --zone-reply): a reply looked up in
 * another zone than its connection's finds nothing. One conversation at a time (a ping, a UDP query
 * and its answer, a TCP connection with a line each way) from a peer to the host, which counts every
 * packet per service, direction and state. For each conversation the rules the kernel counted must be
 * the rules the emulator matches for the same conversation, and the analysis must have packets for
 * each of them (and an example packet only for rules the kernel counted, among NEW and ESTABLISHED
 * ones). Two namespaces of our own, deleted after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { Emulator, parseHostFile, type ConversationSpec } from '../../server/src/emulator/index';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { countsByComment, kernelSkip, labTag, onePeerHostJson, peerAndHostLab, sh } from '../helpers/kernelCounters';

const skip = kernelSkip('CT TEMPLATE', { does: 'the host answers UDP and TCP' });

const tag = labTag('nflz');
const [A, H] = [`${tag}a`, `${tag}h`];
const PEER = '10.9.8.1';
const HOST = '10.9.8.2';

/**
 * Each service: what raw does to its packets on the way in and out, and why.
 * (ICMP: a zone on the way in only, then a NOTRACK that the template makes the kernel ignore.)
 */
const SERVICES = [
  { name: 'icmp', match: '-p icmp', pre: ['-j CT --zone 5', '-j NOTRACK'], out: [] },
  { name: 'udp5000', match: '-p udp --dport 5000', outMatch: '-p udp --sport 5000', pre: ['-j CT --zone 7'], out: ['-j CT --zone 8'] },
  { name: 'udp5001', match: '-p udp --dport 5001', outMatch: '-p udp --sport 5001', pre: ['-j CT --zone 7'], out: ['-j CT --zone 7'] },
  { name: 'tcp22', match: '-p tcp --dport 22', outMatch: '-p tcp --sport 22', pre: ['-j CT --zone 9'], out: ['-j CT --zone-reply 9'] },
  { name: 'tcp23', match: '-p tcp --dport 23', outMatch: '-p tcp --sport 23', pre: ['-j CT --zone-orig 9'], out: [] },
  { name: 'tcp24', match: '-p tcp --dport 24', outMatch: '-p tcp --sport 24', pre: ['-j CT --zone 9'], out: [] },
] as const;
const STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'] as const;

const outMatch = (s: (typeof SERVICES)[number]): string => ('outMatch' in s ? s.outMatch : s.match);

const RULES = [
  '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  ...SERVICES.flatMap((s) => s.pre.map((t) => `-A PREROUTING -i eth0 ${s.match} ${t}`)),
  // What raw's later rules see: the template, NEW.
  ...SERVICES.flatMap((s) => ['NEW', 'INVALID', 'UNTRACKED'].map((st) => `-A PREROUTING -i eth0 ${s.match} -m conntrack --ctstate ${st} -m comment --comment raw-${s.name}-${st}`)),
  ...SERVICES.flatMap((s) => s.out.map((t) => `-A OUTPUT -o eth0 ${outMatch(s)} ${t}`)),
  'COMMIT',
  '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  ...SERVICES.flatMap((s) => STATES.map((st) => `-A INPUT -i eth0 ${s.match} -m conntrack --ctstate ${st} -m comment --comment in-${s.name}-${st}`)),
  ...SERVICES.flatMap((s) => STATES.map((st) => `-A OUTPUT -o eth0 ${outMatch(s)} -m conntrack --ctstate ${st} -m comment --comment out-${s.name}-${st}`)),
  'COMMIT', '',
].join('\n');

/** Answers each UDP datagram on 5000 and 5001, and each TCP connection on 22-24 with a line, for argv[1] seconds. */
const SERVE = `
import socket, select, sys, time
end = time.time() + float(sys.argv[1])
socks = []
for p in (22, 23, 24):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', p)); s.listen(8); s.setblocking(False); socks.append(s)
for p in (5000, 5001):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', p)); socks.append(u)
while time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.1)
    for s in r:
        try:
            if s.type == socket.SOCK_STREAM:
                c, _ = s.accept(); c.settimeout(1); c.recv(100); c.sendall(b'hi\\n'); c.close()
            else:
                d, a = s.recvfrom(100); s.sendto(d, a)
        except OSError:
            pass
`;

/** One conversation: argv proto dst port (tcp: a line each way, then close; udp: one datagram and its answer). */
const TALK = `
import socket, sys
proto, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if proto == 'tcp':
        c = socket.create_connection((dst, port), timeout=1); c.sendall(b'hello\\n'); c.recv(100); c.close()
    else:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1); u.sendto(b'q', (dst, port)); u.recv(100); u.close()
except OSError:
    pass
`;

/**
 * The lab host, listening where SERVE does; mid-stream pickup off (nf_conntrack_tcp_loose), so that
 * the server's segments after a lost connection are INVALID: the emulator's conversation does not
 * send the server's own data and ACKs, which the kernel would otherwise pick up as NEW.
 */
const HOST_JSON = JSON.stringify({
  ...JSON.parse(onePeerHostJson('zones', `${HOST}/24`, { name: 'a', address: PEER })),
  listeners: [...[22, 23, 24].map((port) => ({ proto: 'tcp', port })), ...[5000, 5001].map((port) => ({ proto: 'udp', port }))],
  sysctl: { 'net.netfilter.nf_conntrack_tcp_loose': 0 },
});

describe('kernel: CT templates and conntrack zones, as the emulator and the analysis say', { skip }, () => {
  let destroy: (() => void) | undefined;
  before(() => {
    destroy = peerAndHostLab([A, PEER], [H, HOST], RULES);
    sh(['ip', 'netns', 'exec', H, 'sysctl', '-qw', 'net.netfilter.nf_conntrack_tcp_loose=0']);
  });
  after(() => destroy?.());

  for (const s of SERVICES) {
    it(`${s.name} (${s.pre.join(', ')} in; ${s.out.join(', ') || 'nothing'} out)`, () => {
      const host = parseHostFile(HOST_JSON).value!.host;
      const rs = parseIptables(RULES, { backend: 'nft', family: 'ipv4' }).ruleset;
      const lines = RULES.split('\n');
      const proto = s.name.replace(/\d+$/, '');
      const port = Number(s.name.replace(/^\D+/, '')) || 0;

      spawnSync('ip', ['netns', 'exec', H, 'conntrack', '-F'], { stdio: 'ignore' });
      const before = countsByComment(H);
      if (proto === 'icmp') sh(['ip', 'netns', 'exec', A, 'ping', '-c', '1', '-W', '1', HOST]);
      else {
        spawnSync('sh', ['-c', `ip netns exec ${H} python3 -c "$0" 2 > /dev/null 2>&1 &`, SERVE]);
        spawnSync('sleep', ['0.4']);
        sh(['ip', 'netns', 'exec', A, 'python3', '-c', TALK, proto, HOST, String(port)]);
        spawnSync('sleep', ['1.8']);
      }
      const kernel = [...countsByComment(H)].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k]) => k).sort();

      const peer = host.peers.find((x) => x.name === 'a')!;
      const spec: ConversationSpec = proto === 'icmp'
        ? { proto: 'icmp', src: peer.addr, dst: host.ifaces.get('eth0')!.addrs[0]!.addr, origin: { kind: 'peer', peer } }
        : { proto: proto as 'tcp' | 'udp', src: peer.addr, sport: 40000, dst: host.ifaces.get('eth0')!.addrs[0]!.addr, dport: port, origin: { kind: 'peer', peer } };
      const r = new Emulator(rs, host).trace(spec);
      const emulator = [...new Set(r.events.flatMap((e) => (e.type === 'rule' && e.matched ? [/--comment (\S+)/.exec(lines[e.rule.line] ?? '')?.[1]] : [])).filter((c): c is string => c !== undefined))].sort();
      assert.deepEqual(emulator, kernel, 'the emulator matched what the kernel counted');

      const an = analyzeReachability(rs, { host });
      for (const x of an.rules()) {
        const key = /--comment (\S+)/.exec(lines[x.rule.ref.line]!)?.[1];
        if (!key?.includes(`-${s.name}-`)) continue;
        const f = an.reach(x.rule, x.table, x.chain).hits.get(x.chain as 'PREROUTING' | 'INPUT' | 'OUTPUT');
        if (kernel.includes(key)) assert.ok(f?.may.length, `${key}: the kernel counted it, the analysis has no packet for it`);
        // The conversation is the peer's: what arrives NEW or ESTABLISHED, it shows whenever it can be.
        if (/^in-.*-(NEW|ESTABLISHED)$/.test(key) && f?.must.length) assert.ok(kernel.includes(key), `${key}: the analysis gives an example packet, the kernel counted none`);
      }
    });
  }
});
