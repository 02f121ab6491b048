/**
 * What each target does to the packets that reach it (effect.ts), read off its rewrite directly:
 * which fields are set to what in the may and must bounds, which packets are left as they were,
 * and, for a new destination, that the packet is routed again (packets with an output interface may
 * leave through any; `must` keeps only those without one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectOf, type Effect } from '../../../server/src/analysis/reach/effect';
import type { Flow } from '../../../server/src/analysis/reach/flow';
import { buildSpace } from '../../../server/src/analysis/space/build';
import { CT_STATES, Field, NO_IFACE, type Space } from '../../../server/src/analysis/space/fields';
import { range, single } from '../../../server/src/analysis/space/intSet';
import { intersectSets, isEmpty, NONE, subsetOf, where, type PacketSet } from '../../../server/src/analysis/space/packetSet';
import { compileRuleset, type EmuRule } from '../../../server/src/emulator/compile';
import { parseIpv4Strict } from '../../../server/src/lang/iptables/inet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const ip = (s: string): number => parseIpv4Strict(s)!;

/** Every rule's effect in a ruleset of the given tables' lines, by "table #n" (n from 1, over the table). */
function effects(tables: Record<string, readonly string[]>): { space: Space; of: (table: string, n: number) => Effect } {
  const text = Object.entries(tables).flatMap(([t, lines]) => [`*${t}`, ...lines, 'COMMIT']).join('\n') + '\n';
  const parsed = parseIptables(text, { backend: 'nft', family: 'ipv4' });
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error'), []);
  const emu = compileRuleset(parsed.ruleset);
  const space = buildSpace(emu);
  return {
    space,
    of: (table, n) => {
      const rules: EmuRule[] = [...emu.tables.get(table)!.chains.values()].flatMap((c) => [...c.rules]);
      return effectOf(space, rules[n - 1]!, table);
    },
  };
}

function rewrite(e: Effect, f: Flow): Flow {
  assert.ok((e.kind === 'continue' || e.kind === 'nat') && e.rewrite, `a rewrite (${e.kind})`);
  return e.rewrite(f);
}

const sameSet = (a: PacketSet, b: PacketSet, why: string): void => assert.ok(subsetOf(a, b) && subsetOf(b, a), why);

