/**
 * The host a rules file's trace runs on, as `nflens trace` would be told it:
 * a host description in the file's folder that names this file (or names
 * none), else this file's host in an overlay workspace description next to
 * it, else the host inferred from the rules. Problems in a description are
 * warnings; whatever could be read is used.
 */
import { basename, dirname, resolve } from 'node:path';
import { inferHost, parseHostFile, type HostModel } from '../emulator/index';
import { overlayHostModel } from '../emulator/overlay/hostModel';
import { parseWorkspace, type Workspace } from '../emulator/overlay/workspace';
import type { Diagnostic } from '../lang/diagnostic';
import type { Ruleset } from '../lang/iptables/ruleset';
import { inferHintsFor, type TraceRequestSpec } from '../trace/plan';
import type { HostSource } from '../trace/traceResult';
import { filePathOf, hostDescriptionsNear, workspaceDescriptionNear } from './hostFiles';

export interface HostChoice {
  readonly host: HostModel;
  readonly source: HostSource;
  /** The description's path. */
  readonly file?: string;
  readonly warnings: string[];
  /** The overlay workspace this file is a host of. */
  readonly workspace?: { readonly ws: Workspace; readonly file: string };
}

/** A description's errors as one warning: the first and how many. */
export function problems(file: string, diagnostics: readonly Diagnostic[]): string[] {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!errors.length) return [];
  const first = errors[0]!;
  return [`${basename(file)} has ${errors.length} problem${errors.length > 1 ? 's' : ''} (line ${first.span.start.line + 1}: ${first.message}); the rest of it is used.`];
}

export function traceHostFor(rulesUri: string, ruleset: Ruleset, req: TraceRequestSpec | undefined, open: (uri: string) => string | undefined): HostChoice {
  return describedHostFor(rulesUri, open) ?? { host: inferHost(ruleset, req ? inferHintsFor(req) : {}), source: 'inferred', warnings: [] };
}

/** The host a description next to the rules file gives it, if any (inferring one reads every rule: not for each hover). */
export function describedHostFor(rulesUri: string, open: (uri: string) => string | undefined): HostChoice | undefined {
  const path = filePathOf(rulesUri);
  if (path) {
    let unnamed: HostChoice | undefined;
    for (const f of hostDescriptionsNear(rulesUri, open)) {
      const parsed = parseHostFile(f.text, basename(dirname(path)) || 'host');
      if (!parsed.value) continue;
      const choice: HostChoice = { host: parsed.value.host, source: 'description', file: f.path, warnings: problems(f.path, parsed.diagnostics) };
      if (parsed.value.rules === undefined) unnamed ??= choice;
      else if (resolve(dirname(f.path), parsed.value.rules) === path) return choice;
    }
    if (unnamed) return unnamed;
    const wsFile = workspaceDescriptionNear(rulesUri, open);
    if (wsFile) {
      const ws = parseWorkspace(wsFile.text);
      const self = ws.value.hosts.find((h) => h.rules !== undefined && resolve(dirname(wsFile.path), h.rules) === path);
      if (self) return { host: overlayHostModel(self, ws.value), source: 'workspace', file: wsFile.path, warnings: problems(wsFile.path, ws.diagnostics), workspace: { ws: ws.value, file: wsFile.path } };
    }
  }
  return undefined;
}
