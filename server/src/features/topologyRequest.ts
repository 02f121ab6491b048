/**
 * netfilterLens/topology: the host (or overlay workspace) the topology view
 * draws, for an open rules file — the host its traces run on — or for a
 * host or workspace description itself. The rules decide who serves each
 * published port; every rules file named is given as a URI for traces.
 */
import { basename, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseHostFile } from '../emulator/index';
import { parseWorkspace, type Workspace } from '../emulator/overlay/workspace';
import { analyzeIptables } from '../lang/iptables/analyze';
import type { Ruleset } from '../lang/iptables/ruleset';
import type { TopologyReply } from '../protocol';
import { overlayTopology } from '../trace/overlayTopology';
import { hostTopology } from '../trace/topology';
import { fileNamedBy, filePathOf, rulesFilesIn } from './hostFiles';
import { problems, traceHostFor } from './traceHost';
import type { TraceDeps } from './traceRequests';

type Deps = Pick<TraceDeps, 'analysisFor' | 'openText' | 'backend'>;

const HOST_DESCRIPTION = /^(.+\.)?nflens-host\.json$/;
const WORKSPACE_DESCRIPTION = 'nflens-workspace.json';

/** Each host's rules file as a URI, when it can be read. */
function rulesUris(ws: Workspace, wsFile: string, d: Deps, warnings: string[]): (host: string) => string | undefined {
  const uris = new Map<string, string>();
  for (const h of ws.hosts) {
    if (!h.rules) continue;
    const path = resolve(dirname(wsFile), h.rules);
    if (fileNamedBy(path, d.openText)) uris.set(h.name, pathToFileURL(path).toString());
    else warnings.push(`${h.name}'s rules file ${h.rules} cannot be read: its containers cannot be traced from here.`);
  }
  return (host) => uris.get(host);
}

function fromWorkspace(path: string, d: Deps): TopologyReply {
  const f = fileNamedBy(path, d.openText);
  if (!f) return { error: `${basename(path)} cannot be read.` };
  const parsed = parseWorkspace(f.text);
  const warnings = problems(path, parsed.diagnostics);
  const overlay = overlayTopology(parsed.value, { file: path, rulesUri: rulesUris(parsed.value, path, d, warnings) });
  return { kind: 'overlay', overlay, warnings };
}

async function fromHostDescription(uri: string, path: string, d: Deps): Promise<TopologyReply> {
  const f = fileNamedBy(path, d.openText);
  if (!f) return { error: `${basename(path)} cannot be read.` };
  const parsed = parseHostFile(f.text, basename(dirname(path)) || 'host');
  if (!parsed.value) return { error: `${basename(path)} is not a host description${parsed.diagnostics[0] ? `: ${parsed.diagnostics[0].message}` : ''}.` };
  const warnings = problems(path, parsed.diagnostics);
  const named = parsed.value.rules;
  const rulesFile = named !== undefined ? fileNamedBy(resolve(dirname(path), named), d.openText) : rulesFilesIn(dirname(path), d.openText)[0];
  if (named !== undefined && !rulesFile) warnings.push(`The rules file ${named} cannot be read: who serves each published port is not known, and nothing can be traced from here.`);
  let rules: Ruleset | undefined;
  if (rulesFile) rules = analyzeIptables(rulesFile.text, { backend: await d.backend(uri), family: 'ipv4' }).parsed.ruleset;
  const host = hostTopology(parsed.value.host, { source: 'description', file: path, ...(rulesFile ? { rulesUri: rulesFile.uri, rules } : {}) });
  return { kind: 'host', host, warnings };
}

export async function topology(uri: string, d: Deps): Promise<TopologyReply> {
  const path = filePathOf(uri);
  const name = path ? basename(path) : '';
  if (path && name === WORKSPACE_DESCRIPTION) return fromWorkspace(path, d);
  if (path && HOST_DESCRIPTION.test(name)) return fromHostDescription(uri, path, d);
  const a = await d.analysisFor(uri);
  if (!a) return { error: 'Open an iptables rules file, a host description (nflens-host.json) or an overlay workspace (nflens-workspace.json) to see its topology.' };
  const rs = a.analysis.parsed.ruleset;
  const choice = traceHostFor(uri, rs, undefined, d.openText);
  const warnings = [...choice.warnings];
  if (choice.workspace) {
    const { ws, file } = choice.workspace;
    const overlay = overlayTopology(ws, { file, current: choice.host.name, rulesUri: rulesUris(ws, file, d, warnings) });
    return { kind: 'overlay', overlay, warnings };
  }
  const host = hostTopology(choice.host, { source: choice.source, ...(choice.file ? { file: choice.file } : {}), rulesUri: uri, rules: rs });
  return { kind: 'host', host, warnings };
}
