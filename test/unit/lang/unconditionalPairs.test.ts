/**
 * iptables-legacy: the kernel's walk of a chain (mark_source_chains) stops
 * at an unconditional standard verdict; "-d 0.0.0.0/0,X -j ACCEPT" adds one
 * kernel rule per address, and the one for 0.0.0.0/0 is unconditional, so
 * later rules get no hook and are not hook-checked. Found by the kernel
 * differential (seed 380630517 #1405: the kernel loads an owner match in
 * INPUT after such a rule).
 * Every case here was loaded with iptables-legacy-restore (v1.8.9) in a
 * network namespace: refused exactly where wrong-hook is expected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

const codes = (rules: string, family: 'ipv4' | 'ipv6' = 'ipv4'): string[] =>
  parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n${rules}\n-A INPUT -m owner --uid-owner 0 -j ACCEPT\nCOMMIT\n`, { family, backend: 'legacy' })
    .diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);

describe('legacy: a kernel rule of "/0" addresses ends the walk of its chain', () => {
  it('the owner match in INPUT is refused when nothing before it ends the walk', () => {
    assert.deepEqual(codes('-A INPUT -d 10.0.0.2,10.0.0.1 -j ACCEPT'), ['wrong-hook']);
    assert.deepEqual(codes('-A INPUT -s 0.0.0.0/0,10.0.0.3 -d 10.0.0.1 -j ACCEPT'), ['wrong-hook']);
    assert.deepEqual(codes('-A INPUT -d 0.0.0.0/0,10.0.0.1 -p tcp -j ACCEPT'), ['wrong-hook']);
    assert.deepEqual(codes('-A INPUT -d 0.0.0.0/0,10.0.0.1 -i eth0 -j ACCEPT'), ['wrong-hook']);
  });

  it('a "/0" pair among several addresses ends it, wherever it is in the list', () => {
    assert.deepEqual(codes('-A INPUT -d 0.0.0.0/0,10.0.0.1 -j ACCEPT'), []);
    assert.deepEqual(codes('-A INPUT -d 10.0.0.1,0.0.0.0/0 -j DROP'), []);
    assert.deepEqual(codes('-A INPUT -s 10.0.0.3,0.0.0.0/0 -d 0.0.0.0/0,10.0.0.1 -j RETURN'), []);
    assert.deepEqual(codes('-A INPUT -d 0.0.0.0/0 -j ACCEPT'), []);
  });

  it('IPv6 alike', () => {
    const v6 = (rules: string): string[] =>
      parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n${rules}\n-A INPUT -m owner --uid-owner 0 -j ACCEPT\nCOMMIT\n`, { family: 'ipv6', backend: 'legacy' })
        .diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
    assert.deepEqual(v6('-A INPUT -d ::/0,2001:db8::1 -j ACCEPT'), []);
    assert.deepEqual(v6('-A INPUT -d 2001:db8::2,2001:db8::1 -j ACCEPT'), ['wrong-hook']);
  });
});
