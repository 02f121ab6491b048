/** The topology view's rendering from the real examples (pure: no DOM, no vscode), escaping, and what its clicks start. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Topology } from '../../../server/src/trace/topology';
import { answersToParams } from '../../../client/src/traceInput/traceAnswers';
import { clickMessage, fromTopologyWebview, traceTarget, type TraceTarget } from '../../../client/src/webview/topology/topologyMessages';
import { topologyView } from '../../../client/src/webview/topology/topologyView';
import { OUTSIDE_DESTINATION, OUTSIDE_SOURCE, traceStart, type TraceStart } from '../../../client/src/webview/topology/traceStart';
import { byTestId, findAll, textOf, toHtml, type VNode } from '../../../client/src/webview/vnode';
import { contentSecurityPolicy, panelHtml } from '../../../client/src/webviewHost/pageHtml';
import { describedTopology, overlayExampleTopology } from '../../helpers/topologies';

const render = (t: Topology) => topologyView({ kind: 'topology', title: 'Topology', topology: t });
const one = (root: VNode, id: string, attr: string, value: string): VNode => {
  const found = byTestId(root, id).filter((n) => n.attrs[attr] === value);
  assert.equal(found.length, 1, `one ${id} with ${attr}=${value}`);
  return found[0]!;
};
/** The click message of the element's trace button (as the webview sends it). */
const clickOf = (button: VNode) => clickMessage(Object.fromEntries(Object.entries(button.attrs).filter(([k]) => k.startsWith('data-')).map(([k, v]) => [k.slice(5).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), v])));
const traceButtonOf = (n: VNode): VNode => byTestId(n, 'topology-trace')[0]!;
const started = (t: Topology, target: TraceTarget): TraceStart => {
  const s = traceStart(t, target);
  assert.ok(!('error' in s), 'error' in s ? s.error : '');
  return s;
};

