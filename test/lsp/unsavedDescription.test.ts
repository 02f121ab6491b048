/**
 * A host description open in the editor counts as the editor holds it:
 * traces, the host info and the topology read its unsaved text (didOpen,
 * didChange), and the disk again once it is closed (didClose).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { HostInfoReply, TopologyReply, TraceReply } from '../../server/src/protocol';
import type { Topology } from '../../server/src/trace/topology';
import type { TraceOutcome } from '../../server/src/trace/traceResult';
import { LspClient } from '../helpers/lspClient';

const dir = join(__dirname, '..', '..', '..', 'examples', 'docker-host');
const RULES_URI = pathToFileURL(join(dir, 'rules.v4')).toString();
const HOST = join(dir, 'nflens-host.json');
const HOST_URI = pathToFileURL(HOST).toString();
const ON_DISK = readFileSync(HOST, 'utf8');

/** The description with the peer "client" moved to .188 and the host renamed: what the user typed, not saved. */
const EDITED = ON_DISK.replace('"address": "10.10.126.187"', '"address": "10.10.126.188"').replace('"name": "docker-host"', '"name": "edited-host"');

function traced(r: TraceReply): TraceOutcome {
  assert.ok(!('error' in r), `an error: ${'error' in r ? r.error : ''}`);
  return r as TraceOutcome;
}
function drawn(r: TopologyReply): Topology {
  assert.ok(!('error' in r), `an error: ${'error' in r ? r.error : ''}`);
  return r as Topology;
}

describe('language server over LSP: an unsaved host description', () => {
  const client = new LspClient();
  const trace = async () => traced(await client.request<TraceReply>('netfilterLens/trace', { uri: RULES_URI, proto: 'tcp', src: 'client', dst: '10.10.126.101', dport: 12580, origin: { peer: 'client' } }));
  const firstSource = (o: TraceOutcome): string | undefined => {
    const p = o.events.find((e) => e.type === 'packet');
    return p?.type === 'packet' ? p.packet.src : undefined;
  };
  const hostName = async (uri: string) => {
    const t = drawn(await client.request<TopologyReply>('netfilterLens/topology', { uri }));
    assert.equal(t.kind, 'host');
    return t.kind === 'host' ? [t.host.name, t.host.peers.find((p) => p.name === 'client')?.address] : [];
  };

  before(async () => {
    assert.notEqual(EDITED, ON_DISK, 'the edit applies to the example');
    await client.initialize();
    await client.open(RULES_URI, readFileSync(join(dir, 'rules.v4'), 'utf8'));
  });
  after(() => client.shutdown());

  it('not open: read from disk', async () => {
    const o = await trace();
    assert.equal(o.host.name, 'docker-host');
    assert.equal(firstSource(o), '10.10.126.187');
  });

  it('open and changed without saving: the trace, host info and topology (of the rules and of the description) use the editor\'s text', async () => {
    await client.open(HOST_URI, ON_DISK, 'json');
    assert.equal((await trace()).host.name, 'docker-host', 'opened unchanged: the same host');
    await client.change(HOST_URI, EDITED);
    const o = await trace();
    assert.equal(o.host.name, 'edited-host');
    assert.equal(o.host.source, 'description');
    assert.equal(firstSource(o), '10.10.126.188');
    const info = await client.request<HostInfoReply>('netfilterLens/hostInfo', { uri: RULES_URI });
    assert.ok(!('error' in info));
    assert.deepEqual(info.peers.find((p) => p.name === 'client')?.address, '10.10.126.188');
    assert.deepEqual(await hostName(RULES_URI), ['edited-host', '10.10.126.188']);
    assert.deepEqual(await hostName(HOST_URI), ['edited-host', '10.10.126.188']);
  });

  it('an unsaved edit that breaks the description: its problem is reported from the editor\'s text', async () => {
    await client.change(HOST_URI, EDITED.replace('"proto": "tcp", "port": 22', '"proto": "tcp", "port": "twenty-two"'));
    const o = await trace();
    assert.equal(o.host.name, 'edited-host');
    assert.ok(o.warnings.some((w) => /^nflens-host\.json has \d+ problems? \(line 13: port must be an integer/.test(w)), JSON.stringify(o.warnings));
    await client.change(HOST_URI, EDITED);
  });

  it('closed without saving: the disk again', async () => {
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: HOST_URI } });
    const o = await trace();
    assert.equal(o.host.name, 'docker-host');
    assert.equal(firstSource(o), '10.10.126.187');
    assert.deepEqual(await hostName(RULES_URI), ['docker-host', '10.10.126.187']);
    assert.deepEqual(await hostName(HOST_URI), ['docker-host', '10.10.126.187']);
  });

  it('a description the editor names with another spelling of the same path (VS Code escapes more characters than Node) is still the open one', async () => {
    // %2D is "-": the same file as HOST_URI, as VS Code would spell a path with "@" or a drive letter differently.
    const spelled = HOST_URI.replace('/docker-host/', '/docker%2Dhost/');
    assert.notEqual(spelled, HOST_URI);
    await client.open(spelled, EDITED, 'json');
    assert.equal(firstSource(await trace()), '10.10.126.188');
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: spelled } });
    assert.equal(firstSource(await trace()), '10.10.126.187');
  });
});
