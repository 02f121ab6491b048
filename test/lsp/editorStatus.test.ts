/**
 * What the server tells the client's status bar and progress indicator, and
 * the settings applied at the server's edge (severity overrides, the trace's
 * unknown-match assumption), over the real protocol.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CodeAction, Diagnostic, Hover } from 'vscode-languageserver-protocol';
import type { FileSummary } from '../../server/src/protocol';
import { LspClient } from '../helpers/lspClient';
import { exampleParams } from '../../client/src/traceInput/exampleParams';

/** Line 6: no packet reaches it (the two /25 halves take them); line 7: an error with a quick fix (the old "-s ! X" negation). */
const SHADOWED = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -s 10.0.0.0/25 -j ACCEPT', '-A INPUT -s 10.0.0.128/25 -j ACCEPT', '-A INPUT -s 10.0.0.0/24 -p tcp -j DROP', '-A INPUT -s ! 10.1.0.0/16 -p tcp -j DROP', 'COMMIT', ''].join('\n');

describe('status bar summary and severity overrides', () => {
  const client = new LspClient();
  before(() => client.initialize());
  after(() => client.shutdown());

  it('sends the file summary after publishing: errors, warnings, unreachable rules', async () => {
    const uri = 'file:///tmp/test-status/rules.v4';
    await client.open(uri, SHADOWED);
    const published = (await client.diagnosticsFor(uri, 1)).diagnostics;
    const s = await client.notificationWhere<FileSummary>('netfilterLens/fileSummary', (p) => p.uri === uri);
    assert.deepEqual(s, {
      uri,
      errors: published.filter((d) => d.severity === 1).length,
      warnings: published.filter((d) => d.severity === 2).length,
      unreachable: 1,
      analysing: false,
    });
    assert.equal(s.errors, 1, 'the old negation');
    assert.equal(s.warnings, 1, 'the unreachable rule');
  });

  it('applies netfilterLens.diagnostics.severity: another severity, or off (and no quick fix for what is off)', async () => {
    const uri = 'file:///tmp/test-status/override.rules';
    await client.open(uri, SHADOWED);
    const before = (await client.diagnosticsFor(uri, 1)).diagnostics;
    assert.deepEqual(before.map((d: Diagnostic) => [d.code, d.severity]).sort(), [['intrapositioned-negation', 1], ['unreachable-rule', 2]]);
    const fixesOn = async (line: number) =>
      (await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: { start: { line, character: 0 }, end: { line, character: 5 } }, context: { diagnostics: [] } })).length;
    assert.ok((await fixesOn(7)) > 0);

    client.configuration = { diagnostics: { severity: { 'intrapositioned-negation': 'off', 'unreachable-rule': 'information', 'no-such-code': 'error' } } };
    const mark = client.notifications.length;
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const after = (await client.diagnosticsWhere(uri, (p) => !p.diagnostics.some((d) => d.code === 'intrapositioned-negation'))).diagnostics;
    assert.deepEqual(after.map((d: Diagnostic) => [d.code, d.severity]), [['unreachable-rule', 3]]);
    assert.equal(await fixesOn(7), 0, 'no quick fix for a finding that is off');
    assert.ok((await fixesOn(6)) > 0, 'the unreachable rule keeps its fixes');
    const s = await client.notificationWhere<FileSummary>('netfilterLens/fileSummary', (p) => p.uri === uri && client.notifications.findIndex((n) => n.params === p) >= mark);
    assert.deepEqual([s.errors, s.warnings, s.unreachable], [0, 0, 1]);

    client.configuration = {};
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await client.diagnosticsWhere(uri, (p) => p.diagnostics.some((d) => d.code === 'intrapositioned-negation'));
  });

  it('traces from a hover follow netfilterLens.trace.assumeUnknown for matches the emulator cannot decide', async () => {
    const uri = 'file:///tmp/test-status/ipset.rules';
    // The ipset's members are unknown: whether filter INPUT drops the packet marked in mangle is an assumption.
    const text = ['*mangle', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -p tcp --dport 22 -j MARK --set-mark 1', 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -m set --match-set blocked src -j DROP', 'COMMIT', ''].join('\n');
    await client.open(uri, text);
    await client.diagnosticsFor(uri, 1);
    const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 1 } });
    const md = String((h.contents as { value: string }).value);
    const link = /\(command:netfilterLens\.traceExample\?([^)]+)\)/.exec(md);
    assert.ok(link, md);
    const [args] = JSON.parse(decodeURIComponent(link[1]!));
    // As the client's command does: the example as trace parameters, traced by netfilterLens/trace.
    const params = exampleParams(args.uri, args.hook, args.witness);
    assert.ok(!('error' in params), JSON.stringify(params));
    const trace = async () => {
      const r = await client.request<{ story?: string; error?: string }>('netfilterLens/trace', params);
      return { story: r.story ?? r.error ?? '' };
    };
    const assumedMatch = await trace();
    assert.match(assumedMatch.story, /assumed to match/);
    client.configuration = { trace: { assumeUnknown: 'no-match' } };
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const assumedNot = await trace();
    assert.match(assumedNot.story, /assumed to not match/);
    assert.notEqual(assumedMatch.story, assumedNot.story);
    client.configuration = {};
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  });
});

