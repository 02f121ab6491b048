/**
 * A button of the topology view that starts a trace: its target in
 * data-target (what the click sends), and what it will trace in its
 * tooltip and accessible name. When nothing can be traced from it, it
 * stays focusable (aria-disabled) and says why. Pure.
 */
import type { Topology } from '../../../../server/src/trace/topology';
import { h, type Child, type VNode } from '../vnode';
import type { TraceTarget } from './topologyMessages';
import { traceStart } from './traceStart';

export interface TraceButtonSpec {
  readonly class: string;
  readonly testid: string;
  /** What the button is, for screen readers ("web, container 172.17.0.4"). */
  readonly label: string;
  /** A stable id, so focus survives a re-render. */
  readonly id: string;
}

export function traceButton(t: Topology, target: TraceTarget, s: TraceButtonSpec, ...content: Child[]): VNode {
  const r = traceStart(t, target);
  const common = { type: 'button', id: s.id, class: `trace-button ${s.class}`, 'data-testid': s.testid, 'data-target-kind': target.kind };
  if ('error' in r) return h('button', { ...common, 'aria-disabled': 'true', title: r.error, 'aria-label': `${s.label}. Cannot trace: ${r.error}` }, content);
  return h('button', {
    ...common, 'data-action': 'trace', 'data-target': JSON.stringify(target), 'data-trace': r.words,
    title: `Trace Packet… ${r.words}`, 'aria-label': `${s.label}. Trace ${r.words}`,
  }, content);
}
