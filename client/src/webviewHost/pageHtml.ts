/**
 * The page of a Netfilter Lens webview (the trace panel, the topology
 * view): a strict Content-Security-Policy (scripts only by nonce, styles
 * and images only from the extension's own files), the stylesheet and
 * script bundled in client/out, a live region and a root the script fills
 * once the extension answers its "ready". Pure.
 */
import { escapeAttr, escapeText } from '../webview/vnode';

export interface PanelPage {
  /** webview.cspSource */
  readonly cspSource: string;
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly title: string;
  /** Prefix of the page's data-testid attributes (default "trace"). */
  readonly testIdPrefix?: string;
  /** What the root says until the content arrives. */
  readonly loadingText?: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource} 'nonce-${nonce}'; img-src ${cspSource}`;
}

export function panelHtml(p: PanelPage): string {
  const nonce = escapeAttr(p.nonce);
  const id = escapeAttr(p.testIdPrefix ?? 'trace');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${escapeAttr(p.styleUri)}">
<title>${escapeText(p.title)}</title>
</head>
<body>
<div id="status" class="visually-hidden" role="status" aria-live="polite" data-testid="${id}-status"></div>
<div id="root" data-testid="${id}-root"><main data-testid="${id}-panel" data-state="loading" aria-busy="true"><p>${escapeText(p.loadingText ?? 'Loading the trace…')}</p></main></div>
<script nonce="${nonce}" src="${escapeAttr(p.scriptUri)}"></script>
</body>
</html>
`;
}
