/**
 * inetPton4 (the NAT targets' address parser, glibc inet_pton(AF_INET))
 * is a character loop on the hot path of DNAT rules; it must accept exactly
 * what the rule it implements says: four dot-separated decimal parts, each
 * "0" or 1-3 digits without a leading zero, each at most 255.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inetPton4 } from '../../../server/src/lang/iptables/extensions/targets/NAT';

/** The rule written as directly as possible. */
function byTheRule(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    if (Number(p) > 255) return undefined;
    v = v * 256 + Number(p);
  }
  return v;
}

describe('inetPton4', () => {
  it('edges', () => {
    assert.equal(inetPton4('10.244.195.80'), 0x0af4c350);
    assert.equal(inetPton4('0.0.0.0'), 0);
    assert.equal(inetPton4('255.255.255.255'), 0xffffffff);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..2.3', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4/32', '1.2.3.0004', '1.2.3.-1', 'a.b.c.d', '1.2.3.']) assert.equal(inetPton4(bad), undefined, bad);
  });

  it('random strings of digits, dots and other characters: as the rule says', () => {
    const pieces = ['0', '1', '2', '5', '9', '.', '00', '255', '256', '1000', '', 'a', ' ', '01', '-', '+'];
    let seed = 1;
    const rnd = (k: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    for (let k = 0; k < 100_000; k++) {
      let s = '';
      for (let j = rnd(9); j > 0; j--) s += pieces[rnd(pieces.length)];
      if (rnd(3) === 0) s = `${rnd(300)}.${rnd(300)}.${rnd(300)}.${rnd(300)}`;
      assert.equal(inetPton4(s), byTheRule(s), JSON.stringify(s));
    }
  });
});
