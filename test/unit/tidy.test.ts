/**
 * Architecture invariants, checked mechanically:
 * - the pure core (server/src/lang, emulator, analysis) imports nothing from
 *   vscode, the LSP libraries or Node, and reads no clock or randomness;
 * - LSP types appear only in server/src/server.ts, features/ and the few
 *   server-edge files;
 * - source files stay small.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');
function files(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  (function walk(d: string) {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts')) out.push(p);
    }
  })(dir);
  return out;
}
const imports = (src: string): string[] => [...src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);

const PURE = ['server/src/lang', 'server/src/emulator', 'server/src/analysis'].flatMap((d) => files(join(ROOT, d)));

describe('architecture invariants', () => {
  it('the pure core imports no vscode, LSP or Node modules', () => {
    assert.ok(PURE.length > 10);
    for (const f of PURE) {
      for (const spec of imports(readFileSync(f, 'utf8'))) {
        assert.ok(spec.startsWith('.'), `${relative(ROOT, f)} imports "${spec}": the pure core may only import its own modules`);
      }
    }
  });

  it('the pure core reads no clock, randomness or console', () => {
    for (const f of PURE) {
      const src = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const bad of ['Date.now', 'new Date(', 'Math.random', 'performance.now', 'console.', 'process.', 'require(']) {
        assert.ok(!src.includes(bad), `${relative(ROOT, f)} uses ${bad}`);
      }
    }
  });

  it('LSP types stay at the server edge', () => {
    // (pieceDocument.ts is the editor's document the LSP library hands around: it implements its type.)
    const edge = /server\/src\/(server\.ts|features\/|settings\.ts|analysisCache\.ts|protocol\.ts|pieceDocument\.ts)/;
    for (const f of files(join(ROOT, 'server/src'))) {
      if (edge.test(f)) continue;
      for (const spec of imports(readFileSync(f, 'utf8'))) {
        assert.ok(!spec.startsWith('vscode-languageserver') && spec !== 'vscode', `${relative(ROOT, f)} imports ${spec}`);
      }
    }
  });

  it('source files stay small (at most 900 lines; most well under 400)', () => {
    for (const f of [...files(join(ROOT, 'server/src')), ...files(join(ROOT, 'client/src'))]) {
      const n = readFileSync(f, 'utf8').split('\n').length;
      assert.ok(n <= 900 || f.endsWith('netdb.ts'), `${relative(ROOT, f)} has ${n} lines`);
    }
  });
});
