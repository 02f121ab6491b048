/**
 * The topology view's webview script (bundled to client/out/topology.js):
 * says "ready", renders what the extension posts with the pure
 * topologyView, keeps focus on the same button across re-renders, and turns
 * clicks (mouse, Enter, Space: they are buttons) into messages. DOM access.
 */
import './panel.css';
import './topology/topology.css';
import { clickMessage, type FromTopologyWebview, type ToTopologyWebview } from './topology/topologyMessages';
import { topologyView } from './topology/topologyView';
import { toHtml } from './vnode';
import { announce, connectWebview } from './webviewDom';

const vscode = connectWebview<FromTopologyWebview>();
const root = document.getElementById('root')!;

window.addEventListener('message', (ev: MessageEvent<ToTopologyWebview>) => {
  const m = ev.data;
  if (m?.type !== 'content') return;
  const active = document.activeElement instanceof HTMLElement && root.contains(document.activeElement) ? document.activeElement.id : '';
  const r = topologyView(m.content);
  root.innerHTML = toHtml(r.node);
  if (active) document.getElementById(active)?.focus();
  announce(r.status);
});

root.addEventListener('click', (ev) => {
  const el = ev.target instanceof Element ? ev.target.closest<HTMLElement>('[data-action]') : null;
  const m = el ? clickMessage({ ...el.dataset }) : undefined;
  if (m) vscode.postMessage(m);
});

vscode.postMessage({ type: 'ready' });
