/**
 * The whole trace panel as a node tree: the request and its outcome, the
 * host it ran on and what was assumed, the packet tabs, and for the chosen
 * packet its hook diagram (one per host it crosses, with the VXLAN hop
 * between) and every step. Also the sentence the live region announces.
 */
import type { TraceOutcome } from '../../../server/src/trace/traceResult';
import { hookDiagram, pathWords } from './hookDiagram';
import { packetWords } from './packetWords';
import { PANEL_ID, packetTabs, tabId } from './packetTabs';
import { stepList } from './stepList';
import { allPackets, traceView, type PacketView } from './traceModel';
import { h, type VNode } from './vnode';

export type PanelContent =
  | { readonly kind: 'loading'; readonly title: string }
  | { readonly kind: 'error'; readonly title: string; readonly message: string }
  | { readonly kind: 'trace'; readonly title: string; readonly outcome: TraceOutcome };

export interface PanelRender {
  readonly node: VNode;
  /** The packet shown (the one asked for if it still exists, else the first). */
  readonly selected?: string;
  /** What the live region says. */
  readonly status: string;
}

const fileName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

function hostWords(o: TraceOutcome): string {
  const h = o.host;
  if (h.source === 'description') return `${h.name}, described in ${fileName(h.file ?? '')}`;
  if (h.source === 'workspace') return `${h.name}, a host of the overlay workspace ${fileName(h.file ?? '')}${o.overlay ? ' (the trace crosses its hosts)' : ''}`;
  return `${h.name}, inferred from the rules (no nflens-host.json names this file)`;
}

function editButton(): VNode {
  return h('button', { type: 'button', class: 'edit', 'data-action': 'edit-packet', 'data-testid': 'trace-edit' }, 'Change packet…');
}

function header(title: string, o: TraceOutcome | undefined, assumptions: readonly string[]): VNode {
  return h('header', { class: 'trace-header' },
    h('h1', { 'data-testid': 'trace-title' }, title),
    o && h('p', { class: `summary ${o.completed ? 'good' : 'bad'}`, 'data-testid': 'trace-summary', 'data-completed': String(o.completed) },
      h('span', { 'aria-hidden': 'true' }, o.completed ? '✓ ' : '✕ '), o.summary),
    o?.legs.map((l) => h('p', { class: `summary ${l.completed ? 'good' : 'bad'}`, 'data-testid': 'trace-leg-summary', 'data-completed': String(l.completed) },
      h('span', { 'aria-hidden': 'true' }, l.completed ? '✓ ' : '✕ '), `${l.title}: ${l.summary}`)),
    o && h('p', { class: 'host', 'data-testid': 'trace-host', 'data-source': o.host.source }, `Host: ${hostWords(o)}`),
    h('div', { class: 'actions' }, editButton()),
    o && o.warnings.length > 0 && h('ul', { class: 'warnings', 'data-testid': 'trace-warnings' }, o.warnings.map((w) => h('li', {}, w))),
    assumptions.length > 0 && h('details', { class: 'assumptions', 'data-testid': 'trace-assumptions' },
      h('summary', {}, `${assumptions.length} assumption${assumptions.length > 1 ? 's' : ''} about the host`),
      h('ul', {}, assumptions.map((a) => h('li', {}, a)))),
  );
}

/** Between two hosts' diagrams: how the packet got from one to the other. */
function hop(p: PacketView, from: string, to: string): VNode {
  const encap = p.events.find((e) => e.event.type === 'encap' && e.event.action === 'encapsulate' && e.event.host === from)?.event;
  const text = encap?.type === 'encap'
    ? `VXLAN hop ${from} → ${to}: ${packetWords(encap.outer)} (VNI ${encap.vni}, overlay network ${encap.network})`
    : `${from} → ${to} over the underlay`;
  return h('p', { class: 'hop', 'data-testid': 'trace-vxlan-hop', 'data-vxlan': String(!!encap) }, text);
}

function packetPanel(p: PacketView, o: TraceOutcome): VNode {
  const enters = 'local' in p.from ? (p.packet.socket ? `from the kernel of ${p.host} (no process sends it)` : `from a local process of ${p.host}`) : `on ${p.from.iface} of ${p.host}`;
  const diagrams: VNode[] = [];
  p.paths.forEach((path, i) => {
    const prev = p.paths[i - 1];
    if (prev) diagrams.push(hop(p, prev.host, path.host));
    diagrams.push(hookDiagram(path, `${p.key}-${i}`, `Packet ${p.n} (${p.label}) through the hooks of ${path.host}`));
  });
  return h('section', { role: 'tabpanel', id: PANEL_ID, 'aria-labelledby': tabId(p.key), class: 'packet', 'data-testid': 'trace-packet', 'data-packet': p.key, tabindex: -1 },
    h('h2', {}, `Packet ${p.n}: ${p.label} (${p.dir})`),
    h('p', { class: 'packet-line', 'data-testid': 'trace-packet-line' }, h('code', {}, packetWords(p.packet)), ` enters ${enters}`,
      p.packet.src === '0.0.0.0' && ' (its source address is chosen by routing)'),
    p.fate && h('p', { class: 'fate', 'data-testid': 'trace-packet-fate', 'data-fate': p.fate.fate }, `Fate: ${p.fate.detail}`),
    h('div', { class: 'diagrams' }, diagrams),
    h('h3', {}, 'Steps'),
    stepList(p, o.ruleText, o.overlay || p.paths.some((x) => x.host !== p.host)),
  );
}

export function panelView(c: PanelContent, wanted: string | undefined): PanelRender {
  if (c.kind === 'loading') {
    return { node: h('main', { 'data-testid': 'trace-panel', 'data-state': 'loading', 'aria-busy': 'true' }, header(c.title, undefined, []), h('p', {}, 'Tracing…')), status: `Tracing ${c.title}…` };
  }
  if (c.kind === 'error') {
    return {
      node: h('main', { 'data-testid': 'trace-panel', 'data-state': 'error' }, header(c.title, undefined, []),
        h('p', { class: 'error', role: 'alert', 'data-testid': 'trace-error' }, c.message)),
      status: `The trace failed: ${c.message}`,
    };
  }
  const o = c.outcome;
  const view = traceView(o);
  const packets = allPackets(view);
  const chosen = packets.find((p) => p.key === wanted) ?? packets[0];
  const node = h('main', { 'data-testid': 'trace-panel', 'data-state': 'trace', 'data-overlay': String(o.overlay) },
    header(c.title, o, view.assumptions),
    chosen ? packetTabs(view, chosen.key) : h('p', {}, 'The trace has no packets.'),
    chosen && packetPanel(chosen, o),
  );
  const dropped = chosen?.paths.find((x) => x.stoppedAt);
  return {
    node,
    ...(chosen ? { selected: chosen.key } : {}),
    status: `${o.summary} ${packets.length} packet${packets.length === 1 ? '' : 's'}${chosen ? `; showing packet ${chosen.n}, ${chosen.label}${dropped ? `, stopped: ${pathWords(dropped)}` : ''}` : ''}.`,
  };
}
