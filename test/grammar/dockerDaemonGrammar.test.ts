/** TextMate grammar of Docker daemon option files (scope source.docker-daemon), tokenized as VS Code does. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, Registry, parseRawGrammar, type IGrammar, type StateStack } from 'vscode-textmate';

const ROOT = join(__dirname, '..', '..', '..');
const PATH = join(ROOT, 'syntaxes', 'docker-daemon.tmLanguage.json');

async function grammar(): Promise<IGrammar> {
  const wasm = readFileSync(join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s: string[]) => new oniguruma.OnigScanner(s), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope: string) => (scope === 'source.docker-daemon' ? parseRawGrammar(readFileSync(PATH, 'utf8'), PATH) : null),
  });
  const g = await registry.loadGrammar('source.docker-daemon');
  assert.ok(g);
  return g;
}

/** The scopes of the first token covering `piece` on `line` (lines tokenized in order). */
async function scopesOf(lines: string[], lineNo: number, piece: string): Promise<string[]> {
  const g = await grammar();
  let state: StateStack = INITIAL;
  for (let i = 0; i < lines.length; i++) {
    const r = g.tokenizeLine(lines[i]!, state);
    state = r.ruleStack;
    if (i !== lineNo) continue;
    const at = lines[i]!.indexOf(piece);
    assert.ok(at >= 0, `"${piece}" not on line ${i}`);
    const tok = r.tokens.find((t) => t.startIndex <= at && at < t.endIndex)!;
    return tok.scopes;
  }
  return [];
}

const has = (scopes: string[], want: string): boolean => scopes.some((s) => s.startsWith(want));

describe('docker-daemon grammar', () => {
  const doc = [
    '# Use DOCKER_OPTS to modify the daemon startup options.',
    'DOCKER_OPTS="-H tcp://0.0.0.0:2375 --bip=10.1.0.1/24 --icc=false $EXTRA"',
    "export OPTIONS='--selinux-enabled'",
    '[Service]',
    'ExecStart=/usr/bin/dockerd -H fd:// --mtu 1450',
  ];
  const cases: Array<[line: number, piece: string, scope: string]> = [
    [0, 'DOCKER_OPTS to', 'comment.line'],
    [1, 'DOCKER_OPTS', 'variable.other.assignment'],
    [1, '-H', 'variable.parameter.option'],
    [1, 'tcp://', 'markup.underline.link'],
    [1, '--bip', 'variable.parameter.option'],
    [1, '10.1.0.1/24', 'constant.numeric.ip'],
    [1, 'false', 'constant.language.boolean'],
    [1, '$EXTRA', 'variable.other.readwrite'],
    [1, '"-H', 'string.quoted.double'],
    [2, 'export', 'storage.modifier'],
    [2, '--selinux-enabled', 'variable.parameter.option'],
    [3, 'Service', 'entity.name.section'],
    [4, 'ExecStart', 'variable.other.assignment'],
    [4, '--mtu', 'variable.parameter.option'],
    [4, '1450', 'constant.numeric'],
  ];
  for (const [line, piece, scope] of cases) {
    it(`line ${line}: "${piece}" is ${scope}`, async () => {
      const s = await scopesOf(doc, line, piece);
      assert.ok(has(s, scope), `${piece}: ${s.join(' ')}`);
    });
  }
});
