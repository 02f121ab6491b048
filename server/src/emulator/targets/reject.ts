/**
 * REJECT for IPv4 (kernel net/ipv4/netfilter/ipt_REJECT.c, reject_tg:
 * always NF_DROP after trying to send a reply; nf_reject_ipv4.c and
 * net/ipv4/icmp.c decide whether a reply goes out at all).
 *
 * tcp-reset (nf_send_reset): nothing for a later fragment, a non-TCP
 * packet, a packet with RST set ("No RST for RST"), or one routed as
 * broadcast/multicast. The RST comes from the rejected packet's destination.
 *
 * ICMP types (nf_send_unreach → icmp_send): nothing for a later fragment, a
 * frame that was not addressed to this host at the link layer (broadcast,
 * multicast, other host), a packet routed as broadcast/multicast, or an
 * ICMP error (type 1-7, 9-12 or above 18: "If we send an ICMP error to an
 * ICMP error a mess would result"). The error comes from the rejected
 * packet's destination only when that is a local address; otherwise from
 * this host's own address on the way back. Rate limiting (icmp_ratelimit,
 * 6 back-to-back then one a second per peer) and checksum checks are not
 * modelled.
 *
 * When nothing is sent the target is a plain DROP, with a note saying why.
 */
import type { RejectTarget } from '../../lang/iptables/extensions/targets/REJECT';
import type { TargetContext, TargetOutcome } from '../context';
import { ip4, PROTO_ICMP, PROTO_TCP, TCP_RST } from '../packet';
import type { TargetEntry } from '../registry';

/** icmp_pointers[type].error in net/ipv4/icmp.c; unknown types (> 18) count as errors. */
export function isIcmpError(type: number): boolean {
  return type > 18 || [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12].includes(type);
}

function silent(ctx: TargetContext, with_: string, why: string): TargetOutcome {
  ctx.note(`REJECT --reject-with ${with_}: ${why}, so the kernel sends nothing and the packet is just dropped`);
  return { kind: 'verdict', verdict: 'DROP' };
}

export const REJECT: TargetEntry = {
  name: 'REJECT',
  fn: (d: RejectTarget, ctx) => {
    const p = ctx.packet;
    const w = d.with;
    if (p.fragOffset !== 0) return silent(ctx, w, 'the packet is not the first fragment');
    const dstType = ctx.host.addrType(p.dst);
    const castRoute = dstType === 'BROADCAST' || dstType === 'MULTICAST';
    if (w === 'tcp-reset') {
      if (p.proto !== PROTO_TCP) return silent(ctx, w, 'the packet is not TCP');
      if (p.tcpFlags & TCP_RST) return silent(ctx, w, 'the packet is itself a RST (no RST for a RST)');
      if (castRoute) return silent(ctx, w, `${ip4(p.dst)} is a ${dstType.toLowerCase()} address`);
      return { kind: 'reject', with: w };
    }
    if (p.pktType !== 'host') return silent(ctx, w, `the frame was ${p.pktType === 'otherhost' ? 'addressed to another host' : `a link-layer ${p.pktType}`}`);
    if (castRoute) return silent(ctx, w, `${ip4(p.dst)} is a ${dstType.toLowerCase()} address`);
    if (p.proto === PROTO_ICMP && isIcmpError(p.icmpType)) return silent(ctx, w, `the packet is itself an ICMP error (type ${p.icmpType})`);
    if (!ctx.host.isLocal(p.dst)) {
      ctx.note(`REJECT: the ICMP error is sent from this host's own address on the route back to ${ip4(p.src)}, not from ${ip4(p.dst)}`);
    }
    return { kind: 'reject', with: w };
  },
};
