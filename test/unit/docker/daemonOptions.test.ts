/** Docker daemon options: every spelling dockerd takes, and what we say about them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeDaemonFile } from '../../../server/src/lang/docker/daemonFile';

const opts = (line: string, version?: string) => analyzeDaemonFile(`DOCKER_OPTS="${line}"\n`, { fileName: 'docker', ...(version ? { version } : {}) });
const settings = (line: string): string[] => opts(line).value.settings.map((s) => `${s.flag.name}=${s.value}`);
const codes = (r: ReturnType<typeof analyzeDaemonFile>): string[] => r.diagnostics.map((d) => `${d.severity}:${d.code}`);
/** The text a diagnostic points at, in DOCKER_OPTS="…" (line 0). */
const at = (line: string, r: ReturnType<typeof analyzeDaemonFile>, i = 0): string => {
  const d = r.diagnostics[i]!;
  return `DOCKER_OPTS="${line}"`.slice(d.span.start.col, d.span.end.col);
};

describe('daemon flag spellings', () => {
  const cases: Array<[string, string[]]> = [
    ['--bip=10.1.0.1/16', ['bip=10.1.0.1/16']],
    ['--bip 10.1.0.1/16', ['bip=10.1.0.1/16']],
    ['-b=br0', ['bridge=br0']],
    ['-b br0', ['bridge=br0']],
    ['--bridge=none', ['bridge=none']],
    ['--icc=false --iptables', ['icc=false', 'iptables=true']],
    ['--ip-masq=0 --ip-forward=True', ['ip-masq=false', 'ip-forward=true']],
    ['--dns 8.8.8.8 --dns=8.8.4.4', ['dns=8.8.8.8', 'dns=8.8.4.4']],
    ['-H unix:///var/run/docker.sock -H=tcp://127.0.0.1:2375', ['host=unix:///var/run/docker.sock', 'host=tcp://127.0.0.1:2375']],
    ['--host=fd://', ['host=fd://']],
    ['-D -l debug', ['debug=true', 'log-level=debug']],
  ];
  for (const [line, want] of cases) it(line, () => assert.deepEqual(settings(line), want));

  it('a boolean with its value as a separate word: the value is an argument and dockerd refuses to start', () => {
    const r = opts('--icc false');
    assert.deepEqual(codes(r), ['error:daemon-argument']);
    assert.match(r.diagnostics[0]!.message, /write --icc=false/);
    assert.equal(at('--icc false', r), 'false');
  });
  it('the deprecated single-dash long form (1.9–1.12 accept it, 1.13+ refuse)', () => {
    const r = opts('-iptables=false');
    assert.deepEqual(codes(r), ['warning:deprecated-daemon-flag']);
    assert.deepEqual(codes(opts('-iptables=false', '17.03')), ['error:unknown-daemon-flag']);
    assert.deepEqual(codes(opts('-iptables=false', '1.9')), ['info:deprecated-daemon-flag']);
    assert.deepEqual(codes(opts('-fixed-cidr=10.0.0.0/24', '1.9')), ['error:unknown-daemon-flag'], 'only some flags had the dash alias');
  });
  it('an unknown flag, with the likely intended one', () => {
    const line = '--exec-root/var/run/docker';
    const r = opts(line);
    assert.deepEqual(codes(r), ['error:unknown-daemon-flag']);
    assert.match(r.diagnostics[0]!.message, /Did you mean --exec-root=\/var\/run\/docker\?/);
    assert.equal(at(line, r), line);
  });
  it('a value flag at the end without its value', () => assert.deepEqual(codes(opts('--bip')), ['error:missing-daemon-value']));
  it('removed flags for the version targeted', () => {
    assert.deepEqual(codes(opts('--cluster-store=consul://kv:8500 --cluster-advertise=eth1:2376', '24.0')), ['error:removed-daemon-flag', 'error:removed-daemon-flag']);
    assert.deepEqual(codes(opts('--cluster-store=consul://kv:8500 --cluster-advertise=eth1:2376', '1.9')), []);
    assert.deepEqual(codes(opts('--userland-proxy-path=/usr/bin/docker-proxy', '1.12')), ['error:removed-daemon-flag']);
  });
});

