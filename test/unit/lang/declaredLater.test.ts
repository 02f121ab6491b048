/**
 * A jump to a chain that is declared, but only further down the table,
 * says so (the walk meets the jump before the declaration).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const HINT = 'It is declared further down';

function unknownTargets(text: string, backend: 'nft' | 'legacy'): { line: number; later: boolean }[] {
  return parseIptables(text, { family: 'ipv4', backend })
    .diagnostics.filter((d) => d.code === 'unknown-target')
    .map((d) => ({ line: d.span.start.line, later: d.message.includes(HINT) }));
}

describe('a jump to a chain declared further down', () => {
  for (const backend of ['nft', 'legacy'] as const) {
    it(`${backend}: said for a ":CHAIN" line after the jump, not for a chain declared nowhere or in another table`, () => {
      const text = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -j LATER', '-A INPUT -j NOWHERE', ':LATER - [0:0]', 'COMMIT', '*nat', ':OTHER - [0:0]', 'COMMIT', ''].join('\n');
      assert.deepEqual(unknownTargets(text, backend), [
        { line: 2, later: true },
        { line: 3, later: false },
      ]);
    });

    it(`${backend}: a second bad jump after the declaration is not told it comes further down`, () => {
      // Legacy stops at the first failure in the kernel, but every line is still checked.
      const text = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -j LATE', ':LATE - [0:0]', '-X LATE', '-A INPUT -j LATE', 'COMMIT', ''].join('\n');
      const found = unknownTargets(text, backend);
      assert.deepEqual(found[0], { line: 2, later: true });
      if (found[1]) assert.deepEqual(found[1], { line: 5, later: false });
    });
  }

  it('nft: "-N CHAIN" further down counts as a declaration', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -j NEWER', '-N NEWER', 'COMMIT', ''].join('\n');
    assert.deepEqual(unknownTargets(text, 'nft'), [{ line: 2, later: true }]);
  });
});
