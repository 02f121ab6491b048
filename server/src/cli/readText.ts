/**
 * A file's text as readFileSync(path, 'utf8') gives it. An ASCII file (most
 * dumps) is decoded byte for byte: on a 26 MB dump ~8 ms instead of ~38 for
 * the UTF-8 decoder, a tenth of what `nflens check` spends on a clean dump.
 */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';

export function readText(path: string): string {
  const bytes = readFileSync(path);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}
