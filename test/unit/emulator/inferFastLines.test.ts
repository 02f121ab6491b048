/**
 * The host inferred from a ruleset does not depend on how its rule lines were
 * read: parsed with the fast path (whose lines' models come from the fast
 * reader, and whose lines without an interface or a DNAT / MASQUERADE target
 * are not read at all) or all by the full parser, inferHost gives the same host;
 * and so does inferring it right after the emulator's compile, which keeps the
 * hints of the rules it reads (so that inferHost reads no model again).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { inferHost } from '../../../server/src/emulator/index';
import { hintChainsRead } from '../../../server/src/emulator/host/infer';
import { ruleEdit } from '../../helpers/reachEdits';
import { rng } from '../../helpers/netlab/traceGenerator';
import { compileRuleset } from '../../../server/src/emulator/compile';
import { fastModelsRead } from '../../../server/src/lang/iptables/ruleModels';
import type { Family } from '../../../server/src/lang/iptables/inet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { corpusFiles } from '../../helpers/corpus';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateFile } from '../../helpers/restoreGenerator';

const root = join(__dirname, '..', '..', '..', '..');

function sameHost(text: string, family: Family, what: string): void {
  const host = (fastRules: boolean) => inferHost(parseIptables(text, { family, backend: 'nft', fastRules }).ruleset, { ifaces: ['eth0'] });
  assert.deepEqual(host(true), host(false), what);
  const rs = parseIptables(text, { family, backend: 'nft' }).ruleset;
  compileRuleset(rs).tables.forEach((tb) => tb.chains.forEach((c) => c.rules));
  assert.deepEqual(inferHost(rs, { ifaces: ['eth0'] }), host(false), `${what}: after a compile`);
}

function exampleRules(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...exampleRules(p));
    else if (/^rules\.v4$|\.rules$|iptables/.test(name)) out.push(p);
  }
  return out;
}

describe('inferHost: the same host whichever way rule lines were read', () => {
  it('the examples (Docker hosts with and without the userland proxy, overlay, mistakes)', () => {
    const files = exampleRules(join(root, 'examples'));
    assert.ok(files.length >= 5, files.join(' '));
    for (const f of files) sameHost(readFileSync(f, 'utf8'), 'ipv4', f);
  });

  it('Docker-style rules: bridges from MASQUERADE, host addresses from INPUT, published ports from DNAT', () => {
    const text = [
      '*nat', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER - [0:0]',
      '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
      '-A POSTROUTING -s 172.18.0.0/16 ! -o br-0a1b2c3d4e5f -j MASQUERADE',
      '-A POSTROUTING\t-s 172.19.0.0/16 ! -o\tdocker_gwbridge -j MASQUERADE',
      '-A DOCKER ! -i br-0a1b2c3d4e5f -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80',
      '-A DOCKER -d 192.0.2.10/32 ! -i docker0 -p udp -m udp --dport 53 -j DNAT --to-destination 172.17.0.3:53',
      'COMMIT',
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A INPUT -d 198.51.100.7/32 -i ens3 -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A FORWARD -o wg+ -j ACCEPT',
      'COMMIT', '',
    ].join('\n');
    sameHost(text, 'ipv4', 'docker-style rules');
    const host = inferHost(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset);
    // The hints were found on the fast path too (not two empty hosts compared).
    for (const n of ['br-0a1b2c3d4e5f', 'docker_gwbridge', 'docker0', 'ens3']) assert.ok(host.ifaces.has(n), n);
    assert.equal(host.listeners.length, 2);
  });

  it('after a compile, inferHost reads no rule model again (the compile kept their hints)', () => {
    const rs = parseIptables(kubeProxyDump({ services: 30, endpoints: 3 }), { family: 'ipv4', backend: 'nft' }).ruleset;
    let before = fastModelsRead();
    inferHost(parseIptables(kubeProxyDump({ services: 30, endpoints: 3 }), { family: 'ipv4', backend: 'nft' }).ruleset);
    // Without a compile first: every DNAT rule (90) is read.
    assert.ok(fastModelsRead() - before >= 90, `${fastModelsRead() - before}`);
    compileRuleset(rs).tables.forEach((tb) => tb.chains.forEach((c) => c.rules));
    before = fastModelsRead();
    const host = inferHost(rs);
    assert.equal(fastModelsRead() - before, 0);
    assert.ok(host.peers.length === 0 && host.ifaces.size > 1, 'the hints were read from the compile');
  });

  it('after an edit, the host of the reparse is a fresh parse\'s, and only the chains the reparse made anew are read', () => {
    // A Docker host's published port moved: the reparse splices the nat table (the edited chain and the built-in ones are new).
    const docker = readFileSync(join(root, 'examples', 'docker-host', 'rules.v4'), 'utf8').split('\n');
    let parsed = parseIptables(docker.join('\n'), { family: 'ipv4', backend: 'nft' });
    const forwardedTo = (h: ReturnType<typeof inferHost>): unknown => h.listeners.map((l) => l.forwardTo?.port);
    assert.deepEqual(forwardedTo(inferHost(parsed.ruleset)), [12580]);
    const at = docker.findIndex((l) => l.includes('--to-destination 172.17.0.4:12580'));
    docker[at] = docker[at]!.replace('172.17.0.4:12580', '172.17.0.4:9999');
    let text = docker.join('\n');
    parsed = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
    const host = inferHost(parsed.ruleset);
    assert.deepEqual(forwardedTo(host), [9999], 'the edited DNAT is read again');
    assert.deepEqual(host, inferHost(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset));
    // A kube dump: only the chains the reparse made anew are read.
    const lines = kubeProxyDump({ services: 40, endpoints: 3 }).split('\n');
    parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    inferHost(parsed.ruleset);
    const chains = [...parsed.ruleset.tables.values()].reduce((n, tb) => n + tb.chains.size, 0);
    const dnat = lines.findIndex((l) => l.includes('--to-destination'));
    lines[dnat] = lines[dnat]!.replace(/:(\d+)$/, ':9999');
    text = lines.join('\n');
    parsed = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
    const before = hintChainsRead();
    const reparsed = inferHost(parsed.ruleset);
    // The edited chain and nat's four built-in chains.
    assert.ok(hintChainsRead() - before <= 5 && chains > 150, `${hintChainsRead() - before} of ${chains} chains read`);
    assert.deepEqual(reparsed, inferHost(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset));
    // Random edits of rule lines (changed, deleted, added), each reparse handed the one before.
    const r = rng(4242);
    for (let k = 0; k < 30; k++) {
      const what = ruleEdit(lines, r);
      text = lines.join('\n');
      parsed = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
      assert.deepEqual(inferHost(parsed.ruleset), inferHost(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset), what);
    }
  });

  it('a kube-proxy-style dump', () => {
    sameHost(kubeProxyDump({ services: 40, endpoints: 3 }), 'ipv4', 'kube dump');
  });

  it('300 generated files of the restore differential', () => {
    for (let i = 0; i < 300; i++) {
      const f = generateFile(515151, i);
      sameHost(f.text, f.family, `generated file #${i}`);
    }
  });

  for (const file of corpusFiles('iptables')) {
    it(`corpus: ${basename(file)}`, () => {
      sameHost(readFileSync(file, 'utf8'), /ip6tables|\.v6$/.test(basename(file)) ? 'ipv6' : 'ipv4', basename(file));
    });
  }
});
