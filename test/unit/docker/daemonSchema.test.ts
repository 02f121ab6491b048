/** schemas/daemon.schema.json is the catalog's schema, and everything the parser reads from daemon.json is in it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { daemonJsonSchema } from '../../../server/src/lang/docker/daemonSchema';
import { DAEMON_FLAGS, flagByJsonKey } from '../../../server/src/lang/docker/flags';

const root = join(__dirname, '..', '..', '..', '..');

describe('daemon.json schema', () => {
  it('the shipped file is the catalog\'s schema (regenerate it from daemonSchema.ts when the catalog changes)', () => {
    const shipped = JSON.parse(readFileSync(join(root, 'schemas', 'daemon.schema.json'), 'utf8'));
    assert.deepEqual(shipped, daemonJsonSchema());
  });
  it('every key in it is one the parser accepts, and every flag with a daemon.json form is in it', () => {
    const keys = Object.keys((daemonJsonSchema() as { properties: object }).properties);
    for (const k of keys) assert.ok(flagByJsonKey(k), k);
    for (const f of DAEMON_FLAGS) if (!['daemon', 'config-file', 'validate'].includes(f.name)) assert.ok(keys.includes(f.json ?? f.name), f.name);
  });
  it('package.json contributes it for daemon.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    assert.ok(pkg.contributes.jsonValidation.some((v: { fileMatch: string[]; url: string }) => v.url === './schemas/daemon.schema.json' && v.fileMatch.includes('daemon.json')));
  });
});
