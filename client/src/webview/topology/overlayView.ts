/**
 * An overlay workspace as a table: one column per host (its underlay
 * address, gateway and rules file), a row per VXLAN tunnel spanning the two
 * hosts it joins (udp/4789 between their underlay addresses, with the VNIs
 * it carries), a row per overlay network (name, subnet, VNI) with its
 * containers under their hosts, and docker_gwbridge per host with each
 * container's eth1 address. Containers and tunnels are buttons that start
 * a trace. A table, so a screen reader names each cell's host and row. Pure.
 */
import type { OverlayTopology, OverlayTopologyContainer, OverlayTunnel } from '../../../../server/src/trace/overlayTopology';
import type { Topology } from '../../../../server/src/trace/topology';
import { h, type VNode } from '../vnode';
import { traceButton } from './traceButton';

/** Colour classes for the networks (theme chart colours in the stylesheet). */
const NET_COLOURS = 6;

const fileName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

function hostHeader(o: OverlayTopology, i: number): VNode {
  const x = o.hosts[i]!;
  return h('th', { scope: 'col', class: `host-col${x.name === o.current ? ' current' : ''}`, 'data-testid': 'topology-overlay-host', 'data-host': x.name, 'data-underlay': x.underlay },
    h('div', { class: 'name' }, x.name, x.name === o.current && h('span', { class: 'note' }, ' (this rules file)')),
    h('div', { class: 'addresses' }, `eth0 ${x.underlay}`),
    x.gateway && h('div', { class: 'note' }, `gateway ${x.gateway}`),
    h('div', { class: 'note' }, x.rules ? `rules: ${x.rules}${x.rulesUri ? '' : ' (cannot be read)'}` : 'no rules file'),
  );
}

function tunnelRow(t: Topology, o: OverlayTopology, tun: OverlayTunnel, first: boolean, count: number): VNode {
  const cols = tun.hosts.map((n) => o.hosts.findIndex((x) => x.name === n)).sort((a, b) => a - b) as [number, number];
  const vnis = tun.networks.map((n) => `VNI ${n.vni} (${n.name})`).join(', ');
  const label = `VXLAN tunnel between ${tun.hosts[0]} ${tun.addresses[0]} and ${tun.hosts[1]} ${tun.addresses[1]}, udp/${tun.port}, carrying ${vnis}`;
  return h('tr', { class: 'tunnel-row' },
    first && h('th', { scope: 'row', rowspan: count, class: 'row-head' }, 'VXLAN tunnels', h('div', { class: 'note' }, `udp/${tun.port} between underlay addresses`)),
    Array.from({ length: cols[0] }, () => h('td', {})),
    h('td', { colspan: cols[1] - cols[0] + 1, class: 'tunnel', 'data-testid': 'topology-tunnel', 'data-hosts': tun.hosts.join(' '), 'data-addresses': tun.addresses.join(' '), 'data-port': String(tun.port), 'data-vnis': tun.networks.map((n) => n.vni).join(' ') },
      traceButton(t, { kind: 'tunnel', from: tun.hosts[0], to: tun.hosts[1] }, { class: 'node-main tunnel-button', testid: 'topology-trace', label, id: `tunnel:${tun.hosts.join(':')}` },
        h('span', { class: 'addr' }, tun.addresses[0]), h('span', { class: 'wire', 'aria-hidden': 'true' }, ' ⇄ '), h('span', { class: 'addr' }, tun.addresses[1]),
        h('span', { class: 'note' }, ` udp/${tun.port} · ${vnis}`))),
    Array.from({ length: o.hosts.length - cols[1] - 1 }, () => h('td', {})),
  );
}

function containerItem(t: Topology, c: OverlayTopologyContainer): VNode {
  const label = `${c.name}, overlay container ${c.address} on ${c.network}, host ${c.host}`;
  return h('li', { class: 'node container', 'data-testid': 'topology-overlay-container', 'data-name': c.name, 'data-network': c.network, 'data-host': c.host, 'data-address': c.address },
    traceButton(t, { kind: 'overlayContainer', name: c.name }, { class: 'node-main', testid: 'topology-trace', label, id: `overlay:${c.name}` },
      h('span', { class: 'name' }, c.name), ' ', h('span', { class: 'addr' }, c.address)));
}

