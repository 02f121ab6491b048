/**
 * `nflens trace`: one conversation through the rules, as a story (text) or
 * as the event stream (JSON, 1-based source lines, dotted addresses).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Emulator, inferHost, parseHostFile, renderStory } from '../emulator/index';
import type { HostModel } from '../emulator/host/model';
import { parseDockerInspect, withDockerInspect, type DockerNetwork } from '../emulator/host/dockerInspect';
import type { DockerContainer } from '../emulator/host/containerInspect';
import { parseWorkspace } from '../emulator/overlay/workspace';
import { OverlayWorld } from '../emulator/overlay/world';
import type { Ruleset } from '../lang/iptables/ruleset';
import { analyzeIptables } from '../lang/iptables/analyze';
import type { Backend } from '../lang/iptables/extension';
import { toJsonEvent } from '../trace/jsonEvent';
import { inferHintsFor, isTraceProtocol, planConversation, type PlanWords, type TraceRequestSpec } from '../trace/plan';

export interface TraceArgs {
  readonly rules: string;
  readonly flags: ReadonlyMap<string, string>;
}

const CLI_WORDS: PlanWords = {
  src: { label: '--src', withoutHost: ' (names need --host)' },
  dst: { label: '--dst', withoutHost: ' (names need --host)' },
  noOrigin: 'say where the first packet comes from: --in IFACE or --local (or name a peer of the host description as --src)',
};

/** The trace the flags ask for, as the editor asks it too. */
function requestOf(f: ReadonlyMap<string, string>): TraceRequestSpec {
  const iface = f.get('in');
  return {
    proto: f.get('proto') ?? 'tcp',
    src: f.get('src'),
    dst: f.get('dst'),
    origin: { ...(f.has('local') ? { local: true } : {}), ...(iface ? { iface } : {}) },
  };
}

export function runTrace(args: TraceArgs, write: (s: string) => void, warn: (s: string) => void): number {
  const f = args.flags;
  const text = readFileSync(args.rules, 'utf8');
  const backend = (f.get('backend') ?? 'nft') as Backend;
  const analysis = analyzeIptables(text, { backend, family: 'ipv4' });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  for (const e of errors.slice(0, 5)) warn(`${args.rules}:${e.span.start.line + 1}: error: ${e.message}\n`);
  if (errors.length) warn(`nflens: ${args.rules} has load errors; tables with errors are left out of the trace.\n`);
  const req = requestOf(f);
  if (!isTraceProtocol(req.proto)) throw new Error('--proto must be tcp, udp or icmp');
  let described: HostModel | undefined;
  const hostFile = f.get('host');
  if (hostFile) {
    const parsed = parseHostFile(readFileSync(hostFile, 'utf8'), 'host');
    for (const d of parsed.diagnostics) warn(`${hostFile}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity}: ${d.message}\n`);
    if (!parsed.value) throw new Error(`cannot use ${hostFile}`);
    described = parsed.value.host;
    if (parsed.value.rules && resolve(dirname(hostFile), parsed.value.rules) !== resolve(args.rules)) {
      warn(`nflens: note: ${hostFile} names rules file ${parsed.value.rules}; tracing ${args.rules}\n`);
    }
  }
  // Networks, containers and published ports from saved `docker network inspect` / `docker inspect` output;
  // read together, so a container finds its network's bridge in another file.
  const inspectFiles = (f.get('docker-inspect') ?? '').split(',').filter(Boolean);
  if (inspectFiles.length) {
    const networks: DockerNetwork[] = [];
    const containers: DockerContainer[] = [];
    for (const file of inspectFiles) {
      const r = parseDockerInspect(readFileSync(file, 'utf8'));
      for (const d of r.diagnostics) warn(`${file}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity}: ${d.message}\n`);
      networks.push(...r.value.networks);
      containers.push(...r.value.containers);
    }
    described = withDockerInspect(described ?? inferHost(analysis.parsed.ruleset, inferHintsFor(req)), { networks, containers });
  }
  const host: HostModel = described ?? inferHost(analysis.parsed.ruleset, inferHintsFor(req));
  const plan = planConversation(req, host, CLI_WORDS, described);
  if ('error' in plan) throw new Error(plan.error);
  const assume = f.get('assume') === 'no-match' ? 'no-match' : 'match';
  const emu = new Emulator(analysis.parsed.ruleset, host, { seed: Number(f.get('seed') ?? 1), assume });
  const r = emu.trace(plan.spec);
  if ((f.get('format') ?? 'text') === 'json') {
    write(`${JSON.stringify({ completed: r.completed, summary: r.summary, events: r.events.map(toJsonEvent) }, null, 2)}\n`);
  } else {
    const lines = text.split('\n');
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
