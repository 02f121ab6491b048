/**
 * The trace requests of the editor: trace a conversation through an open
 * rules document (on its described, workspace or inferred host, or across
 * its overlay workspace), describe that host for Trace Packet's
 * suggestions, and give a rule's example packet. Every problem with the
 * request is answered as { error }; nothing here throws at the client.
 */
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Connection } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ReachEntry } from '../analysisCache';
import { analyzeReachability, type Reachability } from '../analysis/reachability';
import { ruleFlows, type RuleFlows } from '../analysis/ruleFlows';
import { Emulator } from '../emulator/index';
import { OverlayWorld } from '../emulator/overlay/world';
import type { UnknownAssumption } from '../emulator/traverse';
import { analyzeIptables, type IptablesAnalysis } from '../lang/iptables/analyze';
import type { Backend } from '../lang/iptables/extension';
import type { Ruleset } from '../lang/iptables/ruleset';
import {
  hostInfoRequest,
  ruleExampleRequest,
  topologyRequest,
  traceRequest,
  type HostInfoReply,
  type RuleExampleReply,
  type TraceOriginParam,
  type TraceParams,
  type TraceReply,
} from '../protocol';
import { summarizeHost } from '../trace/hostSummary';
import { isTraceProtocol, planConversation, type PlanWords, type TraceOrigin, type TraceRequestSpec } from '../trace/plan';
import { traceOutcome, type TraceHost } from '../trace/traceResult';
import { fileNamedBy } from './hostFiles';
import { describedHostFor, traceHostFor, type HostChoice } from './traceHost';
import { topology } from './topologyRequest';

export interface TraceDeps {
  /** The open iptables document and its analysis. */
  analysisFor(uri: string): Promise<{ readonly doc: TextDocument; readonly analysis: IptablesAnalysis } | undefined>;
  reachFor(uri: string): Promise<ReachEntry | undefined>;
  openText(uri: string): string | undefined;
  backend(uri: string): Promise<Backend>;
  assume(uri: string): Promise<UnknownAssumption>;
  log(message: string): void;
}

const WORDS: PlanWords = {
  src: { label: 'Source', withoutHost: '' },
  dst: { label: 'Destination', withoutHost: '' },
  noOrigin: 'Say where the first packet comes from: an interface it arrives on, this host, or a peer.',
};

function originOf(o: TraceOriginParam | undefined): TraceOrigin {
  if (!o || typeof o !== 'object') return {};
  if ('peer' in o && typeof o.peer === 'string') return { peer: o.peer };
  if ('local' in o && o.local) return { local: true };
  if ('iface' in o && typeof o.iface === 'string') return { iface: o.iface };
  return {};
}

function requestOf(p: TraceParams): TraceRequestSpec {
  const num = (x: unknown): number | undefined => (typeof x === 'number' ? x : undefined);
  const sport = num(p.sport);
  const dport = num(p.dport);
  return {
    proto: String(p.proto ?? ''),
    src: typeof p.src === 'string' ? p.src.trim() : '',
    dst: typeof p.dst === 'string' ? p.dst.trim() : '',
    ...(sport !== undefined ? { sport } : {}),
    ...(dport !== undefined ? { dport } : {}),
    origin: originOf(p.origin),
    ...(p.guess && typeof p.guess === 'object' ? { guess: p.guess } : {}),
  };
}

const traceHostOf = (c: HostChoice): TraceHost => ({ ...summarizeHost(c.host), source: c.source, ...(c.file ? { file: c.file } : {}) });

function loadWarnings(a: IptablesAnalysis): string[] {
  const n = a.diagnostics.filter((d) => d.severity === 'error').length;
  return n ? [`The rules have ${n} load error${n > 1 ? 's' : ''}: tables with errors are left out of the trace.`] : [];
}

async function trace(p: TraceParams, d: TraceDeps): Promise<TraceReply> {
  const a = await d.analysisFor(p.uri);
  if (!a) return { error: 'The document is not open as an iptables file.' };
  const rs = a.analysis.parsed.ruleset;
  if (rs.family !== 'ipv4') return { error: 'Traces follow IPv4 rules only; this is an IPv6 file.' };
  const req = requestOf(p);
  if (!isTraceProtocol(req.proto)) return { error: `The protocol must be tcp, udp or icmp, not "${req.proto}".` };
  const choice = traceHostFor(p.uri, rs, req, d.openText);
  const warnings = [...choice.warnings, ...loadWarnings(a.analysis)];
  const assume = await d.assume(p.uri);
  const overlaySource = choice.workspace?.ws.containers.find((c) => c.name === (req.origin.peer ?? req.src));
  if (choice.workspace && overlaySource) return overlayTrace(p, req, overlaySource.name, choice, a, warnings, d, assume);
  const plan = planConversation(req, choice.host, WORDS, choice.host);
  if ('error' in plan) return plan;
  const iface = req.origin.iface;
  if (iface && choice.source !== 'inferred' && !choice.host.ifaces.has(iface)) {
    warnings.push(`${choice.host.name} has no interface "${iface}" in its description; the packet is traced as arriving on it anyway.`);
  }
  const lines = a.doc.getText().split('\n');
  const r = new Emulator(rs, choice.host, { seed: 1, assume }).trace(plan.spec);
  return traceOutcome({
    events: r.events, completed: r.completed, summary: r.summary, legs: r.legs, host: traceHostOf(choice), overlay: false, warnings,
    rulesFiles: { [choice.host.name]: p.uri }, lineText: (_host, l) => lines[l],
  });
}