describe('progress while a large file is analysed', () => {
  const client = new LspClient();
  before(() => client.initialize({ workDoneProgress: true }));
  after(() => client.shutdown());

  it('a file above 2,000 rules: load findings at once (summary says analysing), reachability inside work-done progress, then the full summary', async () => {
    const uri = 'file:///tmp/test-status/large.rules';
    const rules = Array.from({ length: 2100 }, (_, i) => `-A INPUT -s 10.${i >> 8}.${i & 255}.0/24 -j ACCEPT`);
    const text = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules, '-A INPUT -s 10.0.0.0/24 -p tcp -j DROP', 'COMMIT', ''].join('\n');
    await client.open(uri, text);
    const first = await client.notificationWhere<FileSummary>('netfilterLens/fileSummary', (p) => p.uri === uri, 30000);
    assert.deepEqual({ analysing: first.analysing, unreachable: first.unreachable }, { analysing: true, unreachable: 0 });
    const done = await client.notificationWhere<FileSummary>('netfilterLens/fileSummary', (p) => p.uri === uri && !p.analysing, 60000);
    assert.equal(done.unreachable, 1);
    type Progress = { token: unknown; value: { kind: string; title?: string; message?: string } };
    const progress = client.notifications.filter((n) => n.method === '$/progress').map((n) => n.params as Progress);
    assert.deepEqual(progress.map((p) => p.value.kind), ['begin', 'end']);
    assert.match(progress[0]!.value.message ?? '', /analysing large\.rules/);
    // One analysis (a debounced second publish while it runs must not start another); the full summary only after it ends.
    const order = client.notifications.filter((n) => n.method === '$/progress' || (n.method === 'netfilterLens/fileSummary' && (n.params as FileSummary).uri === uri)).map((n) => (n.method === '$/progress' ? (n.params as Progress).value.kind : (n.params as FileSummary).analysing ? 'summary(analysing)' : 'summary'));
    assert.equal(order[0], 'summary(analysing)');
    assert.equal(order.at(-1), 'summary');
    assert.ok(order.indexOf('summary') > order.indexOf('end'), order.join(', '));
  });

  it('an edit soon after the load findings: reachability runs once, for the version the edits settle on (not again for the same version)', async () => {
    const uri = 'file:///tmp/test-status/typing.rules';
    const rules = Array.from({ length: 2100 }, (_, i) => `-A INPUT -s 10.${i >> 8}.${i & 255}.0/24 -j ACCEPT`);
    const text = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n');
    const before = client.notifications.length;
    await client.open(uri, text);
    await client.notificationWhere<FileSummary>('netfilterLens/fileSummary', (p) => p.uri === uri, 30000);
    // Typing on: the next version arrives before the server has been idle for 400 ms.
    const v2 = await client.change(uri, text.replace('COMMIT', '-A INPUT -s 10.0.0.0/24 -p tcp -j DROP\nCOMMIT'));
    await client.diagnosticsFor(uri, v2, 30000);
    const done = await client.notificationWhere<FileSummary>('netfilterLens/fileSummary', (p) => p.uri === uri && !p.analysing, 60000);
    assert.equal(done.unreachable, 1, 'the newer version\'s findings');
    type Progress = { value: { kind: string } };
    const begins = client.notifications.slice(before).filter((n) => n.method === '$/progress' && (n.params as Progress).value.kind === 'begin');
    assert.equal(begins.length, 1, 'one reachability run, for the version the edits settled on');
  });
});
