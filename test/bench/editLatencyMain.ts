/**
 * The bench's editor rows, run first and in a process of their own (bench.ts
 * starts it): after the reachability rows, with the bench process holding
 * gigabytes, the 170,012-rule edits measured 250-290 ms instead of 120-150 on
 * this 2-vCPU machine, in the same process or a child alike (the cause was not
 * pinned down). Prints one JSON array of rows.
 */
import { kubeProxyDump } from '../helpers/kubeProxyDump';
import { measureEditLatency } from './editLatency';

void (async () => {
  const rows: unknown[] = [];
  const edits = Number(process.env.BENCH_EDITS ?? 20);
  const sizes = (v: string | undefined, d: string) => (v ?? d).split(',').map(Number).filter((n) => n > 0);
  const runs = [
    ...sizes(process.env.BENCH_EDIT_SERVICES, '100,1000,10000').map((services) => ({ services, maxRules: undefined })),
    ...sizes(process.env.BENCH_EDIT_FINDINGS_SERVICES, '1000').map((services) => ({ services, maxRules: 25000 })),
  ];
  for (const { services, maxRules } of runs) {
    const text = kubeProxyDump({ services, endpoints: 5 });
    const r = await measureEditLatency(text, /--to-destination \S+:\d+$/, { edits, ...(maxRules ? { maxRules } : {}) });
    rows.push({ services, rules: text.split('\n').filter((l) => l.startsWith('-A')).length, ...r });
  }
  console.log(JSON.stringify(rows));
})();
