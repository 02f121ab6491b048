/** nflens trace: endpoints by address or by name from the host description, text and JSON output. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseArgs } from '../../../server/src/cli/args';
import { runTrace, runWorkspaceTrace } from '../../../server/src/cli/trace';
import { WEB_INSPECT, inspectOf } from '../../helpers/dockerInspectSamples';

const root = join(__dirname, '..', '..', '..', '..');
const RULES = join(root, 'examples', 'docker-host', 'rules.v4');
const HOST = join(root, 'examples', 'docker-host', 'nflens-host.json');

function trace(flags: Record<string, string>): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runTrace({ rules: RULES, flags: new Map(Object.entries(flags)) }, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('nflens trace', () => {
  it('names from the host description: a container as the source, the host as the destination; docker-proxy\'s leg follows', () => {
    const r = trace({ host: HOST, proto: 'tcp', src: 'other', dst: 'docker-host:12580' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Conversation 1: tcp 172\.17\.0\.2:\d+ → 10\.10\.126\.101:12580/m);
    assert.match(r.out, /^Conversation 2: docker-proxy → 172\.17\.0\.4:12580 \(opened by conversation 1/m);
    assert.match(r.out, /server is web \(172\.17\.0\.4\) and sees the client as 172\.17\.0\.1:/);
  });
  it('the host named as the source is a local process', () => {
    const r = trace({ host: HOST, proto: 'tcp', src: 'docker-host', dst: '10.10.126.101:12580', format: 'json' });
    const j = JSON.parse(r.out) as { completed: boolean; events: { type: string; from?: unknown; rule?: { line: number } }[] };
    assert.equal(j.completed, true);
    assert.deepEqual(j.events.find((e) => e.type === 'packet')!.from, { local: true });
    // JSON lines are 1-based.
    const dnatLine = readFileSync(RULES, 'utf8').split('\n').findIndex((l) => l.includes('-j DNAT')) + 1;
    assert.ok(dnatLine > 1);
    assert.ok(j.events.some((e) => e.type === 'verdict' && e.rule?.line === dnatLine));
  });
  it('the host\'s echo reply is its kernel\'s own packet: the story says so, the JSON marks it', () => {
    const r = trace({ host: HOST, proto: 'icmp', src: 'client', dst: 'docker-host' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Packet 2 \(echo reply, reply\): .*\n  enters \S+ from its own kernel \(no process sends it\)$/m);
    const j = JSON.parse(trace({ host: HOST, proto: 'icmp', src: 'client', dst: 'docker-host', format: 'json' }).out) as { events: { type: string; packet?: { socket?: string } }[] };
    assert.deepEqual(j.events.filter((e) => e.type === 'packet').map((e) => e.packet?.socket), [undefined, 'kernel']);
  });
  it('an unknown name says which names there are', () => {
    assert.throws(() => trace({ host: HOST, proto: 'tcp', src: 'nobody', dst: 'web:12580' }), /nor a peer of docker-host \(client, web, other\)/);
    assert.throws(() => trace({ proto: 'tcp', src: 'web', dst: '1.2.3.4', local: 'true' }), /names need --host/);
  });
});

describe('nflens trace --docker-inspect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nflens-inspect-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const web = join(dir, 'web.json');
  writeFileSync(web, WEB_INSPECT);
  const db = join(dir, 'db.json');
  writeFileSync(db, inspectOf((o) => {
    o.Name = '/db';
    o.NetworkSettings.Networks.bridge.IPAddress = '172.17.0.3';
    o.NetworkSettings.Ports = { '5432/tcp': null };
  }));
  const FLUSHED = join(root, 'examples', 'docker-host-flushed', 'rules.v4');

  it('container inspect output without a host description: the container is named, and its published port is docker-proxy\'s', () => {
    let out = '';
    let err = '';
    const flags = { 'docker-inspect': web, proto: 'tcp', src: '10.10.126.187', in: 'eth0', dst: '10.10.126.101:12580' };
    const code = runTrace({ rules: FLUSHED, flags: new Map(Object.entries(flags)) }, (s) => (out += s), (s) => (err += s));
    assert.equal(code, 0, out + err);
    assert.equal(err, '');
    assert.match(out, /^Conversation 2: docker-proxy → 172\.17\.0\.4:12580 \(opened by conversation 1/m);
    assert.match(out, /server is web \(172\.17\.0\.4\) and sees the client as 172\.17\.0\.1:/);
  });
  it('--docker-inspect may be repeated: containers of both files can be named', () => {
    const args = parseArgs(['trace', RULES, '--docker-inspect', web, '--docker-inspect', db, '--proto', 'tcp', '--src', 'db', '--dst', 'web:12580']);
    assert.equal(args.flags.get('docker-inspect'), `${web},${db}`);
    let out = '';
    const code = runTrace({ rules: args.files[0]!, flags: args.flags }, (s) => (out += s), () => undefined);
    assert.equal(code, 0, out);
    assert.match(out, /^Conversation 1: tcp 172\.17\.0\.3:\d+ → 172\.17\.0\.4:12580/m);
  });
  it('an unreadable shape is a warning on stderr, not a failure', () => {
    const odd = join(dir, 'odd.json');
    writeFileSync(odd, '[{"Foo": 1}]');
    const r = trace({ 'docker-inspect': `${odd},${web}`, proto: 'tcp', src: '10.10.126.187', in: 'eth0', dst: 'web:12580' });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.err, /odd\.json:1:2: warning: Neither a network/);
  });
});

describe('nflens trace --workspace', () => {
  const WS = join(root, 'examples', 'overlay', 'nflens-workspace.json');
  const run = (flags: Record<string, string>): { code: number; out: string } => {
    let out = '';
    const code = runWorkspaceTrace(new Map(Object.entries({ workspace: WS, ...flags })), (s) => (out += s), () => undefined);
    return { code, out };
  };
  it('one story across both hosts, the VXLAN hop in it', () => {
    const r = run({ proto: 'icmp', src: 'net1c1', dst: 'net1c2' });
    assert.equal(r.code, 0);
    assert.match(r.out, /VXLAN on hostA: .* goes into udp 10\.10\.126\.101:\d+ → 10\.10\.105\.71:4789 \(VNI 256\)/);
    assert.match(r.out, /delivered to net1c2 \(eth0 on net1, MTU 1450\) on hostB/);
  });
  it('isolated networks: exit status 3', () => assert.equal(run({ proto: 'icmp', src: 'net1c1', dst: 'net2c2' }).code, 3));
});
