/**
 * `nflens trace`: one conversation through the rules, as a story (text) or
 * as the event stream (JSON, 1-based source lines, dotted addresses).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Emulator, renderStory } from '../emulator/index';
import { parseWorkspace } from '../emulator/overlay/workspace';
import { OverlayWorld } from '../emulator/overlay/world';
import type { Ruleset } from '../lang/iptables/ruleset';
import { analyzeIptables } from '../lang/iptables/analyze';
import type { Backend } from '../lang/iptables/extension';
import { toJsonEvent } from '../trace/jsonEvent';
import { prepareTrace, type TraceArgs } from './traceSetup';

export type { TraceArgs } from './traceSetup';

export function runTrace(args: TraceArgs, write: (s: string) => void, warn: (s: string) => void): number {
  const f = args.flags;
  const setup = prepareTrace(args, warn, 'has load errors; tables with errors are left out of the trace.');
  const assume = f.get('assume') === 'no-match' ? 'no-match' : 'match';
  const emu = new Emulator(setup.analysis.parsed.ruleset, setup.host, { seed: Number(f.get('seed') ?? 1), assume });
  const r = emu.trace(setup.spec);
  if ((f.get('format') ?? 'text') === 'json') {
    write(`${JSON.stringify({ completed: r.completed, summary: r.summary, events: r.events.map(toJsonEvent) }, null, 2)}\n`);
  } else {
    const lines = setup.text.split('\n');
    write(`${renderStory(r.events, { lineText: (l) => lines[l], verbose: f.has('verbose') })}\n`);
  }
  return r.completed ? 0 : 3;
}

/** `nflens trace --workspace FILE`: containers on overlay networks across the hosts a workspace describes. */
export function runWorkspaceTrace(flags: ReadonlyMap<string, string>, write: (s: string) => void, warn: (s: string) => void): number {
  const file = flags.get('workspace')!;
  const ws = parseWorkspace(readFileSync(file, 'utf8'));
  for (const d of ws.diagnostics) warn(`${file}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity}: ${d.message}\n`);
  const backend = (flags.get('backend') ?? 'nft') as Backend;
  const rules = new Map<string, Ruleset>();
  for (const h of ws.value.hosts) {
    if (!h.rules) continue;
    const path = resolve(dirname(file), h.rules);
    const analysis = analyzeIptables(readFileSync(path, 'utf8'), { backend, family: 'ipv4' });
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    for (const e of errors.slice(0, 5)) warn(`${path}:${e.span.start.line + 1}: error: ${e.message}\n`);
    rules.set(h.name, analysis.parsed.ruleset);
  }
  const proto = flags.get('proto') ?? 'icmp';
  if (!['tcp', 'udp', 'icmp'].includes(proto)) throw new Error('--proto must be tcp, udp or icmp');
  const src = flags.get('src');
  const dstText = flags.get('dst');
  if (!src || !dstText) throw new Error('--src names a container of the workspace, --dst a container, a host of the workspace or an address (with :PORT)');
  const [dst, port] = dstText.split(':');
  const world = new OverlayWorld(ws.value, rules, { seed: Number(flags.get('seed') ?? 1) });
  const r = world.trace({ proto: proto as 'tcp' | 'udp' | 'icmp', src, dst: dst!, ...(port ? { dport: Number(port) } : {}) });
  if ((flags.get('format') ?? 'text') === 'json') write(`${JSON.stringify({ completed: r.completed, summary: r.summary, events: r.events.map(toJsonEvent) }, null, 2)}\n`);
  else write(`${renderStory(r.events, { verbose: flags.has('verbose') })}\n`);
  return r.completed ? 0 : 3;
}
