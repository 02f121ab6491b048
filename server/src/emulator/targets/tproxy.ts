/**
 * TPROXY (kernel net/netfilter/xt_TPROXY.c, tproxy_tg4): looks for a socket
 * that already serves the packet's own addresses, else a listener on
 * (--on-ip, default the first address of the input device, else the packet's
 * destination) : (--on-port, 0 = the packet's destination port). Only a
 * transparent (IP_TRANSPARENT) socket counts: then the mark becomes
 * (mark & ~mask) ^ value, the packet is tied to that socket and ACCEPTed;
 * without one it is DROPped. The emulator cannot see sockets, so it assumes
 * the proxy is there: it applies the mark and accepts, and says so.
 */
import type { TproxyTarget } from '../../lang/iptables/extensions/targets/TPROXY';
import { ip4 } from '../packet';
import type { TargetEntry } from '../registry';
import { hex, xmark } from './extras';

export const TPROXY: TargetEntry = {
  name: 'TPROXY',
  fn: (d: TproxyTarget, ctx) => {
    const p = ctx.packet;
    const addr =
      d.addr?.family === 'ipv4' && d.addr.v4 !== 0
        ? ip4(d.addr.v4)
        : d.hostname ?? ip4(ctx.host.primaryAddr(p.iif) ?? p.dst);
    const port = d.port || p.dport;
    const before = p.mark;
    p.mark = xmark(p.mark, d.markValue, d.markMask);
    const mark = p.mark !== before ? `; mark ${hex(before)} → ${hex(p.mark)}` : '';
    return {
      kind: 'unmodeled',
      why: `it needs a transparent (IP_TRANSPARENT) socket on ${addr}:${port}, which the emulator cannot see; assuming the proxy listens, the packet is handed to it unchanged${mark} (with no such socket the kernel drops it)`,
      then: 'ACCEPT',
    };
  },
};
