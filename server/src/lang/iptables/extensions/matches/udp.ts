/**
 * udp match (extensions/libxt_udp.c, guided API; kernel xt_tcpudp.c).
 * Unlike tcp, a reversed range (90:80) is accepted and simply never matches.
 */
import { defineExtension } from '../../extension';
import { ANY_PORT, describePorts, isAnyPort, portRangeText, type PortRange } from './ports';

export interface UdpMatch {
  sport: PortRange;
  sportInvert: boolean;
  dport: PortRange;
  dportInvert: boolean;
}

const O_SRC = 0;
const O_DST = 1;

export const udp = defineExtension<UdpMatch>({
  kind: 'match',
  name: 'udp',
  summary: 'Matches UDP ports (needs -p udp).',
  options: [
    { name: 'source-port', id: O_SRC, type: 'portrc', invert: true, doc: 'source port or range a:b' },
    { name: 'sport', id: O_SRC, type: 'portrc', invert: true, doc: 'source port or range a:b' },
    { name: 'destination-port', id: O_DST, type: 'portrc', invert: true, doc: 'destination port or range a:b' },
    { name: 'dport', id: O_DST, type: 'portrc', invert: true, doc: 'destination port or range a:b' },
  ],
  init: () => ({ sport: ANY_PORT, sportInvert: false, dport: ANY_PORT, dportInvert: false }),
  parse(c) {
    const r = c.val.ports ?? [0, 65535];
    if (c.option.id === O_SRC) {
      c.data.sport = r;
      c.data.sportInvert = c.invert;
    } else {
      c.data.dport = r;
      c.data.dportInvert = c.invert;
    }
  },
  kernel: { proto: 17 },
  nftNative: (d) => !(isAnyPort(d.sport) && isAnyPort(d.dport) && !d.sportInvert && !d.dportInvert),
  nftBuildCheck: (d, rule) =>
    !(isAnyPort(d.sport) && isAnyPort(d.dport) && !d.sportInvert && !d.dportInvert) && rule.protoNum !== 17 ? "UDP match requires '-p udp'" : undefined,
  save(d) {
    const out: string[] = [];
    if (!isAnyPort(d.sport)) out.push(`${d.sportInvert ? '! ' : ''}--sport ${portRangeText(d.sport)}`);
    if (!isAnyPort(d.dport)) out.push(`${d.dportInvert ? '! ' : ''}--dport ${portRangeText(d.dport)}`);
    return out.join(' ');
  },
  describe(d) {
    const parts: string[] = [];
    if (!isAnyPort(d.sport) || d.sportInvert) parts.push(describePorts('from', d.sport, d.sportInvert));
    if (!isAnyPort(d.dport) || d.dportInvert) parts.push(describePorts('to', d.dport, d.dportInvert));
    if (d.sport[0] > d.sport[1] || d.dport[0] > d.dport[1]) parts.push('(a reversed range never matches)');
    return parts.length ? `UDP ${parts.join(', ')}` : 'any UDP packet';
  },
});
