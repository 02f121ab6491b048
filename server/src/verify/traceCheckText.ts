/**
 * The emulator's own trace against the kernel's packets, as the report
 * shows it below the replay: each of the trace's packets with the kernel's
 * packet it was held against, the chain runs side by side, and what was left
 * out and why. Pure.
 */
import { runText } from './replay';
import type { PacketCheck, TraceCheck } from './traceAgainstKernel';

function head(c: PacketCheck): string {
  const t = c.trace;
  const k = c.kernel;
  const mine = t && `trace${t.conversation > 1 ? ` conversation ${t.conversation}` : ''} packet ${t.n} (${t.label})`;
  const theirs = k && `kernel packet ${k.index}`;
  const what = t ? `${t.start === 'out' ? 'local' : 'arriving'} ${t.addr}${t.flags ? ` [${t.flags}]` : ''}` : k!.title;
  return `${[mine, theirs].filter(Boolean).join(c.what === 'fate' ? ', then ' : ' = ')}: ${what}`;
}

export function renderTraceCheck(c: TraceCheck): string {
  const lines: string[] = [];
  for (const x of c.checks) {
    const mark = x.status === 'differ' ? '≠' : x.status === 'skipped' ? '~' : ' ';
    lines.push(`${mark} ${head(x)}${x.why ? `  (${x.why})` : ''}`);
    if (!x.trace || !x.kernel || x.status === 'skipped' || x.what === 'fate') continue;
    const k = x.kernel.runs.map(runText);
    const m = x.trace.runs.map(runText);
    for (let i = 0; i < Math.max(k.length, m.length); i++) {
      if (k[i] === m[i]) lines.push(`      both:     ${k[i]}`);
      else lines.push(`    ≠ kernel:   ${k[i] ?? '—'}`, `      trace:    ${m[i] ?? '—'}`);
    }
  }
  return lines.join('\n');
}
