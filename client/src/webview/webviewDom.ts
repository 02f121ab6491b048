/**
 * What every Netfilter Lens webview script does with the page: talk to the
 * extension (the VS Code API can be acquired once per page), keep what the
 * extension asks to keep across a window reload, and announce updates in
 * the live region. DOM access: with main.ts and topologyMain.ts, left out
 * of the root tsconfig.
 */
import { mergeState, SAVED_KEY } from '../webviewHost/panelState';

export interface VsCodeApi<From> {
  postMessage(message: From): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi<From>(): VsCodeApi<From>;

/**
 * The VS Code API of this page. A "keep" message from the extension (the
 * request the panel shows) goes into the webview state, which VS Code hands
 * to the panel serializer when the window reloads.
 */
export function connectWebview<From>(): VsCodeApi<From> {
  const api = acquireVsCodeApi<From>();
  window.addEventListener('message', (ev: MessageEvent<{ type?: unknown; saved?: unknown }>) => {
    if (ev.data?.type === 'keep') patchState(api, { [SAVED_KEY]: ev.data.saved });
  });
  return api;
}

/** Writes `patch` into the webview state, keeping the other keys (the saved request, the packet tab). */
export function patchState(api: VsCodeApi<unknown>, patch: Readonly<Record<string, unknown>>): void {
  api.setState(mergeState(api.getState(), patch));
}

/** Says `text` in the live region #status; cleared first so the same sentence twice is announced twice. */
export function announce(text: string): void {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = '';
  window.setTimeout(() => (status.textContent = text), 50);
}
