// `npm test`: type-check, build, then every suite. Suites that need root,
// the kernel or a browser say loudly why they are skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { e2eAvailability } from './codeServer.mjs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
process.chdir(root);
const only = process.argv.slice(2);
const results = [];

function run(name, cmd, args, opts = {}) {
  if (only.length && !only.some((o) => name.includes(o))) return true;
  const t0 = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...opts.env } });
  const ok = r.status === 0;
  results.push({ name, ok, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
  return ok;
}

function testFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  (function walk(d) {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.test.js')) out.push(p);
    }
  })(dir);
  return out.sort();
}

const steps = [
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
  ['build', 'npm', ['run', '-s', 'build']],
  ['build tests', 'npm', ['run', '-s', 'build:tests']],
];
for (const [n, c, a] of steps) if (!run(n, c, a)) { summary(); process.exit(1); }

const suites = [
  ['unit', 'test/out/unit'],
  ['grammar', 'test/out/grammar'],
  ['lsp', 'test/out/lsp'],
  ['fuzz', 'test/out/fuzz'],
  ['corpus', 'test/out/corpus'],
  ['kernel', 'test/out/kernel'],
  // Rebuilds client/out and server/out minified: after every suite that runs them from source builds.
  ['package', 'test/out/package'],
  ['e2e', 'test/out/e2e'],
];
for (const [name, dir] of suites) {
  const files = testFiles(join(root, dir));
  if (files.length === 0) continue;
  if (name === 'e2e' && !e2eReady()) continue;
  // The editor tests are few and slow: name each with its time.
  run(`${name} tests`, process.execPath, ['--enable-source-maps', '--test', `--test-reporter=${name === 'e2e' ? 'spec' : 'dot'}`, ...files]);
}
summary();
process.exit(results.every((r) => r.ok) ? 0 : 1);

/** The editor tests need code-server and Chromium (.ci/setup-e2e); without them, say so loudly. */
function e2eReady() {
  if (only.length && !only.some((o) => 'e2e tests'.includes(o))) return false;
  const a = e2eAvailability();
  if (a.ok) return true;
  console.log(`\n=== e2e tests\nSKIPPED: e2e (${a.why}; run .ci/setup-e2e as root, or see README "How we know it is right")`);
  results.push({ name: 'e2e tests', ok: true, skipped: a.why, seconds: '0.0' });
  return false;
}

function summary() {
  console.log('\n=== summary');
  for (const r of results) console.log(r.skipped ? `SKIPPED  ${r.name}: ${r.skipped}` : `${r.ok ? 'PASS' : 'FAIL'}  ${r.name} (${r.seconds}s)`);
}
