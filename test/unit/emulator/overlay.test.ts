/** Two Docker hosts joined by overlay networks net1 and net2 (both 10.0.0.0/24). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseWorkspace } from '../../../server/src/emulator/overlay/workspace';
import { OverlayWorld } from '../../../server/src/emulator/overlay/world';
import { ip4 } from '../../../server/src/emulator/packet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const dir = join(__dirname, '..', '..', '..', '..', 'examples', 'overlay');
const ws = parseWorkspace(readFileSync(join(dir, 'nflens-workspace.json'), 'utf8'));
const rulesOf = (name: string, extra = ''): string => readFileSync(join(dir, `${name}.rules`), 'utf8').replace('COMMIT', `${extra}COMMIT`);

function world(bExtra = ''): OverlayWorld {
  const rules = new Map([
    ['hostA', parseIptables(rulesOf('hostA'), { backend: 'nft', family: 'ipv4' }).ruleset],
    ['hostB', parseIptables(rulesOf('hostB', bExtra), { backend: 'nft', family: 'ipv4' }).ruleset],
  ]);
  return new OverlayWorld(ws.value, rules);
}

describe('overlay networks across two hosts', () => {
  it('the workspace description reads cleanly', () => assert.deepEqual(ws.diagnostics, []));
  it('net1c1 → net1c2: the echo crosses VXLAN (VNI 256, udp/4789 between the underlay addresses) and is answered', () => {
    const r = world().trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(r.completed, true, r.summary);
    const encaps = r.events.filter((e) => e.type === 'encap');
    assert.deepEqual(encaps.map((e) => e.type === 'encap' && `${e.action}@${e.host}:${e.vni}`), ['encapsulate@hostA:256', 'decapsulate@hostB:256', 'encapsulate@hostB:256', 'decapsulate@hostA:256']);
    const first = encaps[0]!;
    assert.ok(first.type === 'encap' && ip4(first.outer.src) === '10.10.126.101' && ip4(first.outer.dst) === '10.10.105.71' && first.outer.dport === 4789);
    // The outer datagram passes host A's OUTPUT and host B's INPUT, where rule 4 (index 3) accepts it.
    assert.ok(r.events.some((e) => e.type === 'hook' && e.host === 'hostA' && e.hook === 'OUTPUT'));
    assert.ok(r.events.some((e) => e.type === 'verdict' && e.verdict === 'ACCEPT' && e.rule?.chain === 'INPUT' && e.rule.index === 3));
  });
  it('net1c1 cannot reach net2\'s containers, even at addresses of its own subnet', () => {
    const byName = world().trace({ proto: 'icmp', src: 'net1c1', dst: 'net2c2' });
    assert.equal(byName.completed, false);
    assert.match(byName.summary + byName.events.map((e) => (e.type === 'note' ? e.text : '')).join(' '), /isolated/);
    const byAddr = world().trace({ proto: 'icmp', src: 'net1c1', dst: '10.0.0.6' });
    assert.equal(byAddr.completed, false);
    assert.ok(byAddr.events.some((e) => e.type === 'note' && /net2c2 on net2, not a member of net1/.test(e.text)));
    assert.ok(!byAddr.events.some((e) => e.type === 'encap'), 'nothing is sent to the other host');
  });
  it('a DROP of udp/4789 on host B breaks net1, and the trace names that rule', () => {
    const r = world('-I INPUT 1 -p udp --dport 4789 -j DROP\n').trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(r.completed, false);
    const fate = r.events.find((e) => e.type === 'fate' && e.fate === 'dropped');
    assert.ok(fate && fate.type === 'fate' && fate.rule?.chain === 'INPUT' && fate.rule.index === 0, JSON.stringify(fate));
    assert.match(fate.detail, /never reaches hostB's VXLAN device/);
  });
  it('two containers of one network on the same host: switched in the overlay namespace, no VXLAN', () => {
    const same = parseWorkspace(JSON.stringify({ hosts: [{ name: 'h', underlay: '10.1.0.1/24' }], networks: [{ name: 'n', subnet: '10.0.0.0/24', vni: 300 }], containers: [{ name: 'a', network: 'n', host: 'h', address: '10.0.0.2' }, { name: 'b', network: 'n', host: 'h', address: '10.0.0.3' }] }));
    const r = new OverlayWorld(same.value, new Map()).trace({ proto: 'udp', src: 'a', dst: 'b', dport: 53 });
    assert.equal(r.completed, true);
    assert.ok(!r.events.some((e) => e.type === 'encap'));
  });
  it('workspace mistakes are reported', () => {
    const bad = parseWorkspace(JSON.stringify({ hosts: [{ name: 'h' }], networks: [{ name: 'n', subnet: '10.0.0.0/24', vni: 1 }, { name: 'm', subnet: '10.1.0.0/24', vni: 1 }], containers: [{ name: 'a', network: 'n', host: 'x', address: '10.9.0.1' }] }));
    assert.deepEqual(bad.diagnostics.map((d) => d.message.slice(0, 20)), ['A host needs a "name', 'VNI 1 is used by two', '10.9.0.1 is outside ', 'No host "x".']);
  });
});
