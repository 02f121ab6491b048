/**
 * Example packets: familiar values where the set allows them, and what a
 * real packet of that connection looks like (a SYN opens one; a packet of
 * an established connection is an ACK).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CT_STATES, Field, IfaceTable, MarkBits, makeSpace } from '../../../server/src/analysis/space/fields';
import { fromRanges, single } from '../../../server/src/analysis/space/intSet';
import { all, intersectSets, where } from '../../../server/src/analysis/space/packetSet';
import { witnessOf, witnessText } from '../../../server/src/analysis/space/witness';

const space = makeSpace(new IfaceTable(['eth0'], []), new MarkBits(0), new MarkBits(0));
const tcpIn = (state: (typeof CT_STATES)[number]) => intersectSets(where(space, Field.Proto, single(6)), where(space, Field.Ct, single(CT_STATES.indexOf(state))));

describe('example packets', () => {
  it('a tcp packet opening a connection (NEW, RELATED, or before conntrack) is a SYN of a SYN\'s length', () => {
    for (const state of ['NEW', 'RELATED', 'INVALID', 'UNTRACKED'] as const) {
      const w = witnessOf(space, tcpIn(state))!;
      assert.deepEqual([w.ctState, w.tcpFlags, w.length], [state, 0x02, 60], state);
    }
  });

  it('a tcp packet of an established connection is an ACK of an ACK\'s length', () => {
    const w = witnessOf(space, tcpIn('ESTABLISHED'))!;
    assert.deepEqual([w.tcpFlags, w.length], [0x10, 52]);
    assert.match(witnessText(w), /flags 0x10.*conntrack ESTABLISHED/);
  });

  it('what the set holds comes first: an established SYN when the set has no other flags, an ACK without data when no SYN and no bare ACK', () => {
    const syn = witnessOf(space, intersectSets(tcpIn('ESTABLISHED'), where(space, Field.TcpFlags, single(0x02))))!;
    assert.deepEqual([syn.tcpFlags, syn.length], [0x02, 60]);
    const psh = witnessOf(space, intersectSets(tcpIn('ESTABLISHED'), where(space, Field.TcpFlags, single(0x18))))!;
    assert.equal(psh.tcpFlags, 0x18);
    // Every packet: the first of a new tcp connection.
    const any = witnessOf(space, all(space))!;
    assert.deepEqual([any.proto, any.ctState, any.tcpFlags, any.length], [6, 'NEW', 0x02, 60]);
  });

  it('never a TCP packet conntrack gives no state while the set has another (soundness seed 360257): no flags in ESTABLISHED, a SYN-ACK NEW', () => {
    const est = witnessOf(space, intersectSets(tcpIn('ESTABLISHED'), where(space, Field.TcpFlags, fromRanges([[0, 0], [0x04, 0x04]]))))!;
    assert.deepEqual([est.ctState, est.tcpFlags], ['ESTABLISHED', 0x04]);
    // A box of impossible packets only, ahead of a possible one.
    const only = [...intersectSets(tcpIn('NEW'), where(space, Field.TcpFlags, single(0x12))), ...intersectSets(tcpIn('ESTABLISHED'), where(space, Field.TcpFlags, single(0x12)))];
    assert.deepEqual([witnessOf(space, only)!.ctState, witnessOf(space, only)!.tcpFlags], ['ESTABLISHED', 0x12]);
    // Nothing else: that one all the same.
    assert.equal(witnessOf(space, intersectSets(tcpIn('ESTABLISHED'), where(space, Field.TcpFlags, single(0))))!.tcpFlags, 0);
  });

  it('comes from a box whose packets may be NEW or ESTABLISHED when the set has one (a set said "conntrack INVALID,NEW" is two boxes, INVALID first); else from the first', () => {
    assert.equal(witnessOf(space, [...tcpIn('INVALID'), ...tcpIn('NEW')])!.ctState, 'NEW');
    assert.equal(witnessOf(space, [...tcpIn('UNTRACKED'), ...tcpIn('ESTABLISHED')])!.ctState, 'ESTABLISHED');
    assert.equal(witnessOf(space, [...tcpIn('INVALID'), ...tcpIn('UNTRACKED')])!.ctState, 'INVALID');
    // Arriving on another interface than lo counts first: an INVALID packet from eth0 before a NEW one on lo.
    const withLo = makeSpace(new IfaceTable(['eth0', 'lo'], ['lo']), new MarkBits(0), new MarkBits(0));
    const on = (n: string, state: (typeof CT_STATES)[number]) => intersectSets(where(withLo, Field.Iif, single(withLo.ifaces.names.indexOf(n))), where(withLo, Field.Ct, single(CT_STATES.indexOf(state))));
    assert.deepEqual([witnessOf(withLo, [...on('lo', 'NEW'), ...on('eth0', 'INVALID')])!].map((w) => [w.iif, w.ctState]), [['eth0', 'INVALID']]);
    assert.deepEqual([witnessOf(withLo, [...on('lo', 'NEW'), ...on('eth0', 'INVALID'), ...on('eth0', 'NEW')])!].map((w) => [w.iif, w.ctState]), [['eth0', 'NEW']]);
  });

  describe('the input interface', () => {
    const withLo = makeSpace(new IfaceTable(['eth0', 'lo'], ['lo']), new MarkBits(0), new MarkBits(0));
    const names = withLo.ifaces.names;
    const idx = (n: string) => names.indexOf(n);
    const arriving = (...ifaces: string[]) => where(withLo, Field.Iif, fromRanges(ifaces.map((n) => [idx(n), idx(n)] as [number, number])));

    it('is not lo, nor another lo… of a lo+ match, when the box allows another', () => {
      // Sorted, "lo" and "lo*" come before "*" (any other name); eth0 before both.
      assert.ok(idx('lo') < idx('lo*') && idx('lo*') < idx('*'));
      assert.equal(witnessOf(withLo, arriving('lo', 'lo*', '*'))!.iif, withLo.ifaces.example(idx('*')));
      assert.equal(witnessOf(withLo, arriving('lo', '*'))!.iif, withLo.ifaces.example(idx('*')));
      assert.equal(witnessOf(withLo, arriving('eth0', 'lo'))!.iif, 'eth0');
    });

    it('is lo when the set holds only packets arriving on lo, and none for packets this host sends', () => {
      assert.equal(witnessOf(withLo, arriving('lo'))!.iif, 'lo');
      assert.equal(witnessOf(withLo, arriving('', 'lo'))!.iif, '');
    });

    it('comes from a later box when the first holds only packets arriving on lo', () => {
      const w = witnessOf(withLo, [...arriving('lo'), ...intersectSets(arriving('eth0'), where(withLo, Field.Dport, single(22)))])!;
      assert.deepEqual([w.iif, w.dport], ['eth0', 22]);
    });
  });
});
