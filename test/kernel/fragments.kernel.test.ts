/**
 * Which hooks meet IP fragments, in the kernel and in the reachability
 * analysis: a `-f` rule (second and later fragments) at PREROUTING, INPUT and
 * FORWARD, hit by pings of 3,000 bytes over links of MTU 1,500, once with no
 * rule that turns conntrack on and once with one. The kernel's counters say
 * whether each `-f` rule saw a fragment; the analysis must call it reachable
 * exactly then:
 * - without conntrack, PREROUTING and FORWARD see every fragment, INPUT only
 *   the datagram reassembled for local delivery;
 * - with conntrack, the defrag hooks reassemble before any table.
 * Three namespaces of our own (sender, host, receiver behind it), deleted after.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { reachFindings } from '../../server/src/analysis/findings';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { kernelSkip, lab, labTag, sh } from '../helpers/kernelCounters';

const skip = kernelSkip('FRAGMENT');

const tag = labTag('nflf');
const [A, H, C] = [`${tag}a`, `${tag}h`, `${tag}c`];

function rules(conntrack: boolean): string {
  return ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    '-A PREROUTING -f -j ACCEPT',
    '-A INPUT -f -j ACCEPT',
    '-A FORWARD -f -j ACCEPT',
    ...(conntrack ? ['-A OUTPUT -m conntrack --ctstate NEW -j ACCEPT'] : []),
    'COMMIT', ''].join('\n');
}

/** Per `-f` rule's chain: whether the analysis finds no packet reaches it. */
function analysedUnreachable(text: string): Map<string, boolean> {
  const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
  const lines = text.split('\n');
  const dead = new Set(reachFindings(rs, analyzeReachability(rs)).filter((d) => d.code === 'unreachable-rule').map((d) => d.span.start.line));
  const out = new Map<string, boolean>();
  lines.forEach((l, i) => {
    const m = /^-A (\S+) -f /.exec(l);
    if (m) out.set(m[1]!, dead.has(i));
  });
  return out;
}

/** Per `-f` rule's chain: the packets the kernel counted on it. */
function kernelCounts(): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of sh(['ip', 'netns', 'exec', H, 'iptables-nft-save', '-c', '-t', 'mangle']).split('\n')) {
    const m = /^\[(\d+):\d+\] -A (\S+) -f /.exec(l);
    if (m) out.set(m[2]!, Number(m[1]));
  }
  return out;
}

describe('kernel: which hooks meet IP fragments', { skip }, () => {
  let remove = (): void => {};
  before(() => {
    remove = lab({
      namespaces: [A, H, C],
      links: [[A, 'eth0', H, 'eth0'], [C, 'eth0', H, 'eth1']],
      addresses: [[A, 'eth0', '10.9.0.1/24'], [H, 'eth0', '10.9.0.2/24'], [H, 'eth1', '10.9.1.2/24'], [C, 'eth0', '10.9.1.1/24']],
      routes: [[A, 'default', 'via', '10.9.0.2'], [C, 'default', 'via', '10.9.1.2']],
      forwarding: [H],
    });
  });
  after(() => remove());

  for (const conntrack of [false, true]) {
    it(`${conntrack ? 'with' : 'without'} conntrack: a -f rule is reachable exactly where the kernel counts fragments`, () => {
      const text = rules(conntrack);
      // A fresh namespace state for the rules: flush what the other case loaded.
      sh(['ip', 'netns', 'exec', H, 'iptables-nft-restore'], text);
      for (const dst of ['10.9.0.2', '10.9.1.1']) sh(['ip', 'netns', 'exec', A, 'ping', '-c', '1', '-W', '2', '-s', '3000', dst]);
      const counts = kernelCounts();
      const dead = analysedUnreachable(text);
      assert.deepEqual([...counts.keys()].sort(), ['FORWARD', 'INPUT', 'PREROUTING']);
      for (const [chain, n] of counts) assert.equal(dead.get(chain), n === 0, `${chain}: the kernel counted ${n} fragments; the analysis says ${dead.get(chain) ? 'unreachable' : 'reachable'}\n${text}`);
      // The facts themselves, so that a lab that sends no fragments cannot pass by agreeing on nothing.
      assert.deepEqual(Object.fromEntries([...counts].map(([c, n]) => [c, n > 0])), { PREROUTING: !conntrack, INPUT: false, FORWARD: !conntrack });
    });
  }
});
