/**
 * One row of the bench's reachability table, in a process of its own (bench.ts starts one per size,
 * with --expose-gc): parse + load diagnostics + full reachability + findings of a kube-proxy-style
 * dump (BENCH_REACH_RUNS times, default 3, the earlier analysis let go and collected before each;
 * the run of median total is reported, and every run's total), then hover (the flows of one rule)
 * on 200 rules, then edits to fresh findings. Prints one JSON object.
 */
import { analyzeIptables, type IptablesAnalysis } from '../../server/src/lang/iptables/analyze';
import { analyzeReachability, type Reachability } from '../../server/src/analysis/reachability';
import { reachFindings } from '../../server/src/analysis/findings';
import { ruleFlows } from '../../server/src/analysis/ruleFlows';
import { kubeProxyDump } from '../helpers/kubeProxyDump';
import { median, percentile } from './stats';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { PieceDocument } from '../../server/src/pieceDocument';
import { editRehearsal, REHEARSE_FROM_RULES } from '../../server/src/editRehearsal';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { ruleCount } from '../../server/src/analysisCache';

const services = Number(process.argv[2]);
const runs = Math.max(1, Number(process.env.BENCH_REACH_RUNS ?? 3));
const gc = (globalThis as { gc?: () => void }).gc;

/** A line replaced, put in before line `at`, or taken out, as the client sends it (lines as they are before it). */
type LineEdit = { replace: number; text: string } | { insertAt: number; text: string } | { remove: number };

function applyEdit(lines: string[], e: LineEdit): TextDocumentContentChangeEvent {
  if ('replace' in e) {
    const was = lines[e.replace]!;
    lines[e.replace] = e.text;
    return { range: { start: { line: e.replace, character: 0 }, end: { line: e.replace, character: was.length } }, text: e.text };
  }
  if ('insertAt' in e) {
    lines.splice(e.insertAt, 0, e.text);
    return { range: { start: { line: e.insertAt, character: 0 }, end: { line: e.insertAt, character: 0 } }, text: `${e.text}\n` };
  }
  lines.splice(e.remove, 1);
  return { range: { start: { line: e.remove, character: 0 }, end: { line: e.remove + 1, character: 0 } }, text: '' };
}

/**
 * Edits as the editor makes them, each to fresh findings with the previous parse and reachability
 * handed over: `change` gives the edits of version k (the DNAT rules' line numbers as the text was).
 * The document takes each edit as the server's does (PieceDocument.update: the text in pieces, the
 * line starts moved), inside the time measured, and hands the parse its pieces. The time of each, and
 * the walks the last one replayed.
 */
function editsToFindings(text: string, first: IptablesAnalysis, firstReach: Reachability, count: number, change: (lines: readonly string[], dnat: readonly number[], k: number) => LineEdit[]): { times: number[]; replayed: number } {
  const lines = text.split('\n');
  const dnat = lines.flatMap((l, k) => (l.includes('DNAT --to-destination') ? [k] : []));
  const times: number[] = [];
  let doc = PieceDocument.create('file:///bench.rules', 'iptables', 0, text);
  // The server indexes an open document's lines once it is idle after the first publish (server.ts,
  // indexLinesWhenIdle: ~50 ms at 170,012 rules), not inside the first edit: so does this document.
  void doc.lineCount;
  // And after a large file's reachability it makes the slots of the next analysis's walk log (analyseLarge).
  if (ruleCount(first) >= REHEARSE_FROM_RULES) firstReach.memo.spareLog();
  let before = first;
  let reachBefore = firstReach;
  for (let k = 0; k < count; k++) {
    const events = change(lines, dnat, k).map((e) => applyEdit(lines, e));
    const e0 = process.hrtime.bigint();
    doc = PieceDocument.update(doc, events, k + 1);
    const edited = analyzeIptables(doc.content, { backend: 'nft', family: 'ipv4', previous: before });
    const again = analyzeReachability(edited.parsed.ruleset, { previous: reachBefore });
    reachFindings(edited.parsed.ruleset, again);
    times.push(Number(process.hrtime.bigint() - e0) / 1e6);
    before = edited;
    reachBefore = again;
  }
  if (doc.getText() !== lines.join('\n')) throw new Error('the edited document is not the edited lines');
  return { times, replayed: reachBefore.memo.replayed };
}

