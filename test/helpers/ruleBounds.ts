/** A rule's two bounds as short text, for tests of what the analysis's `may` and `must` hold. */
import { analyzeReachability } from '../../server/src/analysis/reachability';
import type { Hook } from '../../server/src/lang/iptables/extension';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';

export const parseNft = (text: string) => parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;

/** A ruleset of raw and filter rules (every built-in chain of both), then `extra` lines (other tables). */
export function rawAndFilter(raw: readonly string[], filter: readonly string[], extra: readonly string[] = []): string {
  return ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...raw, 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...filter, 'COMMIT', ...extra, ''].join('\n');
}

/** `may` and `must` of rule #n of the chain (filter unless named) at the hook of the chain's name: "may/must", "-" for empty. */
export function bounds(text: string, chain: Hook, n: number, table = 'filter'): string {
  const an = analyzeReachability(parseNft(text));
  for (const x of an.rules()) {
    if (x.table !== table || x.chain !== chain || x.rule.ref.index !== n - 1) continue;
    const f = an.reach(x.rule, x.table, x.chain).hits.get(chain);
    return `${f?.may.length ? 'may' : '-'}/${f?.must.length ? 'must' : '-'}`;
  }
  throw new Error(`no rule ${table} ${chain} #${n}`);
}
