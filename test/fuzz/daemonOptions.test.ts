/** Fuzzing the daemon option readers: they never throw and every range lies inside the document. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzeDaemonFile } from '../../server/src/lang/docker/daemonFile';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 100000);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const WORDS = [
  'DOCKER_OPTS=', 'OPTIONS=', 'export', 'ExecStart=', '[Service]', '/usr/bin/dockerd', 'docker', 'daemon', '-d', '"', "'", '\\', '\\\n', '$DOCKER_OPTS', '${X}', '$', '#', ';', '{', '}', '[', ']', ':', ',',
  '--bip=10.0.0.1/24', '--bip', '-b', 'br0', '--icc=false', '--icc', 'false', '-iptables=false', '-H', 'tcp://0.0.0.0:2375', '--tlsverify', '--mtu=1500', '--mtu', '99999', '--fixed-cidr=10.1.0.0/16',
  '--cluster-store=consul://kv:8500', '--dns', '8.8.8.8', '--', '-', '--=', '-=', '"bip"', '"hosts"', '"iptables"', 'true', '1.2.3.4', '\t', ' ', '\n', '\r\n', '\u00e9',
];
const docArb = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), { maxLength: 60 }).map((ws) => ws.join(''));

function inside(text: string, line: number, col: number): boolean {
  const lines = text.split('\n');
  return line >= 0 && line < lines.length && col >= 0 && col <= lines[line]!.length;
}

describe(`daemon option files fuzz (seed ${SEED}, FUZZ_SEED=${SEED} replays)`, () => {
  for (const fileName of ['docker', 'docker.service', 'daemon.json']) {
    it(`${fileName}: never throws, ranges inside the document`, () => {
      fc.assert(
        fc.property(docArb, (text) => {
          const r = analyzeDaemonFile(text, { fileName });
          for (const d of r.diagnostics) {
            assert.ok(inside(text, d.span.start.line, d.span.start.col) && inside(text, d.span.end.line, d.span.end.col), `${d.code} at ${JSON.stringify(d.span)} in ${JSON.stringify(text)}`);
          }
          for (const s of r.value.settings) assert.ok(inside(text, s.span.start.line, s.span.start.col));
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});
