/** What the topology view is given: a host (interfaces, bridges, peers, published ports and who serves them) and an overlay workspace (hosts, networks, tunnels), from the real examples. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describedTopology, inferredTopology, overlayExampleTopology } from '../../helpers/topologies';

describe('host topology: examples/docker-host', () => {
  const { host } = describedTopology('docker-host');

  it('interfaces with kind, addresses and bridge membership; the default route and its gateway', () => {
    assert.deepEqual(host.ifaces.map((i) => [i.name, i.kind, i.addresses.join(','), i.master ?? '']), [
      ['eth0', 'ethernet', '10.10.126.101/24', ''],
      ['docker0', 'bridge', '172.17.0.1/16', ''],
      ['veth-web', 'veth', '', 'docker0'],
      ['veth-other', 'veth', '', 'docker0'],
      ['lo', 'loopback', '127.0.0.1/8', ''],
    ]);
    assert.deepEqual(host.routes, [{ to: 'default', dev: 'eth0', via: '10.10.126.1', type: 'unicast' }]);
    assert.equal(host.uplink, 'eth0');
    assert.equal(host.ipForward, true);
  });

  it('peers behind interfaces, containers behind their bridge ports', () => {
    assert.deepEqual(host.peers.map((p) => [p.name, p.kind, p.address, p.via, p.port ?? '']), [
      ['client', 'external', '10.10.126.187', 'eth0', ''],
      ['web', 'container', '172.17.0.4', 'docker0', 'veth-web'],
      ['other', 'container', '172.17.0.2', 'docker0', 'veth-other'],
    ]);
    assert.deepEqual(host.peers[1]!.listens, [{ proto: 'tcp', port: 12580 }]);
  });

  it('tcp/12580 published to web: docker-proxy listens, and the DNAT rule (line 12, reached from PREROUTING and OUTPUT) takes other hosts\' connections', () => {
    assert.equal(host.published.length, 1);
    const p = host.published[0]!;
    assert.deepEqual([p.proto, p.hostIp, p.hostPort, p.container, p.containerAddress, p.containerPort], ['tcp', '0.0.0.0', 12580, 'web', '172.17.0.4', 12580]);
    assert.equal(p.proxy, true);
    assert.deepEqual(p.dnat, { line: 12, chain: 'DOCKER', hooks: ['PREROUTING', 'OUTPUT'] });
    assert.equal(p.servedBy, 'dnat+docker-proxy');
    assert.match(p.words, /docker-proxy for what the rules leave to it/);
    assert.deepEqual(host.listeners, [{ proto: 'tcp', address: '0.0.0.0', port: 22, program: 'sshd' }], 'the published port is not repeated among the listeners');
  });
});

describe('who serves a published port', () => {
  it('docker-no-proxy: only the DNAT rule (dockerd reserves the port)', () => {
    const p = describedTopology('docker-no-proxy').host.published[0]!;
    assert.equal(p.proxy, false);
    assert.equal(p.servedBy, 'dnat');
    assert.match(p.words, /dockerd only reserves the port/);
  });

  it('docker-host-flushed: the DNAT rule is reached from OUTPUT only, so docker-proxy serves other hosts', () => {
    const p = describedTopology('docker-host-flushed').host.published[0]!;
    assert.equal(p.servedBy, 'docker-proxy');
    assert.deepEqual(p.dnat?.hooks, ['OUTPUT']);
    assert.match(p.words, /reached from OUTPUT only, so other hosts' connections end at the proxy/);
  });

  it('without the proxy and without a DNAT rule, nothing serves it', () => {
    const t = describedTopology('docker-no-proxy', (j) => {
      (j.docker as { published: Array<Record<string, unknown>> }).published[0]!.hostPort = 8080;
    });
    const p = t.host.published[0]!;
    assert.equal(p.dnat, undefined);
    assert.equal(p.servedBy, 'nothing');
  });

  it('a host inferred from the rules: the published port from the DNAT rule, with that rule', () => {
    const t = inferredTopology('docker-host');
    assert.equal(t.host.source, 'inferred');
    assert.ok(t.host.assumed.length > 0);
    assert.deepEqual(t.host.published.map((p) => [p.hostPort, p.containerAddress, p.dnat?.line]), [[12580, '172.17.0.4', 12]]);
  });
});

describe('overlay topology: examples/overlay', () => {
  const { overlay: o } = overlayExampleTopology();

  it('two hosts with their underlay addresses, gateways, rules files and docker_gwbridge', () => {
    assert.deepEqual(o.hosts.map((h) => [h.name, h.underlay, h.gateway, h.rules, h.rulesUri]), [
      ['hostA', '10.10.126.101/24', '10.10.126.1', 'hostA.rules', 'file:///x/overlay/hostA.rules'],
      ['hostB', '10.10.105.71/24', '10.10.105.1', 'hostB.rules', 'file:///x/overlay/hostB.rules'],
    ]);
    assert.deepEqual(o.hosts[0]!.gwbridge, { subnet: '172.18.0.0/16', gateway: '172.18.0.1', described: false });
    assert.equal(o.current, 'hostA');
  });

  it('net1 and net2 share 10.0.0.0/24 with VNIs 256 and 257, each on both hosts', () => {
    assert.deepEqual(o.networks, [
      { name: 'net1', subnet: '10.0.0.0/24', vni: 256, hosts: ['hostA', 'hostB'] },
      { name: 'net2', subnet: '10.0.0.0/24', vni: 257, hosts: ['hostA', 'hostB'] },
    ]);
    assert.deepEqual(o.containers.map((c) => [c.name, c.network, c.host, c.address, c.gwbridgeAddress, c.gwbridgeAllocated]), [
      ['net1c1', 'net1', 'hostA', '10.0.0.4', '172.18.0.2', true],
      ['net1c2', 'net1', 'hostB', '10.0.0.5', '172.18.0.2', true],
      ['net2c1', 'net2', 'hostA', '10.0.0.4', '172.18.0.3', true],
      ['net2c2', 'net2', 'hostB', '10.0.0.6', '172.18.0.3', true],
    ]);
  });

  it('one VXLAN tunnel, udp/4789 between 10.10.126.101 and 10.10.105.71, carrying both VNIs', () => {
    assert.deepEqual(o.tunnels, [{ hosts: ['hostA', 'hostB'], addresses: ['10.10.126.101', '10.10.105.71'], port: 4789, networks: [{ name: 'net1', vni: 256 }, { name: 'net2', vni: 257 }] }]);
  });

  it('no tunnel between hosts that share no network; a third host with a network of its own gets none', () => {
    const ws = {
      hosts: [{ name: 'a', underlay: '10.1.0.1/24' }, { name: 'b', underlay: '10.1.0.2/24' }, { name: 'c', underlay: '10.1.0.3/24' }],
      networks: [{ name: 'n1', subnet: '10.0.1.0/24', vni: 300 }, { name: 'n2', subnet: '10.0.2.0/24', vni: 301 }],
      containers: [
        { name: 'x', network: 'n1', host: 'a', address: '10.0.1.2' }, { name: 'y', network: 'n1', host: 'b', address: '10.0.1.3' },
        { name: 'z', network: 'n2', host: 'c', address: '10.0.2.2' },
      ],
    };
    const t = overlayExampleTopology(JSON.stringify(ws)).overlay;
    assert.deepEqual(t.tunnels.map((x) => x.hosts), [['a', 'b']]);
    assert.deepEqual(t.networks.map((n) => n.hosts), [['a', 'b'], ['c']]);
  });
});
