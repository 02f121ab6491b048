/**
 * Which ICMP packets conntrack calls NEW (reach/pipeline.ts icmpNeverNew): only requests (echo,
 * timestamp, information, address mask) start a connection; a reply or an error about no
 * connection is INVALID. A sender writes one ICMP packet of each kind (raw socket, python3) to the
 * host, which counts them in filter INPUT per conntrack state. The analysis must have packets
 * (may) in state NEW for a kind exactly when the kernel counted it NEW. (The emulator's conntrack
 * makes the same call, emulator/conntrack.ts lookup; its conversations send only echo requests and
 * replies, so it is not asked here.) Two namespaces of our own, deleted after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { parseHostFile } from '../../server/src/emulator/index';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { labAvailable } from '../../server/src/verify/preconditions';
import { countsByComment, lab, sh } from '../helpers/kernelCounters';

const avail = labAvailable();
const python = spawnSync('python3', ['-c', 'import socket'], { encoding: 'utf8' }).status === 0;
const skip = !avail.ok ? `KERNEL ICMP STATE TESTS SKIPPED: ${avail.why}` : !python ? 'KERNEL ICMP STATE TESTS SKIPPED: python3 is not installed (it sends raw ICMP)' : false;
if (skip) console.log(`\n!!! ${skip}\n`);

const tag = `nfli${process.pid % 100000}`;
const [A, H] = [`${tag}a`, `${tag}h`];
const SENDER = '10.9.2.1';
const HOST = '10.9.2.2';

/** Each kind: its name in the rules' comments, ICMP type and code. */
const KINDS = [
  { name: 'echo', type: 8, code: 0 },
  { name: 'echoreply', type: 0, code: 0 },
  { name: 'timestamp', type: 13, code: 0 },
  { name: 'tsreply', type: 14, code: 0 },
  { name: 'unreach', type: 3, code: 1 },
  { name: 'routeradv', type: 9, code: 0 },
] as const;
const STATES = ['NEW', 'INVALID', 'ESTABLISHED', 'RELATED'] as const;

const RULES = [
  '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  ...KINDS.flatMap((k) => STATES.map((s) => `-A INPUT -i eth0 -p icmp -m icmp --icmp-type ${k.type}/${k.code} -m conntrack --ctstate ${s} -m comment --comment ${k.name}-${s}`)),
  'COMMIT', '',
].join('\n');

const HOST_JSON = JSON.stringify({
  name: 'icmp',
  interfaces: [{ name: 'eth0', addresses: [`${HOST}/24`] }],
  routes: [],
  peers: [{ name: 'a', address: SENDER, via: 'eth0' }],
});

/** Writes an ICMP header (type, code, id 1, sequence 1) and 8 bytes, from a raw socket: argv dst type code. */
const SEND = `
import socket, struct, sys
dst, t, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
body = struct.pack('!BBHHH', t, c, 0, 1, 1) + b'nflens!!'
body = body[:2] + struct.pack('!H', csum(body)) + body[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(body, (dst, 0))
`;

describe('kernel: conntrack calls an ICMP packet NEW only when it is a request, as the analysis says', { skip }, () => {
  let destroy: (() => void) | undefined;
  before(() => {
    destroy = lab({ namespaces: [A, H], links: [[A, 'eth0', H, 'eth0']], addresses: [[A, 'eth0', `${SENDER}/24`], [H, 'eth0', `${HOST}/24`]] });
    sh(['ip', 'netns', 'exec', H, 'iptables-nft-restore'], RULES);
  });
  after(() => destroy?.());

  it('each kind is counted in one state; the analysis has NEW packets for exactly the kinds the kernel counted NEW', () => {
    for (const k of KINDS) sh(['ip', 'netns', 'exec', A, 'python3', '-c', SEND, HOST, String(k.type), String(k.code)]);
    const counts = countsByComment(H);
    const host = parseHostFile(HOST_JSON).value!.host;
    const rs = parseIptables(RULES, { backend: 'nft', family: 'ipv4' }).ruleset;
    const an = analyzeReachability(rs, { host });
    const lines = RULES.split('\n');
    for (const k of KINDS) {
      const kernel = STATES.filter((s) => (counts.get(`${k.name}-${s}`) ?? 0) > 0);
      assert.equal(kernel.length, 1, `${k.name}: the kernel counted it in ${kernel.join(', ') || 'no state'}`);
      // The analysis: packets of this kind at the NEW rule, or not.
      const rule = [...an.rules()].find((x) => lines[x.rule.ref.line]!.includes(`--comment ${k.name}-NEW`))!;
      const newMay = (an.reach(rule.rule, rule.table, rule.chain).hits.get('INPUT')?.may.length ?? 0) > 0;
      assert.equal(newMay, kernel[0] === 'NEW', `${k.name}: the kernel counted it ${kernel[0]}, the analysis ${newMay ? 'has' : 'has no'} NEW packets of it`);
    }
  });
});
