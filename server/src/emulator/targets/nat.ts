/**
 * DNAT, SNAT, MASQUERADE, REDIRECT and NETMAP (kernel xt_nat.c,
 * xt_MASQUERADE.c + nf_nat_masquerade.c, xt_REDIRECT.c + nf_nat_redirect.c,
 * xt_NETMAP.c): each asks the engine for a binding; the engine sets it up
 * once per connection (nf_nat_setup_info) and rewrites from it.
 *
 * What the targets decide themselves, as the kernel does before
 * nf_nat_setup_info:
 * - MASQUERADE leaves a connection whose original source is 0.0.0.0 alone
 *   (NF_ACCEPT without a binding);
 * - a shifted port map (NF_NAT_RANGE_PROTO_OFFSET, DNAT `a-b/base`; SNAT and
 *   MASQUERADE keep the flag with base 0) maps the original port to
 *   min + ((port - base) mod 65536) mod (max - min + 1), as
 *   nf_nat_l4proto_unique_tuple does; SNAT/MASQUERADE first keep the
 *   original source if address and port are already inside the range;
 * - NETMAP rewrites destinations in PREROUTING/OUTPUT and sources in
 *   POSTROUTING/INPUT (HOOK2MANIP), keeping the host bits.
 */
import type { NatTarget } from '../../lang/iptables/extensions/targets/NAT';
import type { NetmapTarget } from '../../lang/iptables/extensions/targets/NETMAP';
import type { NatRequest, TargetContext, TargetOutcome } from '../context';
import { ip4 } from '../packet';
import type { TargetEntry } from '../registry';

function addrRange(d: NatTarget): { min: number; max: number } | undefined {
  const min = d.addrs?.min.family === 'ipv4' ? d.addrs.min.v4 : undefined;
  if (min === undefined) return undefined;
  const max = d.addrs?.max.family === 'ipv4' ? d.addrs.max.v4 : min;
  return { min: min >>> 0, max: max >>> 0 };
}

/** The port NF_NAT_RANGE_PROTO_OFFSET maps `orig` to, or undefined when the offset does not apply. */
export function offsetPort(d: NatTarget, manip: 'src' | 'dst', ctx: TargetContext): number | undefined {
  const ports = d.ports;
  if (!ports || ports.base === undefined) return undefined;
  const orig = manip === 'dst' ? ctx.conn?.orig.dport ?? ctx.packet.dport : ctx.conn?.orig.sport ?? ctx.packet.sport;
  if (manip === 'src' && !(d.random || d.randomFully)) {
    // get_unique_tuple() step 1: a source already inside the range is kept (if unique; the engine checks).
    const a = addrRange(d);
    const src = ctx.conn?.orig.src ?? ctx.packet.src;
    const addrOk = !a || (src >= a.min && src <= a.max);
    if (addrOk && orig >= ports.min && orig <= ports.max) return undefined;
  }
  const lo = Math.min(ports.min, ports.max);
  const size = Math.abs(ports.max - ports.min) + 1;
  const off = (orig - ports.base + 0x10000) & 0xffff;
  return lo + (off % size);
}

function request(d: NatTarget, manip: 'src' | 'dst', kind: NatRequest['kind'], ctx: TargetContext, withAddrs: boolean): NatRequest {
  const a = withAddrs ? addrRange(d) : undefined;
  const shifted = offsetPort(d, manip, ctx);
  const ports = shifted !== undefined ? { portMin: shifted, portMax: shifted } : d.ports ? { portMin: d.ports.min, portMax: d.ports.max } : {};
  return {
    manip,
    kind,
    ...(a ? { addrMin: a.min, addrMax: a.max } : {}),
    ...ports,
    random: d.random || d.randomFully,
    persistent: d.persistent,
  };
}

function nat(manip: 'src' | 'dst', kind: NatRequest['kind'], withAddrs: boolean) {
  return (d: NatTarget, ctx: TargetContext): TargetOutcome => ({ kind: 'nat', nat: request(d, manip, kind, ctx, withAddrs) });
}

export const DNAT: TargetEntry = { name: 'DNAT', fn: nat('dst', 'dnat', true) };
export const SNAT: TargetEntry = { name: 'SNAT', fn: nat('src', 'snat', true) };
export const REDIRECT: TargetEntry = { name: 'REDIRECT', fn: nat('dst', 'redirect', false) };

const masq = nat('src', 'masquerade', false);
export const MASQUERADE: TargetEntry = {
  name: 'MASQUERADE',
  fn: (d: NatTarget, ctx) => {
    const src = ctx.conn?.orig.src ?? ctx.packet.src;
    if (src === 0) {
      ctx.note(`MASQUERADE: the connection's source is ${ip4(0)} (a local packet not meant to be masqueraded): the kernel accepts it without a binding`);
      return { kind: 'verdict', verdict: 'ACCEPT' };
    }
    return masq(d, ctx);
  },
};

export const NETMAP: TargetEntry = {
  name: 'NETMAP',
  fn: (d: NetmapTarget, ctx) => {
    const manip = ctx.hook === 'PREROUTING' || ctx.hook === 'OUTPUT' ? 'dst' : 'src';
    if (!d.to || d.to.base.family !== 'ipv4') return { kind: 'unmodeled', why: 'NETMAP to a host name resolved at load time', then: 'ACCEPT' };
    return { kind: 'nat', nat: { manip, kind: 'netmap', netmap: { addr: d.to.base.v4, prefix: d.to.prefix }, random: false, persistent: false } };
  },
};
