/**
 * Packets routing drops as martians (ip_route_input_slow): a loopback destination or source
 * arriving on another interface than lo (unless that interface has route_localnet; a loopback
 * source to the limited broadcast is routed before that test), the destination 0.0.0.0, the source
 * 0.0.0.0 (but to the limited broadcast: DHCP), a multicast or limited-broadcast source, and a
 * source that is one of the host's own addresses (fib_validate_source, accept_local 0; to the
 * limited broadcast too). They reach neither INPUT nor FORWARD
 * (test/kernel/martians.kernel.test.ts); the emulator's router drops them too (host/routing.ts).
 */
import type { Hook } from '../../lang/iptables/extension';
import { Field, type Space } from '../space/fields';
import { range, single, subtract, union, type IntSet } from '../space/intSet';
import { intersectSets, isEmpty, NONE, subtractSets, where, type PacketSet } from '../space/packetSet';

/** ipv4_is_zeronet: 0.0.0.0 only since Linux 5.3, which made the rest of 0.0.0.0/8 unicast (checked in the kernel). */
const ZERONET = single(0);
export const LOOPBACK = range(0x7f000000, 0x7fffffff);
/** Multicast addresses (224.0.0.0/4): a martian source; as a destination, delivered to a group's members only (pipeline.ts). */
export const MULTICAST = range(0xe0000000, 0xefffffff);
const LBCAST = single(0xffffffff);

/** Interfaces other than lo (every one when lo has no entry of its own). */
function notLo(space: Space): IntSet {
  const lo = space.ifaces.indexOf('lo');
  return subtract(range(1, space.ifaces.max), space.ifaces.names[lo] === 'lo' ? single(lo) : []);
}

/**
 * Every martian, but loopback addresses on the interfaces with route_localnet (`localnet`), with the
 * addresses `own` as sources from another interface than lo: no packet of it gets past routing. The
 * others come in on lo neither: a local process cannot send them.
 */
export function martians(space: Space, localnet: IntSet = [], own: IntSet = []): PacketSet {
  return kindsOf(space, localnet, own).flatMap(([, m]) => m);
}

/** The martians kind by kind, each with its words (martians() in pieces). */
function kindsOf(space: Space, localnet: IntSet, own: IntSet): Array<readonly [string, PacketSet]> {
  const dst = (v: IntSet) => where(space, Field.Dst, v);
  const src = (v: IntSet) => where(space, Field.Src, v);
  const not = (v: IntSet) => subtract(range(0, 0xffffffff), v);
  const arriving = where(space, Field.Iif, range(1, space.ifaces.max));
  return [
    ['a multicast source', intersectSets(arriving, src(MULTICAST))],
    ['the source 255.255.255.255', intersectSets(arriving, src(LBCAST))],
    // (0.0.0.0 → 0.0.0.0 and 0.0.0.0 → 255.255.255.255 are taken as broadcasts.)
    ['the source 0.0.0.0', intersectSets(arriving, intersectSets(src(ZERONET), dst(not(union(ZERONET, LBCAST)))))],
    ['the destination 0.0.0.0', intersectSets(arriving, intersectSets(dst(ZERONET), src(not(ZERONET))))],
    ['a loopback address from another interface than lo', loopbackMartians(space, localnet)],
    ["one of this host's own addresses as the source, from another interface than lo", own.length ? intersectSets(where(space, Field.Iif, notLo(space)), src(own)) : NONE],
  ];
}

/** Loopback addresses arriving on another interface than lo without route_localnet (`localnet`). */
export function loopbackMartians(space: Space, localnet: IntSet): PacketSet {
  const fromLoopback = intersectSets(where(space, Field.Src, LOOPBACK), where(space, Field.Dst, range(0, 0xfffffffe)));
  return intersectSets(where(space, Field.Iif, subtract(notLo(space), localnet)), [...where(space, Field.Dst, LOOPBACK), ...fromLoopback]);
}

