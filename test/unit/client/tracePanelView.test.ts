/** The trace panel's rendering, from real traces of the example hosts (pure: no DOM, no vscode). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { panelView, type PanelContent } from '../../../client/src/webview/panelView';
import { byTestId, findAll, h, textOf, toHtml, type VNode } from '../../../client/src/webview/vnode';
import type { TraceOutcome } from '../../../server/src/trace/traceResult';
import { dockerHostOutcome, outcomeOf, overlayOutcome } from '../../helpers/traceOutcomes';

const render = (outcome: TraceOutcome, selected?: string) => panelView({ kind: 'trace', title: 'test', outcome }, selected);
const attr = (n: VNode, k: string) => n.attrs[k];
const nodeOf = (root: VNode, name: string) => findAll(root, (n) => n.attrs['data-testid'] === 'diagram-node' && n.attrs['data-node'] === name)[0]!;
const visitedNodes = (root: VNode) => byTestId(root, 'diagram-node').filter((n) => n.attrs['data-visited'] === 'true').map((n) => n.attrs['data-node']);
const visitedEdges = (root: VNode) => byTestId(root, 'diagram-edge').filter((n) => n.attrs['data-visited'] === 'true').map((n) => n.attrs['data-edge']);
const steps = (root: VNode, kind: string) => byTestId(root, 'trace-step').filter((n) => n.attrs['data-kind'] === kind);

describe('trace panel: client → published port of docker-host (DNAT, forwarded to the container)', () => {
  const o = dockerHostOutcome({ proto: 'tcp', src: 'client', dst: 'docker-host', dport: 12580, origin: { peer: 'client' } });

  it('one tab per packet of the conversation, replies marked with their un-NAT', () => {
    const { node, selected } = render(o);
    assert.equal(selected, 'c1p1');
    const tabs = byTestId(node, 'trace-tab');
    assert.deepEqual(tabs.map((t) => attr(t, 'data-label')), ['SYN', 'SYN-ACK', 'ACK', 'data', 'FIN', 'FIN-ACK', 'last ACK']);
    assert.deepEqual(tabs.map((t) => attr(t, 'aria-selected')), ['true', 'false', 'false', 'false', 'false', 'false', 'false']);
    assert.deepEqual(tabs.map((t) => attr(t, 'tabindex')), ['0', '-1', '-1', '-1', '-1', '-1', '-1'], 'one tab in the tab order');
    assert.deepEqual(tabs.filter((t) => attr(t, 'data-dir') === 'reply').map((t) => attr(t, 'data-unnat')), ['un-DNAT', 'un-DNAT']);
    assert.equal(attr(tabs[1]!, 'aria-label'), 'Packet 2: SYN-ACK, reply, un-DNAT, forwarded');
    assert.equal(byTestId(node, 'trace-tablist').length, 1);
    assert.equal(attr(byTestId(node, 'trace-packet')[0]!, 'aria-labelledby'), 'tab-c1p1');
  });

  it('the SYN: PREROUTING (nat) → routing → FORWARD (filter) → POSTROUTING (nat) → out; INPUT untouched', () => {
    const { node } = render(o);
    assert.deepEqual(visitedNodes(node), ['in', 'PREROUTING', 'route-in', 'FORWARD', 'POSTROUTING', 'out']);
    assert.deepEqual(visitedEdges(node), ['in>PREROUTING', 'PREROUTING>route-in', 'route-in>FORWARD', 'FORWARD>POSTROUTING', 'POSTROUTING>out']);
    assert.equal(attr(nodeOf(node, 'PREROUTING'), 'data-tables'), 'nat');
    assert.equal(attr(nodeOf(node, 'FORWARD'), 'data-tables'), 'filter');
    assert.equal(attr(nodeOf(node, 'INPUT'), 'data-visited'), 'false');
    assert.ok(byTestId(node, 'diagram-node').every((n) => attr(n, 'data-stopped') === 'false'));
    const desc = findAll(node, (n) => n.tag === 'desc')[0]!;
    assert.equal(textOf(desc), 'in → PREROUTING (nat) → routing → FORWARD (filter) → POSTROUTING (nat) → out');
  });

  it('the SYN step by step: the rules that matched with their text and line, the DNAT before and after, conntrack, routing, fate', () => {
    const { node } = render(o);
    const rules = steps(node, 'rule');
    assert.deepEqual(rules.map((r) => attr(r, 'data-line')), ['8', '12', '21', '25']);
    const link = byTestId(rules[1]!, 'trace-rule-link')[0]!;
    assert.equal(attr(link, 'data-host'), 'docker-host');
    assert.equal(attr(link, 'data-line'), '12');
    assert.match(textOf(link), /^line 12-A DOCKER ! -i docker0 -p tcp -m tcp --dport 12580 -j DNAT --to-destination 172\.17\.0\.4:12580$/);
    const dnat = steps(node, 'rewrite')[0]!;
    assert.equal(attr(dnat, 'data-what'), 'DNAT');
    assert.equal(textOf(byTestId(dnat, 'trace-rewrite-before')[0]!), 'tcp 10.10.126.187:43210 → 10.10.126.101:12580 [SYN]');
    assert.equal(textOf(byTestId(dnat, 'trace-rewrite-after')[0]!), 'tcp 10.10.126.187:43210 → 172.17.0.4:12580 [SYN]');
    assert.deepEqual(steps(node, 'hook').map((s) => attr(s, 'data-hook')), ['PREROUTING', 'FORWARD', 'POSTROUTING']);
    assert.equal(attr(steps(node, 'conntrack')[0]!, 'data-state'), 'NEW');
    assert.match(textOf(steps(node, 'route')[0]!), /route to 172\.17\.0\.4 via docker0/);
    assert.equal(attr(steps(node, 'fate')[0]!, 'data-fate'), 'forwarded');
    const folded = steps(node, 'unmatched');
    assert.ok(folded.length > 0);
    assert.ok(byTestId(folded[0]!, 'trace-rule-link').every((b) => attr(b, 'data-matched') === 'false'));
    assert.deepEqual(steps(node, 'verdict').map((s) => attr(s, 'data-verdict')), ['NAT', 'ACCEPT', 'ACCEPT']);
  });

  it('the SYN-ACK shows the un-DNAT on its way back: the source rewritten to the host address', () => {
    const { node, selected } = render(o, 'c1p2');
    assert.equal(selected, 'c1p2');
    const un = steps(node, 'rewrite').find((s) => attr(s, 'data-what') === 'un-DNAT')!;
    assert.equal(textOf(byTestId(un, 'trace-rewrite-before')[0]!), 'tcp 172.17.0.4:12580 → 10.10.126.187:43210 [SYN,ACK]');
    assert.equal(textOf(byTestId(un, 'trace-rewrite-after')[0]!), 'tcp 10.10.126.101:12580 → 10.10.126.187:43210 [SYN,ACK]');
    assert.equal(attr(nodeOf(node, 'PREROUTING'), 'data-tables'), '', 'nat not consulted for a reply');
    assert.match(textOf(steps(node, 'skip')[0]!), /^nat: not consulted/);
  });

  it('the header: outcome, the described host and its assumptions, the edit button', () => {
    const { node, status } = render(o);
    assert.equal(attr(byTestId(node, 'trace-summary')[0]!, 'data-completed'), 'true');
    assert.match(textOf(byTestId(node, 'trace-host')[0]!), /^Host: docker-host, described in nflens-host\.json$/);
    assert.equal(byTestId(node, 'trace-edit').length, 1);
    assert.match(status, /^The tcp conversation completes; .* 7 packets; showing packet 1, SYN\.$/);
  });
});

describe('trace panel: docker-proxy and dropped packets', () => {
  it("a container to a published port: docker-proxy's own connection is a second tab group, sent from a local process", () => {
    const o = dockerHostOutcome({ proto: 'tcp', src: 'other', dst: '10.10.126.101', dport: 12580, origin: { peer: 'other' } });
    const { node } = render(o, 'c2p1');
    const groups = byTestId(node, 'trace-conversation');
    assert.deepEqual(groups.map((g) => attr(g, 'data-leg')), ['false', 'true']);
    assert.match(textOf(groups[1]!), /^Second leg: docker-proxy → 172\.17\.0\.4:12580Opened by conversation 1: docker-proxy accepted the connection/);
    assert.equal(byTestId(node, 'trace-leg-summary').length, 1);
    assert.deepEqual(visitedNodes(node), ['POSTROUTING', 'out', 'local', 'route-out', 'OUTPUT']);
    assert.deepEqual(visitedEdges(node), ['local>route-out', 'route-out>OUTPUT', 'OUTPUT>POSTROUTING', 'POSTROUTING>out']);
    // The first conversation ends at docker-proxy: delivered to a local process.
    const first = render(o, 'c1p1').node;
    assert.deepEqual(visitedNodes(first), ['in', 'PREROUTING', 'route-in', 'INPUT', 'local']);
  });

  it('the host\'s own echo reply is sent by its kernel, not by a process; a container\'s request arrives on its bridge', () => {
    const o = dockerHostOutcome({ proto: 'icmp', src: 'client', dst: 'docker-host', origin: { peer: 'client' } });
    const lines = (key: string) => textOf(byTestId(render(o, key).node, 'trace-packet-line')[0]!);
    assert.match(lines('c1p1'), / enters on \S+ of /);
    assert.match(lines('c1p2'), / enters from the kernel of \S+ \(no process sends it\)/);
    const viaProxy = dockerHostOutcome({ proto: 'tcp', src: 'other', dst: '10.10.126.101', dport: 12580, origin: { peer: 'other' } });
    assert.match(textOf(byTestId(render(viaProxy, 'c2p1').node, 'trace-packet-line')[0]!), / enters from a local process of /, "docker-proxy's own connection");
  });

  it('a packet dropped by INPUT policy stops there; its tab says so', () => {
    const rules = ['*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -p tcp --dport 22 -j ACCEPT', 'COMMIT', ''].join('\n');
    const o = outcomeOf(rules, { proto: 'tcp', src: '198.51.100.7', dst: '10.0.0.1', dport: 80, origin: { iface: 'eth0' } });
    const { node } = render(o);
    assert.equal(attr(nodeOf(node, 'INPUT'), 'data-stopped'), 'true');
    assert.equal(attr(nodeOf(node, 'local'), 'data-visited'), 'false');
    const tab = byTestId(node, 'trace-tab')[0]!;
    assert.equal(attr(tab, 'data-fate'), 'dropped');
    assert.match(attr(tab, 'class')!, /\bbad\b/);
    assert.equal(attr(steps(node, 'verdict').at(-1)!, 'data-verdict'), 'DROP');
    assert.equal(attr(byTestId(node, 'trace-summary')[0]!, 'data-completed'), 'false');
    assert.match(textOf(byTestId(node, 'trace-host')[0]!), /inferred from the rules/);
  });
});

describe('trace panel: overlay across two hosts', () => {
  const o = overlayOutcome({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
  it('one diagram per host with the VXLAN hop between, steps headed by host, rules of each host', () => {
    const { node } = render(o);
    assert.deepEqual(byTestId(node, 'trace-diagram').map((d) => attr(d, 'data-host')), ['hostA', 'hostB']);
    const hop = byTestId(node, 'trace-vxlan-hop')[0]!;
    assert.equal(attr(hop, 'data-vxlan'), 'true');
    assert.match(textOf(hop), /^VXLAN hop hostA → hostB: udp 10\.10\.126\.101:\d+ → 10\.10\.105\.71:4789 \(VNI 256, overlay network net1\)$/);
    const [a, b] = byTestId(node, 'trace-diagram');
    assert.deepEqual(visitedNodes(a!), ['POSTROUTING', 'out', 'local', 'route-out', 'OUTPUT']);
    assert.deepEqual(visitedNodes(b!), ['in', 'PREROUTING', 'route-in', 'INPUT', 'local']);
    assert.deepEqual(steps(node, 'host').map((s) => attr(s, 'data-host')), ['hostA', 'hostB']);
    assert.deepEqual(steps(node, 'encap').map((s) => attr(s, 'data-action')), ['encapsulate', 'decapsulate']);
    const hostBRules = byTestId(node, 'trace-rule-link').filter((l) => attr(l, 'data-host') === 'hostB' && attr(l, 'data-matched') === 'true');
    assert.ok(hostBRules.length > 0 && hostBRules.every((l) => findAll(l, (n) => n.attrs.class === 'rule-text').length === 1), 'hostB rules quoted from hostB.rules');
    assert.equal(attr(byTestId(node, 'trace-tab')[0]!, 'aria-label'), 'Packet 1: echo request, original, VXLAN, delivered');
  });
});

describe('trace panel: escaping', () => {
  it("a comment and a chain from the user's file come out as text, never markup", () => {
    const rules = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':x<script> - [0:0]', '-A INPUT -p tcp -m comment --comment "<script>alert(1)</script>" -j x<script>', '-A x<script> -j ACCEPT', 'COMMIT', ''].join('\n');
    const o = outcomeOf(rules, { proto: 'tcp', src: '198.51.100.7', dst: '10.0.0.1', dport: 80, origin: { iface: 'eth0' } });
    const { node } = render(o);
    assert.ok(steps(node, 'chain').some((s) => attr(s, 'data-chain') === 'x<script>'), 'the chain was entered');
    const html = toHtml(node);
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /--comment &quot;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;|--comment "&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.match(html, /data-chain="x&lt;script&gt;"/);
  });

  it('titles, errors and attribute values are escaped; event handler attributes cannot be written', () => {
    const bad: PanelContent = { kind: 'error', title: '<img src=x onerror=alert(1)>', message: '"><script>x</script>' };
    const html = toHtml(panelView(bad, undefined).node);
    assert.doesNotMatch(html, /<img|<script/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.equal(toHtml(h('a', { title: `"'<&` }, 'x')), '<a title="&quot;&#39;&lt;&amp;">x</a>');
    assert.throws(() => h('div', { onclick: 'x' }));
    assert.throws(() => h('div', { 'x y': '1' }));
  });
});