describe('topology view: examples/docker-host', () => {
  const t = describedTopology('docker-host');
  const { node, status } = render(t);

  it('a row per interface that is not a bridge port, the loopback last', () => {
    assert.equal(one(node, 'topology-panel', 'data-kind', 'host').attrs['data-state'], 'topology');
    assert.deepEqual(byTestId(node, 'topology-row').map((r) => r.attrs['data-iface']), ['eth0', 'docker0', 'lo']);
    const docker0 = one(node, 'topology-iface', 'data-iface', 'docker0');
    assert.equal(docker0.attrs['data-kind'], 'bridge');
    assert.match(textOf(docker0), /172\.17\.0\.1\/16/);
    assert.match(textOf(one(node, 'topology-iface', 'data-iface', 'eth0')), /default route via 10\.10\.126\.1/);
    assert.equal(status, 'docker-host: 5 interfaces, 3 peers, 1 published port.');
  });

  it('docker0 with its ports, web and other behind them with their addresses', () => {
    const row = one(node, 'topology-row', 'data-iface', 'docker0');
    const ports = byTestId(row, 'topology-bridge-port');
    assert.deepEqual(ports.map((p) => [p.attrs['data-port'], p.attrs['data-bridge']]), [['veth-web', 'docker0'], ['veth-other', 'docker0']]);
    const web = one(ports[0]!, 'topology-container', 'data-name', 'web');
    assert.equal(web.attrs['data-address'], '172.17.0.4');
    assert.match(textOf(web), /listens on tcp\/12580/);
    assert.equal(one(ports[1]!, 'topology-container', 'data-name', 'other').attrs['data-address'], '172.17.0.2');
  });

  it('the peer client and the gateway outside eth0, and "anywhere beyond" it', () => {
    const row = one(node, 'topology-row', 'data-iface', 'eth0');
    assert.equal(one(row, 'topology-peer', 'data-name', 'client').attrs['data-address'], '10.10.126.187');
    assert.equal(one(row, 'topology-gateway', 'data-address', '10.10.126.1').tag, 'li');
    assert.match(textOf(one(row, 'topology-outside', 'data-iface', 'eth0')), /anywhere beyond 10\.10\.126\.1/);
  });

  it('published tcp/12580 → web:12580, served by DNAT and docker-proxy, with the DNAT rule to reveal', () => {
    const p = one(node, 'topology-published', 'data-port', '12580');
    assert.equal(p.attrs['data-served-by'], 'dnat+docker-proxy');
    assert.equal(p.attrs['data-container'], 'web');
    assert.match(textOf(p), /^tcp docker-host:12580web:12580 \(172\.17\.0\.4\)DNAT \+ docker-proxy /);
    assert.match(textOf(p), /docker-proxy/);
    const link = byTestId(p, 'topology-rule-link')[0]!;
    assert.deepEqual(clickOf(link), { type: 'revealRule', host: 'docker-host', line: 12 });
    assert.equal(one(node, 'topology-listener', 'data-port', '22').attrs['data-proto'], 'tcp');
  });

  it('clicks start Trace Packet… pre-filled: the published port from client, a container to another, to the outside, the peer to the host\'s service', () => {
    const port = clickOf(traceButtonOf(one(node, 'topology-published', 'data-port', '12580')));
    assert.deepEqual(port, { type: 'trace', target: { kind: 'port', proto: 'tcp', port: 12580 } });
    const s = started(t, port!.type === 'trace' ? port.target : ({} as TraceTarget));
    assert.equal(s.uri, 'file:///x/docker-host/rules.v4');
    assert.deepEqual(answersToParams(s.uri, s.answers), { uri: s.uri, proto: 'tcp', src: 'client', dst: 'docker-host', origin: { peer: 'client' }, dport: 12580 });
    assert.equal(s.words, 'tcp client → docker-host:12580');

    const other = one(node, 'topology-container', 'data-name', 'other');
    const toWeb = clickOf(traceButtonOf(other));
    assert.deepEqual(toWeb, { type: 'trace', target: { kind: 'container', name: 'other', to: 'container' } });
    assert.equal(started(t, { kind: 'container', name: 'other', to: 'container' }).words, 'tcp other → web:12580', 'to the container that listens');
    assert.equal(started(t, { kind: 'container', name: 'web', to: 'container' }).words, 'icmp web → other', 'other listens on nothing described: a ping');
    assert.equal(traceButtonOf(other).attrs['aria-label'], 'other, container 172.17.0.2 on bridge port veth-other. Trace tcp other → web:12580');
    const out = byTestId(other, 'topology-trace-outside')[0]!;
    assert.deepEqual(clickOf(out), { type: 'trace', target: { kind: 'container', name: 'other', to: 'outside' } });
    assert.equal(started(t, { kind: 'container', name: 'other', to: 'outside' }).words, 'tcp other → client:443');

    assert.equal(started(t, { kind: 'peer', name: 'client' }).words, 'tcp client → docker-host:12580');
    const outside = started(t, { kind: 'outside', iface: 'eth0' });
    assert.deepEqual(outside.answers, { proto: 'tcp', source: { kind: 'address', address: OUTSIDE_SOURCE }, dst: 'docker-host', iface: 'eth0', dport: 12580 });
    assert.equal(started(t, { kind: 'port', proto: 'tcp', port: 22 }).words, 'tcp client → docker-host:22');
  });

  it('without an external peer: from an address arriving on the uplink, and to an address beyond it', () => {
    const bare = describedTopology('docker-host', (j) => {
      j.peers = (j.peers as Array<{ name: string }>).filter((p) => p.name !== 'client');
    });
    assert.equal(started(bare, { kind: 'port', proto: 'tcp', port: 12580 }).words, `tcp ${OUTSIDE_SOURCE} on eth0 → docker-host:12580`);
    assert.equal(started(bare, { kind: 'container', name: 'web', to: 'outside' }).words, `tcp web → ${OUTSIDE_DESTINATION}:443`);
    assert.deepEqual(traceStart(bare, { kind: 'peer', name: 'client' }), { error: 'docker-host has no peer "client".' });
  });

  it('with no rules file, every button stays focusable and says why it cannot trace', () => {
    const norules: Topology = { ...t, host: { ...t.host, rulesUri: undefined } } as Topology;
    const buttons = byTestId(render(norules).node, 'topology-trace');
    assert.ok(buttons.length >= 5);
    for (const b of buttons) {
      assert.equal(b.attrs['aria-disabled'], 'true');
      assert.equal(b.attrs['data-action'], undefined, 'no click message');
      assert.match(b.attrs['aria-label']!, /Cannot trace: No rules file to trace through/);
    }
  });
});

