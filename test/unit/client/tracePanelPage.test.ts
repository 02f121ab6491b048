/** The trace panel's page and messages: strict CSP, no remote resources, only known messages accepted from the webview. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, panelHtml } from '../../../client/src/webviewHost/pageHtml';
import { fromWebview } from '../../../client/src/webview/messages';

describe('trace panel page', () => {
  const html = panelHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'N0nce+/=', scriptUri: 'https://x.vscode-cdn.net/ext/client/out/webview.js', styleUri: 'https://x.vscode-cdn.net/ext/client/out/webview.css', title: '<t>' });

  it('allows scripts only by nonce, styles and images only from the extension', () => {
    assert.equal(contentSecurityPolicy('CSP', 'n'), "default-src 'none'; script-src 'nonce-n'; style-src CSP 'nonce-n'; img-src CSP");
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;nonce-N0nce\+\/=&#39;; style-src https:\/\/x\.vscode-cdn\.net &#39;nonce-N0nce\+\/=&#39;; img-src https:\/\/x\.vscode-cdn\.net">/);
    assert.match(html, /<script nonce="N0nce\+\/=" src="https:\/\/x\.vscode-cdn\.net\/ext\/client\/out\/webview\.js"><\/script>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script, no inline code');
    assert.doesNotMatch(html, /style="/, 'no inline style attributes');
    assert.match(html, /<title>&lt;t&gt;<\/title>/);
  });

  it('has the live region and the root the script fills', () => {
    assert.match(html, /<div id="status" class="visually-hidden" role="status" aria-live="polite" data-testid="trace-status"><\/div>/);
    assert.match(html, /<div id="root" data-testid="trace-root">/);
  });
});

describe('messages from the webview', () => {
  it('accepts ready, revealRule with a positive line, editPacket; nothing else', () => {
    assert.deepEqual(fromWebview({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(fromWebview({ type: 'revealRule', host: 'h', line: 3, extra: 1 }), { type: 'revealRule', host: 'h', line: 3 });
    assert.equal(fromWebview({ type: 'revealRule', host: 'h', line: 0 }), undefined);
    assert.equal(fromWebview({ type: 'revealRule', host: 'h', line: '3' }), undefined);
    assert.equal(fromWebview({ type: 'runCommand', command: 'x' }), undefined);
    assert.equal(fromWebview(null), undefined);
    assert.deepEqual(fromWebview({ type: 'editPacket' }), { type: 'editPacket' });
  });
});
