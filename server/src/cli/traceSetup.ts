/**
 * What `nflens trace` and `nflens verify` both read from their arguments:
 * the rules, the host (described, from saved docker inspect output, or
 * inferred), and the planned conversation. Bad input throws an Error whose
 * message is meant for the person at the terminal.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { inferHost, parseHostFile } from '../emulator/index';
import type { ConversationSpec } from '../emulator/conversation';
import type { HostModel } from '../emulator/host/model';
import { parseDockerInspect, withDockerInspect, type DockerNetwork } from '../emulator/host/dockerInspect';
import type { DockerContainer } from '../emulator/host/containerInspect';
import { analyzeIptables, type IptablesAnalysis } from '../lang/iptables/analyze';
import type { Backend } from '../lang/iptables/extension';
import { inferHintsFor, isTraceProtocol, planConversation, type PlanWords, type TraceRequestSpec } from '../trace/plan';

export interface TraceArgs {
  readonly rules: string;
  readonly flags: ReadonlyMap<string, string>;
}

export interface TraceSetup {
  readonly text: string;
  readonly analysis: IptablesAnalysis;
  /** Load errors of the rules (tables with errors are left out). */
  readonly errorCount: number;
  readonly host: HostModel;
  /** The host came from a description or saved docker inspect output, not from the rules alone. */
  readonly described: boolean;
  readonly spec: ConversationSpec;
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

/** `loadErrorNote` is said after the rules' first load errors, when they have any. */
export function prepareTrace(args: TraceArgs, warn: (s: string) => void, loadErrorNote?: string): TraceSetup {
  const f = args.flags;
  const text = readFileSync(args.rules, 'utf8');
  const backend = (f.get('backend') ?? 'nft') as Backend;
  const analysis = analyzeIptables(text, { backend, family: 'ipv4' });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  for (const e of errors.slice(0, 5)) warn(`${args.rules}:${e.span.start.line + 1}: error: ${e.message}\n`);
  if (errors.length && loadErrorNote) warn(`nflens: ${args.rules} ${loadErrorNote}\n`);
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
  return { text, analysis, errorCount: errors.length, host, described: described !== undefined, spec: plan.spec };
}
