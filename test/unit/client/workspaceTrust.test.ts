/**
 * Workspace trust as package.json declares it: Restricted Mode is "limited"
 * support, commands that run processes are hidden and disabled there, and no
 * module starts a process unless it is known here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { COMMAND_PREFIX, PROCESS_COMMAND_IDS } from '../../../client/src/commandIds';

const root = join(__dirname, '..', '..', '..', '..');
interface Pkg {
  capabilities?: { untrustedWorkspaces?: { supported: unknown; description?: string; restrictedConfigurations?: string[] } };
  contributes: { commands: Array<{ command: string; enablement?: string }>; menus?: { commandPalette?: Array<{ command: string; when?: string }> }; configuration: { properties: Record<string, unknown> } };
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Pkg;

/**
 * Modules allowed to start processes; each must be reached only from a command in PROCESS_COMMAND_IDS.
 * The client runs nflens verify (Verify Trace on Kernel); server/src/verify is the kernel lab it and
 * the kernel tests use, which the language server never imports (checked below).
 */
const MODULES_THAT_RUN_PROCESSES: readonly string[] = [
  'client/src/verifyKernel/runVerifyCli.ts',
  'server/src/verify/agent.mjs',
  'server/src/verify/agents.ts',
  'server/src/verify/kernelTrace.ts',
  'server/src/verify/lab.ts',
  'server/src/verify/overlayLab.ts',
  'server/src/verify/preconditions.ts',
  'server/src/verify/staleLabs.ts',
];

it('declares limited support for untrusted workspaces, with a description and settings that exist', () => {
  const u = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(u?.supported, 'limited');
  assert.match(u?.description ?? '', /Restricted Mode/);
  for (const key of u?.restrictedConfigurations ?? []) assert.ok(pkg.contributes.configuration.properties[key], `${key} is a setting`);
});

it('commands that run processes are hidden from the palette and disabled unless the workspace is trusted', () => {
  for (const id of PROCESS_COMMAND_IDS) {
    const command = COMMAND_PREFIX + id;
    const decl = pkg.contributes.commands.find((c) => c.command === command);
    assert.match(decl?.enablement ?? '', /\bisWorkspaceTrusted\b/, `${command} enablement`);
    const palette = pkg.contributes.menus?.commandPalette?.find((m) => m.command === command);
    assert.match(palette?.when ?? '', /\bisWorkspaceTrusted\b/, `${command} palette when`);
  }
});

it('only the known modules start processes (child_process), so none escapes the trust check', () => {
  const found: string[] = [];
  for (const dir of ['client/src', 'server/src']) {
    (function walk(d: string) {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.[cm]?[jt]s$/.test(n) && /\bchild_process\b/.test(readFileSync(p, 'utf8'))) found.push(relative(root, p));
      }
    })(join(root, dir));
  }
  assert.deepEqual(found.sort(), [...MODULES_THAT_RUN_PROCESSES].sort(), 'a new module runs processes: reach it only from a command in PROCESS_COMMAND_IDS, then list it here');
});

it('the language server never reaches the kernel lab: only nflens verify and the editor command that runs it do', () => {
  const users: string[] = [];
  (function walk(d: string) {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts') && !p.includes(`${join('server', 'src', 'verify')}`) && /from '[./]*\/?verify\/[^']*'/.test(readFileSync(p, 'utf8').replace(/import type [^;]*;/g, ''))) users.push(relative(root, p));
    }
  })(join(root, 'server', 'src'));
  assert.deepEqual(users, ['server/src/cli/verify.ts']);
});
