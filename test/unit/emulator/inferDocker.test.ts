/**
 * A host inferred from Docker's rules alone: the published ports its DNAT rules in
 * nat DOCKER show become the host sockets Docker has for them (docker-proxy with
 * the userland proxy on, dockerd's reservation in hairpin mode), said as assumptions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Emulator, inferHost } from '../../../server/src/emulator/index';
import type { HostModel } from '../../../server/src/emulator/host/model';
import { ip4 } from '../../../server/src/emulator/packet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { ip } from '../../helpers/targetPackets';

const root = join(__dirname, '..', '..', '..', '..');
const read = (p: string): string => readFileSync(join(root, 'examples', p), 'utf8');
const WITH_JUMP = read('docker-host/rules.v4');
const JUMP = '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n';
const WITHOUT_JUMP = WITH_JUMP.replace(JUMP, '');
const ruleset = (text: string) => parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
/** As `nflens trace --in eth0 --dst 10.10.126.101:12580` infers it. */
const infer = (text: string): HostModel => inferHost(ruleset(text), { ifaces: ['eth0'], localAddr: { addr: ip('10.10.126.101'), iface: 'eth0' } });

/** An external client on eth0 connects to the host's 12580. */
function connect(rules: string, host = infer(rules)) {
  const emu = new Emulator(ruleset(rules), host);
  return emu.trace({ proto: 'tcp', src: ip('10.10.126.187'), sport: 40000, dst: ip('10.10.126.101'), dport: 12580, origin: { kind: 'iface', iface: 'eth0' } });
}

const natRules = (docker: string): string => `*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n${docker}COMMIT\n`;

describe('published ports inferred from nat DOCKER', () => {
  it('examples/docker-host: docker-proxy on tcp/12580 forwarding to 172.17.0.4:12580, said as an assumption', () => {
    const host = infer(WITH_JUMP);
    assert.deepEqual(host.listeners, [{ proto: 'tcp', addr: 0, port: 12580, program: 'docker-proxy', forwardTo: { addr: ip('172.17.0.4'), port: 12580 }, publishes: { addr: ip('172.17.0.4'), port: 12580 } }]);
    assert.equal(host.userlandProxy, true);
    assert.ok(host.assumed.includes("docker-proxy listens on tcp/12580 and forwards to 172.17.0.4:12580 (inferred from the DNAT rule in nat DOCKER; Docker's default userland proxy)"), host.assumed.join('\n'));
  });
  it('with the PREROUTING jump, the client is DNATed to the container, which sees the client; docker-proxy is not involved', () => {
    const r = connect(WITH_JUMP);
    assert.equal(r.completed, true);
    assert.equal(r.legs.length, 0);
    assert.ok(r.events.some((e) => e.type === 'verdict' && e.verdict === 'NAT' && e.rule?.chain === 'DOCKER'));
    assert.equal(ip4(r.serverSaw!.src), '10.10.126.187');
  });
  it('without it, the inferred docker-proxy accepts and the container sees 172.17.0.1; without that listener the host would reset the connection', () => {
    assert.notEqual(WITHOUT_JUMP, WITH_JUMP);
    const r = connect(WITHOUT_JUMP);
    assert.equal(r.completed, true);
    assert.equal(r.acceptedBy?.program, 'docker-proxy');
    assert.equal(r.legs.length, 1);
    assert.equal(r.legs[0]!.completed, true);
    assert.equal(ip4(r.legs[0]!.serverSaw!.src), '172.17.0.1');
    // The control: the same host minus the inferred listener.
    const bare = connect(WITHOUT_JUMP, { ...infer(WITHOUT_JUMP), listeners: [] });
    assert.equal(bare.completed, false);
    assert.ok(bare.events.some((e) => e.type === 'fate' && e.fate === 'no-listener'));
  });
  it('examples/docker-no-proxy (hairpin mode, no "! -i docker0"): dockerd only reserves the port', () => {
    const host = infer(read('docker-no-proxy/rules.v4'));
    assert.deepEqual(host.listeners.map((l) => [l.program, l.port, l.forwardTo]), [['dockerd (port reserved, never accepts)', 12580, undefined]]);
    assert.equal(host.userlandProxy, false);
    assert.ok(host.assumed.some((a) => a.startsWith('dockerd reserves tcp/12580 but never accepts') && /hairpin mode/.test(a)), host.assumed.join('\n'));
  });
  it('-p HOSTIP:H:P (-d HOSTIP/32), udp, and a DNAT without a port: the host address, the protocol, the same port', () => {
    const host = inferHost(ruleset(natRules(
      '-A DOCKER -d 10.10.126.101/32 ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n' +
      '-A DOCKER -d 0.0.0.0/0 ! -i docker0 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.17.0.3\n',
    )));
    assert.deepEqual(host.listeners.map((l) => [l.proto, ip4(l.addr), l.port, l.forwardTo && `${ip4(l.forwardTo.addr)}:${l.forwardTo.port}`]), [
      ['tcp', '10.10.126.101', 8080, '172.17.0.2:80'],
      ['udp', '0.0.0.0', 5353, '172.17.0.3:5353'],
    ]);
    assert.ok(host.assumed.some((a) => a.startsWith('docker-proxy listens on tcp/8080 of 10.10.126.101 and forwards to 172.17.0.2:80')));
  });
  it('only DNAT rules of nat DOCKER with one --dport publish a port', () => {
    const host = inferHost(ruleset(natRules(
      '-A PREROUTING ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n' +
      '-A DOCKER ! -i docker0 -p tcp -j DNAT --to-destination 172.17.0.2:81\n' +
      '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 9000:9010 -j DNAT --to-destination 172.17.0.2\n' +
      '-A DOCKER ! -i docker0 -p tcp -m tcp ! --dport 22 -j DNAT --to-destination 172.17.0.2\n',
    )));
    assert.deepEqual(host.peers.map((p) => p.name), ['container 172.17.0.2']);
    assert.deepEqual(host.listeners, []);
  });
  it('a traced destination that a DNAT rule names is a container, not an address of the uplink', () => {
    const host = inferHost(ruleset(WITH_JUMP), { ifaces: ['eth0'], localAddr: { addr: ip('172.17.0.4'), iface: 'eth0' } });
    assert.deepEqual(host.ifaces.get('eth0')?.addrs, []);
  });
});
