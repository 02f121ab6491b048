// `npm start` (after the build): the main job on the bundled examples — run the
// checker over every file in examples/ and print what it finds; then, where
// code-server is installed and someone is at the terminal, open them in the editor.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { e2eAvailability, startCodeServer } from './codeServer.mjs';

const root = new URL('../..', import.meta.url).pathname;
const examples = join(root, 'examples');
const files = [];
(function walk(d) {
  for (const n of readdirSync(d).sort()) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/(^rules\.v[46]$|\.rules$|\.iptables$|iptables.*\.save$)/.test(n)) files.push(relative(root, p));
    else if (/(^|\/)(default|sysconfig)\/docker$|(^|\/)daemon\.json$|docker\.service$/.test(relative(examples, p))) files.push(relative(root, p));
  }
})(examples);

console.log(`Netfilter Lens: checking ${files.length} file(s) in examples/: iptables rules the way iptables-restore would load them, Docker daemon options the way dockerd would read them.\n`);
const r = spawnSync(process.execPath, [join(root, 'server/out/nflens.js'), 'check', ...files], { stdio: 'inherit', cwd: root });
console.log('\n(examples/mistakes/ is wrong on purpose.)');
if (r.status !== 0 && r.status !== 1) process.exit(r.status ?? 1);
await openEditor();

/**
 * The same examples in the editor: with code-server installed (.ci/setup-e2e) and a person at
 * the terminal, serve examples/ with the packaged extension until Ctrl+C; otherwise say how.
 */
async function openEditor() {
  const avail = e2eAvailability({ browser: false });
  const how = [
    'To see the same findings in the editor:',
    '  VS Code:      npm run package && code --install-extension netfilter-lens-*.vsix, then open examples/ (README "Install the extension").',
    avail.ok
      ? '  code-server:  installed here; run npm start in a terminal (not CI) and it opens examples/ in it.'
      : `  code-server:  sudo bash .ci/setup-e2e (VS Code in a browser, ~2.5 minutes once; here: ${avail.why}), then npm start in a terminal.`,
  ].join('\n');
  if (!process.stdout.isTTY || process.env.CI === 'true' || !avail.ok) {
    console.log(`\n${how}`);
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'nflens-start-'));
  const cleanup = () => rmSync(home, { recursive: true, force: true });
  try {
    const vsix = join(home, 'netfilter-lens.vsix');
    console.log('\nPackaging the extension and starting code-server on examples/…');
    const p = spawnSync('npm', ['run', '-s', 'package', '--', '--out', vsix], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (p.status !== 0) throw new Error('npm run package failed');
    const server = await startCodeServer({
      vsix, workspace: examples, home, port: Number(process.env.NFLENS_PORT ?? 0),
      // Your own checkout: no Restricted Mode prompt.
      settings: { 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none' },
    });
    console.log(`\nNetfilter Lens in VS Code (code-server): ${server.url}\nOpen it in a browser on this machine. Ctrl+C stops code-server.`);
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.stop();
    console.log('code-server stopped.');
  } catch (e) {
    console.log(`\nCould not start code-server: ${e instanceof Error ? e.message : e}\n${how}`);
  } finally {
    cleanup();
  }
}
