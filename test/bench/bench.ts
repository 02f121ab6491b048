/**
 * `npm run bench`: prints one JSON object with the measured figures.
 * Each figure is the median of several runs; times in milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeIptables, checkIptables } from '../../server/src/lang/iptables/analyze';
import { cacheOf } from '../../server/src/lang/iptables/lineCache';
import { median, percentile } from './stats';
import { Emulator, parseHostFile } from '../../server/src/emulator/index';
import { kubeProxyDump, kubeServiceVip } from '../helpers/kubeProxyDump';
import { parseIp } from '../../server/src/verify/replay';
import { oracleAvailable } from '../helpers/oracle';
import { corpusFindings } from './corpusFindings';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

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

// The editor: one-line edits (an unknown option put on a DNAT rule, then taken away) to the new version's
// diagnostics, through the language server over its protocol, each after a pause (BENCH_EDIT_SERVICES,
// default 100,1000,10000; BENCH_EDITS edits each, default 20). Then the same with reachability on in the
// editor (maxRules 25,000) for BENCH_EDIT_FINDINGS_SERVICES (default 1000): edit to fresh findings.
// First, in a process of their own: started after the reachability rows, from this process holding
// gigabytes, the 170,012-rule edits measured 250-290 ms instead of 120-150 (same code, same machine).
{
  const child = spawnSync(process.execPath, [join(__dirname, 'editLatencyMain.js')], { encoding: 'utf8', env: process.env, maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`the editor rows failed: ${child.stderr}`);
  result.editToDiagnostics = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
}
// iptables-restore --test on the same file, and `nflens check` from the shell, in processes of their own
// while this one is still small: with a process holding ~3.5 GB on this machine (as this one does once it
// has parsed the dump below), `iptables-nft-restore --test` measured 1.3-2.1 s instead of 1.1-1.2.
const restoreMs: Partial<Record<'nft' | 'legacy', number>> = {};
let cliMs: number | undefined;
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
    restoreMs[backend] = ms;
    result[`iptablesRestoreTest_${backend}_Ms`] = Math.round(ms);
    result[`iptablesRestoreTest_${backend}_exit`] = status;
  }
  // The CLI from the shell, process start and file read included (as iptables-restore's figure is).
  cliMs = time(() => {
    const r = spawnSync(process.execPath, [join(__dirname, '..', '..', '..', 'server', 'out', 'nflens.js'), 'check', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nflens check failed: ${r.stdout}${r.stderr}`);
  }, 3);
  result.cliCheckMs = Math.round(cliMs);
  rmSync(dir, { recursive: true });
} else {
  result.iptablesRestoreTest = `skipped: ${avail.why}`;
}

// Reachability (issue 5) on kube-proxy-style dumps of growing size, each size in a process of its own
// (reachRowMain.ts): what `nflens analyze` meets. In this process, after the rows below, collection over
// the heap they leave made the 170,012-rule analysis take 5.2-7.1 s where a fresh process takes ~4-5 s.
// Started before those rows: with this process holding gigabytes (any process holding ~3.5 GB on this
// machine, even a plain buffer), the 170,012-rule one-line edits measured 370-480 ms instead of ~240.
{
  const sizes = (process.env.BENCH_REACH_SERVICES ?? '100,1000,10000').split(',').map(Number);
  const rows: unknown[] = [];
  for (const services of sizes) {
    const child = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', join(__dirname, 'reachRowMain.js'), String(services)], { encoding: 'utf8', env: process.env, maxBuffer: 64 << 20 });
    if (child.status !== 0) throw new Error(`the reachability row for ${services} services failed: ${child.stderr}`);
    rows.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!));
  }
  result.reachability = rows;
}

// Every real dump of the shared corpus, analysed in full: the slowest (median of three runs) and the sum.
result.corpusFindings = corpusFindings(3);

// The load check: what `nflens check` runs on the file (checkIptables: a file the one-pass proof shows
// clean gets no diagnostic without a model; any other the full analysis). Then the editor's parse: the
// same diagnostics with the model every feature reads (analyzeIptables).
let errors = 0;
let proven = false;
const parseMs = time(() => {
  const c = checkIptables(dump, { backend: 'nft', family: 'ipv4' });
  errors = c.diagnostics.filter((d) => d.severity === 'error').length;
  proven = c.proof !== undefined;
});
result.parseAndDiagnosticsMs = Math.round(parseMs);
result.checkProvenClean = proven;
result.ourErrors = errors;
let modelErrors = 0;
const modelMs = time(() => {
  const a = analyzeIptables(dump, { backend: 'nft', family: 'ipv4' });
  modelErrors = a.diagnostics.filter((d) => d.severity === 'error').length;
});
result.modelParseAndDiagnosticsMs = Math.round(modelMs);
result.modelErrors = modelErrors;

// A reparse handed the previous version (what the editor does on each edit), in this process:
// an unknown option put on a DNAT rule and taken away again (one line changed), and a bad copy
// of such a rule inserted below it and deleted again (every line below moves), at 20 places
// spread over the nat table; how many reparses spliced the table (tableSplice.ts).
{
  const lines = dump.split('\n');
  const dnat = lines.map((l, i) => (l.includes('--to-destination') ? i : -1)).filter((i) => i >= 0);
  let previous = analyzeIptables(dump, { backend: 'nft', family: 'ipv4' });
  const measure = (edit: (at: number, adds: boolean) => string[]): { medianMs: number; p95Ms: number; spliced: number } => {
    const times: number[] = [];
    let spliced = 0;
    for (let k = 0; k < 40; k++) {
      const text = edit(dnat[Math.floor(((Math.floor(k / 2) + 0.5) * dnat.length) / 20)]!, k % 2 === 0).join('\n');
      const t0 = process.hrtime.bigint();
      previous = analyzeIptables(text, { backend: 'nft', family: 'ipv4', previous });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (cacheOf(previous.parsed)?.spliced) spliced++;
    }
    return { medianMs: Math.round(median(times)), p95Ms: Math.round(percentile([...times].sort((a, b) => a - b), 0.95)), spliced };
  };
  const changed = (at: number, adds: boolean) => lines.map((l, i) => (i === at && adds ? `${l} --bogus` : l));
  const inserted = (at: number, adds: boolean) => (adds ? [...lines.slice(0, at + 1), `${lines[at]} --bogus`, ...lines.slice(at + 1)] : lines);
  result.reparse = { lineChanged: measure(changed), lineAddedOrRemoved: measure(inserted) };
}

// The emulator on the same dump: building its model, then whole TCP conversations
// (handshake, data, close, replies) from an outside client to service cluster IPs,
// each walking KUBE-SERVICES to its service, a random endpoint and the DNAT.
{
  const ruleset = analyzeIptables(dump, { backend: 'nft', family: 'ipv4' }).parsed.ruleset;
  const host = parseHostFile(JSON.stringify({
    name: 'node',
    interfaces: [{ name: 'eth0', addresses: ['192.168.0.10/24'] }, { name: 'cni0', kind: 'bridge', addresses: ['10.244.255.1/16'] }],
    routes: [{ to: 'default', via: '192.168.0.1', dev: 'eth0' }],
    sysctl: { 'net.ipv4.ip_forward': 1, 'net.bridge.bridge-nf-call-iptables': 1, 'net.netfilter.nf_conntrack_tcp_loose': 1 },
    peers: [{ name: 'client', address: '192.168.0.20', via: 'eth0' }],
  })).value!.host;
  // Each build from a fresh analysis. Chains compile when a packet first enters them (a rule's
  // model parses its line again), so the first conversation pays for the chains it walks.
  const builds: number[] = [];
  for (let i = 0; i < 3; i++) {
    const fresh = analyzeIptables(dump, { backend: 'nft', family: 'ipv4' }).parsed.ruleset;
    const t0 = process.hrtime.bigint();
    new Emulator(fresh, host);
    builds.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  result.emulatorModelBuildMs = Math.round(median(builds));
  const emu = new Emulator(ruleset, host, { seed: 7 });
  const per: number[] = [];
  let completed = 0;
  for (let k = 0; k < 101; k++) {
    const s = (k * 7919) % 10000;
    const t0 = process.hrtime.bigint();
    const r = emu.trace({ proto: 'tcp', src: parseIp('192.168.0.20'), sport: 40000 + k, dst: parseIp(kubeServiceVip(s)), dport: 80, origin: { kind: 'iface', iface: 'eth0' } });
    per.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.completed) completed++;
  }
  result.traceFirstConversationMs = Number(per[0]!.toFixed(1));
  result.traceConversationMedianMs = Number(median(per).toFixed(2));
  result.traceConversationMaxMs = Number(Math.max(...per).toFixed(2));
  result.traceConversationsCompleted = `${completed}/101`;
}

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

// The ratios to iptables-restore's time measured first (below), now that ours are known.
for (const backend of ['nft', 'legacy'] as const) {
  const ms = restoreMs[backend];
  if (ms === undefined) continue;
  result[`ratio_vs_${backend}`] = Number((parseMs / ms).toFixed(3));
  result[`modelRatio_vs_${backend}`] = Number((modelMs / ms).toFixed(3));
  if (backend === 'nft' && cliMs !== undefined) result.cliRatio_vs_nft = Number((cliMs / ms).toFixed(3));
}
console.log(JSON.stringify(result, null, 2));