describe('topology view: examples/overlay', () => {
  const t = overlayExampleTopology();
  const { node, status } = render(t);

  it('two hosts with their underlay addresses, hostA marked as the one opened', () => {
    assert.deepEqual(byTestId(node, 'topology-overlay-host').map((h) => [h.attrs['data-host'], h.attrs['data-underlay']]), [['hostA', '10.10.126.101/24'], ['hostB', '10.10.105.71/24']]);
    assert.match(textOf(one(node, 'topology-overlay-host', 'data-host', 'hostA')), /\(this rules file\)/);
    assert.equal(status, 'Overlay workspace: 2 hosts, 2 networks, 4 containers, 1 VXLAN tunnel.');
  });

  it('net1 and net2, both 10.0.0.0/24, VNIs 256 and 257, their containers under their hosts', () => {
    assert.deepEqual(byTestId(node, 'topology-network').map((n) => [n.attrs['data-network'], n.attrs['data-subnet'], n.attrs['data-vni']]), [['net1', '10.0.0.0/24', '256'], ['net2', '10.0.0.0/24', '257']]);
    const net1 = one(node, 'topology-network', 'data-network', 'net1');
    assert.deepEqual(byTestId(net1, 'topology-overlay-container').map((c) => [c.attrs['data-name'], c.attrs['data-host'], c.attrs['data-address']]), [['net1c1', 'hostA', '10.0.0.4'], ['net1c2', 'hostB', '10.0.0.5']]);
    const cells = findAll(net1, (n) => n.tag === 'td').map((td) => td.attrs['data-host']);
    assert.deepEqual(cells, ['hostA', 'hostB'], 'a cell per host, in column order');
  });

  it('the VXLAN tunnel spans both host columns: udp/4789, 10.10.126.101 ⇄ 10.10.105.71, VNIs 256 and 257', () => {
    const tun = one(node, 'topology-tunnel', 'data-hosts', 'hostA hostB');
    assert.equal(tun.attrs['data-addresses'], '10.10.126.101 10.10.105.71');
    assert.equal(tun.attrs['data-port'], '4789');
    assert.equal(tun.attrs['data-vnis'], '256 257');
    assert.equal(tun.attrs.colspan, '2');
    assert.match(textOf(tun), /10\.10\.126\.101 ⇄ 10\.10\.105\.71 udp\/4789 · VNI 256 \(net1\), VNI 257 \(net2\)/);
  });

  it('docker_gwbridge per host, with each container\'s eth1 address', () => {
    const gw = one(node, 'topology-gwbridge', 'data-host', 'hostB');
    assert.equal(gw.attrs['data-subnet'], '172.18.0.0/16');
    assert.deepEqual(byTestId(gw, 'topology-gwbridge-member').map(textOf), ['net1c2 eth1 172.18.0.2 (allocated)', 'net2c2 eth1 172.18.0.3 (allocated)']);
  });

  it('an overlay container traces to a container of its network on the other host; the tunnel from one end to the other', () => {
    const c = clickOf(traceButtonOf(one(node, 'topology-overlay-container', 'data-name', 'net2c1')));
    assert.deepEqual(c, { type: 'trace', target: { kind: 'overlayContainer', name: 'net2c1' } });
    const s = started(t, { kind: 'overlayContainer', name: 'net2c1' });
    assert.equal(s.uri, 'file:///x/overlay/hostA.rules');
    assert.deepEqual(answersToParams(s.uri, s.answers), { uri: s.uri, proto: 'icmp', src: 'net2c1', dst: 'net2c2', origin: { peer: 'net2c1' } });
    const fromB = started(t, { kind: 'overlayContainer', name: 'net1c2' });
    assert.equal(fromB.uri, 'file:///x/overlay/hostB.rules', 'through the sender\'s host\'s rules');
    assert.equal(fromB.words, 'icmp net1c2 → net1c1');
    const tun = clickOf(traceButtonOf(one(node, 'topology-tunnel', 'data-hosts', 'hostA hostB')));
    assert.deepEqual(tun, { type: 'trace', target: { kind: 'tunnel', from: 'hostA', to: 'hostB' } });
    assert.equal(started(t, { kind: 'tunnel', from: 'hostA', to: 'hostB' }).words, 'icmp net1c1 → net1c2');
    assert.ok('error' in traceStart(t, { kind: 'port', proto: 'tcp', port: 80 }), 'a host target means nothing in a workspace');
  });
});

