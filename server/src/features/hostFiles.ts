/**
 * The other files of the same host: for a rules file, the daemon options kept
 * next to it (default/docker, sysconfig/docker, daemon.json, docker/daemon.json);
 * for a daemon options file, the rules files of its host folder; the host and
 * workspace descriptions beside a rules file. Read from the open documents
 * first (unsaved edits count), then from disk (the only file I/O of the server).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { daemonHostDir } from '../lang/docker/daemonFile';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DAEMON_FILES = ['default/docker', 'sysconfig/docker', 'daemon.json', 'docker/daemon.json'];
const RULES_NAME = /^(rules\.v4|iptables.*\.(save|rules)|.*\.iptables(-save)?)$/;

export interface SiblingFile {
  readonly uri: string;
  readonly path: string;
  readonly text: string;
}

function pathOf(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

function read(path: string, open: (uri: string) => string | undefined): SiblingFile | undefined {
  const uri = pathToFileURL(path).toString();
  const text = open(uri) ?? (existsSync(path) ? safeRead(path) : undefined);
  return text === undefined ? undefined : { uri, path, text };
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Daemon option files of the host a rules file belongs to. */
export function daemonFilesNear(rulesUri: string, open: (uri: string) => string | undefined): SiblingFile[] {
  const p = pathOf(rulesUri);
  if (!p) return [];
  return DAEMON_FILES.map((f) => read(join(dirname(p), f), open)).filter((x): x is SiblingFile => !!x);
}

/** Rules files of the host a daemon options file belongs to. */
export function rulesFilesNear(daemonUri: string, open: (uri: string) => string | undefined): SiblingFile[] {
  const p = pathOf(daemonUri);
  if (!p) return [];
  const dir = daemonHostDir(p);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => RULES_NAME.test(n));
  } catch {
    return [];
  }
  return names.map((n) => read(join(dir, n), open)).filter((x): x is SiblingFile => !!x);
}

/** Whether a rules file and a daemon options file describe the same host (the daemon file's host folder holds the rules). */
export function sameHost(rulesUri: string, daemonUri: string): boolean {
  const r = pathOf(rulesUri);
  const d = pathOf(daemonUri);
  return !!r && !!d && dirname(r) === daemonHostDir(d);
}

const HOST_DESCRIPTION = /^(.+\.)?nflens-host\.json$/;

/** Host descriptions (nflens-host.json, *.nflens-host.json) in a rules file's folder. */
export function hostDescriptionsNear(rulesUri: string, open: (uri: string) => string | undefined): SiblingFile[] {
  const p = pathOf(rulesUri);
  if (!p) return [];
  let names: string[] = [];
  try {
    names = readdirSync(dirname(p)).filter((n) => HOST_DESCRIPTION.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((n) => read(join(dirname(p), n), open)).filter((x): x is SiblingFile => !!x);
}

/** The overlay workspace description (nflens-workspace.json) in a rules file's folder. */
export function workspaceDescriptionNear(rulesUri: string, open: (uri: string) => string | undefined): SiblingFile | undefined {
  const p = pathOf(rulesUri);
  return p ? read(join(dirname(p), 'nflens-workspace.json'), open) : undefined;
}

/** Rules files in a folder (rules.v4, iptables*.save, …), for a host description that names none. */
export function rulesFilesIn(dir: string, open: (uri: string) => string | undefined): SiblingFile[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => RULES_NAME.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((n) => read(join(dir, n), open)).filter((x): x is SiblingFile => !!x);
}

/** A file a description names (another host's rules), from the open documents or the disk. */
export function fileNamedBy(path: string, open: (uri: string) => string | undefined): SiblingFile | undefined {
  return read(path, open);
}

/** The open document that is the file `uri` names, however the editor escaped its path (VS Code escapes "@", ":" and drive letters where Node does not). */
export function openByPath<D extends { readonly uri: string }>(uri: string, open: readonly D[]): D | undefined {
  const p = pathOf(uri);
  return p === undefined ? undefined : open.find((d) => pathOf(d.uri) === p);
}

/** The path of a file: URI (undefined for untitled and other schemes). */
export function filePathOf(uri: string): string | undefined {
  return pathOf(uri);
}
