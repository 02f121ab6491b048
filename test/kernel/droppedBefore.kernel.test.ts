/**
 * A rule whose conditions never hold because a table the packets meet earlier drops them
 * (droppedBefore.ts): the finding names that DROP. In the kernel, packets matching the dead rule's
 * conditions are sent; the DROP it names must count them, the dead rule none, and a rule of the same
 * chain for another source (the control: the lab does deliver packets to filter INPUT) must count its own.
 * - raw PREROUTING (an earlier hook): a user chain dropping one source arriving on eth0;
 * - mangle INPUT (the same hook, a table of higher priority): a DROP of icmp from another source;
 * - raw PREROUTING for a FORWARD rule with an output interface (routing chooses it after PREROUTING),
 *   behind a sliver (icmp timestamps from that source) that is not named.
 * Three namespaces of our own (sender, host routing to a server), deleted after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { reachFindings } from '../../server/src/analysis/findings';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { countsByComment, kernelSkip, lab, labTag, sh } from '../helpers/kernelCounters';

const skip = kernelSkip('DROPPED-BEFORE');

const tag = labTag('nfld');
const [A, H, B] = [`${tag}a`, `${tag}h`, `${tag}b`];
const HOST = '10.9.0.2';
/** Behind the host, on its eth1: the server forwarded packets go to. */
const SERVER = '10.9.1.2';
/** Sources on the sender: dropped in raw, dropped in mangle, let through (the control). */
const RAW_DROPPED = '10.9.0.1';
const MANGLE_DROPPED = '10.9.0.4';
const LET_THROUGH = '10.9.0.3';
/** Dropped in raw on its way to the server. */
const FWD_DROPPED = '10.9.0.5';
const PINGS = 2;

/** Each rule carries a comment naming it: the kernel's counters are read by it. */
const RULES = [
  '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':SPOOF - [0:0]',
  '-A PREROUTING -i eth0 -m comment --comment to-spoof -j SPOOF',
  `-A SPOOF -s ${RAW_DROPPED}/32 -m comment --comment raw-drop -j DROP`,
  `-A SPOOF -s ${FWD_DROPPED}/32 -p icmp --icmp-type timestamp-request -m comment --comment sliver -j DROP`,
  `-A SPOOF -s ${FWD_DROPPED}/32 -d 10.9.1.0/24 -m comment --comment raw-drop-fwd -j DROP`,
  'COMMIT',
  '*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
  `-A INPUT -s ${MANGLE_DROPPED}/32 -p icmp -m comment --comment mangle-drop -j DROP`,
  'COMMIT',
  '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]',
  `-A INPUT -s ${RAW_DROPPED}/32 -i eth0 -p icmp -m comment --comment dead-raw -j ACCEPT`,
  `-A INPUT -s ${MANGLE_DROPPED}/32 -p icmp -m comment --comment dead-mangle -j ACCEPT`,
  `-A INPUT -s ${LET_THROUGH}/32 -i eth0 -p icmp -m comment --comment live -j ACCEPT`,
  `-A FORWARD -s ${FWD_DROPPED}/32 -d ${SERVER}/32 -i eth0 -o eth1 -p icmp -m comment --comment dead-fwd -j ACCEPT`,
  `-A FORWARD -s ${LET_THROUGH}/32 -d ${SERVER}/32 -i eth0 -o eth1 -p icmp -m comment --comment live-fwd -j ACCEPT`,
  'COMMIT', '',
].join('\n');

const commentOf = (line: string): string => /--comment (\S+)/.exec(line)?.[1] ?? '';

/** Per dead rule (by comment): the rules (by comment) its finding names as dropping its packets earlier. */
function analysedDroppers(text: string): Map<string, string[]> {
  const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
  const lines = text.split('\n');
  const out = new Map<string, string[]>();
  for (const d of reachFindings(rs, analyzeReachability(rs), { lineText: (l) => lines[l] })) {
    const named = /Earlier, (.*) drops? packets it would match/.exec(d.message)?.[1];
    if (!named) continue;
    out.set(commentOf(lines[d.span.start.line]!), [...named.matchAll(/line (\d+)/g)].map((m) => commentOf(lines[Number(m[1]) - 1]!)));
  }
  return out;
}

describe('kernel: a rule that earlier tables leave no packet for names the DROP that takes them', { skip }, () => {
  let remove = (): void => {};
  before(() => {
    remove = lab({
      namespaces: [A, H, B],
      links: [[A, 'eth0', H, 'eth0'], [B, 'eth0', H, 'eth1']],
      addresses: [
        ...[RAW_DROPPED, LET_THROUGH, MANGLE_DROPPED, FWD_DROPPED].map((src) => [A, 'eth0', `${src}/24`] as const),
        [H, 'eth0', `${HOST}/24`], [H, 'eth1', '10.9.1.1/24'], [B, 'eth0', `${SERVER}/24`],
      ],
      routes: [[A, '10.9.1.0/24', 'via', HOST]],
      forwarding: [H],
    });
  });
  after(() => remove());

  it('the analysis names the raw and the mangle DROP, and the kernel counts the packets there and none on the dead rules', () => {
    assert.deepEqual(Object.fromEntries(analysedDroppers(RULES)), { 'dead-raw': ['raw-drop'], 'dead-mangle': ['mangle-drop'], 'dead-fwd': ['raw-drop-fwd'] });
    sh(['ip', 'netns', 'exec', H, 'iptables-nft-restore'], RULES);
    // Pings from each source (the dropped ones get no answer: ping's status is not read).
    for (const src of [RAW_DROPPED, MANGLE_DROPPED, LET_THROUGH]) {
      spawnSync('ip', ['netns', 'exec', A, 'ping', '-c', String(PINGS), '-i', '0.2', '-W', '1', '-I', src, HOST], { encoding: 'utf8' });
    }
    for (const src of [FWD_DROPPED, LET_THROUGH]) {
      spawnSync('ip', ['netns', 'exec', A, 'ping', '-c', String(PINGS), '-i', '0.2', '-W', '1', '-I', src, SERVER], { encoding: 'utf8' });
    }
    const counts = countsByComment(H);
    const seen = Object.fromEntries(['raw-drop', 'mangle-drop', 'dead-raw', 'dead-mangle', 'live', 'raw-drop-fwd', 'sliver', 'dead-fwd', 'live-fwd'].map((c) => [c, counts.get(c)]));
    // The control first: without packets at filter INPUT, the dead rules' zeros would say nothing.
    assert.equal(seen.live, PINGS, JSON.stringify(seen));
    assert.equal(seen['raw-drop'], PINGS, JSON.stringify(seen));
    assert.equal(seen['mangle-drop'], PINGS, JSON.stringify(seen));
    assert.equal(seen['dead-raw'], 0, JSON.stringify(seen));
    assert.equal(seen['dead-mangle'], 0, JSON.stringify(seen));
    // Forwarded: the control reaches FORWARD, the named DROP takes the other source's pings, the sliver none.
    assert.equal(seen['live-fwd'], PINGS, JSON.stringify(seen));
    assert.equal(seen['raw-drop-fwd'], PINGS, JSON.stringify(seen));
    assert.equal(seen['dead-fwd'], 0, JSON.stringify(seen));
    assert.equal(seen.sliver, 0, JSON.stringify(seen));
  });
});
