/** A host's daemon options against its iptables rules. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crossCheck } from '../../../server/src/lang/docker/crossChecks';
import { analyzeDaemonFile } from '../../../server/src/lang/docker/daemonFile';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const root = join(__dirname, '..', '..', '..', '..');
const read = (p: string): string => readFileSync(join(root, 'examples', p), 'utf8');
const A = read('docker-host/rules.v4');
const C = read('docker-no-proxy/rules.v4');

function check(opts: string, rules: string): { rules: string[]; daemon: string[] } {
  const d = analyzeDaemonFile(`DOCKER_OPTS="${opts}"\n`, { fileName: 'docker' }).value;
  const x = crossCheck(d, parseIptables(rules, { backend: 'nft', family: 'ipv4' }).ruleset);
  const text = (diags: typeof x.onRules): string[] => diags.map((g) => g.message.split(':')[0]!);
  return { rules: text(x.onRules), daemon: text(x.onDaemon) };
}

describe('daemon options vs the rules of the same host', () => {
  it('the example hosts agree with their options', () => {
    assert.deepEqual(check(read('docker-host/default/docker').match(/DOCKER_OPTS="([^"]*)"/)![1]!, A), { rules: [], daemon: [] });
    assert.deepEqual(check(read('docker-no-proxy/default/docker').match(/DOCKER_OPTS="([^"]*)"/)![1]!, C), { rules: [], daemon: [] });
  });
  it('--userland-proxy=false without the PREROUTING jump to DOCKER', () => {
    const r = check('--userland-proxy=false', C.replace('-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n', ''));
    assert.deepEqual(r.daemon, ['--userland-proxy=false, but nat PREROUTING never jumps to DOCKER']);
  });
  it('--icc=false without its DROP rule, and with it', () => {
    assert.equal(check('--icc=false', A).daemon.length, 1);
    assert.equal(check('--icc=false', A.replace('-A FORWARD -i docker0 -o docker0 -j ACCEPT', '-A FORWARD -i docker0 -o docker0 -j DROP')).daemon.length, 0);
  });
  it('another bridge, another subnet', () => {
    const other = check('-b br0', A).rules;
    assert.ok(other.length >= 4 && other.every((m) => m.startsWith('This rule names docker0')), other.join('; '));
    assert.deepEqual(check('--bip=10.9.0.1/24', A).rules, ["Docker's MASQUERADE rule is for 172.17.0.0/16, but --bip puts the bridge network at 10.9.0.0/24"]);
  });
  it('--iptables=false with Docker chains left in the rules', () => {
    assert.equal(check('--iptables=false', A).daemon.length, 1);
  });
  it('an INPUT DROP policy cuts the overlay unless it accepts udp/4789 and 7946', () => {
    const closed = A.replace(':INPUT ACCEPT [1020:81200]', ':INPUT DROP [0:0]');
    assert.equal(check('--cluster-store=consul://kv:8500 --cluster-advertise=eth0:2376', closed).rules.length, 1);
    const open = closed.replace('-A FORWARD -o docker0 -j DOCKER', '-A INPUT -p udp -m multiport --dports 4789,7946 -j ACCEPT\n-A INPUT -p tcp --dport 7946 -j ACCEPT\n-A FORWARD -o docker0 -j DOCKER');
    assert.equal(check('--cluster-store=consul://kv:8500 --cluster-advertise=eth0:2376', open).rules.length, 0);
  });
});
