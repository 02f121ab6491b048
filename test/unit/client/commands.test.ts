import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { COMMAND_IDS, COMMAND_PREFIX } from '../../../client/src/commandIds';

it('package.json declares exactly the commands the client registers', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { commands: Array<{ command: string; title: string; category?: string }> } };
  const declared = pkg.contributes.commands.map((c) => c.command).sort();
  const registered = COMMAND_IDS.map((c) => COMMAND_PREFIX + c).sort();
  assert.deepEqual(declared, registered);
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'Netfilter Lens', `${c.command} has the extension's category`);
});
