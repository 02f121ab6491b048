/** Trace Packet…'s pure parts: answers ↔ request, titles, what each step suggests from the host, typed destinations, example packets. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exampleParams } from '../../../client/src/traceInput/exampleParams';
import { destinationItems, ifaceItems, portItems, sourceItems, typedDestination } from '../../../client/src/traceInput/suggestions';
import { answersToParams, isTraceAnswers, paramsToAnswers, traceTitle, type TraceAnswers } from '../../../client/src/traceInput/traceAnswers';
import { parseHostFile } from '../../../server/src/emulator/index';
import type { HostInfo } from '../../../server/src/protocol';
import { summarizeHost } from '../../../server/src/trace/hostSummary';
import { EXAMPLES } from '../../helpers/traceOutcomes';

const host = parseHostFile(readFileSync(join(EXAMPLES, 'docker-host', 'nflens-host.json'), 'utf8')).value!.host;
const INFO: HostInfo = { ...summarizeHost(host), source: 'description', file: '/x/nflens-host.json' };
const labels = (xs: ReadonlyArray<{ label: string }>) => xs.map((x) => x.label.replace(/^\$\([^)]*\)\s*/, ''));

describe('Trace Packet… answers', () => {
  it('each kind of source makes its request, and comes back from it', () => {
    const cases: TraceAnswers[] = [
      { proto: 'tcp', source: { kind: 'address', address: '198.51.100.7' }, iface: 'eth0', dst: 'docker-host', dport: 12580 },
      { proto: 'udp', source: { kind: 'host' }, dst: '10.10.126.187', dport: 53 },
      { proto: 'icmp', source: { kind: 'peer', name: 'web' }, dst: 'client' },
    ];
    for (const a of cases) assert.deepEqual(paramsToAnswers(answersToParams('file:///r', a)), a);
    assert.deepEqual(answersToParams('file:///r', cases[0]!).origin, { iface: 'eth0' });
    assert.deepEqual(answersToParams('file:///r', cases[1]!), { uri: 'file:///r', proto: 'udp', src: '', dst: '10.10.126.187', dport: 53, origin: { local: true } });
    assert.deepEqual(answersToParams('file:///r', cases[2]!).origin, { peer: 'web' });
    assert.equal(answersToParams('file:///r', { ...cases[2]!, dport: 80 }).dport, undefined, 'no ports for icmp');
  });

  it('titles say who sends what where', () => {
    const t = (a: TraceAnswers) => traceTitle(answersToParams('file:///r', a));
    assert.equal(t({ proto: 'tcp', source: { kind: 'address', address: '198.51.100.7' }, iface: 'eth0', dst: 'docker-host', dport: 12580 }), 'tcp 198.51.100.7 on eth0 → docker-host:12580');
    assert.equal(t({ proto: 'udp', source: { kind: 'host' }, dst: '10.0.0.1', dport: 53 }), 'udp this host → 10.0.0.1:53');
    assert.equal(t({ proto: 'icmp', source: { kind: 'peer', name: 'web' }, dst: 'client' }), 'icmp web → client');
  });

  it('remembered answers are checked before use', () => {
    assert.ok(isTraceAnswers({ proto: 'tcp', source: { kind: 'host' }, dst: 'x' }));
    assert.ok(!isTraceAnswers({ proto: 'sctp', source: { kind: 'host' }, dst: 'x' }));
    assert.ok(!isTraceAnswers({ proto: 'tcp', source: { kind: 'peer' }, dst: 'x' }));
    assert.ok(!isTraceAnswers(undefined));
  });
});

