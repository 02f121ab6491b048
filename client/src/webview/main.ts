/**
 * The trace panel's webview script (bundled to client/out/webview.js): says
 * "ready", renders what the extension posts with the pure panelView, and
 * turns clicks and keys into selections and messages. Tabs follow the
 * WAI-ARIA tabs pattern (arrow keys, Home, End); the live region announces
 * updates. DOM access (with webviewDom.ts and topologyMain.ts).
 */
import './panel.css';
import type { FromWebview, ToWebview } from './messages';
import { tabId } from './packetTabs';
import { panelView, type PanelContent } from './panelView';
import { toHtml } from './vnode';
import { announce, connectWebview, patchState } from './webviewDom';

const vscode = connectWebview<FromWebview>();
const root = document.getElementById('root')!;
let content: PanelContent | undefined;
let selected = (vscode.getState() as { selected?: string } | undefined)?.selected;

function render(focus: 'tab' | 'keep'): string {
  if (!content) return '';
  const active = document.activeElement instanceof HTMLElement && root.contains(document.activeElement) ? document.activeElement.id : '';
  const r = panelView(content, selected);
  root.innerHTML = toHtml(r.node);
  selected = r.selected;
  patchState(vscode, { selected });
  const target = focus === 'tab' && selected ? tabId(selected) : active;
  if (target) document.getElementById(target)?.focus();
  return r.status;
}

function select(key: string): void {
  if (key === selected) return;
  selected = key;
  render('tab');
  const tab = document.getElementById(tabId(key));
  announce(`Showing ${tab?.getAttribute('aria-label') ?? key}`);
}

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  if (m?.type !== 'content') return;
  content = m.content;
  announce(render('keep'));
});

root.addEventListener('click', (ev) => {
  const el = ev.target instanceof Element ? ev.target.closest<HTMLElement>('[data-action]') : null;
  if (!el) return;
  const action = el.dataset.action;
  if (action === 'select-packet' && el.dataset.packet) select(el.dataset.packet);
  else if (action === 'reveal-rule' && el.dataset.host !== undefined && el.dataset.line) vscode.postMessage({ type: 'revealRule', host: el.dataset.host, line: Number(el.dataset.line) });
  else if (action === 'edit-packet') vscode.postMessage({ type: 'editPacket' });
});

root.addEventListener('keydown', (ev) => {
  const tab = ev.target instanceof HTMLElement && ev.target.getAttribute('role') === 'tab' ? ev.target : undefined;
  const list = tab?.closest('[role="tablist"]');
  if (!tab || !list) return;
  const tabs = [...list.querySelectorAll<HTMLElement>('[role="tab"]')];
  const i = tabs.indexOf(tab);
  const next = ev.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : ev.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : ev.key === 'Home' ? tabs[0] : ev.key === 'End' ? tabs[tabs.length - 1] : undefined;
  if (!next?.dataset.packet) return;
  ev.preventDefault();
  select(next.dataset.packet);
});

vscode.postMessage({ type: 'ready' });
