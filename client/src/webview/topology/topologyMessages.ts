/**
 * Messages between the topology view's extension side and its webview, and
 * what a click in the view asks to trace. The webview says "ready" first;
 * only then is content posted. A click names its target (a container, a
 * peer, a port…), never a trace request: the extension maps the target on
 * the topology it holds, so the webview cannot ask for anything else.
 */
import type { Topology } from '../../../../server/src/trace/topology';
import type { SavedPanel } from '../../webviewHost/panelState';

export type TraceTarget =
  /** From outside (a peer behind the uplink, or an address arriving on it) to a port of the host. */
  | { readonly kind: 'port'; readonly proto: 'tcp' | 'udp'; readonly port: number; readonly hostIp?: string }
  /** From a peer to the host. */
  | { readonly kind: 'peer'; readonly name: string }
  /** From an address arriving on an interface to the host. */
  | { readonly kind: 'outside'; readonly iface: string }
  /** From a container to another container, or to the outside. */
  | { readonly kind: 'container'; readonly name: string; readonly to: 'container' | 'outside' }
  /** From an overlay container to a container of its network on another host. */
  | { readonly kind: 'overlayContainer'; readonly name: string }
  /** Across a VXLAN tunnel: a container on one host to one of the same network on the other. */
  | { readonly kind: 'tunnel'; readonly from: string; readonly to: string };

export type TopologyContent =
  | { readonly kind: 'loading'; readonly title: string }
  | { readonly kind: 'error'; readonly title: string; readonly message: string }
  | { readonly kind: 'topology'; readonly title: string; readonly topology: Topology };

/** "keep": what the webview stores for the view to come back after a window reload (webviewDom.ts). */
export type ToTopologyWebview = { readonly type: 'content'; readonly content: TopologyContent } | { readonly type: 'keep'; readonly saved: SavedPanel };

export type FromTopologyWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'trace'; readonly target: TraceTarget }
  | { readonly type: 'revealRule'; readonly host: string; readonly line: number };

const str = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 256;
const port = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 65535;

/** A target as the extension accepts it (anything else is undefined). */
export function traceTarget(x: unknown): TraceTarget | undefined {
  if (!x || typeof x !== 'object') return undefined;
  const t = x as Record<string, unknown>;
  switch (t.kind) {
    case 'port':
      return (t.proto === 'tcp' || t.proto === 'udp') && port(t.port) ? { kind: 'port', proto: t.proto, port: t.port, ...(str(t.hostIp) ? { hostIp: t.hostIp } : {}) } : undefined;
    case 'peer':
    case 'overlayContainer':
      return str(t.name) ? { kind: t.kind, name: t.name } : undefined;
    case 'outside':
      return str(t.iface) ? { kind: 'outside', iface: t.iface } : undefined;
    case 'container':
      return str(t.name) && (t.to === 'container' || t.to === 'outside') ? { kind: 'container', name: t.name, to: t.to } : undefined;
    case 'tunnel':
      return str(t.from) && str(t.to) ? { kind: 'tunnel', from: t.from, to: t.to } : undefined;
    default:
      return undefined;
  }
}

/** What the extension accepts from the webview (anything else is ignored). */
export function fromTopologyWebview(m: unknown): FromTopologyWebview | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const x = m as Record<string, unknown>;
  if (x.type === 'ready') return { type: 'ready' };
  if (x.type === 'trace') {
    const target = traceTarget(x.target);
    return target && { type: 'trace', target };
  }
  if (x.type === 'revealRule' && typeof x.host === 'string' && typeof x.line === 'number' && Number.isInteger(x.line) && x.line > 0) return { type: 'revealRule', host: x.host, line: x.line };
  return undefined;
}

/** The message a click on an element with these data attributes sends (its data-action says which). */
export function clickMessage(data: Readonly<Record<string, string | undefined>>): FromTopologyWebview | undefined {
  if (data.action === 'trace' && data.target) {
    try {
      return fromTopologyWebview({ type: 'trace', target: JSON.parse(data.target) as unknown });
    } catch {
      return undefined;
    }
  }
  if (data.action === 'reveal-rule') return fromTopologyWebview({ type: 'revealRule', host: data.host, line: Number(data.line) });
  return undefined;
}
