/** The shared real-world corpus (../shared/corpus), read in place, never copied. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CORPUS_DIR = resolve(__dirname, '..', '..', '..', '..', 'shared', 'corpus');

export function corpusFiles(sub: string): string[] {
  const dir = join(CORPUS_DIR, sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f));
}

/** Kernel failures that depend on the machine, not on the file (DNS, ipsets, users). */
export function environmentalFailure(stderr: string): boolean {
  return /host\/network `[^']*' not found|getaddrinfo|Set \S+ doesn't exist|[Uu]nknown (user|group)|Couldn't load match|Extension \S+ is not supported/.test(stderr);
}
