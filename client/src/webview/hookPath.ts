/**
 * One packet's way through one host's netfilter, as the hook diagram draws
 * it: the nodes it passes (where it comes in, the hooks, the routing
 * decisions, the local process, where it goes out), the tables each hook
 * ran, and where it stopped when it did not get through.
 */
import type { JsonTraceEvent } from '../../../server/src/trace/jsonEvent';

export const HOOKS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;
export type HookName = (typeof HOOKS)[number];
export type DiagramNode = 'in' | 'route-in' | 'local' | 'route-out' | 'out' | HookName;

/** The diagram's arrows, each "from>to". POSTROUTING>PREROUTING is the way back in through lo. */
export const DIAGRAM_EDGES = [
  'in>PREROUTING', 'PREROUTING>route-in', 'route-in>INPUT', 'route-in>FORWARD', 'INPUT>local', 'local>route-out',
  'route-out>OUTPUT', 'OUTPUT>POSTROUTING', 'FORWARD>POSTROUTING', 'POSTROUTING>out', 'POSTROUTING>PREROUTING',
] as const;

export interface TableStep {
  readonly table: string;
  /** The nat table not consulted (not a connection's first packet). */
  readonly skipped: boolean;
}

export interface HookPath {
  readonly host: string;
  /** The nodes in the order the packet passes them. */
  readonly nodes: readonly DiagramNode[];
  /** The arrows it follows ("from>to"). */
  readonly edges: readonly string[];
  /** Tables per hook, in the order they ran (a hook passed twice lists both visits). */
  readonly tables: Readonly<Partial<Record<HookName, readonly TableStep[]>>>;
  /** Where it stopped (dropped, rejected, no route…). */
  readonly stoppedAt?: DiagramNode;
  readonly fate?: string;
}

const isHook = (x: string): x is HookName => (HOOKS as readonly string[]).includes(x);
const GOT_THROUGH = new Set(['delivered', 'no-listener', 'forwarded', 'sent', 'bridged', 'lost']);
const ROUTING_FATES = new Set(['no-route', 'not-forwarding', 'martian']);

/** The path of the events of one host (a packet's events from the moment it is on that host). */
export function hookPath(host: string, events: readonly JsonTraceEvent[], startsLocal: boolean): HookPath {
  const hooks: HookName[] = [];
  const tables: Partial<Record<HookName, TableStep[]>> = {};
  let fate: string | undefined;
  let routedSinceHook = false;
  for (const e of events) {
    if (e.type === 'hook' && isHook(e.hook)) {
      hooks.push(e.hook);
      routedSinceHook = false;
    } else if (e.type === 'table' && isHook(e.hook)) (tables[e.hook] ??= []).push({ table: e.table, skipped: false });
    else if (e.type === 'skip' && isHook(e.hook)) (tables[e.hook] ??= []).push({ table: e.table, skipped: true });
    else if (e.type === 'route') routedSinceHook = true;
    else if (e.type === 'fate') fate = e.fate;
  }
  const nodes: DiagramNode[] = [];
  hooks.forEach((hk, i) => {
    const prev = hooks[i - 1];
    if (!prev) {
      if (hk === 'PREROUTING') nodes.push('in');
      else if (hk === 'OUTPUT') nodes.push('local', 'route-out');
    } else if (prev === 'PREROUTING' && (hk === 'INPUT' || hk === 'FORWARD')) nodes.push('route-in');
    else if (prev === 'INPUT' && hk === 'OUTPUT') nodes.push('local', 'route-out');
    nodes.push(hk);
  });
  const last = hooks[hooks.length - 1];
  let stoppedAt: DiagramNode | undefined;
  if (fate === undefined || GOT_THROUGH.has(fate)) {
    if (last === 'INPUT') nodes.push('local');
    else if (last === 'POSTROUTING') nodes.push('out');
  } else {
    const atRouting = ROUTING_FATES.has(fate) || routedSinceHook;
    if (!last) {
      nodes.push(...(startsLocal ? (['local', 'route-out'] as const) : (['in'] as const)));
      stoppedAt = nodes[nodes.length - 1];
    } else if (atRouting && last === 'PREROUTING') {
      nodes.push('route-in');
      stoppedAt = 'route-in';
    } else stoppedAt = last;
  }
  const edges: string[] = [];
  for (let i = 1; i < nodes.length; i++) {
    const edge = `${nodes[i - 1]}>${nodes[i]}`;
    if ((DIAGRAM_EDGES as readonly string[]).includes(edge) && !edges.includes(edge)) edges.push(edge);
  }
  return { host, nodes, edges, tables, ...(stoppedAt ? { stoppedAt } : {}), ...(fate ? { fate } : {}) };
}
