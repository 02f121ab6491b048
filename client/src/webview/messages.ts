/**
 * Messages between the trace panel's extension side and its webview. The
 * webview says "ready" first; only then is content posted to it (again
 * after every reload of the webview, and after every re-run of the trace),
 * with the request to keep across a window reload.
 */
import type { SavedPanel } from '../webviewHost/panelState';
import type { PanelContent } from './panelView';

/** "keep": what the webview stores for the panel to come back after a window reload (webviewDom.ts). */
export type ToWebview = { readonly type: 'content'; readonly content: PanelContent } | { readonly type: 'keep'; readonly saved: SavedPanel };

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'revealRule'; readonly host: string; readonly line: number }
  | { readonly type: 'editPacket' };

/** What the extension accepts from the webview (anything else is ignored). */
export function fromWebview(m: unknown): FromWebview | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const x = m as Record<string, unknown>;
  if (x.type === 'ready' || x.type === 'editPacket') return { type: x.type };
  if (x.type === 'revealRule' && typeof x.host === 'string' && typeof x.line === 'number' && Number.isInteger(x.line) && x.line > 0) return { type: 'revealRule', host: x.host, line: x.line };
  return undefined;
}
