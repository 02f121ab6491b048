/** The outline's bound (netfilterLens.outline.maxItems): tables, then chains, then rules in file order; what is left out is counted. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DocumentSymbol } from 'vscode-languageserver-protocol';
import { LspClient } from '../helpers/lspClient';
import { SSH_FILTER } from '../helpers/sshFilter';

const DOC = [
  ...SSH_FILTER,
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  '-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 8080',
  'COMMIT',
  '',
].join('\n');

describe('outline bound', () => {
  const client = new LspClient();
  before(() => client.initialize());
  after(() => client.shutdown());
  const outline = (uri: string) => client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });

  it('lists every table, chain and rule when they fit', async () => {
    const uri = 'file:///tmp/test-outline/all.rules';
    client.configuration = { outline: { maxItems: 12 } };
    await client.open(uri, DOC);
    const syms = await outline(uri);
    assert.deepEqual(syms.map((t) => [t.name, t.detail, t.children!.map((c) => [c.name, c.children!.length])]), [
      ['*filter', '4 rules', [['INPUT', 2], ['FORWARD', 0], ['OUTPUT', 0], ['SSH', 2]]],
      ['*nat', '1 rules', [['PREROUTING', 1]]],
    ]);
  });

  it('past the bound: tables first, then chains, then rules in file order, the rest counted in the details', async () => {
    const uri = 'file:///tmp/test-outline/bounded.rules';
    client.configuration = { outline: { maxItems: 8 } };
    await client.open(uri, DOC);
    const syms = await outline(uri);
    // 2 tables + 5 chains + 1 rule = 8 of 12.
    const [filter, nat] = syms;
    assert.equal(filter!.detail, '4 rules · outline limited to 8 of 12 items (netfilterLens.outline.maxItems)');
    assert.deepEqual(filter!.children!.map((c) => [c.name, c.detail, c.children!.map((r) => r.detail)]), [
      ['INPUT', 'policy DROP · 1 of 2 rules not listed', ['line 6']],
      ['FORWARD', 'policy ACCEPT', []],
      ['OUTPUT', 'policy ACCEPT', []],
      ['SSH', 'user chain · 2 of 2 rules not listed', []],
    ]);
    assert.deepEqual(nat!.children!.map((c) => [c.name, c.detail]), [['PREROUTING', 'policy ACCEPT · 1 of 1 rules not listed']]);
    // A chain whose rules are left out still spans them: the outline and breadcrumbs follow the cursor into them.
    const ssh = filter!.children!.find((c) => c.name === 'SSH')!;
    assert.deepEqual([ssh.range.start.line, ssh.range.end.line], [4, 8]);
  });

  it('a bound below the tables: only the first tables', async () => {
    const uri = 'file:///tmp/test-outline/tiny.rules';
    client.configuration = { outline: { maxItems: 1 } };
    await client.open(uri, DOC);
    const syms = await outline(uri);
    assert.deepEqual(syms.map((t) => [t.name, t.children!.length]), [['*filter', 0]]);
    assert.match(syms[0]!.detail!, /outline limited to 1 of 12 items/);
  });
});
