/**
 * Multicast destinations with a host description (reach/pipeline.ts runAll): routing delivers a
 * datagram to a group only when the host is a member (a process joined it; every interface is a
 * member of all-hosts, 224.0.0.1), and forwards none without a multicast routing daemon. The
 * description does not say which groups are joined, so the analysis must give packets (may) at
 * INPUT for every group, example packets (must) only for all-hosts, and none surely forwarded; no
 * finding may call such an INPUT rule unreachable (until the twenty-sixth session an mDNS rule was).
 * The sender writes UDP datagrams to three groups; the host counts them in raw PREROUTING, filter
 * INPUT and filter FORWARD, first with no member, then while a process of its own joined 224.0.0.251.
 * The emulator does not model multicast (server/src/emulator/README.md) and is not asked here.
 * Three namespaces of our own (sender, host, a server behind it), deleted after.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { reachFindings } from '../../server/src/analysis/findings';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { parseHostFile } from '../../server/src/emulator/index';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { countsByComment, kernelSkip, lab, labTag, sh } from '../helpers/kernelCounters';

const skip = kernelSkip('MULTICAST', { does: 'it sends and joins' });

const tag = labTag('nflc');
const [A, H, B] = [`${tag}a`, `${tag}h`, `${tag}b`];
const SENDER = '10.9.0.1';
const HOST = '10.9.0.2';

/** Each group: its counting rules' name, and the port the datagram goes to. */
const GROUPS = [
  { name: 'allhosts', group: '224.0.0.1', port: 9 },
  { name: 'mdns', group: '224.0.0.251', port: 5353 },
  { name: 'other', group: '239.1.2.3', port: 9 },
] as const;

const RULES = [
  '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  ...GROUPS.map((g) => `-A PREROUTING -i eth0 -d ${g.group}/32 -p udp -m udp --dport ${g.port} -m comment --comment pre-${g.name}`),
  'COMMIT',
  '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  ...GROUPS.map((g) => `-A INPUT -i eth0 -d ${g.group}/32 -p udp -m udp --dport ${g.port} -m comment --comment in-${g.name}`),
  ...GROUPS.map((g) => `-A FORWARD -i eth0 -d ${g.group}/32 -p udp -m udp --dport ${g.port} -m comment --comment fwd-${g.name}`),
  'COMMIT', '',
].join('\n');

const HOST_JSON = JSON.stringify({
  name: 'multicast',
  interfaces: [{ name: 'eth0', addresses: [`${HOST}/24`] }, { name: 'eth1', addresses: ['10.9.1.1/24'] }],
  routes: [],
  sysctl: { 'net.ipv4.ip_forward': 1 },
  peers: [{ name: 'a', address: SENDER, via: 'eth0' }],
});

/** Per counting rule (by comment): whether the analysis has packets (may), example packets (must), and a finding calling it unreachable. */
function analysed(): Map<string, { may: boolean; must: boolean; dead: boolean }> {
  const lines = RULES.split('\n');
  const rs = parseIptables(RULES, { backend: 'nft', family: 'ipv4' }).ruleset;
  const an = analyzeReachability(rs, { host: parseHostFile(HOST_JSON).value!.host });
  const dead = new Set(reachFindings(rs, an).filter((f) => f.code === 'unreachable-rule').map((f) => f.span.start.line));
  const out = new Map<string, { may: boolean; must: boolean; dead: boolean }>();
  for (const x of an.rules()) {
    if (x.table !== 'filter') continue;
    const line = an.lineOf(x.rule);
    const hit = an.reach(x.rule, x.table, x.chain).hits.get(x.chain as 'INPUT' | 'FORWARD');
    out.set(/--comment (\S+)/.exec(lines[line]!)![1]!, { may: (hit?.may.length ?? 0) > 0, must: (hit?.must.length ?? 0) > 0, dead: dead.has(line) });
  }
  return out;
}

/** Python sending one datagram to each group out of A's eth0 (TTL 2: it could be forwarded once). */
const SEND = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
for pair in sys.argv[2:]:
    group, port = pair.split(':')
    s.sendto(b'ping', (group, int(port)))
`;

/** Python in H joining 224.0.0.251 on eth0 and staying a member until killed (it says "joined" first). */
const JOIN = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('224.0.0.251') + socket.inet_aton(sys.argv[1]))
print('joined', flush=True)
time.sleep(30)
`;

function send(): void {
  sh(['ip', 'netns', 'exec', A, 'python3', '-c', SEND, SENDER, ...GROUPS.map((g) => `${g.group}:${g.port}`)]);
  spawnSync('sleep', ['0.3']);
}

describe('kernel: multicast is delivered to members only and never forwarded, as the analysis with a host description allows', { skip }, () => {
  let remove = (): void => {};
  before(() => {
    remove = lab({
      namespaces: [A, H, B],
      links: [[A, 'eth0', H, 'eth0'], [B, 'eth0', H, 'eth1']],
      addresses: [[A, 'eth0', `${SENDER}/24`], [H, 'eth0', `${HOST}/24`], [H, 'eth1', '10.9.1.1/24'], [B, 'eth0', '10.9.1.2/24']],
      forwarding: [H],
    });
  });
  after(() => remove());

  it('no member, then a member of 224.0.0.251: the kernel counts; the analysis has packets for each INPUT rule, sure ones for all-hosts only, none surely forwarded', async () => {
    sh(['ip', 'netns', 'exec', H, 'iptables-nft-restore'], RULES);
    send();
    const first = countsByComment(H);
    const joiner = spawn('ip', ['netns', 'exec', H, 'python3', '-c', JOIN, HOST], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        joiner.stdout.on('data', (d: Buffer) => d.toString().includes('joined') && resolve());
        joiner.on('exit', (code) => reject(new Error(`the joining process exited (${code})`)));
      });
      send();
    } finally {
      joiner.kill();
    }
    const second = countsByComment(H);
    const seen = (c: string) => ({ first: first.get(c), second: second.get(c) });
    for (const g of GROUPS) assert.deepEqual(seen(`pre-${g.name}`), { first: 1, second: 2 }, `${g.name} should reach raw PREROUTING each time`);
    // Delivered: all-hosts each time; mDNS only while a member; the other group never (no member).
    assert.deepEqual(seen('in-allhosts'), { first: 1, second: 2 });
    assert.deepEqual(seen('in-mdns'), { first: 0, second: 1 });
    assert.deepEqual(seen('in-other'), { first: 0, second: 0 });
    // Forwarded: none (no multicast routing daemon), though forwarding is on and TTL allows it.
    for (const g of GROUPS) assert.deepEqual(seen(`fwd-${g.name}`), { first: 0, second: 0 }, `${g.name} should not be forwarded`);

    const an = analysed();
    // Whether a group is joined is not in the description: packets may reach every INPUT rule, surely only all-hosts'.
    for (const g of GROUPS) {
      const a = an.get(`in-${g.name}`)!;
      assert.deepEqual(a, { may: true, must: g.name === 'allhosts', dead: false }, `in-${g.name}`);
      assert.equal(an.get(`fwd-${g.name}`)!.must, false, `fwd-${g.name}: never surely forwarded`);
    }
  });
});
