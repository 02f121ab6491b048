/**
 * `nflens analyze RULES [--host HOSTFILE] [--format text|json|sarif]`: every
 * reachability finding with the rules that block it and an example packet,
 * then a per-chain summary. Exit status 0 when the rules load (findings are
 * warnings), 1 when the file has load errors, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { analyzeReachability } from '../analysis/reachability';
import { reachFindings } from '../analysis/findings';
import { chainSummaries, summaryText } from '../analysis/chainSummary';
import { parseHostFile } from '../emulator/index';
import type { HostModel } from '../emulator/host/model';
import { analyzeIptables } from '../lang/iptables/analyze';
import type { Backend } from '../lang/iptables/extension';
import type { Family } from '../lang/iptables/inet';
import { toJson, toSarif } from './format';

export interface AnalyzeArgs {
  readonly rules: string;
  readonly flags: ReadonlyMap<string, string>;
}

export function runAnalyze(a: AnalyzeArgs, out: (s: string) => void, err: (s: string) => void, version: string): number {
  const format = a.flags.get('format') ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) throw new Error(`--format must be text, json or sarif (got "${format}")`);
  const backend = (a.flags.get('backend') ?? 'nft') as Backend;
  const text = readFileSync(a.rules, 'utf8');
  let host: HostModel | undefined;
  const hostFile = a.flags.get('host');
  if (hostFile) {
    const h = parseHostFile(readFileSync(hostFile, 'utf8'));
    for (const d of h.diagnostics) err(`${hostFile}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity} ${d.message}\n`);
    host = h.value?.host;
  }
  const familyFlag = a.flags.get('family');
  if (familyFlag !== undefined && familyFlag !== 'ipv4' && familyFlag !== 'ipv6') throw new Error(`--family must be ipv4 or ipv6 (got "${familyFlag}")`);
  const analysis = analyzeIptables(text, { backend, family: (familyFlag as Family | undefined) ?? 'auto', fileName: a.rules });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  for (const e of errors) err(`${a.rules}:${e.span.start.line + 1}:${e.span.start.col + 1}: error [${e.code}] ${e.message}\n`);
  const rs = analysis.parsed.ruleset;
  if (rs.family !== 'ipv4') {
    // The packet sets cover IPv4 addresses only; say so rather than analyse the rules as IPv4.
    err(`${a.rules}: read as IPv6 rules (ip6tables-restore): reachability is analysed for IPv4 rules only; \`nflens check\` checks how the file loads.\n`);
    if (format === 'json') out('[]\n');
    else if (format === 'sarif') out(`${JSON.stringify(toSarif([{ file: a.rules, diagnostics: [] }], version), null, 2)}\n`);
    return errors.length ? 1 : 0;
  }
  const lines = text.split('\n');
  const started = Date.now();
  const reach = analyzeReachability(rs, host ? { host } : {});
  const findings = reachFindings(rs, reach, { lineText: (l) => lines[l]?.replace(/\r$/, '') }).sort((x, y) => x.span.start.line - y.span.start.line);
  const ms = Date.now() - started;
  const results = [{ file: a.rules, diagnostics: findings }];
  if (format === 'json') {
    const base = toJson(results);
    out(`${JSON.stringify(base.map((j, i) => ({ ...j, blockedBy: (findings[i]!.related ?? []).map((r) => ({ line: r.span.start.line + 1, text: lines[r.span.start.line]?.trim(), role: r.role ?? 'takes', [r.role ?? 'takes']: r.message })), ...(findings[i]!.example ? { example: findings[i]!.example } : {}) })), null, 2)}\n`);
  } else if (format === 'sarif') {
    out(`${JSON.stringify(toSarif(results, version), null, 2)}\n`);
  } else {
    for (const d of findings) {
      out(`${a.rules}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity} [${d.code}] ${d.message}\n`);
      for (const r of d.related ?? []) out(`    ${r.role === 'changes' ? 'rewritten by' : 'blocked by'} line ${r.span.start.line + 1}: ${lines[r.span.start.line]?.trim() ?? ''}\n      ${r.message}\n`);
    }
    // Per chain: rules, unreachable rules, where it is entered from.
    out(`\n${host ? `host: ${host.name}; ` : 'no host description: routing and address types left open; '}analysed in ${ms} ms\n`);
    for (const s of chainSummaries(reach)) out(`  ${s.table} ${s.chain}: ${summaryText(s)}\n`);
    out(`${findings.length} finding(s)\n`);
  }
  return errors.length ? 1 : 0;
}
