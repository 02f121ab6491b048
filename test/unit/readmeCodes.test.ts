/**
 * The README's table of diagnostic codes stays true: every code the checker
 * emits on the case tables and on generated files (valid and mutated, both
 * backends) is documented there.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { analyzeDaemonFile } from '../../server/src/lang/docker/daemonFile';
import { ALL_CASES } from '../cases';
import { caseFile } from '../helpers/ruleCases';
import { generateFile } from '../helpers/restoreGenerator';

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('documents every diagnostic code the checker emits', () => {
    const seen = new Map<string, string>();
    const check = (text: string, family: 'ipv4' | 'ipv6', where: string): void => {
      for (const backend of ['nft', 'legacy'] as const) {
        for (const d of analyzeIptables(text, { backend, family }).diagnostics) if (!seen.has(d.code)) seen.set(d.code, where);
      }
    };
    for (const g of ALL_CASES) for (const c of g.cases) check(caseFile(c), c.family ?? 'ipv4', `case group ${g.group}`);
    for (let i = 0; i < 600; i++) {
      const f = generateFile(11, i);
      check(f.text, f.family, `generated file ${i}`);
    }
    assert.ok(seen.size > 40, `only ${seen.size} codes seen`);
    const missing = [...seen].filter(([code]) => !README.includes(`\`${code}\``));
    assert.deepEqual(missing, [], 'codes emitted but not in the README table');
  });
  it('documents every diagnostic code the Docker daemon checks emit', () => {
    const samples: Array<[string, string]> = [
      ['DOCKER_OPTS="--nope --icc false --bip --mtu=1 -iptables=false -H tcp://0.0.0.0:2375 --cluster-store=x --cluster-advertise=y"\n', 'docker'],
      ['DOCKER_OPTS="-b br0 --bip=10.0.0.0/24 --bip=10.0.0.1/24 --fixed-cidr=10.9.0.0/24 --iptables=false --icc=false --userland-proxy-path=/x"\n', 'docker'],
      ['DOCKER_OPTS="--dns 1.1.1.1\n', 'docker'],
      ['DOCKER_OPTS="--dns"\n', 'docker'],
      ['DOCKER_OPTS="--iptables=false"\r\n', 'docker'],
      ['[Service]\nExecStart=/usr/bin/docker -d --ip-forward-no-drop\n', 'docker.service'],
      ['{ "bipp": 1, "iptables": "no", "hosts": ["tcp://127.0.0.1:2375"], ', 'daemon.json'],
    ];
    const seen = new Set<string>();
    for (const [text, fileName] of samples) for (const d of analyzeDaemonFile(text, { fileName }).diagnostics) seen.add(d.code);
    assert.ok(seen.size >= 12, `only ${[...seen].join(', ')}`);
    const missing = [...seen].filter((code) => !README.includes(`\`${code}\``));
    assert.deepEqual(missing, [], 'codes emitted but not in the README table');
  });
});
