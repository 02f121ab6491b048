/**
 * TPROXY target (extensions/libxt_TPROXY.c; kernel net/netfilter/xt_TPROXY.c).
 * Hands the packet to a local socket (a transparent proxy) without changing
 * its addresses, optionally marking it for policy routing.
 *
 * The kernel allows it only in mangle PREROUTING, and only in rules that
 * say `-p tcp` or `-p udp` (not negated).
 */
import { defineExtension } from '../../extension';
import { ipv4ToString, ipv6ToString, type Family } from '../../inet';
import type { NatAddress } from './NAT';

export interface TproxyTarget {
  /** Address family of the rule (iptables-save prints 0.0.0.0 or :: for no --on-ip). */
  family: Family;
  /** Local port to hand the packet to; 0 = the packet's own destination port. */
  port: number;
  /** Local address; undefined = the address of the incoming interface. */
  addr?: NatAddress;
  /** Host name given for --on-ip (resolved once, at load time). */
  hostname?: string;
  /** new mark = (mark & ~mask) ^ value; 0/0 leaves the mark alone. */
  markValue: number;
  markMask: number;
}

const P_PORT = 0;
const P_ADDR = 1;
const P_MARK = 2;

export const TPROXY = defineExtension<TproxyTarget>({
  kind: 'target',
  name: 'TPROXY',
  summary: 'Delivers the packet to a local transparent-proxy socket without rewriting it (mangle PREROUTING, -p tcp or udp).',
  options: [
    { name: 'on-port', id: P_PORT, type: 'port', mand: true, doc: 'local port of the proxy (0 = keep the destination port)' },
    { name: 'on-ip', id: P_ADDR, type: 'host', doc: 'local address of the proxy (default: the incoming interface\'s address)' },
    { name: 'tproxy-mark', id: P_MARK, type: 'markmask32', doc: 'value[/mask] to set in the packet mark' },
  ],
  init: (rule) => ({ family: rule.family, port: 0, markValue: 0, markMask: 0 }),
  parse(c) {
    const d = c.data;
    switch (c.option.id) {
      case P_PORT:
        d.port = c.val.port ?? 0;
        break;
      case P_ADDR: {
        const h = c.val.host;
        if (h?.v4 !== undefined) d.addr = { family: 'ipv4', v4: h.v4 };
        else if (h?.v6 !== undefined) d.addr = { family: 'ipv6', v6: h.v6 };
        else if (h?.hostname !== undefined) d.hostname = h.hostname;
        break;
      }
      case P_MARK:
        d.markValue = (c.val.mark?.value ?? 0) >>> 0;
        d.markMask = (c.val.mark?.mask ?? 0) >>> 0;
        break;
    }
  },
  kernel: {
    table: 'mangle',
    hooks: ['PREROUTING'],
    check: (ctx) =>
      (ctx.protoNum === 6 || ctx.protoNum === 17) && !ctx.protoInvert
        ? undefined
        : 'Can be used only with -p tcp or -p udp — the kernel refuses TPROXY in a rule that does not pin the protocol to tcp or udp.',
  },
  save(d) {
    const none = d.family === 'ipv4' ? '0.0.0.0' : '::';
    const addr = d.addr ? (d.addr.family === 'ipv4' ? ipv4ToString(d.addr.v4) : ipv6ToString(d.addr.v6)) : d.hostname ?? none;
    return `--on-port ${d.port} --on-ip ${addr} --tproxy-mark 0x${d.markValue.toString(16)}/0x${d.markMask.toString(16)}`;
  },
  describe(d) {
    const addr = d.addr ? (d.addr.family === 'ipv4' ? ipv4ToString(d.addr.v4) : ipv6ToString(d.addr.v6)) : d.hostname;
    const mark = d.markMask ? `, mark 0x${d.markValue.toString(16)}/0x${d.markMask.toString(16)}` : '';
    return `hand the packet to the local proxy socket on ${addr ?? 'the incoming interface\'s address'} port ${d.port || '(original)'}${mark}`;
  },
});
