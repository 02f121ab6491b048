/**
 * One host as rows, one per interface that is not a bridge port: on the
 * left what is outside behind it (peers, gateways, "anywhere beyond"), in
 * the middle the interface (kind, addresses, the default route), on the
 * right what is behind a bridge (each port and the container on it). Below,
 * the published ports (host port → container:port, served by docker-proxy
 * and/or a DNAT rule) and the local listeners. Every container, peer,
 * port and "outside" is a button that starts a trace from it. Pure.
 */
import type { HostTopology, Topology, TopologyIface, TopologyPeer, TopologyPublished } from '../../../../server/src/trace/topology';
import { h, type VNode } from '../vnode';
import { traceButton } from './traceButton';

const isContainer = (p: TopologyPeer): boolean => p.kind === 'container';

function listensWords(p: TopologyPeer): string | undefined {
  if (!p.listens) return undefined;
  return p.listens.length ? `listens on ${p.listens.map((l) => `${l.proto}/${l.port}`).join(', ')}` : 'listens on nothing';
}

function ifaceCard(i: TopologyIface, h0: HostTopology, ports: readonly TopologyIface[]): VNode {
  const def = h0.routes.find((r) => r.to === 'default' && r.dev === i.name && r.type === 'unicast');
  const facts = [i.kind, ...(i.up ? [] : ['down']), ...(i.vxlan ? [`VNI ${i.vxlan.vni}, udp/${i.vxlan.port}`] : [])];
  return h('div', { class: `iface kind-${i.kind}`, 'data-testid': 'topology-iface', 'data-iface': i.name, 'data-kind': i.kind, 'data-up': String(i.up) },
    h('h3', { class: 'iface-name' }, h('span', { class: 'name' }, i.name), ' ', h('span', { class: 'kind' }, facts.join(' · '))),
    i.addresses.length > 0 && h('div', { class: 'addresses' }, i.addresses.join(', ')),
    def && h('div', { class: 'route', 'data-testid': 'topology-default-route' }, `default route${def.via ? ` via ${def.via}` : ''}`),
    i.kind === 'bridge' && h('div', { class: 'ports' }, ports.length ? `${ports.length} port${ports.length > 1 ? 's' : ''}` : 'no ports described'),
  );
}

function peerItem(t: Topology, p: TopologyPeer, gateway: boolean): VNode {
  const label = `${p.name}, ${p.kind} ${p.address} behind ${p.via}${gateway ? ', the gateway' : ''}`;
  return h('li', { class: `node peer kind-${p.kind}`, 'data-testid': 'topology-peer', 'data-name': p.name, 'data-address': p.address, 'data-kind': p.kind },
    traceButton(t, { kind: 'peer', name: p.name }, { class: 'node-main', testid: 'topology-trace', label, id: `peer:${p.name}` },
      h('span', { class: 'name' }, p.name), ' ', h('span', { class: 'addr' }, p.address)),
    h('span', { class: 'note' }, [p.kind === 'external' ? '' : p.kind, gateway ? 'gateway' : '', listensWords(p) ?? ''].filter(Boolean).join(' · ')),
  );
}

function containerItem(t: Topology, p: TopologyPeer, others: boolean): VNode {
  const label = `${p.name}, container ${p.address}${p.port ? ` on bridge port ${p.port}` : ''}`;
  return h('li', { class: 'node container', 'data-testid': 'topology-container', 'data-name': p.name, 'data-address': p.address, 'data-port': p.port },
    traceButton(t, { kind: 'container', name: p.name, to: 'container' }, { class: 'node-main', testid: 'topology-trace', label, id: `container:${p.name}` },
      h('span', { class: 'name' }, p.name), ' ', h('span', { class: 'addr' }, p.address)),
    (listensWords(p) || p.inferred) && h('span', { class: 'note' }, [listensWords(p), p.inferred ? 'inferred from a DNAT rule' : ''].filter(Boolean).join(' · ')),
    others && traceButton(t, { kind: 'container', name: p.name, to: 'outside' }, { class: 'node-alt', testid: 'topology-trace-outside', label: `${p.name} to the outside`, id: `container-out:${p.name}` }, 'to outside'),
  );
}