const text = kubeProxyDump({ services, endpoints: 5 });
const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;
const ms = (a: bigint, b: bigint): number => Math.round(Number(b - a) / 1e6);

interface Run {
  readonly analysis: IptablesAnalysis;
  readonly reach: Reachability;
  readonly findings: number;
  readonly figures: { parseAndDiagnosticsMs: number; reachabilityMs: number; findingsMs: number; totalMs: number; reachabilityCpuMs: number; totalCpuMs: number };
}

function fullAnalysis(): Run {
  // CPU time too (all threads, garbage collection included): the machine is often shared.
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const analysis = analyzeIptables(text, { backend: 'nft', family: 'ipv4' });
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage(c0);
  const reach = analyzeReachability(analysis.parsed.ruleset);
  const t2 = process.hrtime.bigint();
  const c2 = process.cpuUsage(c0);
  const findings = reachFindings(analysis.parsed.ruleset, reach).length;
  const t3 = process.hrtime.bigint();
  const c3 = process.cpuUsage(c0);
  return {
    analysis,
    reach,
    findings,
    figures: { parseAndDiagnosticsMs: ms(t0, t1), reachabilityMs: ms(t1, t2), findingsMs: ms(t2, t3), totalMs: ms(t0, t3), reachabilityCpuMs: Math.round(cpuMs(c2) - cpuMs(c1)), totalCpuMs: Math.round(cpuMs(c3)) },
  };
}

const totals: number[] = [];
let last: Run | undefined;
const figures: Run['figures'][] = [];
for (let i = 0; i < runs; i++) {
  // The earlier analysis is let go first: each run starts from the same heap.
  last = undefined;
  gc?.();
  last = fullAnalysis();
  figures.push(last.figures);
  totals.push(last.figures.totalMs);
}
const chosen = figures.find((f) => f.totalMs === median(totals))!;
const findings = last!.findings;
const bump = (lines: readonly string[], at: number): LineEdit => ({ replace: at, text: lines[at]!.replace(/:(\d+)$/, (_m, d: string) => `:${Number(d) + 1}`) });

