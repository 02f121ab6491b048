/** Real trace outcomes for the panel's tests: the emulator on the example hosts, assembled as the server assembles them. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Emulator, inferHost, parseHostFile } from '../../server/src/emulator/index';
import { parseWorkspace } from '../../server/src/emulator/overlay/workspace';
import { OverlayWorld } from '../../server/src/emulator/overlay/world';
import type { HostModel } from '../../server/src/emulator/host/model';
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import type { Ruleset } from '../../server/src/lang/iptables/ruleset';
import { summarizeHost } from '../../server/src/trace/hostSummary';
import { inferHintsFor, planConversation, type TraceRequestSpec } from '../../server/src/trace/plan';
import { traceOutcome, type TraceOutcome } from '../../server/src/trace/traceResult';

/** The repository root: bundled tests run from test/out/<path>, so walk up to package.json. */
function repoRoot(from: string): string {
  let d = from;
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}

export const EXAMPLES = join(repoRoot(__dirname), 'examples');
const WORDS = { src: { label: 'Source', withoutHost: '' }, dst: { label: 'Destination', withoutHost: '' }, noOrigin: 'no origin' };

/** A trace of `rules` (text) on the described host (or the one inferred from the rules), as the server answers it. */
export function outcomeOf(rules: string, req: TraceRequestSpec, hostJson?: string): TraceOutcome {
  const rs = analyzeIptables(rules, { backend: 'nft', family: 'ipv4' }).parsed.ruleset;
  const described = hostJson ? parseHostFile(hostJson).value?.host : undefined;
  const host: HostModel = described ?? inferHost(rs, inferHintsFor(req));
  const plan = planConversation(req, host, WORDS, host);
  if ('error' in plan) throw new Error(plan.error);
  const r = new Emulator(rs, host, { seed: 1 }).trace(plan.spec);
  const lines = rules.split('\n');
  return traceOutcome({
    events: r.events, completed: r.completed, summary: r.summary, legs: r.legs, overlay: false, warnings: [],
    host: { ...summarizeHost(host), source: described ? 'description' : 'inferred', ...(hostJson ? { file: '/x/nflens-host.json' } : {}) },
    rulesFiles: { [host.name]: 'file:///x/rules.v4' }, lineText: (_h, l) => lines[l],
  });
}

export function dockerHostOutcome(req: TraceRequestSpec): TraceOutcome {
  const dir = join(EXAMPLES, 'docker-host');
  return outcomeOf(readFileSync(join(dir, 'rules.v4'), 'utf8'), req, readFileSync(join(dir, 'nflens-host.json'), 'utf8'));
}

/** examples/overlay: container to container across the two hosts. */
export function overlayOutcome(spec: { proto: 'icmp' | 'udp' | 'tcp'; src: string; dst: string; dport?: number }): TraceOutcome {
  const dir = join(EXAMPLES, 'overlay');
  const ws = parseWorkspace(readFileSync(join(dir, 'nflens-workspace.json'), 'utf8')).value;
  const rules = new Map<string, Ruleset>();
  const lines = new Map<string, string[]>();
  for (const h of ws.hosts) {
    const text = readFileSync(join(dir, h.rules!), 'utf8');
    rules.set(h.name, analyzeIptables(text, { backend: 'nft', family: 'ipv4' }).parsed.ruleset);
    lines.set(h.name, text.split('\n'));
  }
  const r = new OverlayWorld(ws, rules, { seed: 1 }).trace(spec);
  return traceOutcome({
    events: r.events, completed: r.completed, summary: r.summary, overlay: true, warnings: [],
    host: { ...summarizeHost(inferHost({ family: 'ipv4', tables: new Map() })), name: 'hostA', source: 'workspace', file: '/x/nflens-workspace.json' },
    rulesFiles: { hostA: 'file:///x/hostA.rules', hostB: 'file:///x/hostB.rules' }, lineText: (h, l) => lines.get(h)?.[l],
  });
}
