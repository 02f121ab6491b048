/**
 * Packets routing drops as martians when they arrive on another interface than lo
 * (ip_route_input_slow): a loopback destination or source (unless the interface has
 * route_localnet), the destination 0.0.0.0, the source 0.0.0.0 (but to the limited broadcast:
 * DHCP), a multicast or limited-broadcast source. They reach neither INPUT nor FORWARD
 * (test/kernel/martians.kernel.test.ts).
 */
import { Field, type Space } from '../space/fields';
import { range, single, subtract, union, type IntSet } from '../space/intSet';
import { intersectSets, where, type PacketSet } from '../space/packetSet';

/** ipv4_is_zeronet: 0.0.0.0 only since Linux 5.3, which made the rest of 0.0.0.0/8 unicast (checked in the kernel). */
const ZERONET = single(0);
const LOOPBACK = range(0x7f000000, 0x7fffffff);
const MULTICAST = range(0xe0000000, 0xefffffff);
const LBCAST = single(0xffffffff);

/** Interfaces other than lo (every one when lo has no entry of its own). */
function notLo(space: Space): IntSet {
  const lo = space.ifaces.indexOf('lo');
  return subtract(range(1, space.ifaces.max), space.ifaces.names[lo] === 'lo' ? single(lo) : []);
}

/** Every martian, but loopback addresses on the interfaces with route_localnet (`localnet`): no packet of it gets past routing. */
export function martians(space: Space, localnet: IntSet = []): PacketSet {
  const dst = (v: IntSet) => where(space, Field.Dst, v);
  const src = (v: IntSet) => where(space, Field.Src, v);
  return [
    ...intersectSets(where(space, Field.Iif, notLo(space)), [
      ...dst(ZERONET),
      ...src(union(MULTICAST, LBCAST)),
      ...intersectSets(src(ZERONET), dst(subtract(range(0, 0xffffffff), LBCAST))),
    ]),
    ...intersectSets(where(space, Field.Iif, subtract(notLo(space), localnet)), [...dst(LOOPBACK), ...src(LOOPBACK)]),
  ];
}

/** Loopback destinations from outside on interfaces without route_localnet (`localnet`): what the emulator's router drops. */
export function loopbackFromOutside(space: Space, localnet: IntSet): PacketSet {
  return intersectSets(where(space, Field.Iif, subtract(notLo(space), localnet)), where(space, Field.Dst, LOOPBACK));
}
