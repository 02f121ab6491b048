/**
 * `npm run bench`: prints one JSON object with the measured figures.
 * Each figure is the median of several runs; times in milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { kubeProxyDump } from '../helpers/kubeProxyDump';
import { oracleAvailable } from '../helpers/oracle';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, runs = RUNS): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(xs);
}

const dump = kubeProxyDump({ services: 10000, endpoints: 5 });
const rules = dump.split('\n').filter((l) => l.startsWith('-A')).length;
const result: Record<string, unknown> = {
  machine: { node: process.version, cpus: require('node:os').cpus().length, model: require('node:os').cpus()[0]?.model },
  dump: { services: 10000, endpoints: 5, rules, bytes: Buffer.byteLength(dump) },
};

let errors = 0;
const parseMs = time(() => {
  const a = analyzeIptables(dump, { backend: 'nft', family: 'ipv4' });
  errors = a.diagnostics.filter((d) => d.severity === 'error').length;
});
result.parseAndDiagnosticsMs = Math.round(parseMs);
result.ourErrors = errors;

// What the editor keeps in memory for the dump (needs --expose-gc to be exact).
const kept: unknown[] = []; // module-level, so the analysis stays alive while measured
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  gc();
  const before = process.memoryUsage().heapUsed;
  kept.push(analyzeIptables(dump, { backend: 'nft', family: 'ipv4' }));
  gc();
  result.retainedHeapMB = Math.round((process.memoryUsage().heapUsed - before) / 1e6);
}

const avail = oracleAvailable();
if (avail.ok) {
  const dir = mkdtempSync(join(tmpdir(), 'nflens-bench-'));
  const file = join(dir, 'kube.rules');
  writeFileSync(file, dump);
  for (const backend of ['nft', 'legacy'] as const) {
    let status: number | null = null;
    const ms = time(() => {
      const r = spawnSync('sh', ['-c', `unshare -n iptables-${backend}-restore --test < ${file}`], { encoding: 'utf8' });
      status = r.status;
    }, 3);
    result[`iptablesRestoreTest_${backend}_Ms`] = Math.round(ms);
    result[`iptablesRestoreTest_${backend}_exit`] = status;
    result[`ratio_vs_${backend}`] = Number((parseMs / ms).toFixed(3));
  }
  rmSync(dir, { recursive: true });
} else {
  result.iptablesRestoreTest = `skipped: ${avail.why}`;
}
console.log(JSON.stringify(result, null, 2));
