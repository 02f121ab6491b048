/**
 * ESTABLISHED and RELATED need a tracked answer (analysis: reach/trackedAnswers.ts): where raw rules
 * NOTRACK the answers, the kernel never gives a connection's packets those states. Real conversations
 * this time, not entries put in with `conntrack -I` (which is how the witness test makes ESTABLISHED
 * packets, and why it cannot see this): TCP and UDP to services on two ports each, pings, and UDP to
 * a closed port (its port unreachable is RELATED), between a peer and the host both ways and inside
 * the host over lo. The host counts every packet per direction, service, protocol and state, and
 * those of connections with a connmark (no rule writes one, so none has; the analysis's
 * reach/connmarks.ts) and those received with a mark (none is); the conntrack table is flushed
 * before each ruleset.
 *
 * For each ruleset (NOTRACK of everything the host sends, of a DNS server's answers, of lo one way
 * and both ways, none), with the lab host's description:
 * - every rule the kernel counted has packets in the analysis (`may`: sound);
 * - every NEW, ESTABLISHED or RELATED rule the analysis gives an example for (`must`) was counted
 *   (the traffic holds every kind of conversation such a rule can see here).
 * Two namespaces of our own, deleted after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { parseHostFile } from '../../server/src/emulator/index';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { countsByComment, kernelSkip, labTag, onePeerHostJson, peerAndHostLab, sh } from '../helpers/kernelCounters';

const skip = kernelSkip('NOTRACKED ANSWERS', { does: 'its peers answer TCP and UDP' });

const tag = labTag('nfln');
const [A, H] = [`${tag}a`, `${tag}h`];
const PEER = '10.9.6.1';
const HOST = '10.9.6.2';

/** Where a packet is counted: arriving from the peer, leaving to it, arriving over lo. */
const WAYS = [['in', '-A INPUT -i eth0'], ['out', '-A OUTPUT -o eth0'], ['lo', '-A INPUT -i lo']] as const;
/** What it belongs to: a service (either end's port), pings, or a closed port (nothing answers there). */
const SERVICES = [['tcp22', '-p tcp -m multiport --ports 22'], ['tcp23', '-p tcp -m multiport --ports 23'], ['udp53', '-p udp -m multiport --ports 53'], ['udp54', '-p udp -m multiport --ports 54'], ['udp9', '-p udp -m multiport --ports 9'], ['icmp', '-p icmp']] as const;
const STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'] as const;
/** Whether this traffic shows the kernel counting a rule of this service and state whenever the analysis gives an example packet for it. */
const promised = (svc: string, state: string): boolean => ['NEW', 'RELATED', 'ANY'].includes(state) || (state === 'ESTABLISHED' && svc !== 'udp9');

/** And packets of connections with a connmark, which no rule here writes (a connection starts with none): never counted. */
const MARKED = ['cm5', '-m connmark --mark 0x5/0xff'] as const;

const COUNTING = [
  ...WAYS.flatMap(([way, head]) => [...SERVICES, MARKED].flatMap(([svc, match]) => STATES.map((st) => `${head} ${match} -m conntrack --ctstate ${st} -m comment --comment ${way}-${svc}-${st}`))),
  // And packets received with a mark, which no rule gives (a packet received has none): never counted.
  '-A INPUT -i eth0 -m mark --mark 0x5/0xff -m comment --comment in-mark5-ANY',
];

const RULESETS: ReadonlyArray<readonly [name: string, raw: readonly string[]]> = [
  ['the host NOTRACKs all it sends', ['-A OUTPUT -j NOTRACK']],
  ["a DNS server's answers NOTRACKed", ['-A OUTPUT -p udp --sport 53 -j NOTRACK']],
  ['lo NOTRACKed on the way in only (looped packets keep their entry)', ['-A PREROUTING -i lo -j NOTRACK']],
  ['lo NOTRACKed both ways', ['-A PREROUTING -i lo -j NOTRACK', '-A OUTPUT -o lo -j NOTRACK']],
  ['nothing NOTRACKed', []],
];

function rules(raw: readonly string[]): string {
  return ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...raw, 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...COUNTING, 'COMMIT', ''].join('\n');
}