describe('effects: what a target does to the packets it matches', () => {
  it('verdicts, jumps and targets that go on are data; a jump is the compiled jump', () => {
    const { of } = effects({ filter: [':INPUT ACCEPT [0:0]', ':X - [0:0]', '-A INPUT -j ACCEPT', '-A INPUT -j DROP', '-A INPUT -j RETURN', '-A INPUT -j X', '-A INPUT -g X', '-A INPUT -j LOG', '-A INPUT -j REJECT', '-A INPUT'] });
    assert.deepEqual([1, 2, 3, 6, 7, 8].map((n) => of('filter', n).kind), ['accept', 'drop', 'return', 'continue', 'drop', 'continue']);
    assert.deepEqual(of('filter', 4), { kind: 'jump', chain: 'X', goto: false });
    assert.deepEqual(of('filter', 5), { kind: 'jump', chain: 'X', goto: true });
  });

  it('DNAT sets the destination (and port), both bounds; a packet with an output interface may leave through any, and only one without stays sure', () => {
    const { space, of } = effects({ nat: [':OUTPUT ACCEPT [0:0]', '-A OUTPUT -o eth0 -p tcp -j DNAT --to-destination 10.9.9.9:8080', '-A OUTPUT -j DNAT --to-destination 10.9.9.8'] });
    const eth0 = space.ifaces.indexOf('eth0');
    const viaEth0 = where(space, Field.Oif, single(eth0));
    const out = rewrite(of('nat', 1), { may: viaEth0, must: viaEth0 });
    assert.ok(subsetOf(out.may, where(space, Field.Dst, single(ip('10.9.9.9')))));
    assert.ok(subsetOf(out.may, where(space, Field.Dport, single(8080))));
    // Routed again: every interface, not only eth0.
    sameSet(intersectSets(out.may, where(space, Field.Oif, range(1, space.max[Field.Oif]!))), out.may, 'any output interface');
    assert.ok(!isEmpty(intersectSets(out.may, where(space, Field.Oif, single(space.max[Field.Oif]!)))), 'another interface');
    assert.ok(isEmpty(out.must), 'nothing surely keeps its interface');
    // Before routing (PREROUTING: no output interface yet): sure, and the port kept.
    const noOif = where(space, Field.Oif, single(NO_IFACE));
    const pre = rewrite(of('nat', 2), { may: noOif, must: noOif });
    sameSet(pre.must, intersectSets(noOif, where(space, Field.Dst, single(ip('10.9.9.8')))), 'must: the new destination, no interface');
    sameSet(pre.may, pre.must, 'may as must');
  });

  it('SNAT sets the source and keeps the route; MASQUERADE leaves any source and nothing sure', () => {
    const { space, of } = effects({ nat: [':POSTROUTING ACCEPT [0:0]', '-A POSTROUTING -o eth0 -p udp -j SNAT --to-source 192.0.2.1:1000-2000', '-A POSTROUTING -o eth0 -j MASQUERADE'] });
    const eth0 = where(space, Field.Oif, single(space.ifaces.indexOf('eth0')));
    const from = intersectSets(eth0, where(space, Field.Src, single(ip('10.0.0.1'))));
    const s = rewrite(of('nat', 1), { may: from, must: from });
    const want = intersectSets(intersectSets(eth0, where(space, Field.Src, single(ip('192.0.2.1')))), where(space, Field.Sport, range(1000, 2000)));
    sameSet(s.must, want, 'SNAT must');
    sameSet(s.may, want, 'SNAT may');
    const m = rewrite(of('nat', 2), { may: from, must: from });
    assert.deepEqual(m.must, NONE);
    sameSet(m.may, eth0, 'MASQUERADE: any source and source port, on eth0');
  });

  it('REDIRECT and NETMAP route the packet again', () => {
    const { space, of } = effects({
      nat: [':OUTPUT ACCEPT [0:0]', '-A OUTPUT -o eth0 -p tcp -j REDIRECT --to-ports 3128', '-A OUTPUT -o eth0 -j NETMAP --to 10.1.0.0/16'],
    });
    const eth0 = where(space, Field.Oif, single(space.ifaces.indexOf('eth0')));
    for (const n of [1, 2]) {
      const out = rewrite(of('nat', n), { may: eth0, must: eth0 });
      assert.ok(!isEmpty(intersectSets(out.may, where(space, Field.Oif, single(space.max[Field.Oif]!)))), `nat #${n}: another interface`);
      assert.deepEqual(out.must, NONE);
    }
  });

  it('MARK replaces the mask\'s bits, both bounds; CONNMARK --set-xmark changes only packets with a connection; --save-mark and --restore-mark leave any value', () => {
    const { space, of } = effects({
      mangle: [':PREROUTING ACCEPT [0:0]', '-A PREROUTING -j MARK --set-xmark 0x4/0x6', '-A PREROUTING -j CONNMARK --set-xmark 0x1/0x1', '-A PREROUTING -m mark --mark 0x2/0x2 -m connmark --mark 0x1/0x3'],
    });
    assert.ok(space.mark.modelled && space.connmark.modelled);
    const c = (v: number) => space.mark.compress(v);
    const marked = where(space, Field.Mark, single(c(0x2)));
    const m = rewrite(of('mangle', 1), { may: marked, must: marked });
    sameSet(m.must, where(space, Field.Mark, single(c(0x4))), '0x2 cleared, 0x4 set');
    sameSet(m.may, m.must, 'may as must');
    const cm = (v: number) => space.connmark.compress(v);
    const est = where(space, Field.Ct, single(CT_STATES.indexOf('ESTABLISHED')));
    const untracked = where(space, Field.Ct, single(CT_STATES.indexOf('UNTRACKED')));
    const both = [...est, ...untracked];
    // (Only bits some rule reads are modelled: 0x1 and 0x2 here.)
    assert.deepEqual(space.connmark.bits, [0, 1]);
    const k = rewrite(of('mangle', 2), { may: both, must: both });
    const withBit: number[] = [];
    for (let v = 0; v <= space.max[Field.Connmark]!; v++) if (v & cm(0x1)) withBit.push(v);
    const bitSet = withBit.flatMap((v) => where(space, Field.Connmark, single(v)));
    sameSet(intersectSets(k.must, est), intersectSets(est, bitSet), 'a connection gets the bit, keeping the others');
    sameSet(intersectSets(k.must, untracked), untracked, 'no connection: unchanged');
    // (--save-mark and --restore-mark copy one mark to the other: nothing is sure after them. No rule here
    // reads the connection mark, so it has one value; the mark's bit 0x2 is read.)
    const saving = effects({ mangle: [':PREROUTING ACCEPT [0:0]', '-A PREROUTING -j CONNMARK --save-mark', '-A PREROUTING -j CONNMARK --restore-mark', '-A PREROUTING -m mark --mark 0x2/0x2'] });
    const newConn = where(saving.space, Field.Ct, single(CT_STATES.indexOf('NEW')));
    const save = rewrite(saving.of('mangle', 1), { may: newConn, must: newConn });
    assert.deepEqual(save.must, NONE);
    sameSet(save.may, newConn, 'save: any connection mark');
    assert.deepEqual(saving.space.mark.bits, [1]);
    const newMarked = intersectSets(newConn, where(saving.space, Field.Mark, single(saving.space.mark.compress(0x2))));
    const restore = rewrite(saving.of('mangle', 2), { may: newMarked, must: newMarked });
    assert.deepEqual(restore.must, NONE);
    sameSet(restore.may, newConn, 'restore: any mark');
  });

  it('NOTRACK makes a packet without an entry untracked, in both bounds; one looped back through lo may keep its state', () => {
    const { space, of } = effects({ raw: [':PREROUTING ACCEPT [0:0]', '-A PREROUTING -i lo -j NOTRACK', '-A PREROUTING -i eth0 -j CT --notrack'] });
    const fresh = where(space, Field.Ct, single(CT_STATES.indexOf('INVALID')));
    const est = where(space, Field.Ct, single(CT_STATES.indexOf('ESTABLISHED')));
    const untracked = where(space, Field.Ct, single(CT_STATES.indexOf('UNTRACKED')));
    const flow = [...fresh, ...est];
    for (const n of [1, 2]) {
      const out = rewrite(of('raw', n), { may: flow, must: flow });
      sameSet(out.must, [...untracked, ...est], `raw #${n}: must`);
      assert.ok(subsetOf(untracked, out.may) && subsetOf(est, out.may), `raw #${n}: may`);
      const lo = where(space, Field.Iif, single(space.ifaces.indexOf('lo')));
      assert.ok(subsetOf(intersectSets(fresh, lo), out.may), `raw #${n}: through lo, may keep INVALID`);
      assert.ok(isEmpty(intersectSets(intersectSets(out.may, fresh), where(space, Field.Iif, single(space.ifaces.indexOf('eth0'))))), `raw #${n}: elsewhere, never INVALID`);
    }
  });
});