function networkRow(t: Topology, o: OverlayTopology, i: number): VNode {
  const n = o.networks[i]!;
  return h('tr', { class: `network-row net-${i % NET_COLOURS}`, 'data-testid': 'topology-network', 'data-network': n.name, 'data-subnet': n.subnet, 'data-vni': String(n.vni) },
    h('th', { scope: 'row', class: 'row-head net-head' }, h('span', { class: 'name' }, n.name), h('div', { class: 'addresses' }, n.subnet), h('div', { class: 'note' }, `VNI ${n.vni}`)),
    o.hosts.map((x) => {
      const here = o.containers.filter((c) => c.network === n.name && c.host === x.name);
      return h('td', { class: 'net-cell', 'data-host': x.name }, here.length ? h('ul', { class: 'nodes' }, here.map((c) => containerItem(t, c))) : h('span', { class: 'none' }, '—'));
    }),
  );
}

function gwbridgeRow(o: OverlayTopology): VNode {
  return h('tr', { class: 'gwbridge-row' },
    h('th', { scope: 'row', class: 'row-head' }, 'docker_gwbridge', h('div', { class: 'note' }, 'the containers\' way out (eth1)')),
    o.hosts.map((x) => h('td', { 'data-testid': 'topology-gwbridge', 'data-host': x.name, 'data-subnet': x.gwbridge.subnet, 'data-gateway': x.gwbridge.gateway },
      h('div', { class: 'addresses' }, `${x.gwbridge.gateway} of ${x.gwbridge.subnet}`),
      !x.gwbridge.described && h('div', { class: 'note' }, 'Docker\'s usual pick (not described)'),
      h('ul', { class: 'members' }, o.containers.filter((c) => c.host === x.name).map((c) => h('li', { 'data-testid': 'topology-gwbridge-member', 'data-name': c.name },
        `${c.name} eth1 ${c.gwbridgeAddress ?? '(no address free)'}`, c.gwbridgeAllocated && c.gwbridgeAddress && h('span', { class: 'note' }, ' (allocated)')))),
    )),
  );
}

export function overlayView(t: Topology, o: OverlayTopology): VNode {
  const strays = o.containers.filter((c) => !o.hosts.some((x) => x.name === c.host) || !o.networks.some((n) => n.name === c.network));
  return h('section', { class: 'overlay-view', 'data-testid': 'topology-overlay', 'aria-labelledby': 'overlay-heading' },
    h('h2', { id: 'overlay-heading' }, `Overlay workspace${o.file ? ` ${fileName(o.file)}` : ''}: ${o.hosts.length} host${o.hosts.length === 1 ? '' : 's'}, ${o.networks.length} network${o.networks.length === 1 ? '' : 's'}`),
    o.hosts.length === 0
      ? h('p', { class: 'none' }, 'The workspace describes no hosts.')
      : h('div', { class: 'table-scroll' }, h('table', { class: 'overlay' },
        h('caption', { class: 'visually-hidden' }, 'Hosts in columns; the VXLAN tunnels, overlay networks and docker_gwbridge in rows'),
        h('thead', {}, h('tr', {}, h('td', {}), o.hosts.map((_, i) => hostHeader(o, i)))),
        h('tbody', {}, o.tunnels.length
          ? o.tunnels.map((tun, i) => tunnelRow(t, o, tun, i === 0, o.tunnels.length))
          : h('tr', { class: 'tunnel-row' }, h('th', { scope: 'row', class: 'row-head' }, 'VXLAN tunnels'), h('td', { colspan: o.hosts.length, class: 'none', 'data-testid': 'topology-no-tunnels' }, 'none: no network has containers on two hosts'))),
        h('tbody', {}, o.networks.map((_, i) => networkRow(t, o, i))),
        h('tbody', {}, gwbridgeRow(o)),
      )),
    strays.length > 0 && h('p', { class: 'warnings', 'data-testid': 'topology-strays' }, `On a host or network the workspace does not describe: ${strays.map((c) => `${c.name} (${c.host}, ${c.network})`).join(', ')}.`),
  );
}
