/**
 * The entry point for Docker daemon option files: which kind of file it is
 * (shell-sourced options such as /etc/default/docker, a systemd unit or
 * drop-in with ExecStart=, or daemon.json), the daemon's settings in it with
 * their places, and everything wrong with them. Never throws.
 */
import type { Diagnostic, Span } from '../diagnostic';
import { parseJson, type JsonNode } from '../json';
import { checkDaemonSettings } from './daemonChecks';
import { parseDaemonArgs, type Era, type FlagSetting } from './daemonArgs';
import { flagByJsonKey, versionBefore } from './flags';
import { LineIndex, parseShellFile, splitFields, type ArgWord } from './shellFile';

export type DaemonFileKind = 'options' | 'systemd' | 'json';

export interface DaemonOptions {
  readonly kind: DaemonFileKind;
  readonly settings: readonly FlagSetting[];
  /** How the daemon is started (systemd): dockerd, docker daemon, docker -d. */
  readonly entry?: 'dockerd' | 'docker daemon' | 'docker -d';
  /** The Docker version checks assumed: given, or implied by the syntax. */
  readonly version?: string;
  readonly era: Era;
}

export interface DaemonAnalysis {
  readonly value: DaemonOptions;
  readonly diagnostics: Diagnostic[];
}

/** Shell variables that hold daemon options in Debian, Red Hat and CoreOS files, in the order their init scripts use them. */
export const OPTION_VARIABLES = ['DOCKER_OPTS', 'OPTIONS', 'other_args', 'OTHER_ARGS', 'DOCKER_STORAGE_OPTIONS', 'DOCKER_NETWORK_OPTIONS', 'ADD_REGISTRY', 'BLOCK_REGISTRY', 'INSECURE_REGISTRY'];

/** The folder of the host a daemon options file belongs to (option files sit in default/, sysconfig/, docker/ or docker.service.d/). */
export function daemonHostDir(path: string): string {
  const p = path.replace(/\\/g, '/');
  const dir = p.slice(0, Math.max(0, p.lastIndexOf('/')));
  const base = dir.slice(dir.lastIndexOf('/') + 1);
  return /^(default|sysconfig|docker|docker\.service\.d)$/.test(base) ? dir.slice(0, Math.max(0, dir.lastIndexOf('/'))) : dir;
}

/** Whether a path names a Docker daemon options file (the CLI's choice; the editor uses language ids). */
export function isDaemonOptionsPath(path: string): boolean {
  const p = path.replace(/\\/g, '/');
  return /(^|\/)(default|sysconfig)\/docker(-network)?$/.test(p) || /(^|\/)docker\.service$/.test(p) || /docker\.service\.d\/[^/]+\.conf$/.test(p) || /(^|\/)daemon\.json$/.test(p);
}

