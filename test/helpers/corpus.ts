/** The shared real-world corpus (../shared/corpus), read in place, never copied. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root: the nearest folder up from this (bundled) file that has package.json. */
function repoRoot(): string {
  let d = __dirname;
  while (!existsSync(join(d, 'package.json')) && resolve(d, '..') !== d) d = resolve(d, '..');
  return d;
}

export const CORPUS_DIR = resolve(repoRoot(), '..', 'shared', 'corpus');

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
