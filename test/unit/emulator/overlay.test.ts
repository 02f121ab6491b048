/** Two Docker hosts joined by overlay networks net1 and net2 (both 10.0.0.0/24). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { overlayHostModel } from '../../../server/src/emulator/overlay/hostModel';
import { parseWorkspace } from '../../../server/src/emulator/overlay/workspace';
import { OverlayWorld } from '../../../server/src/emulator/overlay/world';
import { ip4, PROTO_UDP, TCP_RST } from '../../../server/src/emulator/packet';
import type { TraceEvent } from '../../../server/src/emulator/trace';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const dir = join(__dirname, '..', '..', '..', '..', 'examples', 'overlay');
const ws = parseWorkspace(readFileSync(join(dir, 'nflens-workspace.json'), 'utf8'));
const rulesOf = (name: string, extra = ''): string => readFileSync(join(dir, `${name}.rules`), 'utf8').replace('COMMIT', `${extra}COMMIT`);

function world(bExtra = '', aExtra = ''): OverlayWorld {
  const rules = new Map([
    ['hostA', parseIptables(rulesOf('hostA', aExtra), { backend: 'nft', family: 'ipv4' }).ruleset],
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

type Of<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;
const ofType = <T extends TraceEvent['type']>(events: readonly TraceEvent[], t: T): Array<Of<T>> => events.filter((e): e is Of<T> => e.type === t);
/** The 0-based index in its chain of the rule on this line of a host's rules file, as the kernel holds it. */
const ruleIndex = (host: string, text: string): number => {
  const lines = rulesOf(host).split('\n');
  const at = lines.indexOf(text);
  assert.ok(at >= 0, `no line ${text}`);
  const chain = text.split(' ')[1];
  return lines.slice(0, at).filter((l) => l.startsWith(`-A ${chain} `)).length;
};