describe('daemon option values and contradictions', () => {
  const cases: Array<[line: string, want: string[], points?: string]> = [
    ['--bip=10.1.0.1/16 --fixed-cidr=10.1.2.0/24 --default-gateway=10.1.0.254 --mtu=1450', []],
    ['--bip=10.1.0.1', ['error:bad-daemon-value'], '10.1.0.1'],
    ['--bip=10.1.0.0/16', ['warning:bad-daemon-value'], '10.1.0.0/16'],
    ['--bip=10.1.300.1/16', ['error:bad-daemon-value']],
    ['--fixed-cidr=10.1.2.0', ['error:bad-daemon-value']],
    ['--bip=10.1.0.1/16 --fixed-cidr=10.2.0.0/24', ['error:daemon-conflict'], '10.2.0.0/24'],
    ['--bip=10.1.0.1/24 --fixed-cidr=10.1.0.0/16', ['error:daemon-conflict']],
    ['--bip=10.1.0.1/16 --default-gateway=10.9.0.1', ['error:daemon-conflict'], '10.9.0.1'],
    ['-b br0 --bip=10.1.0.1/16', ['error:daemon-conflict'], '--bip=10.1.0.1/16'],
    ['--iptables=false --icc=false', ['error:daemon-conflict'], '--icc=false'],
    ['--iptables=false --ip-masq=true', ['warning:daemon-conflict']],
    ['--cluster-store=etcd://kv:2379', ['warning:daemon-conflict']],
    ['--cluster-advertise=eth0:2376', ['error:daemon-conflict']],
    ['--cluster-store=kv:2379 --cluster-advertise=eth0:2376', ['error:bad-daemon-value']],
    ['--mtu=70000', ['error:bad-daemon-value']],
    ['--mtu=0', []],
    ['--mtu=abc', ['error:bad-daemon-value']],
    ['--ip=0.0.0.0 --dns 8.8.8.8', []],
    ['--ip=localhost', ['error:bad-daemon-value']],
    ['--bip=10.1.0.1/16 --bip=10.2.0.1/16', ['warning:repeated-daemon-flag']],
    ['--default-address-pool base=10.10.0.0/16,size=24', []],
    ['--default-address-pool size=24', ['error:bad-daemon-value']],
  ];
  for (const [line, want, points] of cases) {
    it(`${line} → ${want.join(', ') || 'fine'}`, () => {
      const r = opts(line);
      assert.deepEqual(codes(r), want);
      if (points) assert.equal(at(line, r), points);
    });
  }
});

describe('the remote API socket', () => {
  const cases: Array<[line: string, want: string[]]> = [
    ['-H tcp://0.0.0.0:2375', ['error:insecure-daemon-socket']],
    ['-H 0.0.0.0:2375', ['error:insecure-daemon-socket']],
    ['--host=tcp://10.0.0.5:4243 -H unix:///var/run/docker.sock', ['error:insecure-daemon-socket']],
    ['-H tcp://127.0.0.1:2375', ['warning:insecure-daemon-socket']],
    ['-H tcp://0.0.0.0:2376 --tls --tlscert=c --tlskey=k', ['warning:insecure-daemon-socket']],
    ['-H tcp://0.0.0.0:2376 --tlsverify --tlscacert=ca --tlscert=c --tlskey=k', []],
    ['-H unix:///var/run/docker.sock -H fd://', []],
  ];
  for (const [line, want] of cases) it(line, () => assert.deepEqual(codes(opts(line)), want));
  it('says who can reach it and what they get', () => {
    assert.match(opts('-H tcp://0.0.0.0:2375').diagnostics[0]!.message, /every interface of this host.*become root on this host/);
  });
});

