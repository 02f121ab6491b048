/** The server reads /etc/iptables/rules.v6 (no header) as IPv6 rules, as ip6tables-restore loads it; the same text elsewhere by its addresses. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LspClient } from '../helpers/lspClient';

const V6 = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -s 2001:db8::/32 -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -p ipv6-icmp -j ACCEPT', 'COMMIT', ''].join('\n');

describe('IPv4 or IPv6 rules', () => {
  const client = new LspClient();
  before(() => client.initialize());
  after(() => client.shutdown());

  it('rules.v6 without the ip6tables-save header loads without errors', async () => {
    const uri = 'file:///etc/iptables/rules.v6';
    await client.open(uri, V6);
    const d = (await client.diagnosticsFor(uri, 1)).diagnostics;
    assert.deepEqual(d.filter((x) => x.severity === 1), []);
  });

  it('an IPv6 address in a file named rules.v4 is the error iptables-restore reports', async () => {
    const uri = 'file:///etc/iptables/rules.v4';
    await client.open(uri, V6);
    const d = (await client.diagnosticsFor(uri, 1)).diagnostics.filter((x) => x.severity === 1);
    assert.equal(d[0]?.range.start.line, 4);
    assert.equal(d[0]?.code, 'bad-address');
  });
});
