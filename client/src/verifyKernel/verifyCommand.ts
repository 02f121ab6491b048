/**
 * Netfilter Lens: Verify Trace on Kernel. Takes the trace the panel shows
 * (or asks for one as Trace Packet… does), runs `nflens verify` on it with
 * progress, and says whether the kernel agrees or where it first differs,
 * with the report in a read-only document. Linux and root only; the
 * command table keeps it off in untrusted workspaces.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TraceParams } from '../../../server/src/protocol';
import type { Ctx } from '../ctx';
import { askTraceParams } from '../traceInput/traceCommands';
import { TracePanel } from '../tracePanel/tracePanel';
import { runVerifyCli } from './runVerifyCli';
import { shellCommand, verifyArgs, type VerifyHost } from './verifyArgs';
import { NOT_LINUX, NOT_ROOT, verifyMessage, type VerifyMessage } from './verifyMessage';

const DETAILS_SCHEME = 'netfilterlens-verify';

interface Target {
  readonly params: TraceParams;
  readonly host: VerifyHost | undefined;
  readonly overlay: boolean;
}

/** Reports by document path; the provider makes them read-only documents. */
const reports = new Map<string, string>();
let provider: vscode.Disposable | undefined;

function showDetails(ctx: Ctx, title: string, text: string): void {
  if (!provider) {
    provider = vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, { provideTextDocumentContent: (uri) => reports.get(uri.path) ?? '' });
    ctx.pushExtCleanup(provider);
  }
  const path = `/${title.replace(/[\\/:*?"<>|]/g, '_')}.txt`;
  reports.set(path, text);
  void vscode.window.showTextDocument(vscode.Uri.from({ scheme: DETAILS_SCHEME, path }), { preview: true, viewColumn: vscode.ViewColumn.Active });
}

/** The panel's trace, else one asked for on the active rules file. */
async function target(ctx: Ctx): Promise<Target | undefined> {
  const shown = TracePanel.currentTrace();
  if (shown) return { params: shown.params, host: shown.outcome?.host, overlay: shown.outcome?.overlay ?? false };
  const e = vscode.window.activeTextEditor;
  if (e?.document.languageId !== 'iptables') {
    void vscode.window.showInformationMessage('Netfilter Lens: open a trace (Trace Packet…) or an iptables rules file to verify a trace on the kernel.');
    return undefined;
  }
  const asked = await askTraceParams(ctx, e.document.uri, undefined, 'Verify Trace on Kernel');
  if (!asked) return undefined;
  // As the server decides: a container of the workspace sending makes an overlay trace.
  const sender = 'peer' in asked.params.origin ? asked.params.origin.peer : asked.params.src;
  return { params: asked.params, host: asked.host, overlay: !!asked.host?.overlay?.containers.some((c) => c.name === sender) };
}

/** The rules file saved as the editor shows it (the command line reads the file). */
async function savedRules(uri: vscode.Uri): Promise<string | undefined> {
  if (uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('Netfilter Lens: Verify Trace on Kernel needs the rules in a file on disk.');
    return undefined;
  }
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty) {
    const pick = await vscode.window.showWarningMessage('Netfilter Lens: the rules have unsaved changes; the kernel loads the file as saved.', 'Save and Verify');
    if (pick !== 'Save and Verify' || !(await doc.save())) return undefined;
  }
  return uri.fsPath;
}

async function show(ctx: Ctx, m: VerifyMessage, rules: vscode.Uri, title: string): Promise<void> {
  const actions = [...(m.details ? ['Show details'] : []), ...(m.line !== undefined ? ['Go to Rule'] : [])];
  const say = m.kind === 'agree' || m.kind === 'cancelled' ? vscode.window.showInformationMessage : m.kind === 'differ' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
  const pick = await say(`Netfilter Lens: ${m.message}`, ...actions);
  if (pick === 'Show details' && m.details) showDetails(ctx, `Verify ${title}`, m.details);
  if (pick === 'Go to Rule' && m.line !== undefined) await vscode.window.showTextDocument(m.file ? vscode.Uri.file(m.file) : rules, { selection: new vscode.Range(m.line - 1, 0, m.line - 1, 0) });
}

export async function verifyTraceOnKernel(ctx: Ctx): Promise<void> {
  if (process.platform !== 'linux') return void vscode.window.showInformationMessage(`Netfilter Lens: ${NOT_LINUX}`);
  const t = await target(ctx);
  if (!t) return;
  const rules = vscode.Uri.parse(t.params.uri);
  const rulesPath = await savedRules(rules);
  if (!rulesPath) return;
  const args = verifyArgs(rulesPath, t.params, t.host, t.overlay);
  if ('error' in args) return void vscode.window.showInformationMessage(`Netfilter Lens: ${args.error}`);
  const nflens = ctx.extension.asAbsolutePath(join('server', 'out', 'nflens.js'));
  if (process.getuid?.() !== 0) {
    const pick = await vscode.window.showWarningMessage(`Netfilter Lens: ${NOT_ROOT}`, 'Copy Command');
    if (pick === 'Copy Command') await vscode.env.clipboard.writeText(shellCommand('node', nflens, args));
    return;
  }
  const title = `${t.params.proto} ${t.params.src || 'this host'} → ${t.params.dst}`;
  ctx.output.info(`verify: ${process.execPath} ${nflens} ${args.join(' ')}`);
  const run = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Netfilter Lens: verifying the trace on the kernel', cancellable: true },
    (progress, token) => runVerifyCli(nflens, args, rulesPath.replace(/[\\/][^\\/]*$/, '') || '/', (line) => {
      ctx.output.info(`verify: ${line}`);
      progress.report({ message: line });
    }, (cancel) => token.onCancellationRequested(cancel)),
  );
  await show(ctx, verifyMessage(run), rules, title);
}
