/**
 * nflens check on rules files the one-pass clean proof accepts: above the
 * size that gets reachability findings it answers from the proof alone, but
 * still builds the model when Docker's published ports or the host's daemon
 * options need it. Each answer is compared with the full analysis's.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { proveClean } from '../../../server/src/lang/iptables/cleanProof';
import { analyzeIptables } from '../../../server/src/lang/iptables/analyze';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

const root = join(__dirname, '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'nflens-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One per diagnostic (the JSON format). */
interface Found {
  file: string;
  code: string;
  message: string;
}

function check(...files: string[]): { status: number | null; found: Found[] } {
  const r = spawnSync(process.execPath, [join(root, 'server', 'out', 'nflens.js'), 'check', '--format', 'json', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, found: JSON.parse(r.stdout) as Found[] };
}

// 2,000 services: 34,012 rules, above the 25,000 up to which check adds reachability findings.
const kube = kubeProxyDump({ services: 2000, endpoints: 5 });

/** The dump with Docker's DNAT chain, entered only from OUTPUT (docker-proxy takes external clients). */
function withDocker(text: string): string {
  const lines = text.split('\n');
  const nat = lines.indexOf('*nat');
  lines.splice(nat + 1, 0, ':DOCKER - [0:0]');
  const commit = lines.indexOf('COMMIT', nat);
  lines.splice(commit, 0, '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER', '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80');
  return lines.join('\n');
}

describe('nflens check with a clean proof', () => {
  it('a small clean file still gets the reachability findings', () => {
    const text = ['*filter', ':INPUT DROP [0:0]', '-A INPUT -s 10.0.0.0/8 -j ACCEPT', '-A INPUT -s 10.1.0.0/16 -j ACCEPT', 'COMMIT', ''].join('\n');
    assert.ok(proveClean(text));
    const f = join(dir, 'small.rules');
    writeFileSync(f, text);
    assert.deepEqual(check(f).found.map((d) => d.code), ['unreachable-rule']);
  });

  it('a large clean dump: no diagnostics, exit 0', () => {
    const f = join(dir, 'kube.rules');
    writeFileSync(f, kube);
    assert.ok(proveClean(kube));
    const r = check(f);
    assert.equal(r.status, 0);
    assert.deepEqual(r.found, []);
  });

  it("a large dump with kube-proxy's canary chain: the proof's own lint, as the full analysis words it", () => {
    const lines = kube.split('\n');
    lines.splice(lines.indexOf('*nat') + 1, 0, ':KUBE-PROXY-CANARY - [0:0]');
    const text = lines.join('\n');
    const proof = proveClean(text);
    assert.deepEqual(proof?.diagnostics.map((d) => d.code), ['unused-chain']);
    const f = join(dir, 'kube-canary.rules');
    writeFileSync(f, text);
    const r = check(f);
    assert.equal(r.status, 0);
    const full = analyzeIptables(text, { backend: 'nft', family: 'ipv4' }).diagnostics;
    assert.deepEqual(r.found.map((d) => [d.file, d.code, d.message]), full.map((d) => [f, d.code, d.message]));
  });

  it("a large clean dump with Docker's DNAT chain: the published-port finding needs the model, and gets it", () => {
    const text = withDocker(kube);
    assert.ok(proveClean(text), 'the proof takes the Docker rules');
    const f = join(dir, 'kube-docker.rules');
    writeFileSync(f, text);
    const r = check(f);
    assert.deepEqual(r.found.map((d) => [d.file, d.code]), [[f, 'docker-dnat-unreached']]);
  });

  it("next to the host's daemon options: their cross-check needs the model where the rules have Docker's chains, and gets it", () => {
    const host = join(dir, 'host');
    mkdirSync(host);
    const rules = join(host, 'rules.v4');
    const daemon = join(host, 'daemon.json');
    writeFileSync(daemon, '{ "userland-proxy": false }\n');
    writeFileSync(rules, withDocker(kube));
    const r = check(rules, daemon);
    assert.deepEqual(r.found.map((d) => [d.file, d.code]).sort(), [[daemon, 'daemon-vs-rules'], [rules, 'docker-dnat-unreached']]);
    // Without Docker's chains the options have nothing to contradict.
    writeFileSync(rules, kube);
    assert.deepEqual(check(rules, daemon).found, []);
  });
});
