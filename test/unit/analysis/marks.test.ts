/**
 * A packet received has mark 0 (reach/pipeline.ts `arriving`): `must` has arriving packets only with
 * mark 0 until a rule marks them (over lo, where the sender may have set one, too: left out).
 *
 * A connection starts with connmark 0 and keeps it unless a rule writes one (reach/connmarks.ts):
 * `must` (example packets) has a NEW packet only with connmark 0, and tracked packets with another
 * connmark only where some CONNMARK rule writes one; `may` keeps every value. The kernel half:
 * test/kernel/notrackAnswers.kernel.test.ts (its cm5 and mark5 rules).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { ruleFlows } from '../../../server/src/analysis/ruleFlows';
import { bounds, parseNft, rawAndFilter } from '../../helpers/ruleBounds';

const COUNT = ['NEW', 'ESTABLISHED', 'RELATED'].map((st) => `-A INPUT -m connmark --mark 0x5/0xff -m conntrack --ctstate ${st}`);

describe('connection marks: a connection starts without one (must only)', () => {
  it('no rule writes one: no tracked packet surely has connmark 5; connmark 0 is sure', () => {
    const text = rawAndFilter([], [...COUNT, '-A INPUT -m connmark --mark 0x0/0xff -m conntrack --ctstate ESTABLISHED']);
    assert.deepEqual([1, 2, 3, 4].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/-', 'may/-', 'may/must']);
  });

  it('--restore-mark only reads the connection\'s mark: still none written, as hover says', () => {
    const text = rawAndFilter([], COUNT, ['*mangle', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -j CONNMARK --restore-mark', 'COMMIT']);
    assert.deepEqual([1, 2, 3].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/-', 'may/-']);
    const an = analyzeReachability(parseNft(text));
    assert.match(ruleFlows(an, text.split('\n').indexOf(COUNT[1]!))!.rows[0]!.onlyIf![0]!, /^something outside these rules gave/);
  });

  it('a rule writes it on the host\'s own packets: their connections\' later packets may surely have it, a NEW one arriving not', () => {
    const text = rawAndFilter([], [...COUNT, '-A OUTPUT -m connmark --mark 0x5/0xff -m conntrack --ctstate NEW'], ['*mangle', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -p udp -j CONNMARK --set-mark 0x5/0xff', 'COMMIT']);
    assert.deepEqual([1, 2, 3].map((n) => bounds(text, 'INPUT', n)), ['may/-', 'may/must', 'may/must']);
    // Written on the first packet in mangle OUTPUT: filter OUTPUT sees that packet NEW with it.
    assert.equal(bounds(text, 'OUTPUT', 1), 'may/must');
  });

  it('hover says where such a connmark would come from', () => {
    const none = rawAndFilter([], COUNT);
    const an = analyzeReachability(parseNft(none));
    const line = none.split('\n').indexOf(COUNT[1]!);
    assert.deepEqual(ruleFlows(an, line)!.rows[0]!.onlyIf, ['something outside these rules gave their connection that connmark (a connection starts with none, and no rule here writes one)']);
    const written = rawAndFilter([], COUNT, ['*mangle', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -p udp -j CONNMARK --set-mark 0x5/0xff', 'COMMIT']);
    const an2 = analyzeReachability(parseNft(written));
    assert.deepEqual(ruleFlows(an2, written.split('\n').indexOf(COUNT[0]!))!.rows[0]!.onlyIf, ['a rule gave their connection that connmark on an earlier packet (a connection starts with none: a NEW packet has one only in a flow still unanswered)']);
  });
});

describe('packet marks: a packet received has none (must only)', () => {
  it('arriving marked: only after a rule marks it (over lo too: left out); sent by the host (SO_MARK), surely', () => {
    const text = [
      '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A PREROUTING -i eth0 -m mark --mark 0x5/0xff', '-A PREROUTING -i lo -m mark --mark 0x5/0xff', '-A OUTPUT -m mark --mark 0x5/0xff', '-A PREROUTING -i eth0 -m mark --mark 0x0/0xff',
      'COMMIT',
      '*mangle', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -i eth0 -j MARK --set-mark 0x5/0xff', '-A PREROUTING -i eth0 -m mark --mark 0x5/0xff', 'COMMIT', '',
    ].join('\n');
    assert.deepEqual([1, 2, 3].map((n) => bounds(text, 'PREROUTING', n, 'raw')), ['may/-', 'may/-', 'may/must']);
    assert.equal(bounds(text, 'OUTPUT', 1, 'raw'), 'may/must');
    assert.equal(bounds(text, 'PREROUTING', 2, 'mangle'), 'may/must');
    const an = analyzeReachability(parseNft(text));
    assert.deepEqual(ruleFlows(an, text.split('\n').indexOf('-A PREROUTING -i eth0 -m mark --mark 0x5/0xff'))!.rows[0]!.onlyIf, ['something outside these rules marked them (tc or another nft table on arrival; over lo, the sending process: SO_MARK): a packet received has mark 0']);
  });
});
