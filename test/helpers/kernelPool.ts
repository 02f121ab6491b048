/**
 * Asynchronous kernel oracle: the same load as `loadWithKernel` (a fresh
 * network namespace per load, `unshare -n ip(6)tables-<backend>-restore`),
 * run as child processes so several loads can proceed at once.
 */
import { spawn } from 'node:child_process';
import { namedLine, type Backend, type OracleResult } from './oracle';

export interface AsyncOracleResult extends OracleResult {
  /** Set when iptables-restore died of a signal (SIGSEGV, SIGFPE…). */
  readonly signal?: string;
}

export function loadWithKernelAsync(text: string, backend: Backend, family: 'ipv4' | 'ipv6' = 'ipv4'): Promise<AsyncOracleResult> {
  const bin = `${family === 'ipv6' ? 'ip6tables' : 'iptables'}-${backend}-restore`;
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-n', bin], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let settled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    const done = (r: AsyncOracleResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.on('error', (e) => done({ ok: false, exitCode: -1, line: null, stderr: stderr + String(e) }));
    child.on('close', (code, signal) => {
      const exitCode = code ?? -1;
      const base = { ok: exitCode === 0, exitCode, line: exitCode === 0 ? null : namedLine(stderr), stderr };
      done(signal ? { ...base, signal } : base);
    });
    // iptables-restore may stop reading early (and exit): ignore EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results in order. */
export async function mapPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}