/** The left cell: who is outside behind this interface. */
function outsideCell(t: Topology, i: TopologyIface, host: HostTopology): VNode {
  const peers = host.peers.filter((p) => !isContainer(p) && p.via === i.name);
  const gateways = [...new Set(host.routes.filter((r) => r.dev === i.name && r.via).map((r) => r.via!))];
  const items: VNode[] = peers.map((p) => peerItem(t, p, gateways.includes(p.address)));
  for (const g of gateways.filter((a) => !peers.some((p) => p.address === a))) {
    items.push(h('li', { class: 'node gateway', 'data-testid': 'topology-gateway', 'data-address': g }, h('span', { class: 'name' }, 'gateway'), ' ', h('span', { class: 'addr' }, g)));
  }
  if (i.kind !== 'loopback' && i.kind !== 'bridge') {
    const beyond = i.name === host.uplink ? `anywhere beyond${gateways[0] ? ` ${gateways[0]}` : ''}` : `an address on ${i.name}'s link`;
    items.push(h('li', { class: 'node outside', 'data-testid': 'topology-outside', 'data-iface': i.name },
      traceButton(t, { kind: 'outside', iface: i.name }, { class: 'node-main', testid: 'topology-trace', label: `Outside: ${beyond}, arriving on ${i.name}`, id: `outside:${i.name}` },
        h('span', { class: 'name' }, 'outside'), ' ', h('span', { class: 'addr' }, beyond))));
  }
  return h('div', { class: `cell outside-cell${items.length ? '' : ' empty'}`, 'data-testid': 'topology-outside-cell' },
    h('h4', { class: 'visually-hidden' }, `Outside, behind ${i.name}`),
    items.length ? h('ul', { class: 'nodes' }, items) : h('span', { class: 'none' }, '—'));
}

/** The right cell: a bridge's ports and the containers on them (or containers reached through this interface). */
function insideCell(t: Topology, i: TopologyIface, host: HostTopology, ports: readonly TopologyIface[]): VNode {
  const containers = host.peers.filter((p) => isContainer(p) && p.via === i.name);
  const several = host.peers.filter(isContainer).length > 1;
  const rows: VNode[] = ports.map((port) => {
    const on = containers.filter((c) => c.port === port.name);
    return h('li', { class: 'bridge-port', 'data-testid': 'topology-bridge-port', 'data-port': port.name, 'data-bridge': i.name },
      h('span', { class: 'port-name' }, port.name, h('span', { 'aria-hidden': 'true' }, ' → ')),
      on.length ? h('ul', { class: 'nodes' }, on.map((c) => containerItem(t, c, several))) : h('span', { class: 'none' }, 'no container described'));
  });
  const loose = containers.filter((c) => !ports.some((p) => p.name === c.port));
  if (loose.length) rows.push(h('li', { class: 'bridge-port loose' }, h('span', { class: 'port-name' }, i.kind === 'bridge' ? 'port not described →' : 'reached directly →'), h('ul', { class: 'nodes' }, loose.map((c) => containerItem(t, c, several)))));
  return h('div', { class: `cell inside-cell${rows.length ? '' : ' empty'}`, 'data-testid': 'topology-inside-cell' },
    h('h4', { class: 'visually-hidden' }, `Behind ${i.name}`),
    rows.length ? h('ul', { class: 'ports-list' }, rows) : h('span', { class: 'none' }, '—'));
}

