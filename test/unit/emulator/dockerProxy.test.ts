/**
 * The classic Docker port-mapping host (container web 172.17.0.4 publishing tcp/12580 on
 * 10.10.126.101; another container 172.17.0.2; an external client 10.10.126.187) in three
 * states: (a) Docker 1.9 rules with docker-proxy on, (b) the same without the nat
 * PREROUTING → DOCKER jump, (c) docker-proxy off. Every path, and who the container sees.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Emulator, parseHostFile, type TraceEvent } from '../../../server/src/emulator/index';
import type { ConversationSpec } from '../../../server/src/emulator/conversation';
import { ip4 } from '../../../server/src/emulator/packet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { ip } from '../../helpers/targetPackets';

const root = join(__dirname, '..', '..', '..', '..');
const read = (p: string): string => readFileSync(join(root, 'examples', p), 'utf8');
const A_RULES = read('docker-host/rules.v4');
const B_RULES = read('docker-host-flushed/rules.v4');
const C_RULES = read('docker-no-proxy/rules.v4');

function emulator(rules: string, hostFile: string): Emulator {
  const host = parseHostFile(read(hostFile)).value!.host;
  return new Emulator(parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset, host);
}

type From = 'client' | 'other' | 'host';
function connect(emu: Emulator, from: From, dst = '10.10.126.101') {
  const peer = emu.host.peers.find((p) => p.name === from);
  const spec: ConversationSpec = {
    proto: 'tcp', src: peer ? peer.addr : 0, sport: 40000, dst: ip(dst), dport: 12580,
    origin: peer ? { kind: 'peer', peer } : { kind: 'local' },
  };
  const r = emu.trace(spec);
  const last = r.legs.length ? r.legs[r.legs.length - 1]! : r;
  return {
    r,
    proxied: r.legs.length > 0,
    completed: r.completed && r.legs.every((l) => l.completed),
    containerSees: last.serverSaw ? ip4(last.serverSaw.src) : undefined,
    rules: (events: readonly TraceEvent[]) => events.filter((e) => e.type === 'verdict' && e.rule).map((e) => e.type === 'verdict' && `${e.rule!.table}:${e.rule!.chain}#${e.rule!.index}:${e.verdict}`),
  };
}

describe('(a) Docker 1.9, docker-proxy on', () => {
  const host = 'docker-host/nflens-host.json';
  it('external client: PREROUTING → DOCKER → DNAT; the container sees the client', () => {
    const c = connect(emulator(A_RULES, host), 'client');
    assert.equal(c.completed, true);
    assert.equal(c.proxied, false);
    assert.ok(c.rules(c.r.events).includes('nat:DOCKER#0:NAT'));
    assert.equal(c.containerSees, '10.10.126.187');
  });
  it('the host to its own address: nat OUTPUT → DOCKER → DNAT, re-routed to docker0; the container sees 10.10.126.101', () => {
    const c = connect(emulator(A_RULES, host), 'host');
    assert.equal(c.proxied, false);
    assert.ok(c.rules(c.r.events).includes('nat:DOCKER#0:NAT'));
    assert.ok(c.r.events.some((e) => e.type === 'route' && e.reroute && e.dev === 'docker0'));
    assert.equal(c.containerSees, '10.10.126.101');
  });
  it('the host to 127.0.0.1: the OUTPUT jump excludes 127/8, so docker-proxy; the container sees 172.17.0.1', () => {
    const c = connect(emulator(A_RULES, host), 'host', '127.0.0.1');
    assert.equal(c.proxied, true);
    assert.equal(c.completed, true);
    assert.equal(c.containerSees, '172.17.0.1');
    const linked = c.r.events.find((e) => e.type === 'conversation' && e.linkedTo !== undefined);
    assert.ok(linked && linked.type === 'conversation' && /docker-proxy accepted/.test(linked.why ?? ''));
  });
  it('the other container: the DNAT rule\'s "! -i docker0" skips it; docker-proxy; the container sees 172.17.0.1', () => {
    const c = connect(emulator(A_RULES, host), 'other');
    assert.ok(c.r.events.some((e) => e.type === 'rule' && !e.matched && e.rule.chain === 'DOCKER' && /-i docker0/.test(e.failed ?? '')));
    assert.equal(c.proxied, true);
    assert.equal(c.containerSees, '172.17.0.1');
  });
});

describe('(b) the nat PREROUTING → DOCKER jump missing', () => {
  const host = 'docker-host-flushed/nflens-host.json';
  it('external client: no DNAT; docker-proxy accepts and connects from 172.17.0.1; the container sees 172.17.0.1', () => {
    const c = connect(emulator(B_RULES, host), 'client');
    assert.ok(!c.rules(c.r.events).includes('nat:DOCKER#0:NAT'));
    assert.equal(c.proxied, true);
    assert.equal(c.completed, true);
    assert.equal(c.containerSees, '172.17.0.1');
  });
  it('the host to its own address still goes through nat OUTPUT → DNAT', () => {
    const c = connect(emulator(B_RULES, host), 'host');
    assert.equal(c.proxied, false);
    assert.equal(c.containerSees, '10.10.126.101');
  });
  it('the other container: docker-proxy; the container sees 172.17.0.1', () => {
    assert.equal(connect(emulator(B_RULES, host), 'other').containerSees, '172.17.0.1');
  });
});

describe('(c) docker-proxy off (hairpin NAT)', () => {
  const host = 'docker-no-proxy/nflens-host.json';
  it('external client: PREROUTING DNAT → FORWARD → DOCKER ACCEPT; the reply is un-DNATed', () => {
    const c = connect(emulator(C_RULES, host), 'client');
    assert.equal(c.completed, true);
    assert.ok(c.rules(c.r.events).includes('filter:DOCKER#0:ACCEPT'));
    assert.ok(c.r.events.some((e) => e.type === 'rewrite' && e.what === 'un-DNAT'));
    assert.equal(c.containerSees, '10.10.126.187');
  });
  it('the host: OUTPUT DNAT, then MASQUERADE in POSTROUTING; the container sees 172.17.0.1', () => {
    const c = connect(emulator(C_RULES, host), 'host');
    assert.equal(c.proxied, false);
    assert.ok(c.rules(c.r.events).includes('nat:POSTROUTING#0:NAT'));
    assert.equal(c.containerSees, '172.17.0.1');
  });
  it('the other container: PREROUTING DNAT, forwarded docker0 → docker0, not masqueraded; the container sees 172.17.0.2', () => {
    const c = connect(emulator(C_RULES, host), 'other');
    assert.equal(c.completed, true);
    assert.ok(c.r.events.some((e) => e.type === 'hook' && e.hook === 'FORWARD' && e.iif === 'docker0' && e.oif === 'docker0'));
    assert.equal(c.containerSees, '172.17.0.2');
  });
});

describe('docker-proxy for a UDP port', () => {
  it('a datagram to a published UDP port without the DNAT jump: docker-proxy answers and sends its own datagram to the container from 172.17.0.1', () => {
    const hostJson = read('docker-host/nflens-host.json')
      .replace('"published": [{ "proto": "tcp", "hostPort": 12580, "container": "web", "containerPort": 12580 }]', '"published": [{ "proto": "udp", "hostPort": 5353, "container": "web", "containerPort": 53 }]')
      .replace('"listens": [{ "proto": "tcp", "port": 12580 }]', '"listens": [{ "proto": "udp", "port": 53 }]');
    const host = parseHostFile(hostJson).value!.host;
    const emu = new Emulator(parseIptables(B_RULES, { backend: 'nft', family: 'ipv4' }).ruleset, host);
    const client = host.peers.find((p) => p.name === 'client')!;
    const r = emu.trace({ proto: 'udp', src: client.addr, sport: 40000, dst: ip('10.10.126.101'), dport: 5353, origin: { kind: 'peer', peer: client } });
    assert.equal(r.completed, true);
    assert.equal(r.legs.length, 1);
    assert.equal(r.legs[0]!.completed, true);
    assert.equal(ip4(r.legs[0]!.serverSaw!.src), '172.17.0.1');
    assert.equal(r.legs[0]!.serverSaw!.dport, 53);
  });
  it('a container that does not listen on the port answers ICMP port unreachable, which comes back RELATED', () => {
    const host = parseHostFile(read('docker-host/nflens-host.json')).value!.host;
    const emu = new Emulator(parseIptables(A_RULES, { backend: 'nft', family: 'ipv4' }).ruleset, host);
    const client = host.peers.find((p) => p.name === 'client')!;
    const r = emu.trace({ proto: 'udp', src: client.addr, sport: 40000, dst: ip('172.17.0.4'), dport: 9999, origin: { kind: 'peer', peer: client } });
    assert.equal(r.completed, false);
    assert.ok(r.events.some((e) => e.type === 'note' && /web does not listen on udp\/9999/.test(e.text)));
    assert.ok(r.events.some((e) => e.type === 'conntrack' && e.state === 'RELATED'));
  });
});
