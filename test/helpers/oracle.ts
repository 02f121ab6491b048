/**
 * The kernel oracle: loads a rules file with the real iptables-restore into a
 * fresh network namespace (`unshare -n`, so nothing touches the root
 * namespace) and reports whether it loaded and which line it named.
 */
import { spawnSync } from 'node:child_process';

export type Backend = 'nft' | 'legacy';

export interface OracleResult {
  readonly ok: boolean;
  readonly exitCode: number;
  /** Line iptables-restore names first (null when it names none). */
  readonly line: number | null;
  readonly stderr: string;
}

export function oracleAvailable(): { ok: boolean; why?: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'not Linux' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, why: 'not running as root (network namespaces need CAP_SYS_ADMIN)' };
  const probe = spawnSync('unshare', ['-n', 'iptables-nft-restore', '--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { ok: false, why: `cannot run "unshare -n iptables-nft-restore" (${probe.error?.message ?? probe.stderr.trim()}); install the iptables package` };
  const legacy = spawnSync('unshare', ['-n', 'iptables-legacy-restore', '--version'], { encoding: 'utf8' });
  if (legacy.error || legacy.status !== 0) return { ok: false, why: 'iptables-legacy-restore is missing' };
  return { ok: true };
}

/** First line number iptables-restore names in its error output. */
export function namedLine(stderr: string): number | null {
  const patterns = [
    /^line (\d+): [A-Z_]+ failed/m, // nft kernel errors: "line 5: RULE_APPEND failed (...)"
    /Error occurred at line: (\d+)/,
    /: line (\d+) failed/,
    /COMMIT expected at line (\d+)/,
    / line (\d+)(?::| )/,
  ];
  for (const re of patterns) {
    const m = re.exec(stderr);
    if (m) return Number(m[1]);
  }
  return null;
}

export function loadWithKernel(text: string, backend: Backend, family: 'ipv4' | 'ipv6' = 'ipv4'): OracleResult {
  const bin = `${family === 'ipv6' ? 'ip6tables' : 'iptables'}-${backend}-restore`;
  const r = spawnSync('unshare', ['-n', bin], { input: text, encoding: 'utf8', timeout: 20000 });
  const stderr = (r.stderr ?? '') + (r.error ? String(r.error) : '');
  const exitCode = r.status ?? -1;
  return { ok: exitCode === 0, exitCode, line: exitCode === 0 ? null : namedLine(stderr), stderr };
}
