/**
 * The whole topology view as a node tree: where the host or workspace came
 * from, warnings and assumptions, then the host's interfaces or the overlay
 * workspace; and the sentence the live region announces. Pure.
 */
import type { Topology } from '../../../../server/src/trace/topology';
import { h, type VNode } from '../vnode';
import { hostView } from './hostView';
import { overlayView } from './overlayView';
import type { TopologyContent } from './topologyMessages';

export interface TopologyRender {
  readonly node: VNode;
  /** What the live region says. */
  readonly status: string;
}

const fileName = (path: string): string => path.split(/[\\/]/).pop() ?? path;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function sourceWords(t: Topology): string {
  if (t.kind === 'overlay') return `From the overlay workspace ${fileName(t.overlay.file ?? 'nflens-workspace.json')}${t.overlay.current ? `, opened from ${t.overlay.current}'s rules` : ''}.`;
  const x = t.host;
  if (x.source === 'description') return `Described in ${fileName(x.file ?? '')}.`;
  if (x.source === 'workspace') return `A host of the overlay workspace ${fileName(x.file ?? '')}.`;
  return 'Inferred from the rules: no nflens-host.json names this file (what was assumed is listed below).';
}

function header(title: string, t: Topology | undefined): VNode {
  const assumed = t?.kind === 'host' ? t.host.assumed : [];
  return h('header', { class: 'trace-header' },
    h('h1', { 'data-testid': 'topology-title' }, title),
    t && h('p', { class: 'host', 'data-testid': 'topology-source', 'data-source': t.kind === 'host' ? t.host.source : 'workspace' }, sourceWords(t)),
    t && h('p', { class: 'hint' }, 'Choose a container, peer, port or tunnel to trace a packet from it: Trace Packet… opens with the answers filled in.'),
    t && t.warnings.length > 0 && h('ul', { class: 'warnings', 'data-testid': 'topology-warnings' }, t.warnings.map((w) => h('li', {}, w))),
    assumed.length > 0 && h('details', { class: 'assumptions', 'data-testid': 'topology-assumptions' },
      h('summary', {}, `${plural(assumed.length, 'assumption')} about the host`),
      h('ul', {}, assumed.map((a) => h('li', {}, a)))),
  );
}

function summary(t: Topology): string {
  if (t.kind === 'overlay') {
    const o = t.overlay;
    return `Overlay workspace: ${plural(o.hosts.length, 'host')}, ${plural(o.networks.length, 'network')}, ${plural(o.containers.length, 'container')}, ${plural(o.tunnels.length, 'VXLAN tunnel')}.`;
  }
  const x = t.host;
  return `${x.name}: ${plural(x.ifaces.length, 'interface')}, ${plural(x.peers.length, 'peer')}, ${plural(x.published.length, 'published port')}.`;
}

export function topologyView(c: TopologyContent): TopologyRender {
  if (c.kind === 'loading') {
    return { node: h('main', { 'data-testid': 'topology-panel', 'data-state': 'loading', 'aria-busy': 'true' }, header(c.title, undefined), h('p', {}, 'Reading the host…')), status: `Reading ${c.title}…` };
  }
  if (c.kind === 'error') {
    return {
      node: h('main', { 'data-testid': 'topology-panel', 'data-state': 'error' }, header(c.title, undefined), h('p', { class: 'error', role: 'alert', 'data-testid': 'topology-error' }, c.message)),
      status: `No topology: ${c.message}`,
    };
  }
  const t = c.topology;
  return {
    node: h('main', { 'data-testid': 'topology-panel', 'data-state': 'topology', 'data-kind': t.kind },
      header(c.title, t),
      t.kind === 'host' ? hostView(t, t.host) : overlayView(t, t.overlay)),
    status: summary(t),
  };
}