export function detectDaemonFileKind(text: string, fileName = ''): DaemonFileKind {
  if (/\.json$/i.test(fileName)) return 'json';
  if (/\.(service|conf)$/i.test(fileName) || /^\s*\[(Service|Unit|Install)\]/m.test(text) || /^\s*ExecStart\s*=/m.test(text)) return 'systemd';
  return /^\s*\{/.test(text) ? 'json' : 'options';
}

export interface DaemonParseOptions {
  readonly fileName?: string;
  /** The Docker version the file is for ("" or undefined: implied by the syntax). */
  readonly version?: string;
}

export function analyzeDaemonFile(text: string, opts: DaemonParseOptions = {}): DaemonAnalysis {
  const kind = detectDaemonFileKind(text, opts.fileName);
  if (kind === 'json') return analyzeJson(text, opts);
  const idx = new LineIndex(text);
  const diagnostics: Diagnostic[] = [];
  let words: ArgWord[] = [];
  let entry: DaemonOptions['entry'];
  if (kind === 'options') {
    const sh = parseShellFile(text);
    diagnostics.push(...sh.diagnostics);
    for (const name of OPTION_VARIABLES) {
      const v = sh.value.vars.get(name);
      const at = sh.value.assignments.filter((a) => a.name === name).pop();
      if (v && at) words.push(...splitFields(v, idx, at.nameSpan));
    }
  } else {
    const unit = execStart(text, idx);
    words = unit.words;
    entry = unit.entry;
    diagnostics.push(...unit.diagnostics);
  }
  const version = opts.version || (entry === 'docker -d' ? '1.9' : entry === 'docker daemon' ? '1.12' : undefined);
  const era: Era = version ? (versionBefore(version, '1.13') ? 'mflag' : 'pflag') : 'either';
  const parsed = parseDaemonArgs(words, era);
  diagnostics.push(...parsed.diagnostics, ...checkDaemonSettings(parsed.settings, version ? { version } : {}));
  return { value: { kind, settings: parsed.settings, era, ...(entry ? { entry } : {}), ...(version ? { version } : {}) }, diagnostics };
}

/** The last ExecStart= of the unit (an empty one resets, as drop-ins do), split the way systemd splits it. */
function execStart(text: string, idx: LineIndex): { words: ArgWord[]; entry?: DaemonOptions['entry']; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let chosen: ArgWord[] | undefined;
  const re = /^[ \t]*ExecStart[ \t]*=/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    let i = m.index + m[0].length;
    const words: ArgWord[] = [];
    let cur = '';
    let from = -1;
    let to = -1;
    let unknown = false;
    const flush = (): void => {
      if (from >= 0) words.push({ text: cur, span: idx.span(from, to), unknown });
      cur = '';
      from = -1;
      unknown = false;
    };
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\' && text[i + 1] === '\n') {
        i++;
        continue;
      }
      if (c === '\n' && !quote) break;
      if (!quote && (c === ' ' || c === '\t')) {
        flush();
        continue;
      }
      if (from < 0) from = i;
      to = i + 1;
      if (quote) {
        if (c === quote) quote = undefined;
        else if (c === '\\' && i + 1 < text.length) cur += text[++i]!;
        else cur += c;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        continue;
      }
      if (c === '$') unknown = true; // $OPTIONS from EnvironmentFile=: not known here
      cur += c;
    }
    flush();
    chosen = words;
    re.lastIndex = i;
  }
  if (!chosen || chosen.length === 0) return { words: [], diagnostics };
  const bin = chosen[0]!.text.replace(/^[-@:+!]+/, '');
  const base = bin.split('/').pop() ?? '';
  let rest = chosen.slice(1);
  let entry: DaemonOptions['entry'];
  if (base.startsWith('dockerd')) entry = 'dockerd';
  else if (base === 'docker' && rest[0]?.text === 'daemon') {
    entry = 'docker daemon';
    rest = rest.slice(1);
  } else if (base === 'docker' && rest.some((w) => w.text === '-d' || w.text === '--daemon')) {
    entry = 'docker -d';
    rest = rest.filter((w) => w.text !== '-d' && w.text !== '--daemon');
  } else if (base === 'docker') {
    diagnostics.push({ code: 'daemon-argument', severity: 'error', message: `"${bin}" without "daemon" or -d starts the Docker client, not the daemon.`, span: chosen[0]!.span });
  } else return { words: [], diagnostics };
  return { words: rest, ...(entry ? { entry } : {}), diagnostics };
}

function analyzeJson(text: string, opts: DaemonParseOptions): DaemonAnalysis {
  const parsed = parseJson(text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const settings: FlagSetting[] = [];
  const root = parsed.value;
  if (root && root.kind !== 'object') diagnostics.push({ code: 'bad-daemon-json', severity: 'error', message: 'daemon.json must be one JSON object.', span: root.span });
  const unknownKeys: { key: string; span: Span }[] = [];
  for (const p of root?.kind === 'object' ? root.props : []) {
    const flag = flagByJsonKey(p.key);
    if (!flag) {
      unknownKeys.push({ key: p.key, span: p.keySpan });
      continue;
    }
    const add = (node: JsonNode, value: string): void => void settings.push({ flag, value, span: { start: p.keySpan.start, end: p.value.span.end }, valueSpan: node.span, unknown: false, source: 'json' });
    const wrong = (want: string): void => void diagnostics.push({ code: 'bad-daemon-json', severity: 'error', message: `"${p.key}" takes ${want} in daemon.json; dockerd refuses to start with this value.`, span: p.value.span });
    const v = p.value;
    if (flag.kind === 'bool') {
      if (v.kind === 'boolean') add(v, String(v.value));
      else wrong('true or false');
    } else if (flag.kind === 'list') {
      if (v.kind !== 'array') wrong('an array');
      else for (const it of v.items) if (it.kind === 'string') add(it, it.value);
      else if (flag.name === 'default-address-pool' && it.kind === 'object') add(it, it.props.map((q) => `${q.key}=${q.value.kind === 'string' || q.value.kind === 'number' ? q.value.value : ''}`).join(','));
      else wrong('an array of strings');
    } else if (flag.kind === 'map') {
      if (v.kind !== 'object') wrong('an object');
    } else if (v.kind === 'string') add(v, v.value);
    else if (v.kind === 'number' && (flag.value === 'mtu' || flag.value === 'int')) add(v, String(v.value));
    else wrong(flag.value === 'mtu' || flag.value === 'int' ? 'a number' : 'a string');
  }
  if (unknownKeys.length) {
    const list = unknownKeys.map((k) => k.key).join(', ');
    for (const k of unknownKeys) diagnostics.push({ code: 'unknown-daemon-flag', severity: 'error', message: `"${k.key}" is not a daemon option: dockerd refuses to start ("the following directives don't match any configuration option: ${list}").`, span: k.span });
  }
  const version = opts.version || undefined;
  diagnostics.push(...checkDaemonSettings(settings, version ? { version } : {}));
  return { value: { kind: 'json', settings, era: 'pflag', ...(version ? { version } : {}) }, diagnostics };
}