describe('Trace Packet… suggestions from the described host', () => {
  it('sources: this host, then its peers and containers', () => {
    assert.deepEqual(labels(sourceItems(INFO)), ['docker-host', 'client', 'web', 'other']);
    assert.deepEqual(sourceItems(INFO)[0]!.value, { kind: 'host' });
    assert.equal(sourceItems(INFO)[2]!.description, '172.17.0.4');
  });

  it('destinations: the published port first, listeners, the host addresses, the peers with their services', () => {
    const items = destinationItems(INFO, 'tcp', { kind: 'peer', name: 'client' });
    assert.deepEqual(labels(items), ['docker-host:12580', 'docker-host:22', '10.10.126.101', '172.17.0.1', 'web:12580', 'other']);
    assert.deepEqual(items[0]!.value, { dst: 'docker-host', dport: 12580 });
    assert.equal(items[0]!.description, 'published → web:12580');
    assert.deepEqual(labels(destinationItems(INFO, 'icmp', { kind: 'host' })), ['10.10.126.101', '172.17.0.1', 'client', 'web', 'other']);
  });

  it('ports for a destination, and interfaces with the uplink first (bridge ports left out)', () => {
    assert.deepEqual(portItems(INFO, 'tcp', 'docker-host').map((p) => p.value), [12580, 22, 80, 443]);
    assert.deepEqual(portItems(INFO, 'tcp', 'web').map((p) => p.value), [12580, 22, 80, 443]);
    assert.deepEqual(portItems(INFO, 'udp', '10.10.126.187').map((p) => p.value), [53, 123]);
    assert.deepEqual(portItems(INFO, 'icmp', 'web'), []);
    assert.deepEqual(ifaceItems(INFO).map((i) => i.value), ['eth0', 'docker0']);
  });

  it('typed destinations: addresses or known names, with a port', () => {
    assert.deepEqual(typedDestination('10.0.0.1:8080', INFO), { dst: '10.0.0.1', dport: 8080 });
    assert.deepEqual(typedDestination('web', INFO), { dst: 'web' });
    assert.match(String(typedDestination('nobody', INFO)), /neither an IPv4 address nor a name of docker-host/);
    assert.match(String(typedDestination('10.0.0.1:99999', INFO)), /bad port/);
    assert.match(String(typedDestination('1.2.3.4.5', INFO)), /neither/);
  });

  it("overlay: a workspace container as the source suggests the workspace's containers and hosts", () => {
    const overlay: HostInfo = { ...INFO, overlay: { containers: [{ name: 'c1', network: 'n1', host: 'A', address: '10.0.0.4' }, { name: 'c2', network: 'n1', host: 'B', address: '10.0.0.5' }], hosts: [{ name: 'A', address: '192.0.2.1' }, { name: 'B', address: '192.0.2.2' }] } };
    assert.deepEqual(labels(sourceItems(overlay)).slice(-2), ['c1', 'c2']);
    assert.deepEqual(labels(destinationItems(overlay, 'icmp', { kind: 'peer', name: 'c1' })), ['c2', 'A', 'B']);
  });
});

describe("a rule's example packet as trace parameters", () => {
  const w = { src: 0x0a000065, dst: 0x0a0a7e65, proto: 6, sport: 40000, dport: 12580, icmpType: 0, icmpCode: 0, tcpFlags: 2, iif: 'eth0', oif: '', ctState: 'NEW', mark: 0, connmark: 0, length: 60, ttl: 64, pktType: 'host', fragment: false };
  it('arriving at PREROUTING on its interface; at OUTPUT from this host; FORWARD and forwarded POSTROUTING not for the host', () => {
    assert.deepEqual(exampleParams('file:///r', 'PREROUTING', w), { uri: 'file:///r', proto: 'tcp', src: '10.0.0.101', dst: '10.10.126.101', sport: 40000, dport: 12580, origin: { iface: 'eth0' }, guess: { dstIsLocal: true } });
    const params = (hook: string, x: unknown) => exampleParams('file:///r', hook, x) as Record<string, unknown>;
    assert.deepEqual(params('OUTPUT', { ...w, iif: '' }).origin, { local: true });
    assert.deepEqual(params('FORWARD', { ...w, oif: 'docker0' }).guess, { outIface: 'docker0', dstIsLocal: false });
    assert.deepEqual(params('POSTROUTING', { ...w, iif: 'docker0', oif: 'eth0' }).origin, { iface: 'docker0' }, 'forwarded: arrives on its input interface');
    assert.deepEqual(params('POSTROUTING', { ...w, iif: '', oif: 'eth0' }).origin, { local: true });
    assert.match(String(params('INPUT', { ...w, proto: 47 }).error), /protocol 47/);
    assert.ok('error' in exampleParams('file:///r', 'INPUT', null));
  });
});
