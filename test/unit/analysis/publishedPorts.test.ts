/** Docker's published-port DNAT rules that connections from other hosts never reach (state (b) of the classic host). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chainEntries } from '../../../server/src/analysis/chainEntries';
import { proxyServes, publishedPortFindings } from '../../../server/src/analysis/publishedPorts';
import { analyzeDaemonFile } from '../../../server/src/lang/docker/daemonFile';
import { userlandProxyOf } from '../../../server/src/lang/docker/crossChecks';
import type { TextEdit } from '../../../server/src/lang/diagnostic';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { runTrace } from '../../../server/src/cli/trace';

const root = join(__dirname, '..', '..', '..', '..');
const read = (p: string): string => readFileSync(join(root, 'examples', p), 'utf8');
const parse = (text: string) => parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
const A = read('docker-host/rules.v4');
const B = read('docker-host-flushed/rules.v4');
const C = read('docker-no-proxy/rules.v4');

function apply(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  for (const e of [...edits].reverse()) {
    const line = lines[e.span.start.line]!;
    lines[e.span.start.line] = line.slice(0, e.span.start.col) + e.newText + line.slice(e.span.end.col);
  }
  return lines.join('\n');
}

describe('published-port DNAT rules out of reach', () => {
  it('(a) Docker\'s own rules: no finding', () => {
    assert.deepEqual(publishedPortFindings(parse(A)), []);
  });

  it('(b) no PREROUTING jump: a warning on the DNAT target naming the proxy, the bridge address and the OUTPUT jump', () => {
    assert.ok(!B.includes('\n-A PREROUTING -m addrtype'), 'the fixture lacks the jump');
    const [f, ...rest] = publishedPortFindings(parse(B));
    assert.equal(rest.length, 0);
    assert.equal(f!.code, 'docker-dnat-unreached');
    const dnatLine = B.split('\n').findIndex((l) => l.includes('-j DNAT'));
    assert.equal(f!.span.start.line, dnatLine);
    assert.equal(B.split('\n')[dnatLine]!.slice(f!.span.start.col, f!.span.end.col), '-j DNAT --to-destination 172.17.0.4:12580');
    assert.match(f!.message, /tcp\/12580/);
    assert.match(f!.message, /docker-proxy/);
    assert.match(f!.message, /container sees 172\.17\.0\.1, never the clients' addresses/);
    const outputJump = B.split('\n').findIndex((l) => l.startsWith('-A OUTPUT') && l.includes('-j DOCKER'));
    assert.deepEqual(f!.related!.map((r) => r.span.start.line), [outputJump]);
  });

  it('its quick fix restores the jump, after which the rule is reached', () => {
    const [f] = publishedPortFindings(parse(B));
    const fixed = apply(B, f!.fixes![0]!.edits);
    assert.match(fixed, /\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A OUTPUT/);
    assert.deepEqual(publishedPortFindings(parse(fixed)), []);
  });

  it('with the proxy off (from the daemon options) the message says nothing accepts the connections', () => {
    const d = analyzeDaemonFile('DOCKER_OPTS="--userland-proxy=false"\n', { fileName: 'docker', version: '' }).value;
    const proxy = userlandProxyOf(d, 'default/docker');
    assert.equal(proxy.on, false);
    const [f] = publishedPortFindings(parse(B), proxy);
    assert.match(f!.message, /nothing accepts their connections to tcp\/12580/);
    assert.ok(f!.related!.some((r) => r.message === 'default/docker: --userland-proxy=false'));
  });

  it('the bridge address comes from Docker\'s MASQUERADE rule for a --bip subnet', () => {
    const custom = B.replace('-s 172.17.0.0/16 ! -o docker0', '-s 10.9.0.0/24 ! -o docker0');
    assert.match(publishedPortFindings(parse(custom))[0]!.message, /from 10\.9\.0\.1: the container sees 10\.9\.0\.1/);
  });

  it('no jump to DOCKER at all: no packet reaches the rule', () => {
    const none = B.replace(/^-A OUTPUT .*-j DOCKER\n/m, '');
    const [f] = publishedPortFindings(parse(none));
    assert.match(f!.message, /^No packet reaches this DNAT rule/);
  });
});

describe('hover on a published-port DNAT rule: what docker-proxy takes instead', () => {
  const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle));
  const off = userlandProxyOf(analyzeDaemonFile('DOCKER_OPTS="--userland-proxy=false"\n', { fileName: 'docker', version: '' }).value, 'default/docker');

  it('Docker\'s own rules with the proxy on: the host\'s connections to 127.0.0.0/8 and the containers\' on docker0', () => {
    const note = proxyServes(parse(A), lineOf(A, '-j DNAT'));
    const jump = lineOf(A, '-A OUTPUT ! -d 127.0.0.0/8') + 1;
    assert.equal(note, `docker-proxy takes this host's own connections to 127.0.0.1 (or any 127.0.0.0/8 address) port 12580 (the jump from OUTPUT at line ${jump} leaves out 127.0.0.0/8), and connections from containers on docker0 (its \`! -i docker0\`): they never get here. It accepts them on port 12580 and opens its own connection to 172.17.0.4:12580 from 172.17.0.1, so the container sees 172.17.0.1, not the client.`);
  });

  it('Docker\'s rules with the proxy off (hairpin mode): every connection to the port gets there, nothing to add', () => {
    assert.equal(proxyServes(parse(C), lineOf(C, '-j DNAT'), off), undefined);
  });

  it('the proxy off under rules written for it: those connections find nothing', () => {
    assert.match(proxyServes(parse(A), lineOf(A, '-j DNAT'), off)!, /^With the userland proxy off, this host's own connections to 127\.0\.0\.1 .* never get here, and nothing accepts them/);
  });

  it('published on one host address: the loopback part only when that address is a loopback one', () => {
    const onHost = A.replace('-A DOCKER ! -i docker0 -p tcp', '-A DOCKER -d 10.10.126.101/32 ! -i docker0 -p tcp');
    const note = proxyServes(parse(onHost), lineOf(onHost, '-j DNAT'))!;
    assert.doesNotMatch(note, /127\.0\.0/);
    assert.match(note, /^docker-proxy takes connections from containers on docker0/);
    const onLoopback = A.replace('-A DOCKER ! -i docker0 -p tcp', '-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp');
    assert.match(proxyServes(parse(onLoopback), lineOf(onLoopback, '-j DNAT'))!, /^docker-proxy takes this host's own connections to 127\.0\.0\.1 port 12580 \(the jump from OUTPUT/);
  });

  it('no jump to DOCKER from OUTPUT: all of this host\'s own connections', () => {
    const noOutput = A.replace(/^-A OUTPUT .*-j DOCKER\n/m, '');
    assert.match(proxyServes(parse(noOutput), lineOf(noOutput, '-j DNAT'))!, /this host's own connections to its addresses port 12580 \(nat OUTPUT does not jump to DOCKER\)/);
  });

  it('what it says is what the emulator does with those connections on the example host', () => {
    const firstPacket = (flags: Record<string, string>): string => {
      let out = '';
      runTrace({ rules: join(root, 'examples', 'docker-host', 'rules.v4'), flags: new Map(Object.entries({ host: join(root, 'examples', 'docker-host', 'nflens-host.json'), proto: 'tcp', ...flags })) }, (t) => (out += t), () => undefined);
      return out.split('\nPacket 2')[0]!;
    };
    // The hover's two kinds: never at the DNAT rule, delivered to docker-proxy.
    const proxied: Array<Record<string, string>> = [{ src: '127.0.0.1', dst: '127.0.0.1:12580', local: 'true' }, { src: '172.17.0.2', dst: '172.17.0.1:12580', in: 'docker0' }];
    for (const flags of proxied) {
      const p1 = firstPacket(flags);
      assert.match(p1, /⇒ delivered to docker-proxy listening on tcp\/12580/, p1);
      assert.doesNotMatch(p1, /DNAT: destination/, p1);
    }
    // And another host's connection does get to it.
    assert.match(firstPacket({ src: '10.10.126.187', dst: '10.10.126.101:12580', in: 'eth0' }), /DNAT: destination 10\.10\.126\.101:12580 → 172\.17\.0\.4:12580/);
  });

  it('nothing for other lines', () => {
    assert.equal(proxyServes(parse(A), lineOf(A, '-A PREROUTING -m addrtype')), undefined);
    assert.equal(proxyServes(parse(A), lineOf(A, '-A DOCKER -d 172.17.0.4/32')), undefined);
  });
});

describe('chainEntries', () => {
  const rs = parse(['*filter', ':INPUT ACCEPT', ':FORWARD ACCEPT', ':OUTPUT ACCEPT', ':A -', ':B -', ':C -',
    '-A INPUT -p tcp -j A', '-A A -g B', '-A OUTPUT -j C', '-A C -j B', 'COMMIT', ''].join('\n'));
  const e = chainEntries(rs.tables.get('filter')!);
  it('follows jumps and gotos from every hook, with the sites', () => {
    assert.deepEqual([...e.get('B')!.hooks].sort(), ['INPUT', 'OUTPUT']);
    assert.deepEqual([...e.get('A')!.hooks], ['INPUT']);
    assert.deepEqual(e.get('B')!.sites.map((r) => r.chain).sort(), ['A', 'C']);
    assert.deepEqual([...e.get('FORWARD')!.hooks], ['FORWARD']);
  });
  it('a built-in chain iptables-nft never created leads nowhere', () => {
    const nft = parse(['*nat', ':D -', '-A PREROUTING -j D', '-A OUTPUT -j D', '-F OUTPUT', 'COMMIT', ''].join('\n'));
    const n = chainEntries(nft.tables.get('nat')!);
    assert.equal(n.get('OUTPUT')!.hooks.size, 1, 'OUTPUT exists once a rule was added to it');
    assert.deepEqual([...n.get('D')!.hooks], ['PREROUTING'], 'the OUTPUT jump was flushed');
    const bare = chainEntries(parse(['*nat', ':D -', '-A PREROUTING -j D', 'COMMIT', ''].join('\n')).tables.get('nat')!);
    assert.equal(bare.get('POSTROUTING')?.hooks.size ?? 0, 0, 'never declared, never added to: absent');
    assert.deepEqual([...bare.get('D')!.hooks], ['PREROUTING']);
  });
});
