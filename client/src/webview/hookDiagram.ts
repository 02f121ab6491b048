/**
 * The netfilter hook diagram as inline SVG, drawn by hand (the diagram is
 * fixed, so no layout library): PREROUTING → routing → INPUT → local
 * process, or → FORWARD → POSTROUTING; local process → routing → OUTPUT →
 * POSTROUTING; and lo back into PREROUTING. The packet's nodes and arrows
 * are marked visited, each hook lists the tables it ran, and the node where
 * it stopped is marked. Colours come from the stylesheet (theme variables).
 */
import { DIAGRAM_EDGES, HOOKS, type DiagramNode, type HookName, type HookPath } from './hookPath';
import { h, type VNode } from './vnode';

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly shape: 'rect' | 'diamond' | 'pill';
  readonly label: string;
}

const BOXES: Readonly<Record<DiagramNode, Box>> = {
  in: { x: 6, y: 46, w: 40, h: 28, shape: 'pill', label: 'in' },
  PREROUTING: { x: 60, y: 32, w: 130, h: 56, shape: 'rect', label: 'PREROUTING' },
  'route-in': { x: 214, y: 34, w: 82, h: 52, shape: 'diamond', label: 'routing' },
  FORWARD: { x: 320, y: 32, w: 130, h: 56, shape: 'rect', label: 'FORWARD' },
  POSTROUTING: { x: 510, y: 32, w: 140, h: 56, shape: 'rect', label: 'POSTROUTING' },
  out: { x: 668, y: 46, w: 46, h: 28, shape: 'pill', label: 'out' },
  INPUT: { x: 190, y: 124, w: 130, h: 56, shape: 'rect', label: 'INPUT' },
  local: { x: 190, y: 222, w: 130, h: 36, shape: 'pill', label: 'local process' },
  'route-out': { x: 350, y: 214, w: 82, h: 52, shape: 'diamond', label: 'routing' },
  OUTPUT: { x: 515, y: 212, w: 130, h: 56, shape: 'rect', label: 'OUTPUT' },
};

/** Arrow geometry, from one box's border to the next. */
const EDGE_PATHS: Readonly<Record<(typeof DIAGRAM_EDGES)[number], string>> = {
  'in>PREROUTING': 'M46,60 L58,60',
  'PREROUTING>route-in': 'M190,60 L212,60',
  'route-in>FORWARD': 'M296,60 L318,60',
  'FORWARD>POSTROUTING': 'M450,60 L508,60',
  'POSTROUTING>out': 'M650,60 L666,60',
  'route-in>INPUT': 'M255,86 L255,122',
  'INPUT>local': 'M255,180 L255,220',
  'local>route-out': 'M320,240 L348,240',
  'route-out>OUTPUT': 'M432,240 L513,240',
  'OUTPUT>POSTROUTING': 'M580,212 L580,90',
  'POSTROUTING>PREROUTING': 'M580,32 C580,4 125,4 125,30',
};

const isHook = (n: DiagramNode): n is HookName => (HOOKS as readonly string[]).includes(n);

function tablesWords(p: HookPath, hook: HookName): string {
  return (p.tables[hook] ?? []).map((t) => (t.skipped ? `${t.table} (not consulted)` : t.table)).join(', ');
}

/** The path in words, for screen readers: "in → PREROUTING (raw, nat) → routing → …". */
export function pathWords(p: HookPath): string {
  const words = p.nodes.map((n) => {
    const label = BOXES[n].label;
    const t = isHook(n) ? tablesWords(p, n) : '';
    return t ? `${label} (${t})` : label;
  });
  const stop = p.stoppedAt ? `; stopped at ${BOXES[p.stoppedAt].label}${p.fate ? ` (${p.fate})` : ''}` : '';
  return `${words.join(' → ')}${stop}`;
}

function shape(b: Box): VNode {
  if (b.shape === 'diamond') {
    const cx = b.x + b.w / 2;
    const cy = b.y + b.h / 2;
    return h('polygon', { class: 'shape', points: `${cx},${b.y} ${b.x + b.w},${cy} ${cx},${b.y + b.h} ${b.x},${cy}` });
  }
  return h('rect', { class: 'shape', x: b.x, y: b.y, width: b.w, height: b.h, rx: b.shape === 'pill' ? b.h / 2 : 4 });
}

function node(p: HookPath, n: DiagramNode): VNode {
  const b = BOXES[n];
  const visited = p.nodes.includes(n);
  const stopped = p.stoppedAt === n;
  const tables = isHook(n) ? p.tables[n] ?? [] : [];
  const cx = b.x + b.w / 2;
  const cy = b.y + b.h / 2;
  const hook = isHook(n);
  return h(
    'g',
    {
      class: `node${visited ? ' visited' : ''}${stopped ? ' stopped' : ''}`,
      'data-testid': 'diagram-node',
      'data-node': n,
      'data-visited': String(visited),
      'data-stopped': String(stopped),
      ...(hook ? { 'data-tables': tables.filter((t) => !t.skipped).map((t) => t.table).join(' ') } : {}),
    },
    h('title', {}, hook && tables.length ? `${b.label}: ${tablesWords(p, n)}` : b.label),
    shape(b),
    h('text', { class: 'label', x: cx, y: hook ? cy - 5 : cy + 4, 'text-anchor': 'middle' }, b.label),
    hook && tables.length > 0 &&
      h('text', { class: 'tables', x: cx, y: cy + 15, 'text-anchor': 'middle' },
        tables.flatMap((t, i) => [i > 0 ? ' · ' : '', h('tspan', { class: t.skipped ? 'table skipped' : 'table' }, t.table)])),
    stopped && h('text', { class: 'stop-mark', x: b.x + b.w - 4, y: b.y + 12, 'text-anchor': 'end' }, '✕'),
  );
}

/** The diagram of one packet on one host; `id` makes its element ids unique in the page. */
export function hookDiagram(p: HookPath, id: string, caption: string): VNode {
  const marker = (name: string, cls: string): VNode =>
    h('marker', { id: `${name}-${id}`, class: cls, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, h('path', { d: 'M0,0 L10,5 L0,10 z' }));
  const edges = DIAGRAM_EDGES.map((e) => {
    const on = p.edges.includes(e);
    return h('path', {
      class: `edge${on ? ' visited' : ''}${e === 'POSTROUTING>PREROUTING' ? ' loop' : ''}`,
      d: EDGE_PATHS[e],
      'marker-end': `url(#${on ? 'arrow-on' : 'arrow'}-${id})`,
      'data-testid': 'diagram-edge',
      'data-edge': e,
      'data-visited': String(on),
    });
  });
  return h(
    'figure',
    { class: 'diagram', 'data-testid': 'trace-diagram', 'data-host': p.host },
    h('svg', { xmlns: 'http://www.w3.org/2000/svg', viewBox: '0 0 720 270', role: 'img', 'aria-labelledby': `diagram-title-${id} diagram-desc-${id}` },
      h('title', { id: `diagram-title-${id}` }, caption),
      h('desc', { id: `diagram-desc-${id}` }, pathWords(p)),
      h('defs', {}, marker('arrow', 'arrow'), marker('arrow-on', 'arrow on')),
      edges,
      h('text', { class: 'loop-label', x: 352, y: 14, 'text-anchor': 'middle' }, 'lo'),
      (Object.keys(BOXES) as DiagramNode[]).map((n) => node(p, n)),
    ),
    h('figcaption', {}, caption),
  );
}
