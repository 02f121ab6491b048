/**
 * ESTABLISHED and RELATED need a tracked answer (reach/trackedAnswers.ts): where raw rules NOTRACK
 * every answer a packet can have, `must` (example packets) has none in that state, while `may` keeps
 * them; RELATED packets that are not ICMP errors need a helper. The kernel half:
 * test/kernel/notrackAnswers.kernel.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { ruleFlows } from '../../../server/src/analysis/ruleFlows';
import type { HostModel } from '../../../server/src/emulator/host/model';
import { Emulator, parseHostFile, type TraceEvent } from '../../../server/src/emulator/index';
import { parseIpv4Strict } from '../../../server/src/lang/iptables/inet';
import { LAB_HOST_JSON } from '../../helpers/netlab/traceGenerator';
import { bounds, parseNft, rawAndFilter } from '../../helpers/ruleBounds';

const host: HostModel = parseHostFile(LAB_HOST_JSON).value!.host;
const ip = (s: string): number => parseIpv4Strict(s)!;
const parse = parseNft;
const rules = rawAndFilter;

describe('tracked answers: ESTABLISHED and RELATED need them (must only)', () => {
  it('the host NOTRACKs all it sends: nothing delivered to it is ESTABLISHED or RELATED; forwarded packets still are', () => {
    const text = rules(['-A OUTPUT -j NOTRACK'], [
      '-A INPUT -p tcp -m conntrack --ctstate ESTABLISHED',
      '-A INPUT -p udp -m conntrack --ctstate ESTABLISHED',
      '-A INPUT -p icmp -m conntrack --ctstate ESTABLISHED',
      '-A INPUT -p icmp -m conntrack --ctstate RELATED',
      '-A INPUT -p tcp -m conntrack --ctstate NEW',
      '-A FORWARD -p tcp -m conntrack --ctstate ESTABLISHED',
      '-A FORWARD -p icmp -m conntrack --ctstate RELATED',
    ]);
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/-', 'may/-', 'may/-', 'may/must']);
    assert.deepEqual([1, 2].map((n) => bounds(text, 'FORWARD', n)), ['may/must', 'may/must']);
  });

  it('the emulator agrees: a client\'s segments to a host whose answers are NOTRACKed never meet the ESTABLISHED rule', () => {
    const text = rules(['-A OUTPUT -j NOTRACK'], ['-A INPUT -p tcp -m conntrack --ctstate ESTABLISHED', '-A INPUT -p tcp -m conntrack --ctstate INVALID']);
    const emu = new Emulator(parse(text), host);
    const peer = host.peers.find((p) => p.name === 'x1')!;
    const hit = new Set<number>();
    emu.trace({ proto: 'tcp', src: peer.addr, sport: 40000, dst: ip('10.0.1.1'), dport: 22, origin: { kind: 'peer', peer } }, (e: TraceEvent) => {
      if (e.type === 'rule' && e.matched && e.rule.chain === 'INPUT') hit.add(e.rule.index + 1);
    });
    assert.deepEqual([...hit].sort(), [2], 'INVALID only');
  });

  it('only the answers NOTRACKed lose the state: a DNS server\'s answers untracked, its queries are never ESTABLISHED, other UDP is', () => {
    const text = rules(['-A OUTPUT -p udp --sport 53 -j NOTRACK'], [
      '-A INPUT -p udp --dport 53 -m conntrack --ctstate ESTABLISHED',
      '-A INPUT -p udp --dport 54 -m conntrack --ctstate ESTABLISHED',
      '-A INPUT -p udp --sport 53 -m conntrack --ctstate ESTABLISHED',
    ]);
    assert.deepEqual([1, 2, 3].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/must', 'may/must']);
  });

  it('answers leave by the interface the packet came in on: lo NOTRACKed on the way out, lo loses the state, eth0 keeps it', () => {
    const text = rules(['-A OUTPUT -o lo -j NOTRACK'], ['-A INPUT -i lo -m conntrack --ctstate ESTABLISHED', '-A INPUT -i eth0 -m conntrack --ctstate ESTABLISHED']);
    assert.deepEqual([1, 2].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/must']);
  });

  it('a packet arriving on lo was sent by the host: NOTRACKed on its way out, it is in no tracked state when it comes back in', () => {
    const text = rules(['-A OUTPUT -o lo -p udp -j NOTRACK'], ['-A INPUT -i lo -p udp -m conntrack --ctstate NEW', '-A INPUT -i lo -p tcp -m conntrack --ctstate NEW', '-A INPUT -i lo -p udp -m conntrack --ctstate UNTRACKED']);
    assert.deepEqual([1, 2, 3].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/must', 'may/-']);
  });

  it('a forwarded packet\'s answer arrives on the interface it leaves by', () => {
    const text = rules(['-A PREROUTING -i eth1 -j NOTRACK'], [
      '-A FORWARD -i eth0 -o eth1 -m conntrack --ctstate ESTABLISHED',
      '-A FORWARD -i eth0 -o eth2 -m conntrack --ctstate ESTABLISHED',
    ]);
    assert.deepEqual([1, 2].map((n) => bounds(text, 'FORWARD', n)), ['may/-', 'may/must']);
  });

  it('the host\'s own packets: their answers arrive on any interface; out of lo, the host answers itself', () => {
    const text = rules(['-A PREROUTING -i eth0 -j NOTRACK', '-A OUTPUT -o lo -p tcp --sport 22 -j NOTRACK'], [], [
      '*mangle', ':OUTPUT ACCEPT [0:0]',
      '-A OUTPUT -o eth0 -m conntrack --ctstate ESTABLISHED',
      '-A OUTPUT -o lo -p tcp --dport 22 -m conntrack --ctstate ESTABLISHED',
      '-A OUTPUT -o lo -p tcp --dport 23 -m conntrack --ctstate ESTABLISHED',
      'COMMIT',
    ]);
    assert.deepEqual([1, 2, 3].map((n) => bounds(text, 'OUTPUT', n, 'mangle')), ['may/must', 'may/-', 'may/must']);
  });

  it('with NAT bindings the answer\'s addresses and ports are unknown: only the protocol is read', () => {
    const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.9:80', 'COMMIT'];
    const text = rules(['-A OUTPUT -p udp --sport 53 -j NOTRACK'], ['-A INPUT -p udp --dport 53 -m conntrack --ctstate ESTABLISHED'], nat);
    assert.equal(bounds(text, 'INPUT', 1), 'may/must');
    const allUdp = rules(['-A OUTPUT -p udp -j NOTRACK'], ['-A INPUT -p udp --dport 53 -m conntrack --ctstate ESTABLISHED'], nat);
    assert.equal(bounds(allUdp, 'INPUT', 1), 'may/-');
  });

  it('RELATED other than an ICMP error only with a helper (CT --helper); without one, no example', () => {
    const filter = ['-A INPUT -p tcp -m conntrack --ctstate RELATED', '-A INPUT -p icmp -m conntrack --ctstate RELATED'];
    assert.deepEqual([1, 2].map((n) => bounds(rules([], filter), 'INPUT', n)), ['may/-', 'may/must']);
    assert.deepEqual([1, 2].map((n) => bounds(rules(['-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'], filter), 'INPUT', n)), ['may/must', 'may/must']);
  });

  it('hover says what such a rule\'s packets need, and gives no example', () => {
    const text = rules(['-A OUTPUT -j NOTRACK'], ['-A INPUT -p tcp -m conntrack --ctstate ESTABLISHED', '-A INPUT -p tcp -m conntrack --ctstate RELATED', '-A INPUT -p udp -m conntrack --ctstate NEW']);
    const an = analyzeReachability(parse(text));
    const lines = text.split('\n');
    const at = (rule: string) => ruleFlows(an, lines.indexOf(rule))!;
    const est = at('-A INPUT -p tcp -m conntrack --ctstate ESTABLISHED');
    assert.equal(est.example, undefined);
    assert.match(est.rows[0]!.onlyIf!.join('; '), /^an answer of their connection passed conntrack tracked \(the NOTRACK rules here may untrack every answer/);
    const rel = at('-A INPUT -p tcp -m conntrack --ctstate RELATED');
    assert.deepEqual(rel.rows[0]!.onlyIf, ['a conntrack helper expects their connection (RELATED, other than ICMP errors; no rule here assigns one with CT --helper)']);
    const fresh = at('-A INPUT -p udp -m conntrack --ctstate NEW');
    assert.equal(fresh.rows[0]!.onlyIf, undefined);
    assert.ok(fresh.example);
  });
});

