/** The trace requests over the protocol: netfilterLens/trace, hostInfo and ruleExample on the example hosts. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { HostInfoReply, RuleExampleReply, TraceParams, TraceReply } from '../../server/src/protocol';
import type { Witness } from '../../server/src/analysis/space/witness';
import { exampleRequest } from '../../server/src/trace/exampleRequest';
import type { TraceOutcome } from '../../server/src/trace/traceResult';
import { LspClient } from '../helpers/lspClient';

const examples = join(__dirname, '..', '..', '..', 'examples');
const DOCKER = join(examples, 'docker-host', 'rules.v4');
const DOCKER_URI = pathToFileURL(DOCKER).toString();
const HOST_A = join(examples, 'overlay', 'hostA.rules');
const HOST_A_URI = pathToFileURL(HOST_A).toString();

function ok(r: TraceReply): TraceOutcome {
  assert.ok(!('error' in r), `an error: ${'error' in r ? r.error : ''}`);
  return r as TraceOutcome;
}

describe('language server over LSP: traces', () => {
  const client = new LspClient();
  const trace = (p: Omit<TraceParams, 'uri'> & { uri?: string }) => client.request<TraceReply>('netfilterLens/trace', { uri: DOCKER_URI, ...p });
  before(async () => {
    await client.initialize();
    await client.open(DOCKER_URI, readFileSync(DOCKER, 'utf8'));
    await client.open(HOST_A_URI, readFileSync(HOST_A, 'utf8'));
  });
  after(() => client.shutdown());

  it('hostInfo: the described host, its peers, interfaces, listeners and published ports', async () => {
    const h = await client.request<HostInfoReply>('netfilterLens/hostInfo', { uri: DOCKER_URI });
    assert.ok(!('error' in h));
    assert.equal(h.name, 'docker-host');
    assert.equal(h.source, 'description');
    assert.match(h.file ?? '', /nflens-host\.json$/);
    assert.deepEqual(h.peers.map((p) => [p.name, p.address, p.kind]), [['client', '10.10.126.187', 'external'], ['web', '172.17.0.4', 'container'], ['other', '172.17.0.2', 'container']]);
    assert.deepEqual(h.ifaces.find((i) => i.name === 'eth0')?.addresses, ['10.10.126.101/24']);
    assert.equal(h.uplink, 'eth0');
    assert.deepEqual(h.published, [{ proto: 'tcp', hostIp: '0.0.0.0', hostPort: 12580, container: 'web', containerAddress: '172.17.0.4', containerPort: 12580 }]);
    assert.ok(h.listeners.some((l) => l.port === 22 && l.program === 'sshd'));
  });

  it('trace: a named peer to the named host, DNAT on the way in, un-DNAT on the reply, rule text by line', async () => {
    const r = ok(await trace({ proto: 'tcp', src: 'client', dst: 'docker-host', dport: 12580, origin: { peer: 'client' } }));
    assert.equal(r.completed, true);
    assert.equal(r.host.name, 'docker-host');
    assert.deepEqual(r.rulesFiles, { 'docker-host': DOCKER_URI });
    const dnat = r.events.find((e) => e.type === 'rewrite' && e.what === 'DNAT');
    assert.ok(dnat && dnat.type === 'rewrite');
    assert.equal(dnat.before.dst, '10.10.126.101');
    assert.equal(dnat.after.dst, '172.17.0.4');
    assert.ok(r.events.some((e) => e.type === 'rewrite' && e.what === 'un-DNAT'));
    const line = readFileSync(DOCKER, 'utf8').split('\n').findIndex((l) => l.includes('-j DNAT')) + 1;
    assert.ok(r.events.some((e) => e.type === 'rule' && e.matched && e.rule.line === line), 'rule lines are 1-based');
    assert.match(r.ruleText['docker-host']![String(line)]!, /-j DNAT --to-destination 172\.17\.0\.4:12580$/);
    assert.match(r.story, /DNAT: destination 10\.10\.126\.101:12580 → 172\.17\.0\.4:12580/);
    assert.deepEqual(r.legs, []);
  });

  it('trace: from a container to a published port, docker-proxy opens a second leg', async () => {
    const r = ok(await trace({ proto: 'tcp', src: 'other', dst: '10.10.126.101', dport: 12580, origin: { peer: 'other' } }));
    assert.equal(r.legs.length, 1);
    assert.match(r.legs[0]!.title, /^docker-proxy → 172\.17\.0\.4:12580$/);
    const convs = r.events.filter((e) => e.type === 'conversation');
    assert.equal(convs.length, 2);
    assert.equal(convs[1]!.type === 'conversation' && convs[1]!.linkedTo, 1);
  });

  it('trace: an external address arriving on an interface, and a local process', async () => {
    const r = ok(await trace({ proto: 'udp', src: '198.51.100.7', dst: '10.10.126.101', dport: 53, origin: { iface: 'eth0' } }));
    assert.ok(r.events.some((e) => e.type === 'hook' && e.hook === 'INPUT'));
    const l = ok(await trace({ proto: 'icmp', src: 'docker-host', dst: 'web', origin: { local: true } }));
    assert.equal(l.completed, true);
    assert.ok(l.events.some((e) => e.type === 'hook' && e.hook === 'OUTPUT'));
    const k = ok(await trace({ proto: 'icmp', src: '', dst: 'client', origin: { local: true } }));
    const out = k.events.find((e) => e.type === 'hook' && e.hook === 'POSTROUTING');
    assert.equal(out?.type === 'hook' && out.packet.src, '10.10.126.101', 'no source given: routing picks it');
    const w = ok(await trace({ proto: 'tcp', src: '198.51.100.7', dst: '10.10.126.101', dport: 22, origin: { iface: 'wlan9' } }));
    assert.ok(w.warnings.some((x) => /no interface "wlan9"/.test(x)), JSON.stringify(w.warnings));
  });

  it('trace: bad input is answered with an error, and the server keeps serving', async () => {
    const e1 = await trace({ proto: 'tcp', src: 'nobody', dst: 'web', dport: 80, origin: { iface: 'eth0' } });
    assert.match('error' in e1 ? e1.error : '', /Source "nobody" is not IP or IP:PORT, nor a peer of docker-host \(client, web, other\)/);
    const e2 = await trace({ proto: 'sctp', src: 'client', dst: 'web', origin: { peer: 'client' } });
    assert.match('error' in e2 ? e2.error : '', /tcp, udp or icmp/);
    const e3 = await trace({ proto: 'tcp', src: 'client', dst: 'web', dport: 70000, origin: { peer: 'client' } });
    assert.match('error' in e3 ? e3.error : '', /Ports/);
    const e4 = await trace({ proto: 'tcp', src: '1.2.3.4', dst: 'web', origin: { peer: 'ghost' } });
    assert.match('error' in e4 ? e4.error : '', /no peer "ghost"/);
    const e5 = await client.request<TraceReply>('netfilterLens/trace', { uri: 'file:///nowhere/rules.v4', proto: 'tcp', src: 'a', dst: 'b', origin: { local: true } });
    assert.match('error' in e5 ? e5.error : '', /not open/);
    const e6 = await client.request<TraceReply>('netfilterLens/trace', { uri: DOCKER_URI, proto: 'tcp', src: null, dst: 42, origin: 'x' });
    assert.ok('error' in e6);
    const info = await client.request<{ version: string }>('netfilterLens/serverInfo', undefined);
    assert.ok(info.version);
  });

  it("ruleExample: the DNAT rule's example packet, on the described host, traces through the rule", async () => {
    const line = readFileSync(DOCKER, 'utf8').split('\n').findIndex((l) => l.includes('-j DNAT'));
    const ex = await client.request<RuleExampleReply>('netfilterLens/ruleExample', { uri: DOCKER_URI, line });
    assert.ok(!('error' in ex), JSON.stringify(ex));
    assert.equal(ex.text, 'tcp 10.0.0.101:40000 → 10.10.126.101:12580 flags 0x2, in eth0, conntrack NEW', 'an example the described host could receive');
    const req = exampleRequest(ex.witness as unknown as Witness, ex.hook);
    assert.ok(!('error' in req));
    const r = ok(await trace({ ...req, src: req.src!, dst: req.dst!, origin: req.origin.local ? { local: true } : { iface: req.origin.iface! } }));
    assert.ok(r.events.some((e) => e.type === 'rule' && e.matched && e.rule.line === line + 1), 'the example goes through its rule');
    const none = await client.request<RuleExampleReply>('netfilterLens/ruleExample', { uri: DOCKER_URI, line: 0 });
    assert.match('error' in none ? none.error : '', /holds no rule/);
  });

  it('overlay: a rules file of a workspace host traces container to container across the hosts, VXLAN between', async () => {
    const h = await client.request<HostInfoReply>('netfilterLens/hostInfo', { uri: HOST_A_URI });
    assert.ok(!('error' in h));
    assert.equal(h.source, 'workspace');
    assert.equal(h.name, 'hostA');
    assert.deepEqual(h.overlay?.containers.map((c) => c.name), ['net1c1', 'net1c2', 'net2c1', 'net2c2']);
    const r = ok(await trace({ uri: HOST_A_URI, proto: 'icmp', src: 'net1c1', dst: 'net1c2', origin: { peer: 'net1c1' } }));
    assert.equal(r.overlay, true);
    assert.equal(r.completed, true);
    assert.deepEqual(Object.keys(r.rulesFiles).sort(), ['hostA', 'hostB']);
    assert.deepEqual(r.events.filter((e) => e.type === 'encap').map((e) => e.type === 'encap' && `${e.action} ${e.host}`), ['encapsulate hostA', 'decapsulate hostB', 'encapsulate hostB', 'decapsulate hostA']);
    const encap = r.events.find((e) => e.type === 'encap');
    assert.equal(encap?.type === 'encap' && encap.outer.dport, 4789);
    assert.equal(encap?.type === 'encap' && encap.inner.src, '10.0.0.4', 'inner packets are JSON too');
    assert.ok(Object.keys(r.ruleText).includes('hostB'));
  });
});
