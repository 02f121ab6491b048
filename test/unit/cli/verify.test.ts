/**
 * nflens verify without the kernel: its arguments (the same conversation
 * words as nflens trace), what it refuses before building anything, and
 * the reasons it gives on a machine that cannot run the lab — clear
 * sentences and exit status 2, never a stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseArgs } from '../../../server/src/cli/args';
import { planVerify, ROOT_HOW, runVerify } from '../../../server/src/cli/verify';
import type { MachineProbe } from '../../../server/src/verify/preconditions';

const root = join(__dirname, '..', '..', '..', '..');
const DIR = join(root, 'examples', 'docker-no-proxy');
const RULES = join(DIR, 'rules.v4');
const HOST = join(DIR, 'nflens-host.json');
const CLIENT = ['verify', RULES, '--host', HOST, '--proto', 'tcp', '--src', 'client', '--dst', '10.10.126.101:12580'];

function plan(argv: readonly string[]): ReturnType<typeof planVerify> {
  const a = parseArgs(argv);
  return planVerify({ rules: a.files[0]!, flags: a.flags }, () => undefined);
}

const machine = (over: Partial<MachineProbe>): MachineProbe => ({
  platform: 'linux', uid: 0, onPath: () => true, probeNamespace: () => undefined, ...over,
});

async function verify(argv: readonly string[], m: MachineProbe): Promise<{ code: number; out: string; err: string }> {
  const a = parseArgs(argv);
  let out = '';
  let err = '';
  const code = await runVerify({ rules: a.files[0]!, flags: a.flags }, (s) => (out += s), (s) => (err += s), m);
  return { code, out, err };
}

describe('nflens verify: arguments', () => {
  it('takes the conversation as nflens trace does: a named peer sends from its namespace', () => {
    const p = plan(CLIENT);
    assert.equal(p.format, 'text');
    assert.deepEqual(p.lab.step, { from: 'client', op: 'tcp', dst: '10.10.126.101', src: '10.10.126.187', dport: 12580 });
  });
  it('--local, --in with an address, --format json, icmp', () => {
    assert.deepEqual(plan([...CLIENT.slice(0, 6), '--local', '--dst', 'web:12580', '--format', 'json']).lab.step, { from: 'host', op: 'tcp', dst: '172.17.0.4', dport: 12580 });
    const p = plan(['verify', RULES, '--host', HOST, '--proto', 'icmp', '--src', '198.51.100.7', '--in', 'eth0', '--dst', 'web']);
    assert.deepEqual(p.lab.step, { from: '(source)', op: 'ping', dst: '172.17.0.4', src: '198.51.100.7' });
    assert.match(p.lab.notes.join(' '), /gives 198\.51\.100\.7 to the namespace behind eth0/);
  });
  for (const [why, argv, message] of [
    ['an unknown format', [...CLIENT, '--format', 'sarif'], /--format must be text or json/],
    ['the legacy backend', [...CLIENT, '--backend', 'legacy'], /iptables-nft-restore: --backend must be nft/],
    ['an overlay workspace', [...CLIENT, '--workspace', 'x.json'], /overlay workspaces/],
    ['a bad --assume', [...CLIENT, '--assume', 'maybe'], /--assume must be match or no-match/],
    ['a bad protocol', ['verify', RULES, '--host', HOST, '--proto', 'sctp', '--src', 'client', '--dst', 'web'], /--proto must be tcp, udp or icmp/],
    ['a name that is not in the description', ['verify', RULES, '--host', HOST, '--proto', 'tcp', '--src', 'nobody', '--dst', 'web:1'], /nor a peer of docker-no-proxy \(client, web, other\)/],
    ['no origin', ['verify', RULES, '--proto', 'tcp', '--src', '1.2.3.4', '--dst', '5.6.7.8:1'], /--in IFACE or --local/],
    ['an interface the description lacks', ['verify', RULES, '--host', HOST, '--proto', 'tcp', '--src', '1.2.3.4', '--in', 'eth9', '--dst', 'web:1'], /no interface "eth9"/],
    ['a bridge as the arrival interface', ['verify', RULES, '--host', HOST, '--proto', 'tcp', '--src', '172.17.0.9', '--in', 'docker0', '--dst', 'web:1'], /it is a bridge: name a container behind it as --src/],
    ['a local process with a foreign source', ['verify', RULES, '--host', HOST, '--proto', 'tcp', '--src', '1.2.3.4', '--local', '--dst', 'web:1'], /sends only from docker-no-proxy's own addresses/],
    ['a missing file', ['verify', join(DIR, 'nope.v4'), '--proto', 'tcp', '--local', '--dst', '1.2.3.4:1'], /ENOENT/],
  ] as const) {
    it(`refuses ${why}`, () => assert.throws(() => plan(argv), message));
  }

  describe('rules and hosts the lab cannot take', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nflens-verify-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    it('rules with load errors: the kernel would refuse them, so nothing runs', () => {
      const bad = join(dir, 'bad.v4');
      writeFileSync(bad, '*filter\n-A INPUT -j NOPE\nCOMMIT\n');
      assert.throws(() => plan(['verify', bad, '--proto', 'tcp', '--local', '--dst', '127.0.0.1:1']), /has load errors, so iptables-nft-restore would refuse it \(see nflens check/);
    });
    it('an interface name ip could read otherwise', () => {
      const host = join(dir, 'odd.json');
      writeFileSync(host, readFileSync(HOST, 'utf8').replace(/"eth0"/g, '"eth0.100"'));
      assert.throws(() => plan(['verify', RULES, '--host', host, '--proto', 'tcp', '--local', '--dst', '1.2.3.4:1']), /cannot build an interface named "eth0\.100"/);
    });
  });
});

describe('nflens verify: a machine that cannot run the lab', () => {
  it('not Linux: exit 2 and why', async () => {
    const r = await verify(CLIENT, machine({ platform: 'darwin' }));
    assert.equal(r.code, 2);
    assert.match(r.err, /^nflens verify: cannot build the lab: not Linux \(this is darwin\)/);
    assert.equal(r.out, '');
  });
  it('not root: says how to get it, and JSON names the need', async () => {
    const r = await verify([...CLIENT, '--format', 'json'], machine({ uid: 1000 }));
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(ROOT_HOW), r.err);
    const j = JSON.parse(r.out) as { error: string; need: string };
    assert.equal(j.need, 'root');
    assert.match(j.error, /not root .*throwaway VM/);
  });
  it('missing tools are named with their packages (ping only for icmp)', async () => {
    const missing = new Set(['xtables-monitor', 'nft', 'ping']);
    const r = await verify(CLIENT, machine({ onPath: (t) => !missing.has(t) }));
    assert.equal(r.code, 2);
    assert.match(r.err, /xtables-monitor, nft are not installed \(apt-get install iptables nftables\)/);
    const icmp = await verify(['verify', RULES, '--host', HOST, '--proto', 'icmp', '--src', 'client', '--dst', 'web'], machine({ onPath: (t) => t !== 'ping' }));
    assert.match(icmp.err, /ping is not installed \(apt-get install iputils-ping\)/);
  });
  it('no network namespaces (a container without CAP_SYS_ADMIN)', async () => {
    const r = await verify(CLIENT, machine({ probeNamespace: () => 'mount --make-shared /run/netns failed: Operation not permitted' }));
    assert.equal(r.code, 2);
    assert.match(r.err, /cannot create a network namespace: mount --make-shared/);
  });
  it('bad usage is said before the machine is looked at, and never as a stack trace', async () => {
    const r = await verify([...CLIENT, '--format', 'sarif'], machine({ platform: 'win32' }));
    assert.equal(r.code, 2);
    assert.equal(r.err, 'nflens verify: --format must be text or json (got "sarif")\n');
  });
});
