/**
 * The status bar's words for a rules file's summary. Pure: no vscode import,
 * so a unit test reads exactly what the user sees.
 */
import type { FileSummary } from '../../server/src/protocol';

export interface SummaryView {
  /** Status bar text, with codicons. */
  readonly text: string;
  /** The same for a screen reader. */
  readonly label: string;
  readonly tooltip: string;
  /** Errors: iptables-restore would refuse the file. */
  readonly level: 'error' | 'warning' | 'ok';
}

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function summaryView(s: FileSummary, fileName: string, trusted: boolean): SummaryView {
  const parts: string[] = [];
  if (s.errors) parts.push(count(s.errors, 'error'));
  if (s.warnings) parts.push(count(s.warnings, 'warning'));
  // A table with errors is not analysed for reachability: "all reachable" would claim too much.
  const reach = s.analysing ? 'reachability pending' : s.unreachable ? `${s.unreachable} unreachable` : s.errors ? undefined : 'all rules reachable';
  const reachWords = s.analysing ? 'reachability still being analysed' : s.unreachable ? `${count(s.unreachable, 'rule')} no packet reaches` : s.errors ? undefined : 'every rule is reachable';
  const icon = s.errors ? '$(error)' : s.unreachable || s.warnings ? '$(warning)' : '$(pass)';
  const text = `${icon} ${[...parts, reach].filter((p) => p).join(' · ')}`;
  const label = `Netfilter Lens: ${[...parts, reachWords].filter((p) => p).join(', ')}`;
  const lines = [
    `Netfilter Lens — ${fileName}`,
    s.errors ? `${count(s.errors, 'error')}: iptables-restore would refuse this file.` : 'iptables-restore would load this file.',
    s.warnings ? `${count(s.warnings, 'warning')}.` : undefined,
    s.analysing ? 'Reachability is still being analysed (large file).' : s.unreachable ? `${count(s.unreachable, 'rule')} no packet can reach.` : s.errors ? 'Reachability is analysed for the tables that load.' : 'Every rule is reached by some packet.',
    trusted ? undefined : 'Restricted Mode: commands that run processes are off.',
    'Click to open the Problems view.',
  ];
  return { text, label, tooltip: lines.filter((l) => l !== undefined).join('\n'), level: s.errors ? 'error' : s.unreachable || s.warnings ? 'warning' : 'ok' };
}