describe('topology view: user text is escaped', () => {
  it('a container named <script> comes out as text, in content and attributes', () => {
    const t = describedTopology('docker-host', (j) => {
      const peers = j.peers as Array<Record<string, unknown>>;
      peers[1]!.name = '<script>alert(1)</script>';
      (j.docker as { published: Array<Record<string, unknown>> }).published[0]!.container = '<script>alert(1)</script>';
      j.name = 'h"><img src=x onerror=alert(1)>';
    });
    const html = toHtml(render(t).node);
    assert.ok(!html.includes('<script'), 'no script element');
    assert.ok(!html.includes('<img'), 'no img element');
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /data-name="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.match(html, /data-target="\{&quot;kind&quot;:&quot;container&quot;,&quot;name&quot;:&quot;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;,&quot;to&quot;:&quot;container&quot;\}"/);
  });
});

describe('topology messages from the webview', () => {
  it('accepts ready, trace with a known target, revealRule with a positive line; nothing else', () => {
    assert.deepEqual(fromTopologyWebview({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(fromTopologyWebview({ type: 'trace', target: { kind: 'peer', name: 'client', extra: 1 } }), { type: 'trace', target: { kind: 'peer', name: 'client' } });
    assert.equal(fromTopologyWebview({ type: 'trace', target: { kind: 'command', name: 'x' } }), undefined);
    assert.equal(fromTopologyWebview({ type: 'trace', target: { kind: 'port', proto: 'sctp', port: 1 } }), undefined);
    assert.equal(fromTopologyWebview({ type: 'trace', target: { kind: 'port', proto: 'tcp', port: 70000 } }), undefined);
    assert.equal(fromTopologyWebview({ type: 'revealRule', host: 'h', line: 0 }), undefined);
    assert.equal(fromTopologyWebview({ type: 'runCommand' }), undefined);
    assert.equal(fromTopologyWebview(null), undefined);
    assert.equal(traceTarget({ kind: 'container', name: 'web', to: 'elsewhere' }), undefined);
    assert.equal(clickMessage({ action: 'trace', target: '{not json' }), undefined);
    assert.equal(clickMessage({ action: 'other' }), undefined);
  });

  it('the page has the topology test ids, one nonce\'d script and the strict CSP', () => {
    const html = panelHtml({ cspSource: 'CSP', nonce: 'n', scriptUri: 'CSP/topology.js', styleUri: 'CSP/topology.css', title: 'T', testIdPrefix: 'topology', loadingText: 'Reading the host…' });
    assert.ok(html.includes(`content="${contentSecurityPolicy('CSP', 'n').replace(/'/g, '&#39;')}"`));
    assert.match(html, /data-testid="topology-status"/);
    assert.match(html, /<div id="root" data-testid="topology-root"><main data-testid="topology-panel" data-state="loading" aria-busy="true"><p>Reading the host…<\/p>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
  });
});
