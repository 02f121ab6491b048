/**
 * time match (extensions/libxt_time.c; kernel net/netfilter/xt_time.c): the
 * date, time-of-day, weekday and month-day parsers, mirrored down to their
 * C quirks (strtoul into unsigned int, day names compared on two letters,
 * list items cut to the buffer size, errors quoting the part being parsed).
 */
import { defineExtension } from '../../extension';
import { cStrtoul, F, low32 } from './util';

const T = { DATE_START: 0, DATE_STOP: 1, TIME_START: 2, TIME_STOP: 3, CONTIGUOUS: 4, MONTHDAYS: 5, WEEKDAYS: 6, LOCAL_TZ: 7, UTC: 8, KERNEL_TZ: 9 } as const;
const WEEK_DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** time_parse_date(): YYYY[-MM[-DD[Thh[:mm[:ss]]]]], 1970..2038, read as UTC. */
function parseDate(text: string, fail: (m: string) => never): number {
  const bad = (): never => fail(`Invalid date "${text}" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`);
  const parts = [1970, 1, 1, 0, 0, 0];
  const seps = ['-', '-', 'T', ':', ':', ''];
  const limits = [[1970, 2038], [0, 12], [0, 31], [0, 23], [0, 59], [0, 59]] as const;
  let pos = 0;
  for (let i = 0; i < 6; i++) {
    const r = cStrtoul(text, pos, 10);
    const v = low32(r.value);
    const next = text[r.end];
    if ((next !== seps[i] || seps[i] === '') && next !== undefined) bad();
    if (v < limits[i]![0] || v > limits[i]![1]) bad();
    parts[i] = v;
    if (next === undefined) break;
    pos = r.end + 1;
  }
  const [y, mo, d, h, mi, s] = parts as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
  if (t < 0) fail('mktime returned an error');
  return t;
}

/** time_parse_minutes(): hh:mm[:ss]; the error quotes the part being parsed. */
function parseDaytime(text: string, fail: (m: string) => never): number {
  const bad = (at: string): never => fail(`invalid time "${at}" specified, should be hh:mm[:ss] format and within the boundaries`);
  const h = cStrtoul(text, 0, 10);
  if (text[h.end] !== ':' || low32(h.value) > 23) bad(text);
  const mStart = h.end + 1;
  const m = cStrtoul(text, mStart, 10);
  const afterM = text[m.end];
  if ((afterM !== ':' && afterM !== undefined) || low32(m.value) > 59) bad(text.slice(mStart));
  let s = 0;
  if (afterM === ':') {
    const sStart = m.end + 1;
    const r = cStrtoul(text, sStart, 10);
    if (r.end !== text.length || low32(r.value) > 59) bad(text.slice(sStart));
    s = low32(r.value);
  }
  return 3600 * low32(h.value) + 60 * low32(m.value) + s;
}

/** my_strseg(): comma-separated pieces, each cut to `keep` characters; stops at an empty rest. */
function segments(arg: string, keep: number): string[] {
  const out: string[] = [];
  let rest: string | undefined = arg;
  while (rest !== undefined && rest !== '') {
    const comma: number = rest.indexOf(',');
    const piece: string = comma < 0 ? rest : rest.slice(0, comma);
    out.push(piece.slice(0, keep));
    rest = comma < 0 ? undefined : rest.slice(comma + 1);
  }
  return out;
}

interface TimeMatch {
  start: number;
  stop: number;
}

export const time = defineExtension<TimeMatch>({
  kind: 'match',
  name: 'time',
  summary: 'Matches the time of day, weekday, day of month or date range the packet arrives in (UTC by default).',
  options: [
    { name: 'datestart', id: T.DATE_START, type: 'string', doc: 'YYYY[-MM[-DD[Thh[:mm[:ss]]]]]' },
    { name: 'datestop', id: T.DATE_STOP, type: 'string', doc: 'YYYY[-MM[-DD[Thh[:mm[:ss]]]]]' },
    { name: 'timestart', id: T.TIME_START, type: 'string', doc: 'hh:mm[:ss]' },
    { name: 'timestop', id: T.TIME_STOP, type: 'string', doc: 'hh:mm[:ss]' },
    { name: 'contiguous', id: T.CONTIGUOUS, type: 'none', doc: 'a stop time before the start time ends the next day' },
    { name: 'weekdays', id: T.WEEKDAYS, type: 'string', invert: true, doc: 'Mon,Tue,… or 1-7' },
    { name: 'monthdays', id: T.MONTHDAYS, type: 'string', invert: true, doc: 'days 1-31, comma-separated' },
    { name: 'localtz', id: T.LOCAL_TZ, type: 'none', excl: [T.UTC], doc: 'deprecated: same as --kerneltz' },
    { name: 'utc', id: T.UTC, type: 'none', excl: [T.LOCAL_TZ, T.KERNEL_TZ], doc: 'interpret times as UTC (default)' },
    { name: 'kerneltz', id: T.KERNEL_TZ, type: 'none', excl: [T.UTC], doc: 'interpret times in the kernel\'s timezone' },
  ],
  init: () => ({ start: 0, stop: 86399 }),
  parse(c) {
    const arg = c.arg ?? '';
    const fail = (m: string): never => c.fail(m);
    switch (c.option.id) {
      case T.DATE_START:
      case T.DATE_STOP:
        parseDate(arg, fail);
        break;
      case T.TIME_START:
        c.data.start = parseDaytime(arg, fail);
        break;
      case T.TIME_STOP:
        c.data.stop = parseDaytime(arg, fail);
        break;
      case T.LOCAL_TZ:
        c.warn('--localtz is being replaced by --kerneltz, since "local" is ambiguous.', 'deprecated-option');
        break;
      case T.MONTHDAYS:
        for (const day of segments(arg, 2)) {
          const r = cStrtoul(day, 0, 0);
          if ((r.end < day.length && day[r.end] !== ',') || low32(r.value) > 31) fail(`${day} is not a valid day for --monthdays`);
        }
        break;
      case T.WEEKDAYS:
        for (const day of segments(arg, 3)) {
          const r = cStrtoul(day, 0, 0);
          if (r.end === day.length) {
            if (low32(r.value) === 0) fail('No, the week does NOT begin with Sunday.');
            continue;
          }
          if (!WEEK_DAYS.some((w) => day.slice(0, 2) === w.slice(0, 2) && day.length >= 2)) fail(`${day} is not a valid day specifier`);
        }
        break;
    }
  },
  finalCheck(c) {
    if (c.xflags & F(T.CONTIGUOUS) && c.data.start < c.data.stop) {
      c.fail('time: --contiguous only makes sense when stoptime is smaller than starttime');
    }
  },
});
