/**
 * TRACE target (extensions/libxt_TRACE.c; kernel net/netfilter/xt_TRACE.c,
 * `.table = "raw"`). Marks the packet so every rule it then meets is logged.
 *
 * iptables-legacy loads the xt module, which only exists in the raw table.
 * iptables-nft instead emits the native `meta nftrace set 1` (iptables/nft.c
 * add_target), which has no table restriction: TRACE loads in any table there.
 */
import { defineExtension } from '../../extension';

export type TraceTarget = Record<string, never>;

export const TRACE = defineExtension<TraceTarget>({
  kind: 'target',
  name: 'TRACE',
  summary: 'Turns on packet tracing: every rule the packet meets afterwards is logged (raw table; iptables-nft: any table).',
  options: [],
  init: () => ({}),
  nftNative: () => true,
  kernel: { table: 'raw' },
  save: () => '',
  describe: () => 'trace the packet through the rest of the ruleset, then continue',
});
