/**
 * physdev match (kernel net/netfilter/xt_physdev.c, physdev_mt): the bridge
 * ports of a packet that br_netfilter handed to iptables.
 *
 * - No bridge information (the packet did not enter through a bridge port,
 *   e.g. routed or locally generated): it matches only when every option the
 *   rule gives is inverted.
 * - --physdev-is-bridged tests whether the output port is known (so it is
 *   false in PREROUTING even for a frame being bridged); --physdev-is-in /
 *   --physdev-is-out whether the in/out port is known.
 * - --physdev-in is skipped when the in port is unknown; --physdev-out never
 *   matches when the out port is unknown, inverted or not.
 * - Names compare like -i/-o: a trailing "+" matches by prefix, "" or "+" any name.
 */
import type { PhysdevIface, PhysdevMatch } from '../../lang/iptables/extensions/matches/physdev';
import type { MatcherEntry } from '../registry';

function nameHit(m: PhysdevIface, dev: string): boolean {
  return m.name.endsWith('+') ? dev.startsWith(m.name.slice(0, -1)) : dev === m.name || m.name === '';
}

export const physdev: MatcherEntry = {
  name: 'physdev',
  fn: (d: PhysdevMatch, { packet: p }) => {
    const indev = p.physIn;
    const outdev = p.physOut;
    if (indev === undefined && outdev === undefined && !p.bridged) {
      const opts = [d.isBridged, d.isIn, d.isOut, d.in, d.out];
      return opts.every((o) => o === undefined || o.invert);
    }
    if (d.isBridged && (outdev !== undefined) === d.isBridged.invert) return false;
    if (d.isIn && (indev !== undefined) === d.isIn.invert) return false;
    if (d.isOut && (outdev !== undefined) === d.isOut.invert) return false;
    if (d.in && indev !== undefined && nameHit(d.in, indev) === d.in.invert) return false;
    if (!d.out) return true;
    if (outdev === undefined) return false;
    return nameHit(d.out, outdev) !== d.out.invert;
  },
};
