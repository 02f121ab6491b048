/**
 * `npm run package`: the .vsix holds exactly what the .vscodeignore allowlist
 * lets in, everything package.json points at, self-contained bundles, and
 * stays small. Its own suite (it rebuilds client/out and server/out).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipEntries, zipRead, type ZipEntry } from '../helpers/zipEntries';

const root = join(__dirname, '..', '..', '..');
/** Compressed size bound: the two minified bundles, grammars, schemas, README and its screenshots. */
const MAX_VSIX_BYTES = 1.5 * 1024 * 1024;

describe('the packaged extension (.vsix)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nflens-vsix-'));
  const vsix = join(dir, 'netfilter-lens.vsix');
  let zip: Buffer;
  let files: Map<string, ZipEntry>;
  // vsce writes the README as readme.md: names are compared without case.
  const has = (path: string): boolean => files.has(`extension/${path}`.toLowerCase());
  const read = (path: string): string => zipRead(zip, files.get(`extension/${path}`.toLowerCase())!).toString('utf8');

  before(() => {
    execFileSync('npm', ['run', '-s', 'package', '--', '--out', vsix], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    zip = readFileSync(vsix);
    files = new Map(zipEntries(zip).map((e) => [e.name.toLowerCase(), e]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds only what the allowlist names, and the bundles, grammars, schemas, README and manifest', () => {
    const allow = readFileSync(join(root, '.vscodeignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => new RegExp(`^extension/${l.slice(1).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}$`, 'i'));
    const names = [...files.values()].map((e) => e.name);
    const outside = names.filter((n) => n !== 'extension.vsixmanifest' && n !== '[Content_Types].xml' && !allow.some((re) => re.test(n)));
    assert.ok(names.length >= 12, names.join(', '));
    assert.deepEqual(outside, [], 'files outside the allowlist');
    // nflens.js and agent.mjs: Verify Trace on Kernel runs nflens verify, whose lab runs the agent in each namespace.
    for (const must of ['package.json', 'README.md', 'client/out/extension.js', 'server/out/server.js', 'server/out/nflens.js', 'server/out/agent.mjs', 'syntaxes/iptables.tmLanguage.json', 'schemas/host.schema.json']) {
      assert.ok(has(must), `${must} is packaged`);
    }
    assert.deepEqual(names.filter((n) => /\.map$|\/node_modules\/|\/src\/|\/test\/|\.ts$/.test(n)), [], 'no sources, maps, tests or node_modules');
    // What the client loads at run time (the trace panel's webview script and style) is whatever the build left in client/out.
    for (const f of readdirSync(join(root, 'client', 'out')).filter((f) => !f.endsWith('.map'))) assert.ok(has(`client/out/${f}`), `client/out/${f} is packaged`);
  });

  it(`is small: under ${MAX_VSIX_BYTES / 1024 / 1024} MB`, () => {
    assert.ok(zip.length < MAX_VSIX_BYTES, `${zip.length} bytes`);
    assert.ok(zip.length > 50_000, 'and not empty');
  });

  it('contains every file its package.json points at', () => {
    const pkg = JSON.parse(read('package.json')) as {
      main: string;
      contributes: {
        grammars: Array<{ path: string }>;
        languages: Array<{ configuration?: string }>;
        jsonValidation: Array<{ url: string }>;
        walkthroughs?: Array<{ steps: Array<{ media: { markdown?: string; image?: string | Record<string, string> } }> }>;
      };
    };
    const refs = [
      pkg.main,
      ...pkg.contributes.grammars.map((g) => g.path),
      ...pkg.contributes.languages.flatMap((l) => (l.configuration ? [l.configuration] : [])),
      ...pkg.contributes.jsonValidation.map((j) => j.url),
      ...(pkg.contributes.walkthroughs ?? []).flatMap((w) => w.steps.flatMap((s) => [s.media.markdown, ...(typeof s.media.image === 'string' ? [s.media.image] : Object.values(s.media.image ?? {}))])),
    ].filter((r): r is string => !!r);
    assert.ok(refs.length >= 8);
    for (const r of refs) assert.ok(has(r.replace(/^\.\//, '')), `${r} is packaged`);
    // Images the README and the walkthrough pages show are packaged too (VS Code reads them from the install).
    for (const [, img] of read('README.md').matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) assert.ok(has(img!), `README image ${img} is packaged`);
    for (const page of refs.filter((r) => r.endsWith('.md'))) {
      const dir = page.split('/').slice(0, -1);
      for (const [, img] of read(page).matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
        const path = [...dir, ...img!.split('/')].reduce<string[]>((acc, part) => (part === '..' ? acc.slice(0, -1) : part === '.' ? acc : [...acc, part]), []).join('/');
        assert.ok(has(path), `${page}: image ${img} is packaged`);
      }
    }
  });

  it('bundles are self-contained and minified: only Node built-ins (and vscode for the client) are required, no source maps', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    for (const [bundle, allowed] of [['client/out/extension.js', ['vscode']], ['client/out/webview.js', []], ['server/out/server.js', []], ['server/out/nflens.js', []]] as const) {
      const text = read(bundle);
      const required = [...text.matchAll(/\brequire\((["'])([^"']+)\1\)/g)].map((m) => m[2]!);
      const foreign = [...new Set(required.filter((r) => !builtins.has(r) && !(allowed as readonly string[]).includes(r)))];
      assert.deepEqual(foreign, [], `${bundle} requires`);
      assert.doesNotMatch(text, /sourceMappingURL/, `${bundle} has no source map`);
    }
  });
});