/** Serves TCP 22 and 23 (a line back, then close) and UDP 53 and 54 (each datagram answered) for argv[1] seconds. */
const SERVE = `
import socket, select, sys, time
end = time.time() + float(sys.argv[1])
socks = []
for p in (22, 23):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', p)); s.listen(8); socks.append(s)
for p in (53, 54):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', p)); socks.append(u)
print('ready', flush=True)
while time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.1)
    for s in r:
        if s.type == socket.SOCK_STREAM:
            c, _ = s.accept(); c.settimeout(1)
            try:
                c.recv(100); c.sendall(b'hi\\n')
            except OSError:
                pass
            c.close()
        else:
            d, a = s.recvfrom(100); s.sendto(d, a)
`;

/** Talks to argv[1]: each TCP service (a line, the answer), each UDP service twice from one socket, UDP to closed port 9. */
const TALK = `
import socket, sys
dst = sys.argv[1]
for p in (22, 23):
    try:
        c = socket.create_connection((dst, p), timeout=1); c.sendall(b'hello\\n'); c.recv(100); c.close()
    except OSError:
        pass
for p in (53, 54):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
    for _ in range(2):
        u.sendto(b'q', (dst, p))
        try:
            u.recv(100)
        except OSError:
            pass
    u.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b'x', (dst, 9)); u.close()
`;

const HOST_JSON = onePeerHostJson('notrack', `${HOST}/24`, { name: 'a', address: PEER });

/** Starts the services in a namespace; gives what waits for them to end. */
function serve(ns: string, seconds: number): () => void {
  const p = spawnSync('sh', ['-c', `ip netns exec ${ns} python3 -c "$0" ${seconds} > /dev/null 2>&1 &`, SERVE]);
  if (p.status !== 0) throw new Error(`services in ${ns} did not start`);
  return () => spawnSync('sleep', [String(seconds + 0.3)]);
}

describe('kernel: ESTABLISHED and RELATED need tracked answers, as the analysis says', { skip }, () => {
  let destroy: (() => void) | undefined;
  before(() => {
    destroy = peerAndHostLab([A, PEER], [H, HOST], rules([]));
  });
  after(() => destroy?.());

  for (const [name, raw] of RULESETS) {
    it(`${name}: what the kernel counted has packets in the analysis, and every example the analysis gives was counted`, () => {
      const text = rules(raw);
      sh(['ip', 'netns', 'exec', H, 'iptables-nft-restore'], text);
      spawnSync('ip', ['netns', 'exec', H, 'conntrack', '-F'], { stdio: 'ignore' });
      const wait = [serve(A, 3), serve(H, 3)];
      spawnSync('sleep', ['0.5']);
      sh(['ip', 'netns', 'exec', A, 'python3', '-c', TALK, HOST]);
      sh(['ip', 'netns', 'exec', H, 'python3', '-c', TALK, PEER]);
      sh(['ip', 'netns', 'exec', H, 'python3', '-c', TALK, '127.0.0.1']);
      for (const [ns, dst] of [[A, HOST], [H, PEER], [H, '127.0.0.1']] as const) sh(['ip', 'netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.2', '-W', '1', dst]);
      for (const w of wait) w();
      const counts = countsByComment(H);

      const host = parseHostFile(HOST_JSON).value!.host;
      const an = analyzeReachability(parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset, { host });
      const lines = text.split('\n');
      const unsound: string[] = [];
      const unseen: string[] = [];
      for (const x of an.rules()) {
        const key = /--comment (\S+)/.exec(lines[x.rule.ref.line]!)?.[1];
        if (!key) continue;
        const hook = x.chain;
        const f = an.reach(x.rule, x.table, x.chain).hits.get(hook as 'INPUT' | 'OUTPUT');
        const counted = counts.get(key) ?? 0;
        if (counted > 0 && !f?.may.length) unsound.push(`${key} (${counted})`);
        const [, svc, state] = key.split('-');
        if (f?.must.length && promised(svc!, state!) && counted === 0) unseen.push(key);
      }
      const seen = [...counts].filter(([, n]) => n > 0).map(([k, n]) => `${k}:${n}`).join(' ');
      assert.deepEqual(unsound, [], `the kernel counted these, the analysis has no packet for them (kernel: ${seen})`);
      assert.deepEqual(unseen, [], `the analysis gives an example packet for these, the kernel counted none (kernel: ${seen})`);
    });
  }
});
