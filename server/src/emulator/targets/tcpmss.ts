/**
 * TCPMSS (kernel net/netfilter/xt_TCPMSS.c, tcpmss_mangle_packet, IPv4).
 * It acts on whatever TCP packet reaches it (iptables-legacy insists on a
 * SYN match in the rule, iptables-nft does not):
 *
 * - a later fragment is left alone;
 * - the new MSS is --set-mss, or with --clamp-mss-to-pmtu the smaller of
 *   the route MTU and the MTU of the route back to the source, minus 40
 *   (IP + TCP headers); an MTU of 40 or less drops the packet;
 * - an MSS option is only ever lowered, never raised;
 * - without an MSS option, one is added (at most 536, RFC 1122's default)
 *   unless the segment carries data or its header is already 60 bytes
 *   (a packet without its payload modelled that is longer than 76 bytes,
 *   IPv4's 20 and a 56-byte TCP header, has one or the other).
 *
 * The packet model lists option kinds but not the MSS value: with
 * `extras.tcpMss` (asked for in the report) the result is exact; without it
 * we can only say what the kernel does with it. MTUs come from the host
 * model's interfaces: the output device, and for the way back the input
 * device (a local source is reached through lo).
 */
import type { TcpmssTarget } from '../../lang/iptables/extensions/targets/TCPMSS';
import type { TargetContext } from '../context';
import { PROTO_TCP } from '../packet';
import type { TargetEntry } from '../registry';
import { extras } from './extras';

const TCPOPT_MSS = 2;
const MINLEN = 40;
const DEFAULT_MSS = 536;
const LO_MTU = 65536;
/** An IPv4 header and the longest TCP header an option still fits in: a longer packet has data or a 60-byte header. */
const ROOM_UP_TO = 20 + 56;

/** min(dst_mtu(route), tcpmss_reverse_mtu()) as far as the host model tells. */
function pathMtu(ctx: TargetContext): { mtu: number; why: string } | undefined {
  const p = ctx.packet;
  const out = p.oif ? ctx.host.iface(p.oif)?.mtu : undefined;
  if (out === undefined) return undefined;
  const back = p.iif ? ctx.host.iface(p.iif)?.mtu : ctx.host.isLocal(p.src) ? ctx.host.iface('lo')?.mtu ?? LO_MTU : undefined;
  if (back !== undefined && back < out) return { mtu: back, why: `MTU ${back} of ${p.iif || 'lo'} (the way back)` };
  return { mtu: out, why: `MTU ${out} of ${p.oif}` };
}

export const TCPMSS: TargetEntry = {
  name: 'TCPMSS',
  fn: (d: TcpmssTarget, ctx) => {
    const p = ctx.packet;
    if (p.proto !== PROTO_TCP || p.fragOffset !== 0) return { kind: 'continue' };
    let newmss: number;
    let why: string;
    if (d.mode === 'clamp') {
      const m = pathMtu(ctx);
      if (!m) {
        return { kind: 'unmodeled', why: 'clamping to the path MTU needs the output route, which is not known here', then: 'continue' };
      }
      if (m.mtu <= MINLEN) {
        ctx.note(`TCPMSS: path MTU ${m.mtu} is not above ${MINLEN} ("unknown or invalid path-MTU"): the kernel drops the packet`);
        return { kind: 'verdict', verdict: 'DROP' };
      }
      newmss = m.mtu - MINLEN;
      why = `${m.why} minus ${MINLEN}`;
    } else {
      newmss = d.mss;
      why = '--set-mss';
    }
    const x = extras(p);
    if (p.tcpOptions.includes(TCPOPT_MSS)) {
      const old = x.tcpMss;
      if (old === undefined) {
        ctx.note(`TCPMSS: the MSS option is lowered to ${newmss} (${why}) if it is above that, never raised (the packet model does not carry the MSS value)`);
      } else if (old <= newmss) {
        ctx.note(`TCPMSS: MSS ${old} is not above ${newmss} (${why}): left alone`);
      } else {
        x.tcpMss = newmss;
        ctx.note(`TCPMSS: MSS ${old} → ${newmss} (${why})`);
      }
      return { kind: 'continue' };
    }
    // Data, when the packet says so; or, when it is longer than ROOM_UP_TO, data or a full header: the options it
    // lists are kinds only, so a shorter one is taken to be all header, as a bare ACK is.
    if ((p.payload !== undefined && p.payload.length > 0) || (p.payload === undefined && p.length > ROOM_UP_TO)) {
      ctx.note('TCPMSS: no MSS option, and the segment carries data (or a 60-byte header), so none is added');
      return { kind: 'continue' };
    }
    const mss = Math.min(newmss, DEFAULT_MSS);
    p.tcpOptions = [...p.tcpOptions, TCPOPT_MSS];
    p.length += 4;
    x.tcpMss = mss;
    ctx.note(`TCPMSS: no MSS option: one is added with MSS ${mss} (${why}, at most ${DEFAULT_MSS} when the sender gave none)`);
    return { kind: 'continue' };
  },
};
