/** The CLI's file reader: the same text as readFileSync(path, 'utf8'), for ASCII and for other files. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readText } from '../../../server/src/cli/readText';

const dir = mkdtempSync(join(tmpdir(), 'nflens-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('readText', () => {
  const cases: [string, Buffer][] = [
    ['ASCII', Buffer.from('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "x" -j ACCEPT\nCOMMIT\n')],
    ['UTF-8 with a BOM and accents', Buffer.from('\ufeff*filter\n-A INPUT -m comment --comment "café ☕" -j ACCEPT\n', 'utf8')],
    ['bytes that are not UTF-8', Buffer.from([0x2a, 0x6e, 0x61, 0x74, 0x0a, 0xff, 0xfe, 0x80, 0x0a])],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [what, bytes] of cases) {
    it(what, () => {
      const f = join(dir, what.replace(/\W+/g, '_'));
      writeFileSync(f, bytes);
      assert.equal(readText(f), readFileSync(f, 'utf8'));
    });
  }
});
