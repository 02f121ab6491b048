/**
 * Namespaces an earlier `nflens verify` left behind when it was killed
 * outright (SIGKILL gives no chance to clean up): named after its process
 * id, and deleted once that process is gone. Nothing else is touched.
 */
import { spawnSync } from 'node:child_process';

export const VERIFY_PREFIX = 'nflv';

const OURS = new RegExp(`^${VERIFY_PREFIX}(\\d+)(?:h\\d*|r|o\\d+(?:n\\d+)?|c\\d+)$`);

/** The namespace prefix of this process's lab. */
export function labPrefix(pid: number = process.pid): string {
  return `${VERIFY_PREFIX}${pid}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Names of our namespaces whose process is gone, from `ip netns list` output. */
export function staleNamespaces(listing: string, isAlive: (pid: number) => boolean = alive): string[] {
  const out: string[] = [];
  for (const line of listing.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = OURS.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) out.push(name);
  }
  return out;
}

/** Deletes them; returns how many. */
export function sweepStaleLabs(): number {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (list.status !== 0) return 0;
  const stale = staleNamespaces(list.stdout);
  for (const ns of stale) spawnSync('ip', ['netns', 'del', ns]);
  return stale.length;
}
