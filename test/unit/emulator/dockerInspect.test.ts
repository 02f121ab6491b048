/** `docker network inspect` output as host facts. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { parseNetworkInspect, withDockerNetworks } from '../../../server/src/emulator/host/dockerInspect';
import { Emulator, parseHostFile } from '../../../server/src/emulator/index';
import { ip4 } from '../../../server/src/emulator/packet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { corpusFiles } from '../../helpers/corpus';

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
