/**
 * -m owner on the VXLAN datagrams of overlay traffic (examples/overlay). The
 * datagram wraps a frame that came over br0 from a container's namespace, so
 * the sending host's OUTPUT sees no socket of its own: xt_owner then matches
 * only when every option given is inverted, and --socket-exists fails. The
 * kernel agrees (nflens verify --workspace, test/kernel/ownerSocketless).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseWorkspace } from '../../../server/src/emulator/overlay/workspace';
import { OverlayWorld } from '../../../server/src/emulator/overlay/world';
import type { TraceEvent } from '../../../server/src/emulator/trace';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const dir = join(__dirname, '..', '..', '..', '..', 'examples', 'overlay');
const ws = parseWorkspace(readFileSync(join(dir, 'nflens-workspace.json'), 'utf8'));

/** The example workspace with `rule` first in `host`'s filter OUTPUT. */
function world(host: 'hostA' | 'hostB', rule: string): OverlayWorld {
  const rules = new Map(['hostA', 'hostB'].map((h) => {
    const text = readFileSync(join(dir, `${h}.rules`), 'utf8');
    const withRule = h === host ? text.replace('COMMIT', `-I OUTPUT 1 ${rule}\nCOMMIT`) : text;
    return [h, parseIptables(withRule, { backend: 'nft', family: 'ipv4' }).ruleset] as const;
  }));
  return new OverlayWorld(ws.value, rules);
}

/** The owner rule's evaluations (filter OUTPUT, index 0, on the host that has it): matched, and what was assumed. */
const ownerRule = (events: readonly TraceEvent[]): { matched: boolean; assumed: readonly string[] }[] =>
  events.flatMap((e) => (e.type === 'rule' && e.rule.table === 'filter' && e.rule.chain === 'OUTPUT' && e.rule.index === 0 ? [{ matched: e.matched, assumed: e.assumed ?? [] }] : []));

const VXLAN = '-p udp -m udp --dport 4789 -m owner';

describe('-m owner on the VXLAN datagrams of an overlay trace: no socket', () => {
  it('--uid-owner 0 DROP on hostA: not matched, not assumed; the ping completes', () => {
    const r = world('hostA', `${VXLAN} --uid-owner 0 -j DROP`).trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(r.completed, true, r.summary);
    assert.deepEqual(ownerRule(r.events), [{ matched: false, assumed: [] }], 'evaluated once, for the echo request leaving hostA');
    assert.ok(!r.events.some((e) => e.type === 'assume' && /owner/.test(e.what)));
  });

  it('! --uid-owner 0 DROP on hostA: every given option inverted, so it matches and the datagram is dropped', () => {
    const r = world('hostA', `${VXLAN} ! --uid-owner 0 -j DROP`).trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(r.completed, false);
    assert.deepEqual(ownerRule(r.events), [{ matched: true, assumed: [] }]);
    const fate = r.events.find((e) => e.type === 'fate' && e.fate === 'dropped');
    assert.ok(fate?.type === 'fate' && fate.rule?.chain === 'OUTPUT' && fate.rule.index === 0, JSON.stringify(fate));
    assert.match(fate.detail, /never leaves hostA/);
  });

  it('--socket-exists fails and ! --socket-exists holds', () => {
    const exists = world('hostA', `${VXLAN} --socket-exists -j DROP`).trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(exists.completed, true, exists.summary);
    assert.deepEqual(ownerRule(exists.events), [{ matched: false, assumed: [] }]);
    const absent = world('hostA', `${VXLAN} ! --socket-exists -j DROP`).trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(absent.completed, false);
    assert.deepEqual(ownerRule(absent.events), [{ matched: true, assumed: [] }]);
  });

  it('--suppl-groups never matches without a socket, even with ! --gid-owner', () => {
    const r = world('hostA', `${VXLAN} ! --gid-owner 0 --suppl-groups -j DROP`).trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(r.completed, true, r.summary);
    assert.deepEqual(ownerRule(r.events), [{ matched: false, assumed: [] }]);
  });

  it('the reply\'s datagram on hostB, and every datagram of a TCP handshake, are socketless too', () => {
    const reply = world('hostB', `${VXLAN} --uid-owner 0 -j DROP`).trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(reply.completed, true, reply.summary);
    assert.deepEqual(ownerRule(reply.events), [{ matched: false, assumed: [] }], 'the echo reply leaving hostB');
    const tcp = world('hostA', `${VXLAN} --uid-owner 0 -j DROP`).trace({ proto: 'tcp', src: 'net1c1', dst: 'net1c2', dport: 8080 });
    assert.equal(tcp.completed, true, tcp.summary);
    assert.deepEqual(ownerRule(tcp.events), [{ matched: false, assumed: [] }, { matched: false, assumed: [] }], 'the SYN and the ACK leaving hostA');
  });
});