/** Hover on 200 rules and on the rule most jump sites lead to, then the one-line edits, from the last run's analysis (let go after: the series below start from their own). */
function hoversAndOneLineEdits(run: Run): { rules: number; hovers: number[]; firstHover: number; mostJumpedTo: number[]; edits: number[]; replayed: number } {
  const { analysis, reach } = run;
  const lines = [...reach.rules()].map((k) => reach.lineOf(k.rule));
  const hovers: number[] = [];
  for (let i = 0; i < 200; i++) {
    const line = lines[(i * 7919) % lines.length]!;
    const h0 = process.hrtime.bigint();
    ruleFlows(reach, line);
    hovers.push(Number(process.hrtime.bigint() - h0) / 1e6);
  }
  // The first hover on an analysis builds its line index: what the first hover after every edit pays.
  const firstHover = hovers[0]!;
  hovers.sort((a, b) => a - b);
  // The rule most jump sites lead to (KUBE-MARK-MASQ's one rule: six per service), hovered five times: the first works
  // its flows out, the others are the editor asking again as the pointer moves along the line (kept per analysis).
  const masq = text.split('\n').findIndex((l) => l.startsWith('-A KUBE-MARK-MASQ -j'));
  const mostJumpedTo: number[] = [];
  for (let i = 0; i < 5; i++) {
    const h0 = process.hrtime.bigint();
    ruleFlows(reach, masq);
    mostJumpedTo.push(Number(process.hrtime.bigint() - h0) / 1e6);
  }
  // One-line edits (an endpoint's DNAT port, spread over the file), each to fresh findings, the
  // previous parse and reachability handed over as the editor does (walks of untouched chains replayed).
  const { times: edits, replayed } = editsToFindings(text, analysis, reach, 12, (lines, dnat, k) => [bump(lines, dnat[Math.floor(((k * 5 + 0.5) % 12) * dnat.length / 12)]!)]);
  edits.sort((a, b) => a - b);
  return { rules: lines.length, hovers, firstHover, mostJumpedTo, edits, replayed };
}
// The server's edit rehearsal (editRehearsal.ts), untimed: it runs once, after a large file's first findings, when the user
// has left the file alone for a second (server.ts), so that V8 has compiled the re-analysis's code before the first edit.
const ruleTotal = ruleCount(last!.analysis);
const r0 = process.hrtime.bigint();
if (ruleTotal >= REHEARSE_FROM_RULES) for (const step of editRehearsal(DEFAULT_SETTINGS)) step();
const rehearsalMs = ruleTotal >= REHEARSE_FROM_RULES ? ms(r0, process.hrtime.bigint()) : undefined;
const firstSeries = hoversAndOneLineEdits(last!);
last = undefined;
const { hovers, firstHover, mostJumpedTo, edits, replayed } = firstSeries;
/**
 * A full analysis of the dump, not timed, for a series of edits to start from as the editor's would after
 * opening: the series before took the first analysis's walk log (each analysis writes its log over the one
 * two versions back, walkMemo.ts), and handed that analysis again an edit would walk everything (until the
 * fourteenth session the next two series did, in their first edit).
 */
function fromTheStart(count: number, change: (lines: readonly string[], dnat: readonly number[], k: number) => LineEdit[]): number[] {
  gc?.();
  const analysis = analyzeIptables(text, { backend: 'nft', family: 'ipv4' });
  const reach = analyzeReachability(analysis.parsed.ruleset);
  reachFindings(analysis.parsed.ruleset, reach);
  // (Nothing of this series is kept once it returns: the next one starts from a heap like this one's.)
  return editsToFindings(text, analysis, reach, count, change).times;
}
// Lines added and removed (a copy of a DNAT rule below it, then deleted): every rule below moves.
const moves = fromTheStart(6, (lines, dnat, k) => {
  const at = dnat[Math.floor(((Math.floor(k / 2) + 0.5) * dnat.length) / 3)]!;
  return [k % 2 === 0 ? { insertAt: at + 1, text: lines[at]!.replace(/:(\d+)$/, ':9999') } : { remove: at + 1 }];
});
// Two one-line edits in one version, a tenth and nine tenths down the file (multi-cursor, "replace all"):
// spliced one place at a time (editSteps.ts).
const twoPlaces = fromTheStart(6, (lines, dnat, k) => [
  bump(lines, dnat[Math.floor(dnat.length / 10) + k]!),
  bump(lines, dnat[Math.floor((dnat.length * 9) / 10) + k]!),
]);
console.log(JSON.stringify({
  services,
  rules: firstSeries.rules,
  ...chosen,
  totalRunsMs: totals,
  findings,
  hoverP95Ms: Number(hovers[Math.floor(hovers.length * 0.95)]!.toFixed(2)),
  hoverFirstMs: Number(firstHover.toFixed(1)),
  hoverMostJumpedToMs: Math.round(mostJumpedTo[0]!),
  hoverMostJumpedToAgainMs: Number(median(mostJumpedTo.slice(1)).toFixed(3)),
  ...(rehearsalMs !== undefined ? { rehearsalMs } : {}),
  oneLineEditToFindingsMs: Math.round(median(edits)),
  oneLineEditToFindingsP95Ms: Math.round(percentile(edits, 0.95)),
  replayedWalksPerEdit: replayed,
  lineAddedOrRemovedToFindingsMs: Math.round(median(moves)),
  twoPlaceEditToFindingsMs: Math.round(median(twoPlaces)),
}));
