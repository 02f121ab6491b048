/** Saved `docker network inspect` and `docker inspect <container>` output as host facts. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDockerInspect, parseNetworkInspect, withDockerInspect, withDockerNetworks } from '../../../server/src/emulator/host/dockerInspect';
import { Emulator, inferHost, parseHostFile } from '../../../server/src/emulator/index';
import { ip4 } from '../../../server/src/emulator/packet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { corpusFiles } from '../../helpers/corpus';
import { ip } from '../../helpers/targetPackets';
import { WEB_INSPECT, inspectOf } from '../../helpers/dockerInspectSamples';

const root = join(__dirname, '..', '..', '..', '..');

const SAMPLE = JSON.stringify([
  {
    Name: 'bridge', Id: 'f72ac65deaa1', Driver: 'bridge',
    IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] },
    Containers: { a1: { Name: 'web', IPv4Address: '172.17.0.2/16', MacAddress: '02:42:ac:11:00:02' }, b2: { Name: 'db', IPv4Address: '172.17.0.3/16' } },
    Options: { 'com.docker.network.bridge.name': 'docker0' },
  },
  { Name: 'backend', Id: '0123456789abcdef', Driver: 'bridge', IPAM: { Config: [{ Subnet: '172.20.0.0/16', Gateway: '172.20.0.1' }] }, Containers: {}, Options: { 'com.docker.network.bridge.enable_icc': 'false' } },
  { Name: 'host', Id: 'x', Driver: 'host', IPAM: { Config: [] }, Containers: {}, Options: {} },
]);

describe('docker network inspect', () => {
  it('networks, bridges (docker0, br-<id12>), subnets, gateways, icc and containers', () => {
    const r = parseNetworkInspect(SAMPLE);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.value.map((n) => [n.name, n.bridge, n.subnet && `${ip4(n.subnet.addr)}/${n.subnet.prefix}`, n.gateway && ip4(n.gateway), n.icc, n.containers.map((c) => `${c.name}=${ip4(c.addr)}`).join(',')]), [
      ['bridge', 'docker0', '172.17.0.0/16', '172.17.0.1', true, 'web=172.17.0.2,db=172.17.0.3'],
      ['backend', 'br-0123456789ab', '172.20.0.0/16', '172.20.0.1', false, ''],
      ['host', undefined, undefined, undefined, true, ''],
    ]);
  });
  it('containers become peers behind their own bridge ports, and a trace between them crosses the bridge', () => {
    const base = parseHostFile(JSON.stringify({ name: 'h', interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24'] }], sysctl: { 'net.ipv4.ip_forward': 1, 'net.bridge.bridge-nf-call-iptables': 1 } })).value!.host;
    const host = withDockerNetworks(base, parseNetworkInspect(SAMPLE).value);
    assert.equal(host.ifaces.get('docker0')?.kind, 'bridge');
    assert.equal(host.ifaces.get('veth-web')?.master, 'docker0');
    assert.ok(host.assumed.some((a) => /backend has icc off/.test(a)));
    const web = host.peers.find((p) => p.name === 'web')!;
    const rules = '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i docker0 -o docker0 -j ACCEPT\nCOMMIT\n';
    const emu = new Emulator(parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset, host);
    const r = emu.trace({ proto: 'tcp', src: web.addr, sport: 40000, dst: host.peers.find((p) => p.name === 'db')!.addr, dport: 5432, origin: { kind: 'peer', peer: web } });
    assert.equal(r.completed, true);
    assert.ok(r.events.some((e) => e.type === 'fate' && e.fate === 'bridged'));
  });
  const files = corpusFiles('docker').filter((f) => basename(f).startsWith('network-inspect'));
  for (const f of files) {
    it(`corpus ${basename(f)}: read without a problem`, () => {
      const r = parseNetworkInspect(readFileSync(f, 'utf8'));
      assert.deepEqual(r.diagnostics, []);
      assert.ok(r.value.length > 0 && r.value.every((n) => n.bridge && n.subnet));
    });
  }
});

const plain = <T>(v: T): unknown => JSON.parse(JSON.stringify(v, (k, x) => (k === 'span' ? undefined : x)));

describe('docker inspect <container>', () => {
  it('a running container: its address on the default bridge and its published port; the exposed-only 53/udp (null) and the IPv6 twin binding are left out', () => {
    const r = parseDockerInspect(WEB_INSPECT);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.value.networks.length, 0);
    assert.deepEqual(plain(r.value.containers.map(({ span: _, ...c }) => c)), [{
      name: 'web', networkMode: 'default',
      endpoints: [{ network: 'bridge', addr: ip('172.17.0.4'), prefix: 16, gateway: ip('172.17.0.1'), networkId: 'f72ac65deaa1f24ec96398514c03fda16fc4a8ccd2f02ce1b2fc05cc9bcf3b5d' }],
      ports: [{ proto: 'tcp', hostIp: 0, hostPort: 12580, containerPort: 12580 }],
    }]);
  });
  it('a container becomes a peer behind docker0 and its published port a docker-proxy listener (Docker\'s default, said as an assumption)', () => {
    const host = withDockerInspect(bareHost(), parseDockerInspect(WEB_INSPECT).value);
    assert.deepEqual(host.peers.filter((p) => p.kind === 'container').map((p) => [p.name, ip4(p.addr), p.via, p.port]), [['web', '172.17.0.4', 'docker0', 'veth-web']]);
    assert.deepEqual(host.ifaces.get('docker0')?.addrs, [{ addr: ip('172.17.0.1'), prefix: 16 }]);
    assert.ok(host.routes.some((r) => r.dev === 'docker0' && r.origin === 'connected' && r.dst === ip('172.17.0.0') && r.prefix === 16));
    assert.deepEqual(host.listeners.filter((l) => l.port === 12580), [{ proto: 'tcp', addr: 0, port: 12580, program: 'docker-proxy', forwardTo: { addr: ip('172.17.0.4'), port: 12580 }, publishes: { addr: ip('172.17.0.4'), port: 12580 } }]);
    assert.ok(host.assumed.includes("docker-proxy listens on tcp/12580 and forwards to 172.17.0.4:12580 (from docker inspect of web; Docker's default userland proxy)"), host.assumed.join('\n'));
  });
  it('what the description says wins: its userland-proxy setting, its listener on the port, its peer at the address', () => {
    const off = withDockerInspect(bareHost({ docker: { userlandProxy: false } }), parseDockerInspect(WEB_INSPECT).value);
    assert.deepEqual(off.listeners.filter((l) => l.port === 12580).map((l) => l.program), ['dockerd (port reserved, never accepts)']);
    assert.ok(!off.assumed.some((a) => /12580/.test(a)));
    const taken = withDockerInspect(bareHost({ listeners: [{ proto: 'tcp', port: 12580, program: 'nginx' }] }), parseDockerInspect(WEB_INSPECT).value);
    assert.deepEqual(taken.listeners.filter((l) => l.port === 12580).map((l) => l.program), ['nginx']);
    const named = withDockerInspect(bareHost({
      interfaces: [{ name: 'eth0', addresses: ['10.10.126.101/24'] }, { name: 'docker0', kind: 'bridge', addresses: ['172.17.0.1/16'] }, { name: 'veth9', kind: 'veth', master: 'docker0' }],
      peers: [{ name: 'frontend', address: '172.17.0.4', via: 'docker0', port: 'veth9' }],
    }), parseDockerInspect(WEB_INSPECT).value);
    assert.deepEqual(named.peers.map((p) => p.name), ['frontend']);
  });
  it('a peer only inferred from a DNAT rule is replaced by the container of that address', () => {
    const rules = readFileSync(join(root, 'examples', 'docker-host', 'rules.v4'), 'utf8');
    const inferred = inferHost(parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset, { ifaces: ['eth0'] });
    assert.deepEqual(inferred.peers.map((p) => p.name), ['container 172.17.0.4']);
    const host = withDockerInspect(inferred, parseDockerInspect(WEB_INSPECT).value);
    assert.deepEqual(host.peers.map((p) => [p.name, p.via]), [['web', 'docker0']]);
  });
  it('both kinds in one array (`docker inspect bridge web`): the container is attached once, behind the bridge the network names', () => {
    const network = { Name: 'bridge', Id: 'f72ac65deaa1f24ec96398514c03fda16fc4a8ccd2f02ce1b2fc05cc9bcf3b5d', Driver: 'bridge', Scope: 'local', IPAM: { Driver: 'default', Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] },
      Containers: { '9c5e0d1a7b3f': { Name: 'web', IPv4Address: '172.17.0.4/16', MacAddress: '02:42:ac:11:00:04' } }, Options: { 'com.docker.network.bridge.name': 'br-default' } };
    const text = JSON.stringify([network, ...(JSON.parse(WEB_INSPECT) as unknown[])], null, 4);
    const r = parseDockerInspect(text);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual([r.value.networks.length, r.value.containers.length], [1, 1]);
    const host = withDockerInspect(bareHost(), r.value);
    assert.deepEqual(host.peers.filter((p) => p.kind === 'container').map((p) => [p.name, p.via, p.port]), [['web', 'br-default', 'veth-web']]);
    assert.equal(host.ifaces.has('docker0'), false);
    assert.equal(host.listeners.find((l) => l.port === 12580)?.forwardTo?.addr, ip('172.17.0.4'));
    // The network-only reader says what it leaves out.
    assert.match(parseNetworkInspect(text).diagnostics.map((d) => d.message).join(), /Container web: not a network/);
  });
  it('a container on a user network and the default bridge: br-<NetworkID 12>, and its ports go to the network it was started on', () => {
    const c = inspectOf((o) => {
      o.HostConfig.NetworkMode = 'backend';
      o.NetworkSettings.Networks.backend = { NetworkID: '0123456789abcdef0123', Gateway: '172.20.0.1', IPAddress: '172.20.0.7', IPPrefixLen: 16, MacAddress: '02:42:ac:14:00:07' };
    });
    const host = withDockerInspect(bareHost(), parseDockerInspect(c).value);
    assert.deepEqual(host.peers.filter((p) => p.kind === 'container').map((p) => [p.name, ip4(p.addr), p.via, p.port]), [
      ['web', '172.17.0.4', 'docker0', 'veth-web'],
      ['web', '172.20.0.7', 'br-0123456789ab', 'veth-web-2'],
    ]);
    assert.equal(host.listeners.find((l) => l.port === 12580)?.forwardTo?.addr, ip('172.20.0.7'));
  });
  it('Docker before 1.9: no Networks, one endpoint in NetworkSettings with its Bridge and the 172.17.42.1 gateway of those days', () => {
    const old = JSON.stringify([{
      Id: '4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2', Name: '/legacy', Driver: 'aufs',
      State: { Running: true, Pid: 811, ExitCode: 0, StartedAt: '2015-08-11T08:54:02.123Z' },
      HostConfig: { NetworkMode: 'bridge', PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } },
      NetworkSettings: { Bridge: 'docker0', EndpointID: '', Gateway: '172.17.42.1', GlobalIPv6Address: '', HairpinMode: false, IPAddress: '172.17.0.5', IPPrefixLen: 16, IPv6Gateway: '', MacAddress: '02:42:ac:11:00:05', NetworkID: '', PortMapping: null, Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] }, SandboxKey: '' },
    }]);
    const r = parseDockerInspect(old);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(plain(r.value.containers[0]!.endpoints), [{ network: 'bridge', addr: ip('172.17.0.5'), prefix: 16, gateway: ip('172.17.42.1'), bridge: 'docker0' }]);
    const host = withDockerInspect(bareHost(), r.value);
    assert.deepEqual(host.ifaces.get('docker0')?.addrs, [{ addr: ip('172.17.42.1'), prefix: 16 }]);
    assert.deepEqual(host.listeners.find((l) => l.port === 8080)?.forwardTo, { addr: ip('172.17.0.5'), port: 80 });
  });
  it('port bindings: null is exposed only; HostConfig.PortBindings when NetworkSettings has no Ports; a port Docker picks at start is unknown (warning)', () => {
    const text = inspectOf((o) => {
      delete o.NetworkSettings.Ports;
      o.HostConfig.PortBindings = { '12580/tcp': [{ HostIp: '127.0.0.1', HostPort: '8081' }], '9000/tcp': [{ HostIp: '', HostPort: '' }], '53/udp': null, '5353/udp': [{ HostIp: '', HostPort: '5353' }] };
    });
    const r = parseDockerInspect(text);
    assert.deepEqual(plain(r.value.containers[0]!.ports), [
      { proto: 'tcp', hostIp: ip('127.0.0.1'), hostPort: 8081, containerPort: 12580 },
      { proto: 'udp', hostIp: 0, hostPort: 5353, containerPort: 5353 },
    ]);
    // On the binding's own line (the one after "9000/tcp": [).
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.span.start.line]), [['warning', text.split('\n').findIndex((l) => l.includes('"9000/tcp"')) + 1]]);
    assert.match(r.diagnostics[0]!.message, /9000\/tcp gets a host port Docker picks/);
  });
  it('never throws: bad JSON, unknown shapes, stopped containers and host networking become diagnostics with their place', () => {
    const bad = parseDockerInspect('[{"Name": "/web", "State": {"Running": tru');
    assert.ok(bad.diagnostics.some((d) => d.severity === 'error'));
    assert.deepEqual([bad.value.networks.length, bad.value.containers.length], [0, 0]);
    assert.deepEqual(parseDockerInspect('').value, { networks: [], containers: [] });
    const r = parseDockerInspect(JSON.stringify([{ Foo: 1 }, 42, ...[inspectOf((o) => { o.State.Running = false; o.NetworkSettings.Networks.bridge.IPAddress = ''; }), inspectOf((o) => { o.HostConfig.NetworkMode = 'host'; })].map((t) => (JSON.parse(t) as unknown[])[0])], null, 1));
    assert.equal(r.value.containers.length, 0);
    assert.deepEqual(r.diagnostics.map((d) => d.severity), ['warning', 'warning', 'warning', 'info']);
    assert.match(r.diagnostics[0]!.message, /Neither a network .* nor a container/);
    assert.match(r.diagnostics[2]!.message, /web is not running/);
    assert.match(r.diagnostics[3]!.message, /uses the host's network/);
    assert.ok(r.diagnostics.every((d) => d.span.start.line > 0), 'each diagnostic points at its object');
  });
});

describe('a trace to a port published by docker inspect output', () => {
  const rulesA = readFileSync(join(root, 'examples', 'docker-host', 'rules.v4'), 'utf8');
  const jump = '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n';
  const rulesB = rulesA.replace(jump, '');
  const run = (rules: string) => {
    const host = withDockerInspect(bareHost(), parseDockerInspect(WEB_INSPECT).value);
    const emu = new Emulator(parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset, host);
    const client = host.peers.find((p) => p.name === 'client')!;
    return emu.trace({ proto: 'tcp', src: client.addr, sport: 40000, dst: ip('10.10.126.101'), dport: 12580, origin: { kind: 'peer', peer: client } });
  };
  it('with Docker\'s PREROUTING jump the DNAT rule takes the connection to web, which sees the client', () => {
    const r = run(rulesA);
    assert.equal(r.completed, true);
    assert.equal(r.legs.length, 0);
    assert.ok(r.events.some((e) => e.type === 'rewrite' && e.what === 'DNAT'));
    assert.equal(ip4(r.serverSaw!.src), '10.10.126.187');
  });
  it('without it, the docker-proxy the inspect output implies accepts, and its own connection reaches web from 172.17.0.1', () => {
    assert.notEqual(rulesB, rulesA);
    const r = run(rulesB);
    assert.equal(r.completed, true);
    assert.equal(r.acceptedBy?.program, 'docker-proxy');
    assert.equal(r.legs.length, 1);
    assert.equal(r.legs[0]!.completed, true);
    assert.equal(ip4(r.legs[0]!.serverSaw!.src), '172.17.0.1');
    assert.equal(r.legs[0]!.serverSaw!.dport, 12580);
  });
});

/** A host description without Docker: eth0, the default route, an external client. */
function bareHost(extra: Record<string, unknown> = {}) {
  const r = parseHostFile(JSON.stringify({
    name: 'docker-host',
    interfaces: [{ name: 'eth0', addresses: ['10.10.126.101/24'] }],
    routes: [{ to: 'default', via: '10.10.126.1', dev: 'eth0' }],
    sysctl: { 'net.ipv4.ip_forward': 1, 'net.bridge.bridge-nf-call-iptables': 1 },
    peers: [{ name: 'client', address: '10.10.126.187', via: 'eth0' }],
    ...extra,
  }));
  assert.deepEqual(r.diagnostics, []);
  return r.value!.host;
}
