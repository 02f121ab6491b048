/**
 * `npm run test:vscode`: the extension-host tests in a desktop VS Code that
 * @vscode/test-electron downloads (into .vscode-test/). For people with a
 * desktop and the internet; CI here cannot download VS Code and runs the
 * code-server tests (test/e2e/) instead.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';

const root = join(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  // A copy of examples/: the tests change settings and edit files.
  const workspace = mkdtempSync(join(tmpdir(), 'nflens-vscode-'));
  cpSync(join(root, 'examples'), workspace, { recursive: true });
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: join(__dirname, 'suite', 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
      ...(process.env.VSCODE_VERSION ? { version: process.env.VSCODE_VERSION } : {}),
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