/** Whether every packet of `s` that arrives on an interface is a martian (for some route_localnet). */
export function onlyMartians(space: Space, s: PacketSet): boolean {
  return isEmpty(subtractSets(intersectSets(s, where(space, Field.Iif, range(1, space.ifaces.max))), martians(space)));
}

/** Whether every packet of `s` that arrives on an interface is a loopback address from outside: there only if route_localnet is on. */
export function onlyLoopbackFromOutside(space: Space, s: PacketSet): boolean {
  const arriving = intersectSets(s, where(space, Field.Iif, range(1, space.ifaces.max)));
  return !isEmpty(arriving) && isEmpty(subtractSets(arriving, loopbackMartians(space, [])));
}

/** What routing surely drops as martians, and the hooks it routed every packet of before they get there. */
export interface RoutingDrops {
  readonly drops: PacketSet;
  readonly hooks: readonly Hook[];
  /** The host's own addresses `drops` refuses as sources from outside (a description's; for a guessed host only lo's 127.0.0.1). */
  readonly own: IntSet;
}

export const NO_ROUTING_DROPS: RoutingDrops = { drops: [], hooks: [], own: [] };

/**
 * What routing surely drops on the way to INPUT: every martian, but loopback addresses from outside
 * only where a host description says route_localnet is off (`localnet`: the interfaces with it on;
 * undefined without a description, where any interface may have it). Every packet at INPUT was
 * routed; at FORWARD only when no bridge's frames pass it (`bridgedFrames`: br_netfilter hands
 * them to FORWARD unrouted, martians or not).
 */
export function routingDrops(space: Space, localnet: IntSet | undefined, bridgedFrames: boolean, own: IntSet): RoutingDrops {
  return { drops: martians(space, localnet ?? range(0, space.ifaces.max), own), hooks: bridgedFrames ? ['INPUT'] : ['INPUT', 'FORWARD'], own };
}

/** Whether every packet at these hooks (some) was routed first. */
export function routedAt(routing: RoutingDrops, hooks: readonly Hook[]): boolean {
  return hooks.length > 0 && hooks.every((h) => routing.hooks.includes(h));
}

/** Addresses some martian has as its source (with the host's own), or as its destination. */
const MARTIAN_SRC = union(union(ZERONET, LOOPBACK), union(MULTICAST, LBCAST));
const MARTIAN_DST = union(ZERONET, LOOPBACK);

/**
 * Whether routing drops every packet of `s` (`routing`: routingDrops). A box whose source and
 * destination both leave the martian addresses answers no at once: most do (a hit at INPUT).
 */
export function onlyRoutingDrops(routing: RoutingDrops, s: PacketSet): boolean {
  const drops = routing.drops;
  if (!drops.length || !s.length) return false;
  const sources = routing.own.length ? union(MARTIAN_SRC, routing.own) : MARTIAN_SRC;
  for (const b of s) if (!inside(b[Field.Src]!, sources) && !inside(b[Field.Dst]!, MARTIAN_DST)) return false;
  return isEmpty(subtractSets(s, drops));
}

/** Whether every range of `a` lies in one range of `b` (a few ranges: no set is made). */
function inside(a: IntSet, b: IntSet): boolean {
  outer: for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) if (b[j]! <= a[i]! && a[i + 1]! <= b[j + 1]!) continue outer;
    return false;
  }
  return true;
}

/** The kinds of martian `s` holds, in words: the one that holds it all if there is one (for a finding on a rule only martians would reach). */
export function martianKinds(space: Space, s: PacketSet, own: IntSet = []): string[] {
  const kinds = kindsOf(space, [], own);
  const whole = kinds.find(([, m]) => isEmpty(subtractSets(s, m)));
  return whole ? [whole[0]] : kinds.filter(([, m]) => !isEmpty(intersectSets(s, m))).map(([w]) => w);
}
