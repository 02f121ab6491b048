/**
 * What the editor says about a finished `nflens verify`: a one-line
 * message (agreement, the first difference, or why it could not run), the
 * full report for "Show details", and the rules line to go to. Pure.
 */
import { verifyText, type VerifyJson, type VerifyReport } from '../../../server/src/verify/verifyReport';

export interface VerifyMessage {
  readonly kind: 'agree' | 'differ' | 'failed' | 'cancelled';
  readonly message: string;
  /** The report as text, for a read-only document. */
  readonly details?: string;
  /** 1-based line of the rule where the emulator (else the kernel) parted. */
  readonly line?: number;
  /** The rules file that line is in, when it is not the trace's own (an overlay workspace's other host). */
  readonly file?: string;
}

export const NOT_ROOT =
  'Verify Trace on Kernel needs root: it builds the trace\'s host out of network namespaces and loads the rules into them with iptables-nft-restore. Run VS Code or code-server as root, best in a throwaway VM, or run the command line as root (Copy Command).';

export const NOT_LINUX = 'Verify Trace on Kernel needs Linux: it replays the trace with the real kernel in network namespaces. Elsewhere, traces run in the emulator only.';

const isReport = (j: VerifyJson | undefined): j is VerifyReport => !!j && 'verdict' in j;

export function verifyMessage(run: { readonly code: number | null; readonly report?: VerifyJson; readonly stderr: string; readonly cancelled: boolean }): VerifyMessage {
  if (run.cancelled) return { kind: 'cancelled', message: 'Verify Trace on Kernel was stopped; the lab\'s namespaces were removed.' };
  const r = run.report;
  if (isReport(r)) {
    const d = r.firstDifference;
    const line = d?.emulator.rule?.line ?? d?.kernel.rule?.line;
    return { kind: r.verdict, message: r.summary, details: verifyText(r), ...(line !== undefined ? { line } : {}), ...(line !== undefined && d?.rulesFile ? { file: d.rulesFile } : {}) };
  }
  if (r && 'error' in r) return { kind: 'failed', message: r.need === 'root' ? NOT_ROOT : `Verify Trace on Kernel could not run: ${r.error}` };
  const last = run.stderr.trim().split('\n').filter(Boolean).pop();
  return { kind: 'failed', message: `Verify Trace on Kernel failed (exit ${run.code ?? 'none'})${last ? `: ${last}` : ''}`, ...(run.stderr.trim() ? { details: run.stderr } : {}) };
}
