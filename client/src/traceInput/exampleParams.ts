/** A rule's example packet (hover link, context menu) as trace parameters for the panel. Pure. */
import type { Witness } from '../../../server/src/analysis/space/witness';
import type { TraceParams } from '../../../server/src/protocol';
import { exampleRequest } from '../../../server/src/trace/exampleRequest';

export function exampleParams(uri: string, hook: string, witness: unknown): TraceParams | { readonly error: string } {
  if (!witness || typeof witness !== 'object') return { error: 'The example packet is missing.' };
  const r = exampleRequest(witness as Witness, hook);
  if ('error' in r) return r;
  return {
    uri, proto: r.proto, src: r.src ?? '', dst: r.dst ?? '',
    ...(r.sport !== undefined ? { sport: r.sport } : {}),
    ...(r.dport !== undefined ? { dport: r.dport } : {}),
    origin: r.origin.local ? { local: true } : { iface: r.origin.iface ?? '' },
    ...(r.guess ? { guess: r.guess } : {}),
  };
}
