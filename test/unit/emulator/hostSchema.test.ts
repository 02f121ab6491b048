/** The host description's JSON schema (completion in VS Code) says what the parser accepts. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DOCKER_KEYS, PUBLISHED_KEYS } from '../../../server/src/emulator/host/docker';
import { HOST_KEYS, parseHostFile } from '../../../server/src/emulator/host/file';

const root = join(__dirname, '..', '..', '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'schemas', 'host.schema.json'), 'utf8'));
const keys = (o: { properties: Record<string, unknown> }): string[] => Object.keys(o.properties).sort();

describe('schemas/host.schema.json', () => {
  it('has exactly the keys the parser accepts, for every object', () => {
    assert.deepEqual(keys(schema), [...HOST_KEYS.host].sort());
    assert.deepEqual(keys(schema.properties.sysctl), [...HOST_KEYS.sysctl].sort());
    for (const k of ['interface', 'route', 'listener', 'peer'] as const) assert.deepEqual(keys(schema.definitions[k]), [...HOST_KEYS[k]].sort(), k);
    assert.deepEqual(keys(schema.properties.docker), [...DOCKER_KEYS].sort());
    assert.deepEqual(keys(schema.properties.docker.properties.published.items), [...PUBLISHED_KEYS].sort());
  });
  it('is what package.json contributes for host description files', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const v = pkg.contributes.jsonValidation as { fileMatch: string[]; url: string }[];
    assert.ok(v.some((e) => e.url === './schemas/host.schema.json' && e.fileMatch.includes('nflens-host.json')));
  });
  it('every example host description parses cleanly and points at the schema', () => {
    const found: string[] = [];
    for (const dir of readdirSync(join(root, 'examples'))) {
      const p = join(root, 'examples', dir, 'nflens-host.json');
      if (!existsSync(p)) continue;
      found.push(dir);
      const text = readFileSync(p, 'utf8');
      const parsed = parseHostFile(text);
      assert.deepEqual(parsed.diagnostics.map((d) => d.message), [], dir);
      assert.equal(JSON.parse(text).$schema, '../../schemas/host.schema.json', dir);
    }
    assert.ok(found.length >= 2, `examples with a host description: ${found.join(', ')}`);
  });
});
