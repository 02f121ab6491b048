/**
 * A rule's example packet (from reachability: hover, context menu) as a
 * trace request: it arrives on its input interface when it has one (seen
 * on the way in, or forwarded), else a local process sends it.
 */
import type { Witness } from '../analysis/space/witness';
import { ip4 } from '../emulator/packet';
import type { TraceRequestSpec } from './plan';

export function exampleRequest(w: Witness, hook: string): TraceRequestSpec | { readonly error: string } {
  const proto = w.proto === 6 ? 'tcp' : w.proto === 17 ? 'udp' : w.proto === 1 ? 'icmp' : undefined;
  if (!proto) return { error: `The example is protocol ${w.proto}: traces follow tcp, udp and icmp conversations only.` };
  // POSTROUTING with an input interface: a forwarded packet, so it too arrives on that interface.
  const arrives = (hook === 'PREROUTING' || hook === 'INPUT' || hook === 'FORWARD' || hook === 'POSTROUTING') && !!w.iif;
  return {
    proto,
    src: ip4(w.src),
    dst: ip4(w.dst),
    ...(proto !== 'icmp' ? { sport: w.sport, dport: w.dport } : {}),
    origin: arrives ? { iface: w.iif } : { local: true },
    guess: { ...(w.oif ? { outIface: w.oif } : {}), dstIsLocal: hook === 'PREROUTING' || hook === 'INPUT' },
  };
}