describe('option files', () => {
  it('DOCKER_OPTS built over several assignments, with $DOCKER_OPTS', () => {
    const r = analyzeDaemonFile('DOCKER_OPTS="--dns 8.8.8.8"\n# more\nDOCKER_OPTS="$DOCKER_OPTS --mtu=1450"\n', { fileName: 'docker' });
    assert.deepEqual(r.value.settings.map((s) => `${s.flag.name}=${s.value}@${s.span.start.line}`), ['dns=8.8.8.8@0', 'mtu=1450@2']);
  });
  it('a value from the environment is not judged', () => {
    const r = analyzeDaemonFile('OPTIONS="--bip=${FLANNEL_RANGE} --mtu=1472"\n', { fileName: 'docker' });
    assert.deepEqual(codes(r), []);
    assert.equal(r.value.settings[0]!.unknown, true);
  });
  it('single quotes, escapes, continuation lines and shell lines that are not assignments', () => {
    const text = "if [ -z \"$X\" ]; then\n  X=1\nfi\nOPTIONS='--selinux-enabled \\\n --log-driver=journald'\nother_args=\"--icc=false\"\n";
    assert.deepEqual(analyzeDaemonFile(text, { fileName: 'docker' }).value.settings.map((s) => s.flag.name), ['selinux-enabled', 'log-driver', 'icc']);
  });
  it('Windows line ends: read as systemd reads them, with one warning at the first and a fix that removes every "\\r"', () => {
    const text = 'DOCKER_OPTS="--dns 8.8.8.8"\r\n# more\r\nDOCKER_OPTS="$DOCKER_OPTS --mtu=1450"\r\n';
    const r = analyzeDaemonFile(text, { fileName: 'docker' });
    assert.deepEqual(r.value.settings.map((s) => `${s.flag.name}=${s.value}`), ['dns=8.8.8.8', 'mtu=1450']);
    assert.deepEqual(codes(r), ['warning:crlf-line-ends']);
    const d = r.diagnostics[0]!;
    assert.deepEqual([d.span.start.line, d.span.start.col, d.span.end.col], [0, 27, 28]);
    assert.match(d.message, /sources it .* keeps each line's "\\r"/);
    assert.deepEqual(d.fixes![0]!.edits.map((e) => [e.span.start.line, e.span.start.col, e.newText]), [[0, 27, ''], [1, 6, ''], [2, 37, '']]);
    // LF line ends: nothing to say.
    assert.deepEqual(codes(analyzeDaemonFile(text.replace(/\r\n/g, '\n'), { fileName: 'docker' })), []);
  });
  it('an unterminated quote is reported where it starts', () => {
    const r = analyzeDaemonFile('DOCKER_OPTS="--dns 8.8.8.8\n', { fileName: 'docker' });
    assert.deepEqual(codes(r), ['error:unterminated-quote']);
    assert.equal(r.diagnostics[0]!.span.start.col, 12);
  });
});

describe('systemd units and drop-ins', () => {
  it('dockerd: the last ExecStart after a reset', () => {
    const r = analyzeDaemonFile('[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// \\\n  --bip=10.9.0.1/24 --icc=false\n', { fileName: 'override.conf' });
    assert.equal(r.value.entry, 'dockerd');
    assert.deepEqual(r.value.settings.map((s) => `${s.flag.name}=${s.value}`), ['host=fd://', 'bip=10.9.0.1/24', 'icc=false']);
  });
  it('docker daemon (1.9–1.12) and docker -d (before 1.10) imply the version and its flag syntax', () => {
    const d = analyzeDaemonFile('[Service]\nExecStart=/usr/bin/docker daemon -H fd:// -iptables=false\n', { fileName: 'docker.service' });
    assert.deepEqual([d.value.entry, d.value.version, d.value.era], ['docker daemon', '1.12', 'mflag']);
    assert.deepEqual(codes(d), ['info:deprecated-daemon-flag']);
    const old = analyzeDaemonFile('[Service]\nExecStart=/usr/bin/docker -d --cluster-store=consul://kv:8500 --cluster-advertise=eth0:2376\n', { fileName: 'docker.service' });
    assert.deepEqual([old.value.entry, old.value.version], ['docker -d', '1.9']);
    assert.deepEqual(codes(old), []);
  });
  it('$OPTIONS from an EnvironmentFile is not judged', () => {
    assert.deepEqual(codes(analyzeDaemonFile('[Service]\nExecStart=/usr/bin/dockerd $OPTIONS $DOCKER_NETWORK_OPTIONS\n', { fileName: 'docker.service' })), []);
  });
});

describe('daemon.json', () => {
  it('keys are the long flag names (hosts, dns as arrays)', () => {
    const r = analyzeDaemonFile('{ "bip": "10.5.0.1/24", "hosts": ["unix:///var/run/docker.sock"], "iptables": true, "mtu": 1400, "dns": ["1.1.1.1"] }', { fileName: 'daemon.json' });
    assert.deepEqual(r.value.settings.map((s) => `${s.flag.name}=${s.value}`), ['bip=10.5.0.1/24', 'host=unix:///var/run/docker.sock', 'iptables=true', 'mtu=1400', 'dns=1.1.1.1']);
    assert.deepEqual(codes(r), []);
  });
  it('an unknown key and wrong types make dockerd refuse to start', () => {
    const r = analyzeDaemonFile('{ "bipp": "10.5.0.1/24", "iptables": "false", "hosts": "tcp://0.0.0.0:2375" }', { fileName: 'daemon.json' });
    assert.deepEqual(codes(r), ['error:bad-daemon-json', 'error:bad-daemon-json', 'error:unknown-daemon-flag']);
  });
  it('the same checks as the command line', () => {
    const r = analyzeDaemonFile('{ "bip": "10.5.0.1/24", "fixed-cidr": "10.6.0.0/24", "hosts": ["tcp://0.0.0.0:2375"] }', { fileName: 'daemon.json' });
    assert.deepEqual(codes(r).sort(), ['error:daemon-conflict', 'error:insecure-daemon-socket']);
  });
  it('a syntax error is reported, not thrown', () => {
    assert.ok(analyzeDaemonFile('{ "bip": ', { fileName: 'daemon.json' }).diagnostics.some((d) => d.severity === 'error'));
  });
});