function publishedRow(t: Topology, host: HostTopology, p: TopologyPublished): VNode {
  const where = `${p.proto} ${p.hostIp === '0.0.0.0' ? host.name : p.hostIp}:${p.hostPort}`;
  const to = `${p.container ?? p.containerAddress}:${p.containerPort}`;
  return h('tr', { 'data-testid': 'topology-published', 'data-proto': p.proto, 'data-port': String(p.hostPort), 'data-container': p.container ?? p.containerAddress, 'data-served-by': p.servedBy },
    h('td', {}, traceButton(t, { kind: 'port', proto: p.proto, port: p.hostPort, ...(p.hostIp !== '0.0.0.0' ? { hostIp: p.hostIp } : {}) },
      { class: 'link', testid: 'topology-trace', label: `Published port ${where} to ${to}`, id: `published:${p.proto}:${p.hostIp}:${p.hostPort}` }, where)),
    h('td', {}, `${to}${p.container ? ` (${p.containerAddress})` : ''}`),
    h('td', { class: 'served' },
      h('span', { class: `served-by served-${p.servedBy}` }, { dnat: 'DNAT', 'docker-proxy': 'docker-proxy', 'dnat+docker-proxy': 'DNAT + docker-proxy', nothing: 'nothing' }[p.servedBy]),
      ' ', p.words, ' ',
      p.dnat && h('button', { type: 'button', class: 'link rule-link', 'data-action': 'reveal-rule', 'data-host': host.name, 'data-line': String(p.dnat.line), 'data-testid': 'topology-rule-link', 'aria-label': `Show the DNAT rule, line ${p.dnat.line}` }, 'show rule')),
  );
}

export function hostView(t: Topology, host: HostTopology): VNode {
  const top = [...host.ifaces.filter((i) => !i.master && i.kind !== 'loopback'), ...host.ifaces.filter((i) => !i.master && i.kind === 'loopback')];
  const strays = host.peers.filter((p) => !host.ifaces.some((i) => i.name === p.via));
  const rows = top.map((i) => {
    const ports = host.ifaces.filter((x) => x.master === i.name);
    // The interface first (its heading names the row for screen readers); the stylesheet puts it in the middle.
    return h('li', { class: `row kind-${i.kind}`, 'data-testid': 'topology-row', 'data-iface': i.name },
      ifaceCard(i, host, ports), outsideCell(t, i, host), insideCell(t, i, host, ports));
  });
  return h('section', { class: 'host-view', 'data-testid': 'topology-host', 'data-host': host.name, 'aria-labelledby': 'host-heading' },
    h('h2', { id: 'host-heading' }, `${host.name}: interfaces`),
    h('div', { class: 'columns', 'aria-hidden': 'true' }, h('span', {}, 'Outside'), h('span', {}, host.name), h('span', {}, 'Behind bridges')),
    h('ul', { class: 'rows' }, rows),
    strays.length > 0 && h('p', { class: 'warnings', 'data-testid': 'topology-strays' }, `Reached through interfaces the host does not have: ${strays.map((p) => `${p.name} (${p.via})`).join(', ')}.`),
    h('p', { class: 'note', 'data-testid': 'topology-forwarding' }, host.ipForward ? 'Forwards packets between interfaces (ip_forward on).' : 'Does not forward packets between interfaces (ip_forward off).'),
    h('h2', {}, 'Published ports'),
    host.published.length
      ? h('table', { class: 'published', 'data-testid': 'topology-published-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Host port'), h('th', { scope: 'col' }, 'Container'), h('th', { scope: 'col' }, 'Served by'))),
        h('tbody', {}, host.published.map((p) => publishedRow(t, host, p))))
      : h('p', { class: 'none' }, `${host.name} publishes no ports${host.userlandProxy === undefined ? '' : ` (userland proxy ${host.userlandProxy ? 'on' : 'off'})`}.`),
    host.listeners.length > 0 && h('h2', {}, 'Local listeners'),
    host.listeners.length > 0 && h('ul', { class: 'listeners' }, host.listeners.map((l) => h('li', { 'data-testid': 'topology-listener', 'data-proto': l.proto, 'data-port': String(l.port) },
      l.proto === 'tcp' || l.proto === 'udp'
        ? traceButton(t, { kind: 'port', proto: l.proto, port: l.port, ...(l.address !== '0.0.0.0' ? { hostIp: l.address } : {}) },
          { class: 'link', testid: 'topology-trace', label: `Listener ${l.proto}/${l.port}${l.program ? ` (${l.program})` : ''}`, id: `listener:${l.proto}:${l.address}:${l.port}` },
          `${l.proto} ${l.address}:${l.port}`)
        : `${l.proto} ${l.address}:${l.port}`,
      l.program && h('span', { class: 'note' }, ` ${l.program}`)))),
  );
}
