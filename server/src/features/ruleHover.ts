/** The flows of a rule as hover markdown (from analysis/ruleFlows.ts), with the dump's counters and the findings on its line. */
import type { RuleFlows } from '../analysis/ruleFlows';
import type { Diagnostic } from '../lang/diagnostic';
import type { RuleSpec } from '../lang/iptables/ast';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** `docker`: for a Docker published-port DNAT rule, the connections docker-proxy takes instead (publishedPorts.ts proxyServes). */
export function ruleHoverMarkdown(f: RuleFlows, spec: RuleSpec | undefined, lineFindings: readonly Diagnostic[], traceLink?: string, docker?: string): string {
  const out: string[] = [];
  if (f.unreachable) out.push(`**No packet reaches this rule** (${f.table} ${f.chain}).`);
  else {
    out.push(`**Packets this rule matches** (${f.table} ${f.chain}):`);
    out.push(['| Hook | Path | Packets |', '| --- | --- | --- |', ...f.rows.map((r) => `| ${r.hook} | ${cell(r.path)} | ${cell(r.packets)}${r.onlyIf ? ` — only if ${cell(r.onlyIf.join('; '))}` : ''} |`)].join('\n'));
    out.push(`It ${f.does}.`);
  }
  if (f.neverHere) out.push(`Its conditions also accept ${f.neverHere.packets}, but those never get here${f.neverHere.takenBy.length ? `: taken earlier by line ${f.neverHere.takenBy.join(', ')}` : ''}.`);
  if (f.martians) out.push(`Its conditions also accept ${f.martians.packets}, but routing drops those as martians before ${f.martians.before} (${f.martians.kinds.join('; ')}).`);
  if (docker) out.push(docker);
  for (const d of lineFindings) out.push(`⚠ ${d.message}`);
  if (spec?.counters) out.push(`Counters in the dump: ${spec.counters.packets} packets, ${spec.counters.bytes} bytes.`);
  if (f.example) out.push(`Example (${f.example.hook}): \`${f.example.text}\`${traceLink ? ` — [Trace this packet](${traceLink})` : ''}`);
  return out.join('\n\n');
}
