/**
 * Words quoted from a user's file are shown with their control characters
 * written out: a Windows "\r" at a line's end in an error's words, in the
 * editor's diagnostics and in what the CLI prints (where a raw one, or an
 * escape sequence, would move the terminal's cursor).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeIptables } from '../../../server/src/lang/iptables/analyze';
import { toLspDiagnostic } from '../../../server/src/features/convert';
import { showControls } from '../../../server/src/lang/visibleText';

const root = join(__dirname, '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'nflens-controls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RAW = /[\x00-\x08\x0b-\x1f]/;

/** A filter table saved with Windows line ends, whose REJECT's type is its line's last word. */
const CRLF = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -p tcp -j REJECT --reject-with icmp-port-unreachable', 'COMMIT', ''].join('\r\n');

describe('control characters from a file, written out', () => {
  it('showControls writes out C0 controls, keeps line breaks, tabs and every other character, and leaves JSON text as it is', () => {
    assert.equal(showControls('a\rb\0c\x1b[31md\x01'), 'a\\rb\\0c\\e[31md\\x01');
    assert.equal(showControls('line\n\tnext é ✓'), 'line\n\tnext é ✓');
    const json = JSON.stringify({ m: 'x\r\x1b\x7f' });
    assert.equal(showControls(json), json);
  });

  it('an error quoting the last word of a CR LF line shows its "\\r", in the parse and in the editor', () => {
    const a = analyzeIptables(CRLF, { backend: 'nft', family: 'ipv4' });
    const reject = a.diagnostics.find((d) => d.message.includes('reject type'));
    assert.ok(reject, a.diagnostics.map((d) => d.message).join('\n'));
    assert.match(reject.message, /unknown reject type "icmp-port-unreachable\\r"/);
    assert.match(reject.message, /Windows CR LF line ends/);
    for (const d of a.diagnostics) {
      assert.doesNotMatch(d.message, RAW, d.message);
      assert.doesNotMatch(String(toLspDiagnostic(d, 'file:///x').message), RAW);
    }
    // A diagnostic made elsewhere with a raw control character is written out at the editor's edge.
    const raw = toLspDiagnostic({ code: 'x', severity: 'warning', message: 'flag "--iptables=false\r"', span: a.diagnostics[0]!.span, related: [{ span: a.diagnostics[0]!.span, message: 'here\x1b[2J' }] }, 'file:///x');
    assert.equal(raw.message, 'flag "--iptables=false\\r"');
    assert.equal(raw.relatedInformation![0]!.message, 'here\\e[2J');
  });

  it('the CLI prints no raw control character from the file, as text, and JSON that still parses', () => {
    const f = join(dir, 'crlf.rules');
    // The comment's escape sequence would clear a terminal's screen.
    writeFileSync(f, CRLF.replace('-p tcp', '-p tcp -m comment --comment "\x1b[2J"'));
    for (const args of [['check', f], ['analyze', f]]) {
      const r = spawnSync(process.execPath, [join(root, 'server', 'out', 'nflens.js'), ...args], { encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stdout + r.stderr, /icmp-port-unreachable\\r/, args[0]);
      assert.doesNotMatch(r.stdout, RAW, args[0]);
      assert.doesNotMatch(r.stderr, RAW, args[0]);
    }
    const j = spawnSync(process.execPath, [join(root, 'server', 'out', 'nflens.js'), 'check', '--format', 'json', f], { encoding: 'utf8' });
    const found = JSON.parse(j.stdout) as Array<{ message: string }>;
    assert.ok(found.some((d) => d.message.includes('"icmp-port-unreachable\\r"')));
  });
});
