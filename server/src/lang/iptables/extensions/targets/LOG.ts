/**
 * LOG target (extensions/libxt_LOG.c; kernel net/netfilter/xt_LOG.c,
 * nf_log_syslog.c). Usable in every table and chain; does not end the rule
 * walk.
 *
 * iptables 1.8.9 stores the prefix in a 30-byte field: a longer
 * `--log-prefix` is cut to 29 bytes without a word (older releases refused
 * it), so we warn. An empty prefix is refused.
 */
import { truncateUtf8, utf8Length } from '../../../utf8';
import { defineExtension } from '../../extension';

/** syslog priorities 0 (emerg) .. 7 (debug). */
export type SyslogLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export const SYSLOG_LEVEL_NAMES: readonly string[] = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

export interface LogTarget {
  /** Kernel log level (default 4, warning). */
  level: SyslogLevel;
  /** Text put before each message, at most 29 bytes ('' = none). */
  prefix: string;
  /** Extra fields logged (--log-tcp-sequence, --log-tcp-options, ...). */
  tcpSequence: boolean;
  tcpOptions: boolean;
  ipOptions: boolean;
  uid: boolean;
  macDecode: boolean;
}

/** Longest prefix iptables keeps (char prefix[30] with its NUL). */
export const LOG_PREFIX_MAX = 29;

const FLAG_OPTIONS: ReadonlyArray<[string, keyof LogTarget]> = [
  ['log-tcp-sequence', 'tcpSequence'],
  ['log-tcp-options', 'tcpOptions'],
  ['log-ip-options', 'ipOptions'],
  ['log-uid', 'uid'],
  ['log-macdecode', 'macDecode'],
];

export const LOG = defineExtension<LogTarget>({
  kind: 'target',
  name: 'LOG',
  summary: 'Writes a line about the packet to the kernel log, then goes on with the next rule.',
  options: [
    { name: 'log-level', id: 6, type: 'sysloglevel', doc: 'syslog level, 0-7 or emerg/alert/crit/error/warning/notice/info/debug (default warning)' },
    { name: 'log-prefix', id: 7, type: 'string', min: 1, size: LOG_PREFIX_MAX + 1, doc: 'text put before each message (up to 29 characters)' },
    { name: 'log-tcp-sequence', id: 0, type: 'none', doc: 'log TCP sequence numbers' },
    { name: 'log-tcp-options', id: 1, type: 'none', doc: 'log TCP options' },
    { name: 'log-ip-options', id: 2, type: 'none', doc: 'log IP/IPv6 options' },
    { name: 'log-uid', id: 3, type: 'none', doc: 'log the user owning the local socket' },
    { name: 'log-macdecode', id: 5, type: 'none', doc: 'decode MAC addresses and protocol' },
  ],
  init: () => ({ level: 4, prefix: '', tcpSequence: false, tcpOptions: false, ipOptions: false, uid: false, macDecode: false }),
  parse(c) {
    const d = c.data;
    const name = c.option.name;
    if (name === 'log-level') {
      d.level = (c.val.syslog ?? 4) as SyslogLevel;
    } else if (name === 'log-prefix') {
      const raw = c.arg ?? '';
      if (raw.includes('\n')) c.fail('Newlines not allowed in --log-prefix');
      d.prefix = c.val.str ?? raw;
      if (utf8Length(raw) > LOG_PREFIX_MAX) {
        c.warn(`Log prefix truncated to ${LOG_PREFIX_MAX} characters: iptables 1.8.9 silently keeps "${truncateUtf8(raw, LOG_PREFIX_MAX)}" and drops the rest.`, 'log-prefix-truncated');
      }
    } else {
      const flag = FLAG_OPTIONS.find(([o]) => o === name);
      if (flag) (d[flag[1]] as boolean) = true;
    }
  },
  save(d) {
    const out: string[] = [];
    if (d.prefix !== '') out.push(`--log-prefix ${JSON.stringify(d.prefix)}`);
    if (d.level !== 4) out.push(`--log-level ${d.level}`);
    for (const [opt, key] of FLAG_OPTIONS) if (d[key]) out.push(`--${opt}`);
    return out.join(' ');
  },
  describe(d) {
    const extra = FLAG_OPTIONS.filter(([, k]) => d[k]).map(([o]) => o.replace(/^log-/, ''));
    return `log the packet at level ${SYSLOG_LEVEL_NAMES[d.level]}${d.prefix ? ` with prefix "${d.prefix}"` : ''}${extra.length ? ` (also ${extra.join(', ')})` : ''}, then continue`;
  },
});
