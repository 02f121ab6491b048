/**
 * The tokenizer against a literal, character-by-character model of
 * iptables' add_param_to_argv (iptables/xshared.c), on random lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCountersPrefix, tokenizeArgs } from '../../../server/src/lang/iptables/tokenize';

/** The C algorithm, transcribed literally: returns the argv words. */
function reference(line: string): string[] {
  const out: string[] = [];
  let quoteOpen = false;
  let escaped = false;
  let param = '';
  for (const ch of line) {
    if (ch === '\0') break;
    if (quoteOpen) {
      if (escaped) {
        param += ch;
        escaped = false;
        continue;
      } else if (ch === '\\') {
        escaped = true;
        continue;
      } else if (ch === '"') {
        quoteOpen = false;
      } else {
        param += ch;
        continue;
      }
    } else if (ch === '"') {
      quoteOpen = true;
      continue;
    }
    if (ch === '"') {
      // closing quote: falls through to emit
    } else if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (param.length === 0) continue;
    } else {
      param += ch;
      continue;
    }
    out.push(param);
    param = '';
  }
  if (param.length) out.push(param);
  return out;
}

describe('tokenizer', () => {
  const alphabet = fc.constantFrom('a', 'b', ' ', '\t', '"', '\\', '-', '!', 'é', '\u{1F600}', 'x');
  it('splits exactly like add_param_to_argv (with and without the newline fgets keeps)', () => {
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }).map((a) => a.join('')), fc.boolean(), (line, nl) => {
        const got = tokenizeArgs(line, 0, nl).tokens.map((t) => t.text);
        assert.deepEqual(got, reference(nl ? `${line}\n` : line));
      }),
      { numRuns: 5000, seed: 42 },
    );
  });

  it('keeps source columns of each token', () => {
    const t = tokenizeArgs('  -A  INPUT -m comment --comment "a \\"b\\" c" -j ACCEPT').tokens;
    assert.deepEqual(t.map((x) => [x.text, x.start, x.end, x.quoted]), [
      ['-A', 2, 4, false],
      ['INPUT', 6, 11, false],
      ['-m', 12, 14, false],
      ['comment', 15, 22, false],
      ['--comment', 23, 32, false],
      ['a "b" c', 33, 44, true],
      ['-j', 45, 47, false],
      ['ACCEPT', 48, 54, false],
    ]);
  });

  it('follows the quote rules iptables documents', () => {
    const words = (s: string): string[] => tokenizeArgs(s).tokens.map((t) => t.text);
    assert.deepEqual(words(`'a b'`), [`'a`, `b'`]); // single quotes are ordinary
    assert.deepEqual(words('ab"c d"'), ['abc d']); // an opening quote continues the word
    assert.deepEqual(words('"abc"def'), ['abc', 'def']); // a closing quote ends it
    assert.deepEqual(words('""'), ['']); // an empty quoted word exists
    assert.deepEqual(words('a\\ b'), ['a\\', 'b']); // backslash is literal outside quotes
    assert.equal(tokenizeArgs(`x ${'y'.repeat(1024)}`).tooLong?.text.length, 1024);
    assert.equal(tokenizeArgs(`x ${'y'.repeat(1023)}`).tooLong, undefined);
    assert.equal(tokenizeArgs(`x "${'é'.repeat(512)}"`).tooLong?.text.length, 512); // 1024 bytes
  });

  it('reads counters prefixes with strtok semantics', () => {
    const ok = parseCountersPrefix('[12:3400] -A INPUT -j ACCEPT', 1, true);
    assert.equal(ok.kind, 'ok');
    if (ok.kind === 'ok') {
      assert.equal(ok.counters.packets, '12');
      assert.equal(ok.counters.bytes, '3400');
      assert.equal(ok.counters.restAt, 9);
    }
    assert.deepEqual(parseCountersPrefix('[12 -A INPUT', 3, true), { kind: 'error', message: 'Bad line 3: need ]' });
    // No ':' before ']': strtok cuts the rule at the first ':' after it.
    const cut = parseCountersPrefix('[5] -A INPUT -p tcp --dport 22:80 -j ACCEPT', 1, true);
    assert.equal(cut.kind === 'ok' && cut.counters.truncateAt, 30);
    assert.deepEqual(parseCountersPrefix('-A INPUT', 1, true), { kind: 'none' });
  });
});
