/** Topologies of the example hosts and workspace, built as netfilterLens/topology builds them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferHost, parseHostFile } from '../../server/src/emulator/index';
import { parseWorkspace } from '../../server/src/emulator/overlay/workspace';
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { overlayTopology } from '../../server/src/trace/overlayTopology';
import { hostTopology, type Topology } from '../../server/src/trace/topology';
import { EXAMPLES } from './traceOutcomes';

const rulesOf = (text: string) => analyzeIptables(text, { backend: 'nft', family: 'ipv4' }).parsed.ruleset;

/** A described example host (docker-host, docker-no-proxy, …), its description edited by `edit` if given. */
export function describedTopology(folder: string, edit: (json: Record<string, unknown>) => void = () => {}): Topology & { kind: 'host' } {
  const dir = join(EXAMPLES, folder);
  const json = JSON.parse(readFileSync(join(dir, 'nflens-host.json'), 'utf8')) as Record<string, unknown>;
  edit(json);
  const host = parseHostFile(JSON.stringify(json)).value!.host;
  const rules = rulesOf(readFileSync(join(dir, 'rules.v4'), 'utf8'));
  return { kind: 'host', host: hostTopology(host, { source: 'description', file: join(dir, 'nflens-host.json'), rulesUri: `file:///x/${folder}/rules.v4`, rules }), warnings: [] };
}

/** The host the rules alone imply. */
export function inferredTopology(folder: string): Topology & { kind: 'host' } {
  const rules = rulesOf(readFileSync(join(EXAMPLES, folder, 'rules.v4'), 'utf8'));
  return { kind: 'host', host: hostTopology(inferHost(rules, {}), { source: 'inferred', rulesUri: `file:///x/${folder}/rules.v4`, rules }), warnings: [] };
}

/** examples/overlay, opened from hostA's rules. */
export function overlayExampleTopology(text = readFileSync(join(EXAMPLES, 'overlay', 'nflens-workspace.json'), 'utf8')): Topology & { kind: 'overlay' } {
  const ws = parseWorkspace(text).value;
  const uris: Record<string, string> = { hostA: 'file:///x/overlay/hostA.rules', hostB: 'file:///x/overlay/hostB.rules' };
  return { kind: 'overlay', overlay: overlayTopology(ws, { file: '/x/overlay/nflens-workspace.json', current: 'hostA', rulesUri: (h) => uris[h] }), warnings: [] };
}
