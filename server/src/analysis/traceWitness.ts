/**
 * "Trace this packet" from a hover: the example packet of a rule sent through
 * the emulator as the first packet of a conversation, on a host inferred
 * from the rules (the interface it arrives on; for INPUT, its destination
 * as one of the host's addresses), told as the usual story.
 */
import { Emulator, inferHost, renderStory } from '../emulator/index';
import type { Hook } from '../lang/iptables/extension';
import type { Ruleset } from '../lang/iptables/ruleset';
import type { UnknownAssumption } from '../emulator/traverse';
import type { Witness } from './space/witness';

export interface WitnessTrace {
  readonly completed: boolean;
  readonly story: string;
}

export function traceWitness(rs: Ruleset, w: Witness, hook: Hook, lineText?: (line: number) => string | undefined, assume: UnknownAssumption = 'match'): WitnessTrace {
  const proto = w.proto === 6 ? 'tcp' : w.proto === 17 ? 'udp' : w.proto === 1 ? 'icmp' : undefined;
  if (!proto) return { completed: false, story: `The example is protocol ${w.proto}: traces follow tcp, udp and icmp conversations only.` };
  const arrives = hook === 'PREROUTING' || hook === 'INPUT' || hook === 'FORWARD';
  const ifaces = [w.iif, w.oif].filter((x) => x);
  const host = inferHost(rs, { ifaces, ...(arrives && w.iif && hook !== 'FORWARD' ? { localAddr: { addr: w.dst, iface: w.iif } } : {}) });
  const emu = new Emulator(rs, host, { seed: 1, assume });
  const r = emu.trace({
    proto, src: w.src, dst: w.dst,
    ...(proto !== 'icmp' ? { sport: w.sport, dport: w.dport } : {}),
    origin: arrives && w.iif ? { kind: 'iface', iface: w.iif } : { kind: 'local' },
  });
  return { completed: r.completed, story: renderStory(r.events, { lineText: (l) => lineText?.(l) ?? '' }) };
}
