/**
 * Runs `nflens verify … --format json` (server/out/nflens.js, with the Node
 * that runs the extension host) and reads its report. Its progress lines on
 * stderr are passed on; cancelling sends SIGTERM, on which the CLI deletes
 * its namespaces before it exits. Reached only from Verify Trace on Kernel,
 * which is off in untrusted workspaces.
 */
import { spawn } from 'node:child_process';
import type { VerifyJson } from '../../../server/src/verify/verifyReport';

export interface CliRun {
  readonly code: number | null;
  readonly report?: VerifyJson;
  /** stderr, for when there is no report. */
  readonly stderr: string;
  readonly cancelled: boolean;
}

/** Long enough for a lab, a conversation and a second run; the CLI cleans up when stopped. */
const TIMEOUT_MS = 120_000;

export function runVerifyCli(nflens: string, args: readonly string[], cwd: string, onProgress: (line: string) => void, onCancel: (cancel: () => void) => void): Promise<CliRun> {
  return new Promise((resolve) => {
    // ELECTRON_RUN_AS_NODE: inside desktop VS Code process.execPath is Electron; it then runs as plain Node.
    const child = spawn(process.execPath, [nflens, ...args], { cwd, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let cancelled = false;
    const stop = (): void => {
      cancelled = true;
      child.kill('SIGTERM');
    };
    const timer = setTimeout(stop, TIMEOUT_MS);
    onCancel(stop);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      for (const line of d.split('\n')) if (line.startsWith('nflens verify: ')) onProgress(line.slice('nflens verify: '.length).replace(/…$/, ''));
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stderr: `${stderr}${e.message}`, cancelled });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      let report: VerifyJson | undefined;
      try {
        report = stdout.trim() ? (JSON.parse(stdout) as VerifyJson) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ code, ...(report ? { report } : {}), stderr, cancelled });
    });
  });
}
