// Bundles every test/**/*.ts (except test/out) into test/out/**.js for node --test.
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const testDir = join(root, 'test');
const entries = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (p === join(testDir, 'out') || name === 'node_modules' || name === 'artifacts') continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) entries.push(relative(root, p));
  }
})(testDir);

await build({
  entryPoints: entries,
  outdir: join(testDir, 'out'),
  outbase: testDir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
console.log(`built ${entries.length} test files`);
