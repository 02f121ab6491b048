/**
 * Full analysis (parse, reachability, findings) of every IPv4 dump of the shared corpus, as `nflens
 * analyze` runs it, a dump with Windows line ends also with them made LF (as the corpus test reads
 * them): the slowest dump's time (median of `runs`) and the sum. A real 194-line dump once took
 * minutes (its bridge-port chains' explanations): small files have their own worst cases.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { reachFindings } from '../../server/src/analysis/findings';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { corpusFiles } from '../helpers/corpus';
import { median } from './stats';

export interface CorpusFindingsRow {
  readonly dumps: number;
  readonly totalMs: number;
  readonly slowest: { readonly dump: string; readonly ms: number };
}

export function corpusFindings(runs: number): CorpusFindingsRow | string {
  const files = corpusFiles('iptables');
  if (!files.length) return 'skipped: the shared corpus is not on this machine';
  const dumps = files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const name = basename(file);
    return text.includes('\r\n') ? [{ name, text }, { name: `${name} (LF)`, text: text.replace(/\r\n/g, '\n') }] : [{ name, text }];
  });
  const times: Array<{ dump: string; ms: number }> = [];
  for (const { name, text } of dumps) {
    const xs: number[] = [];
    let ipv4 = true;
    for (let i = 0; i < runs && ipv4; i++) {
      const t0 = process.hrtime.bigint();
      const rs = analyzeIptables(text, { backend: 'nft', family: 'auto' }).parsed.ruleset;
      ipv4 = rs.family === 'ipv4';
      if (ipv4) reachFindings(rs, analyzeReachability(rs));
      xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    if (ipv4) times.push({ dump: name, ms: median(xs) });
  }
  const slowest = times.reduce((a, b) => (b.ms > a.ms ? b : a));
  return { dumps: times.length, totalMs: Math.round(times.reduce((s, t) => s + t.ms, 0)), slowest: { dump: slowest.dump, ms: Math.round(slowest.ms) } };
}
