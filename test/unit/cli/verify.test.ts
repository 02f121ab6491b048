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
import { planOverlayVerify, planVerify, ROOT_HOW, runVerify } from '../../../server/src/cli/verify';
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
    ['a rules file with --workspace (each host names its own)', [...CLIENT, '--workspace', 'x.json'], /--workspace takes the place of the rules file/],
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

describe('nflens verify: docker-proxy\'s second leg', () => {
  const PROXY_DIR = join(root, 'examples', 'docker-host');
  const proxied = ['verify', join(PROXY_DIR, 'rules.v4'), '--host', join(PROXY_DIR, 'nflens-host.json'), '--proto', 'tcp'];
  it('a container to the host\'s published port ("! -i docker0" skips the DNAT): docker-proxy takes it, and its own connection from the bridge address follows', () => {
    const p = plan([...proxied, '--src', 'other', '--dst', '10.10.126.101:12580']);
    assert.deepEqual(p.lab.step, { from: 'other', op: 'tcp', dst: '10.10.126.101', src: '172.17.0.2', dport: 12580 });
    assert.deepEqual(p.leg?.step, { from: 'host', op: 'tcp', dst: '172.17.0.4', dport: 12580, src: '172.17.0.1' });
    assert.equal(p.leg?.title, 'docker-proxy → 172.17.0.4:12580');
    assert.match(p.lab.notes.join(' '), /docker-proxy's own connection .* from 172\.17\.0\.1/);
  });
  it('an external client is DNATed in PREROUTING straight to the container: no second leg', () => {
    assert.equal(plan([...proxied, '--src', 'client', '--dst', '10.10.126.101:12580']).leg, undefined);
  });
  it('udp to a published tcp port: no proxy, no second leg', () => {
    assert.equal(plan(['verify', join(PROXY_DIR, 'rules.v4'), '--host', join(PROXY_DIR, 'nflens-host.json'), '--proto', 'udp', '--src', 'other', '--dst', '10.10.126.101:12580']).leg, undefined);
  });
});

describe('nflens verify --workspace: arguments', () => {
  const WS = join(root, 'examples', 'overlay', 'nflens-workspace.json');
  const overlay = (argv: readonly string[]): ReturnType<typeof planOverlayVerify> => planOverlayVerify(parseArgs(argv).flags, () => undefined);
  it('two containers of net1 on hostA and hostB: every host\'s rules, the network\'s containers, the destination listening', () => {
    const p = overlay(['verify', '--workspace', WS, '--proto', 'tcp', '--src', 'net1c1', '--dst', 'net1c2:8080', '--format', 'json']);
    assert.equal(p.format, 'json');
    assert.deepEqual([...p.rules.keys()], ['hostA', 'hostB']);
    assert.equal(p.rules.get('hostB')!.file, join(root, 'examples', 'overlay', 'hostB.rules'));
    assert.deepEqual(p.lab.traffic, { op: 'tcp', dst: '10.0.0.5', dport: 8080 });
    assert.deepEqual(p.lab.spec, { proto: 'tcp', src: 'net1c1', dst: 'net1c2', dport: 8080 });
    assert.deepEqual([...p.lab.listen], [['net1c2', [{ proto: 'tcp', port: 8080 }]]]);
    assert.deepEqual(p.lab.labWorkspace.containers.map((c) => c.name), ['net1c1', 'net1c2'], 'only net1 is built');
    assert.deepEqual(p.lab.labWorkspace.hosts.map((h) => h.name), ['hostA', 'hostB']);
  });
  it('icmp, and a destination given as an address of the source\'s network', () => {
    const p = overlay(['verify', '--workspace', WS, '--proto', 'icmp', '--src', 'net1c1', '--dst', '10.0.0.5']);
    assert.deepEqual(p.lab.traffic, { op: 'ping', dst: '10.0.0.5' });
    assert.equal(p.lab.to.name, 'net1c2');
    assert.equal(p.lab.listen.size, 0);
  });
  for (const [why, argv, message] of [
    ['a destination outside the overlay (the way out by docker_gwbridge)', ['--src', 'net1c1', '--dst', 'hostB'], /not the way out by docker_gwbridge/],
    ['an address outside the overlay subnet', ['--src', 'net1c1', '--dst', '8.8.8.8:53'], /docker_gwbridge/],
    ['containers that share no network', ['--src', 'net1c1', '--dst', 'net2c2'], /share no network/],
    ['a source that is no container', ['--src', 'hostA', '--dst', 'net1c2'], /--src names a container of the workspace \(net1c1, net1c2, net2c1, net2c2\)/],
    ['--host beside --workspace', ['--src', 'net1c1', '--dst', 'net1c2', '--host', HOST], /--host is for one host/],
    ['--in beside --workspace', ['--src', 'net1c1', '--dst', 'net1c2', '--in', 'eth0'], /--in is for one host/],
    ['the legacy backend', ['--src', 'net1c1', '--dst', 'net1c2', '--backend', 'legacy'], /--backend must be nft/],
  ] as const) {
    it(`refuses ${why}`, () => assert.throws(() => overlay(['verify', '--workspace', WS, '--proto', 'icmp', ...argv]), message));
  }
  it('a host\'s rules with load errors are refused, naming the host', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nflens-verify-ws-'));
    try {
      for (const f of ['nflens-workspace.json', 'hostA.rules']) writeFileSync(join(dir, f), readFileSync(join(root, 'examples', 'overlay', f), 'utf8'));
      writeFileSync(join(dir, 'hostB.rules'), '*filter\n-A INPUT -j NOPE\nCOMMIT\n');
      assert.throws(() => overlay(['verify', '--workspace', join(dir, 'nflens-workspace.json'), '--proto', 'icmp', '--src', 'net1c1', '--dst', 'net1c2']), /hostB\.rules \(hostB\) has load errors/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('not root: exit 2 with the reason, as for one host', async () => {
    const a = parseArgs(['verify', '--workspace', WS, '--proto', 'icmp', '--src', 'net1c1', '--dst', 'net1c2', '--format', 'json']);
    let out = '';
    let err = '';
    const code = await runVerify({ rules: '', flags: a.flags }, (s) => (out += s), (s) => (err += s), machine({ uid: 1000 }));
    assert.equal(code, 2);
    assert.ok(err.includes(ROOT_HOW), err);
    assert.equal((JSON.parse(out) as { need: string }).need, 'root');
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
