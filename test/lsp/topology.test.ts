/** netfilterLens/topology over the protocol: for an open rules file, a host description, an overlay workspace, and bad input. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { TopologyReply } from '../../server/src/protocol';
import type { Topology } from '../../server/src/trace/topology';
import { LspClient } from '../helpers/lspClient';

const examples = join(__dirname, '..', '..', '..', 'examples');
const uri = (...p: string[]) => pathToFileURL(join(examples, ...p)).toString();
const DOCKER = join(examples, 'docker-host', 'rules.v4');
const HOST_A = join(examples, 'overlay', 'hostA.rules');

function ok(r: TopologyReply): Topology {
  assert.ok(!('error' in r), `an error: ${'error' in r ? r.error : ''}`);
  return r as Topology;
}

describe('language server over LSP: topology', () => {
  const client = new LspClient();
  const topology = (u: unknown) => client.request<TopologyReply>('netfilterLens/topology', { uri: u });
  before(async () => {
    await client.initialize();
    await client.open(uri('docker-host', 'rules.v4'), readFileSync(DOCKER, 'utf8'));
    await client.open(uri('overlay', 'hostA.rules'), readFileSync(HOST_A, 'utf8'));
  });
  after(() => client.shutdown());

  it('an open rules file: its described host, docker0 with its ports and containers, the published port and its DNAT rule', async () => {
    const t = ok(await topology(uri('docker-host', 'rules.v4')));
    assert.equal(t.kind, 'host');
    if (t.kind !== 'host') return;
    assert.equal(t.host.name, 'docker-host');
    assert.equal(t.host.source, 'description');
    assert.equal(t.host.rulesUri, uri('docker-host', 'rules.v4'));
    assert.deepEqual(t.host.ifaces.filter((i) => i.master === 'docker0').map((i) => i.name), ['veth-web', 'veth-other']);
    assert.deepEqual(t.host.peers.filter((p) => p.kind === 'container').map((p) => [p.name, p.port]), [['web', 'veth-web'], ['other', 'veth-other']]);
    const p = t.host.published[0]!;
    assert.deepEqual([p.hostPort, p.container, p.proxy, p.servedBy, p.dnat?.line], [12580, 'web', true, 'dnat+docker-proxy', 12]);
  });

  it('a host description that is not open: read from disk, with the rules file it names', async () => {
    const t = ok(await topology(uri('docker-no-proxy', 'nflens-host.json')));
    assert.ok(t.kind === 'host');
    assert.equal(t.host.name, 'docker-no-proxy');
    assert.equal(t.host.rulesUri, uri('docker-no-proxy', 'rules.v4'));
    assert.deepEqual(t.host.published.map((p) => [p.servedBy, p.dnat?.line]), [['dnat', 15]]);
  });

  it('an overlay host\'s rules file and the workspace description: hosts, networks, the VXLAN tunnel', async () => {
    const fromRules = ok(await topology(uri('overlay', 'hostA.rules')));
    assert.ok(fromRules.kind === 'overlay');
    assert.equal(fromRules.overlay.current, 'hostA');
    assert.deepEqual(fromRules.overlay.hosts.map((h) => [h.name, h.underlay, h.rulesUri]), [
      ['hostA', '10.10.126.101/24', uri('overlay', 'hostA.rules')],
      ['hostB', '10.10.105.71/24', uri('overlay', 'hostB.rules')],
    ]);
    assert.deepEqual(fromRules.overlay.networks.map((n) => [n.name, n.subnet, n.vni]), [['net1', '10.0.0.0/24', 256], ['net2', '10.0.0.0/24', 257]]);
    assert.deepEqual(fromRules.overlay.tunnels.map((x) => [x.addresses, x.port]), [[['10.10.126.101', '10.10.105.71'], 4789]]);
    const fromWs = ok(await topology(uri('overlay', 'nflens-workspace.json')));
    assert.ok(fromWs.kind === 'overlay');
    assert.equal(fromWs.overlay.current, undefined);
    assert.equal(fromWs.overlay.containers.length, 4);
  });

  it('bad input is answered with an error, and the server keeps serving', async () => {
    const notOpen = await topology(uri('web-server', 'rules.v4'));
    assert.match('error' in notOpen ? notOpen.error : '', /Open an iptables rules file, a host description/);
    const missing = await topology(uri('nowhere', 'nflens-host.json'));
    assert.match('error' in missing ? missing.error : '', /cannot be read/);
    assert.ok('error' in (await topology(42)));
    assert.ok('error' in (await topology(undefined)));
    assert.ok(!('error' in (await topology(uri('docker-host', 'rules.v4')))));
  });
});
