/**
 * dockerd's command line as the daemon reads it: `--flag=value`,
 * `--flag value`, `-b br0`, `-b=br0`, booleans (`--icc`, `--icc=false`),
 * repeated list flags, and the differences between Docker 1.9–1.12
 * (pkg/mflag: deprecated single-dash long names such as `-iptables`) and
 * 1.13+ (pflag: `-bbr0`; `-iptables` is a cluster of short flags and fails).
 */
import { span, type Diagnostic, type Span } from '../diagnostic';
import { DAEMON_FLAGS, flagByLong, flagByShort, type DaemonFlag } from './flags';
import type { ArgWord } from './shellFile';

/** Which flag parser: mflag (1.9–1.12), pflag (1.13+), or unknown (accept what either takes, say what the other does). */
export type Era = 'mflag' | 'pflag' | 'either';

export interface FlagSetting {
  readonly flag: DaemonFlag;
  readonly value: string;
  /** The whole option as written. */
  readonly span: Span;
  readonly valueSpan: Span;
  /** The value contains something from the environment ($FLANNEL_RANGE). */
  readonly unknown: boolean;
  readonly source: 'args' | 'json';
}

const GO_BOOL: Readonly<Record<string, string>> = { 1: 'true', t: 'true', T: 'true', TRUE: 'true', true: 'true', True: 'true', 0: 'false', f: 'false', F: 'false', FALSE: 'false', false: 'false', False: 'false' };

function tail(w: ArgWord, value: string): Span {
  const s = w.span;
  if (s.start.line !== s.end.line || s.end.col - s.start.col !== w.text.length) return s;
  return span(s.end.line, s.end.col - value.length, s.end.col);
}

function didYouMean(name: string): string {
  const slash = name.indexOf('/');
  if (slash > 0 && flagByLong(name.slice(0, slash))) return ` Did you mean --${name.slice(0, slash)}=${name.slice(slash)}?`;
  const close = DAEMON_FLAGS.find((f) => f.name.replace(/-/g, '') === name.replace(/-/g, ''));
  return close ? ` Did you mean --${close.name}?` : '';
}

export function parseDaemonArgs(words: readonly ArgWord[], era: Era): { settings: FlagSetting[]; diagnostics: Diagnostic[] } {
  const settings: FlagSetting[] = [];
  const diagnostics: Diagnostic[] = [];
  const err = (code: string, message: string, where: Span): void => void diagnostics.push({ code, severity: 'error', message, span: where });
  let lastBool: FlagSetting | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const t = w.text;
    if (t === '--') {
      for (const r of words.slice(i + 1)) err('daemon-argument', `dockerd takes no arguments after "--": "${r.text}" makes it refuse to start.`, r.span);
      break;
    }
    if (w.unknown && !t.startsWith('-')) continue; // $OPTIONS: expands to flags we cannot see
    if (!t.startsWith('-') || t === '-') {
      const hint = lastBool && /^(true|false)$/i.test(t) ? ` A boolean flag takes its value after "=": write --${lastBool.flag.name}=${t.toLowerCase()}.` : '';
      err('daemon-argument', `dockerd takes no arguments, so "${t}" makes it refuse to start ("dockerd" accepts no argument(s); 1.9–1.12: "daemon" requires 0 arguments).${hint}`, w.span);
      lastBool = undefined;
      continue;
    }
    lastBool = undefined;
    const long = t.startsWith('--');
    const body = long ? t.slice(2) : t.slice(1);
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    let inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    let flag: DaemonFlag | undefined;
    if (long) {
      flag = flagByLong(name);
      if (!flag) {
        if (!w.unknown) err('unknown-daemon-flag', `dockerd has no flag --${name}: it refuses to start ("unknown flag: --${name}").${didYouMean(name)}`, w.span);
        continue;
      }
    } else if (name.length === 1 || (era !== 'mflag' && flagByShort(name[0]!) && !flagByLong(name))) {
      flag = flagByShort(name[0]!);
      if (flag && name.length > 1 && eq < 0 && flag.kind !== 'bool') {
        // pflag: "-bbr0" is -b with the value "br0".
        inline = name.slice(1);
        name = name[0]!;
      } else if (flag && name.length > 1) flag = undefined;
      if (!flag) {
        err('unknown-daemon-flag', `dockerd has no flag -${name[0]}: it refuses to start ("unknown shorthand flag: '${name[0]}' in ${t}").`, w.span);
        continue;
      }
    } else {
      // A single-dash long name.
      const f = flagByLong(name);
      if (f?.dashAlias && era !== 'pflag') {
        diagnostics.push({ code: 'deprecated-daemon-flag', severity: era === 'either' ? 'warning' : 'info', message: `Docker 1.9–1.12 accept -${name} with a warning ("'-${name}' is deprecated, it will be replaced by '--${name}' soon"); from 1.13 on dockerd reads it as the short flags -${name.split('').join(' -')} and refuses to start. Write --${name}.`, span: w.span, fixes: [{ title: `Write --${name}`, edits: [{ span: w.span, newText: `-${t}` }] }] });
        flag = f;
      } else {
        const why = f ? (era === 'mflag' ? `Docker 1.9–1.12 only accept --${name} here ("flag provided but not defined: -${name}")` : `dockerd reads it as the short flags -${name.split('').join(' -')} and refuses to start ("unknown shorthand flag")`) : `dockerd has no flag ${t}`;
        if (!w.unknown) err('unknown-daemon-flag', `${why}.${f ? ` Write --${name}.` : ''}`, w.span);
        continue;
      }
    }
    if (flag.kind === 'bool') {
      let v = 'true';
      if (inline !== undefined) {
        const b = GO_BOOL[inline];
        if (!b && !w.unknown) {
          err('bad-daemon-value', `--${flag.name} is a boolean: "${inline}" is not true or false, and dockerd refuses to start.`, tail(w, inline));
          continue;
        }
        v = b ?? inline;
      }
      const s: FlagSetting = { flag, value: v, span: w.span, valueSpan: inline !== undefined ? tail(w, inline) : w.span, unknown: w.unknown, source: 'args' };
      settings.push(s);
      lastBool = inline === undefined ? s : undefined;
      continue;
    }
    if (inline === undefined) {
      const next = words[i + 1];
      if (!next) {
        err('missing-daemon-value', `--${flag.name} needs a value ("flag needs an argument"); dockerd refuses to start.`, w.span);
        continue;
      }
      i++;
      settings.push({ flag, value: next.text, span: { start: w.span.start, end: next.span.end }, valueSpan: next.span, unknown: next.unknown, source: 'args' });
      continue;
    }
    settings.push({ flag, value: inline, span: w.span, valueSpan: tail(w, inline), unknown: w.unknown, source: 'args' });
  }
  return { settings, diagnostics };
}
