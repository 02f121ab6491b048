/**
 * DNAT, SNAT, MASQUERADE, REDIRECT and NETMAP (kernel xt_nat.c,
 * xt_MASQUERADE.c, xt_REDIRECT.c, xt_NETMAP.c): each asks the engine for a
 * binding; the engine sets it up once per connection and rewrites from it.
 */
import type { NatTarget } from '../../lang/iptables/extensions/targets/NAT';
import type { NetmapTarget } from '../../lang/iptables/extensions/targets/NETMAP';
import type { NatRequest } from '../context';
import type { TargetEntry } from '../registry';

function request(d: NatTarget, manip: 'src' | 'dst', kind: NatRequest['kind']): NatRequest {
  const min = d.addrs?.min.family === 'ipv4' ? d.addrs.min.v4 : undefined;
  const max = d.addrs?.max.family === 'ipv4' ? d.addrs.max.v4 : undefined;
  return {
    manip,
    kind,
    ...(min !== undefined ? { addrMin: min, addrMax: max ?? min } : {}),
    ...(d.ports ? { portMin: d.ports.min, portMax: d.ports.max } : {}),
    random: d.random || d.randomFully,
    persistent: d.persistent,
  };
}

export const DNAT: TargetEntry = { name: 'DNAT', fn: (d: NatTarget) => ({ kind: 'nat', nat: request(d, 'dst', 'dnat') }) };
export const SNAT: TargetEntry = { name: 'SNAT', fn: (d: NatTarget) => ({ kind: 'nat', nat: request(d, 'src', 'snat') }) };
export const MASQUERADE: TargetEntry = { name: 'MASQUERADE', fn: (d: NatTarget) => ({ kind: 'nat', nat: request({ ...d, addrs: undefined } as NatTarget, 'src', 'masquerade') }) };
export const REDIRECT: TargetEntry = { name: 'REDIRECT', fn: (d: NatTarget) => ({ kind: 'nat', nat: request({ ...d, addrs: undefined } as NatTarget, 'dst', 'redirect') }) };
export const NETMAP: TargetEntry = {
  name: 'NETMAP',
  fn: (d: NetmapTarget, ctx) => {
    const manip = ctx.hook === 'PREROUTING' || ctx.hook === 'OUTPUT' ? 'dst' : 'src';
    if (!d.to || d.to.base.family !== 'ipv4') return { kind: 'unmodeled', why: 'NETMAP to a host name resolved at load time', then: 'ACCEPT' };
    return { kind: 'nat', nat: { manip, kind: 'netmap', netmap: { addr: d.to.base.v4, prefix: d.to.prefix }, random: false, persistent: false } };
  },
};
