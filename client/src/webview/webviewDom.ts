/**
 * What every Netfilter Lens webview script does with the page: talk to the
 * extension (the VS Code API can be acquired once per page) and announce
 * updates in the live region. DOM access: with main.ts and topologyMain.ts,
 * left out of the root tsconfig.
 */
export interface VsCodeApi<From> {
  postMessage(message: From): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi<From>(): VsCodeApi<From>;

export function connectWebview<From>(): VsCodeApi<From> {
  return acquireVsCodeApi<From>();
}

/** Says `text` in the live region #status; cleared first so the same sentence twice is announced twice. */
export function announce(text: string): void {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = '';
  window.setTimeout(() => (status.textContent = text), 50);
}