describe('docker_gwbridge: the way out of overlay containers (eth1)', () => {
  it('every overlay container gets an address on its host\'s docker_gwbridge: .2, .3, … in container order', () => {
    const got = ws.value.containers.map((c) => `${c.name}@${c.host}=${c.gwbridgeAddr === undefined ? '-' : ip4(c.gwbridgeAddr)}${c.gwbridgeAllocated ? ' (allocated)' : ''}`);
    assert.deepEqual(got, ['net1c1@hostA=172.18.0.2 (allocated)', 'net1c2@hostB=172.18.0.2 (allocated)', 'net2c1@hostA=172.18.0.3 (allocated)', 'net2c2@hostB=172.18.0.3 (allocated)']);
  });

  it('each host has the bridge (gateway 172.18.0.1), a veth port per container of the host and the containers as peers behind them', () => {
    const a = overlayHostModel(ws.value.hosts.find((h) => h.name === 'hostA')!, ws.value);
    const br = a.ifaces.get('docker_gwbridge');
    assert.ok(br && br.kind === 'bridge');
    assert.deepEqual(br.addrs.map((x) => `${ip4(x.addr)}/${x.prefix}`), ['172.18.0.1/16']);
    assert.ok(a.routes.some((r) => r.dev === 'docker_gwbridge' && ip4(r.dst) === '172.18.0.0' && r.prefix === 16 && r.origin === 'connected'));
    const peers = a.peers.filter((p) => p.kind === 'container');
    assert.deepEqual(peers.map((p) => `${p.name} ${ip4(p.addr)} via ${p.via}`), ['net1c1 172.18.0.2 via docker_gwbridge', 'net2c1 172.18.0.3 via docker_gwbridge']);
    for (const p of peers) assert.equal(a.ifaces.get(p.port!)?.master, 'docker_gwbridge', `${p.name}'s port`);
    assert.equal(new Set(peers.map((p) => p.port)).size, 2, 'one port each');
    assert.deepEqual([...a.ifaces.keys()].slice(0, 2), ['lo', 'eth0'], 'eth0 stays the first address (MASQUERADE out of lo)');
    assert.deepEqual(a.peers.filter((p) => p.kind === 'host').map((p) => p.name), ['hostB']);
  });

  it('net1c1 pings hostB: hostA forwards and masquerades it, hostB answers, the reply is un-NATed back to net1c1\'s eth1', () => {
    const r = world().trace({ proto: 'icmp', src: 'net1c1', dst: 'hostB' });
    assert.equal(r.completed, true, r.summary);
    assert.equal(ofType(r.events, 'encap').length, 0, 'no VXLAN: this is not overlay traffic');
    assert.ok(ofType(r.events, 'assume').some((e) => /net1c1's docker_gwbridge address is 172\.18\.0\.2/.test(e.what)));
    const hooks = ofType(r.events, 'hook');
    const fwdA = hooks.find((h) => h.host === 'hostA' && h.hook === 'FORWARD');
    assert.ok(fwdA && fwdA.iif === 'docker_gwbridge' && fwdA.oif === 'eth0' && ip4(fwdA.packet.src) === '172.18.0.2', JSON.stringify(fwdA));
    // Docker's "-i docker_gwbridge ! -o docker_gwbridge -j ACCEPT" lets it out.
    const out = ruleIndex('hostA', '-A FORWARD -i docker_gwbridge ! -o docker_gwbridge -j ACCEPT');
    assert.ok(ofType(r.events, 'verdict').some((v) => v.verdict === 'ACCEPT' && v.rule?.table === 'filter' && v.rule.chain === 'FORWARD' && v.rule.index === out));
    assert.ok(hooks.some((h) => h.host === 'hostA' && h.hook === 'POSTROUTING' && h.oif === 'eth0'));
    const masq = ofType(r.events, 'rewrite').find((w) => w.what === 'MASQUERADE');
    assert.ok(masq && ip4(masq.before.src) === '172.18.0.2' && ip4(masq.after.src) === '10.10.126.101' && masq.rule?.table === 'nat' && masq.rule.chain === 'POSTROUTING', JSON.stringify(masq));
    // hostB sees only hostA's address, in PREROUTING and INPUT, and its kernel answers.
    const onB = hooks.filter((h) => h.host === 'hostB');
    assert.deepEqual(onB.map((h) => h.hook), ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);
    assert.equal(ip4(onB[1]!.packet.src), '10.10.126.101');
    assert.ok(ofType(r.events, 'fate').some((f) => f.fate === 'delivered' && /kernel \(ICMP\) on hostB/.test(f.detail)));
    const unSnat = ofType(r.events, 'rewrite').find((w) => w.what === 'un-SNAT');
    assert.ok(unSnat && ip4(unSnat.before.dst) === '10.10.126.101' && ip4(unSnat.after.dst) === '172.18.0.2', JSON.stringify(unSnat));
    const last = ofType(r.events, 'fate').at(-1)!;
    assert.ok(last.dev === 'docker_gwbridge' && ip4(last.packet.src) === '10.10.105.71' && ip4(last.packet.dst) === '172.18.0.2' && last.packet.icmpType === 0, JSON.stringify(last));
    assert.match(r.summary, /server is hostB \(10\.10\.105\.71\) and sees the client as 10\.10\.126\.101/);
    // The same by address.
    assert.equal(world().trace({ proto: 'icmp', src: 'net1c1', dst: '10.10.105.71' }).summary, r.summary);
  });

  it('a rule in hostA\'s FORWARD dropping what comes from docker_gwbridge cuts it off, and the trace names that rule', () => {
    const r = world('', '-I FORWARD 1 -i docker_gwbridge -j DROP\n').trace({ proto: 'icmp', src: 'net1c1', dst: 'hostB' });
    assert.equal(r.completed, false);
    const dropped = ofType(r.events, 'fate').find((f) => f.fate === 'dropped');
    assert.ok(dropped && dropped.rule?.table === 'filter' && dropped.rule.chain === 'FORWARD' && dropped.rule.index === 0, JSON.stringify(dropped));
    assert.ok(!ofType(r.events, 'hook').some((h) => h.host === 'hostB'), 'hostB never sees it');
  });

  it('overlay-to-overlay traffic still never shows the container packet in the hosts\' chains, only the VXLAN datagrams', () => {
    const r = world().trace({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(r.completed, true, r.summary);
    const hooks = ofType(r.events, 'hook');
    assert.ok(hooks.length >= 8, `${hooks.length} hook events`);
    const underlay = new Set(['10.10.126.101', '10.10.105.71']);
    for (const h of hooks) {
      const p = h.packet;
      assert.ok(p.proto === PROTO_UDP && p.dport === 4789 && underlay.has(ip4(p.src)) && underlay.has(ip4(p.dst)), `${h.host} ${h.hook} saw ${ip4(p.src)} → ${ip4(p.dst)}`);
      assert.ok(h.iif !== 'docker_gwbridge' && h.oif !== 'docker_gwbridge');
    }
  });

  it('an address outside the workspace: out of hostA\'s eth0, masqueraded, and assumed to answer', () => {
    const r = world().trace({ proto: 'icmp', src: 'net1c1', dst: '8.8.8.8' });
    assert.equal(r.completed, true, r.summary);
    const left = ofType(r.events, 'fate').find((f) => f.fate === 'forwarded' && f.dev === 'eth0');
    assert.ok(left && ip4(left.packet.src) === '10.10.126.101' && ip4(left.packet.dst) === '8.8.8.8', JSON.stringify(left));
    assert.ok(ofType(r.events, 'assume').some((e) => /8\.8\.8\.8 exists behind eth0/.test(e.what)));
  });

  it('net1c1 reaches its own host\'s address through INPUT, unmasqueraded', () => {
    const r = world().trace({ proto: 'icmp', src: 'net1c1', dst: 'hostA' });
    assert.equal(r.completed, true, r.summary);
    const input = ofType(r.events, 'hook').find((h) => h.hook === 'INPUT');
    assert.ok(input && input.host === 'hostA' && input.iif === 'docker_gwbridge' && ip4(input.packet.src) === '172.18.0.2');
    assert.ok(!ofType(r.events, 'rewrite').some((w) => w.what === 'MASQUERADE'));
  });

  it('TCP across hosts: dockerd\'s gossip port on hostB answers; a port nothing listens on gets hostB\'s reset, un-NATed back to the container', () => {
    assert.equal(world().trace({ proto: 'tcp', src: 'net2c1', dst: 'hostB', dport: 7946 }).completed, true);
    const r = world().trace({ proto: 'tcp', src: 'net1c1', dst: 'hostB', dport: 22 });
    assert.equal(r.completed, false);
    assert.ok(ofType(r.events, 'fate').some((f) => f.fate === 'no-listener' && /for hostB/.test(f.detail)));
    const rst = ofType(r.events, 'packet').find((p) => p.label === 'RST from hostB');
    assert.ok(rst && rst.host === 'hostB');
    const last = ofType(r.events, 'fate').at(-1)!;
    assert.ok(last.dev === 'docker_gwbridge' && (last.packet.tcpFlags & TCP_RST) !== 0 && ip4(last.packet.dst) === '172.18.0.2', JSON.stringify(last));
  });

  it('two containers on one host\'s docker_gwbridge: icc is off, Docker\'s DROP stops them', () => {
    const r = world().trace({ proto: 'icmp', src: 'net1c1', dst: '172.18.0.3' });
    assert.equal(r.completed, false);
    const dropped = ofType(r.events, 'fate').find((f) => f.fate === 'dropped');
    const icc = ruleIndex('hostA', '-A FORWARD -i docker_gwbridge -o docker_gwbridge -j DROP');
    assert.ok(dropped && dropped.rule?.chain === 'FORWARD' && dropped.rule.index === icc, JSON.stringify(dropped));
  });

  it('a described docker_gwbridge and addresses are used; IPAM gives the others the first free addresses', () => {
    const w = parseWorkspace(JSON.stringify({
      hosts: [{ name: 'h', underlay: '10.1.0.1/24', gwbridge: { subnet: '192.168.100.0/24', gateway: '192.168.100.254' } }, { name: 'g', underlay: '10.1.0.2/24' }],
      networks: [{ name: 'n', subnet: '10.0.0.0/24', vni: 300 }],
      containers: [
        { name: 'a', network: 'n', host: 'h', address: '10.0.0.2', gwbridgeAddress: '192.168.100.2' },
        { name: 'b', network: 'n', host: 'h', address: '10.0.0.3' },
        { name: 'c', network: 'n', host: 'h', address: '10.0.0.4' },
        { name: 'd', network: 'n', host: 'g', address: '10.0.0.5' },
      ],
    }));
    assert.deepEqual(w.diagnostics, []);
    assert.deepEqual(w.value.containers.map((c) => `${c.name}=${ip4(c.gwbridgeAddr!)}${c.gwbridgeAllocated ? '*' : ''}`), ['a=192.168.100.2', 'b=192.168.100.1*', 'c=192.168.100.3*', 'd=172.18.0.2*']);
    const r = new OverlayWorld(w.value, new Map()).trace({ proto: 'icmp', src: 'a', dst: 'g' });
    assert.equal(r.completed, true, r.summary);
    assert.ok(!ofType(r.events, 'assume').some((e) => /docker_gwbridge/.test(e.what)), 'nothing about h\'s bridge or a\'s address is assumed');
    assert.ok(ofType(r.events, 'hook').some((h) => h.host === 'g' && ip4(h.packet.src) === '192.168.100.2'), 'no MASQUERADE without rules: g sees the bridge address');
  });

  it('docker_gwbridge mistakes are reported where they are written', () => {
    const text = JSON.stringify({
      hosts: [
        { name: 'h', underlay: '10.1.0.1/24', gwbridge: { subnet: '172.20.0.1/16', gateway: '10.9.9.9' } },
        { name: 'g', underlay: '10.1.0.2/24', gwbridge: { subnet: '10.0.0.0/16' } },
        { name: 'f', underlay: '10.1.0.3/24', gwbridge: 'yes' },
      ],
      networks: [{ name: 'n', subnet: '10.0.0.0/24', vni: 300 }],
      containers: [
        { name: 'a', network: 'n', host: 'h', address: '10.0.0.2', gwbridgeAddress: '172.21.0.2' },
        { name: 'b', network: 'n', host: 'h', address: '10.0.0.3', gwbridgeAddress: '172.20.0.9' },
        { name: 'c', network: 'n', host: 'h', address: '10.0.0.4', gwbridgeAddress: '172.20.0.9' },
        { name: 'd', network: 'n', host: 'h', address: '10.0.0.5', gwbridgeAddress: 'x' },
      ],
    }, null, 1);
    const bad = parseWorkspace(text);
    const got = bad.diagnostics.map((d) => `${d.severity} ${text.split('\n')[d.span.start.line]!.trim().slice(0, 22)} | ${d.message.slice(0, 36)}`);
    assert.deepEqual(got, [
      'error "subnet": "172.20.0.1/ | 172.20.0.1/16 is not a network addre',
      'error "gateway": "10.9.9.9" | "gateway" must be an IPv4 address in',
      'error "gwbridge": "yes" | "gwbridge" needs a "subnet" (CIDR, a',
      'warning "gwbridge": { | docker_gwbridge 10.0.0.0/16 overlaps',
      'error "gwbridgeAddress": "17 | 172.21.0.2 cannot be a container\'s a',
      'error "gwbridgeAddress": "17 | Two containers on h have the docker_',
      'error "gwbridgeAddress": "x" | "gwbridgeAddress" is an IPv4 address',
    ]);
    // The mistaken ones are allocated instead: b keeps .9, a, c and d get the first free addresses.
    assert.deepEqual(bad.value.containers.map((c) => ip4(c.gwbridgeAddr!)), ['172.20.0.2', '172.20.0.9', '172.20.0.3', '172.20.0.4']);
  });
});