/** A container of the workspace sends: the story across the hosts, each with its own rules. */
async function overlayTrace(
  p: TraceParams, req: TraceRequestSpec, src: string, choice: HostChoice, a: { readonly doc: TextDocument; readonly analysis: IptablesAnalysis },
  warnings: string[], d: TraceDeps, assume: UnknownAssumption,
): Promise<TraceReply> {
  const { ws, file } = choice.workspace!;
  const backend = await d.backend(p.uri);
  const rules = new Map<string, Ruleset>();
  const lines = new Map<string, string[]>();
  const rulesFiles: Record<string, string> = {};
  for (const h of ws.hosts) {
    if (!h.rules) continue;
    const path = resolve(dirname(file), h.rules);
    const uri = pathToFileURL(path).toString();
    const own = uri === p.uri;
    const text = own ? a.doc.getText() : fileNamedBy(path, d.openText)?.text;
    if (text === undefined) {
      warnings.push(`${h.name}'s rules file ${h.rules} cannot be read: ${h.name} is traced without rules.`);
      continue;
    }
    rules.set(h.name, own ? a.analysis.parsed.ruleset : analyzeIptables(text, { backend, family: 'ipv4' }).parsed.ruleset);
    lines.set(h.name, text.split('\n'));
    rulesFiles[h.name] = own ? p.uri : uri;
  }
  const [dst, portText] = (req.dst ?? '').split(':');
  const dport = req.dport ?? (portText && /^\d+$/.test(portText) ? Number(portText) : undefined);
  const world = new OverlayWorld(ws, rules, { seed: 1, assume });
  const r = world.trace({ proto: req.proto as 'tcp' | 'udp' | 'icmp', src, dst: dst ?? '', ...(dport !== undefined && req.proto !== 'icmp' ? { dport } : {}) });
  if (!r.events.length) return { error: r.summary };
  return traceOutcome({
    events: r.events, completed: r.completed, summary: r.summary, host: traceHostOf(choice), overlay: true, warnings, rulesFiles,
    lineText: (host, l) => lines.get(host)?.[l],
  });
}

async function hostInfo(uri: string, d: TraceDeps): Promise<HostInfoReply> {
  const a = await d.analysisFor(uri);
  if (!a) return { error: 'The document is not open as an iptables file.' };
  const choice = traceHostFor(uri, a.analysis.parsed.ruleset, undefined, d.openText);
  const ws = choice.workspace?.ws;
  const ip = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  return {
    ...traceHostOf(choice),
    ...(ws ? {
      overlay: {
        containers: ws.containers.map((c) => ({ name: c.name, network: c.network, host: c.host, address: ip(c.addr) })),
        hosts: ws.hosts.map((h) => ({ name: h.name, address: ip(h.underlay) })),
      },
    } : {}),
  };
}

/** Reachability on the described host, per document version and description (examples it gives are packets that host could send). */
const describedReach = new WeakMap<IptablesAnalysis, { readonly key: string; readonly reach: Reachability }>();

function reachOn(a: IptablesAnalysis, choice: HostChoice, hostless: Reachability): Reachability {
  if (choice.source === 'inferred') return hostless;
  const key = JSON.stringify(summarizeHost(choice.host));
  const hit = describedReach.get(a);
  if (hit?.key === key) return hit.reach;
  const reach = analyzeReachability(a.parsed.ruleset, { host: choice.host });
  describedReach.set(a, { key, reach });
  return reach;
}

/** The example packet of the rule on `line` as the trace will use it: on the described host when there is one. */
export function exampleOnHost(uri: string, a: IptablesAnalysis, hostless: Reachability, line: number, openText: (uri: string) => string | undefined): RuleFlows['example'] {
  const choice = describedHostFor(uri, openText);
  return ruleFlows(choice ? reachOn(a, choice, hostless) : hostless, line)?.example;
}

async function ruleExample(uri: string, line: number, d: TraceDeps): Promise<RuleExampleReply> {
  const a = await d.analysisFor(uri);
  const reach = await d.reachFor(uri);
  if (!a || !reach) return { error: 'The document is not open as an iptables file.' };
  if (!reach.reach) return { error: `No example packet: ${reach.skipped ?? 'the rules were not analysed'}.` };
  const choice = traceHostFor(uri, a.analysis.parsed.ruleset, undefined, d.openText);
  const f = Number.isInteger(line) ? ruleFlows(reachOn(a.analysis, choice, reach.reach), line) : undefined;
  if (!f) return { error: `Line ${line + 1} holds no rule of a loaded table.` };
  if (!f.example) return { error: `No packet reaches the rule on line ${line + 1}: there is nothing to trace.` };
  return { hook: f.example.hook, witness: f.example.witness as unknown as Record<string, number | string | boolean>, text: f.example.text };
}

/** Runs a handler; an unexpected failure is logged and answered as { error }, and the server keeps serving. */
async function guarded<T>(what: string, d: TraceDeps, run: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await run();
  } catch (e) {
    d.log(`${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return { error: `${what} failed inside Netfilter Lens: ${e instanceof Error ? e.message : String(e)} (details in the output channel).` };
  }
}

export function registerTraceRequests(connection: Connection, d: TraceDeps): void {
  connection.onRequest(traceRequest, (p) => guarded('The trace', d, () => trace(p, d)));
  connection.onRequest(hostInfoRequest, (p) => guarded('Reading the host', d, () => hostInfo(p.uri, d)));
  connection.onRequest(ruleExampleRequest, (p) => guarded('The example packet', d, () => ruleExample(p.uri, p.line, d)));
  connection.onRequest(topologyRequest, (p) => guarded('Reading the topology', d, () => topology(String(p?.uri ?? ''), d)));
}
