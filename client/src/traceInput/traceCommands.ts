/**
 * The trace commands: Trace Packet… (palette, editor context menu, the
 * panel's "Change packet…"), Trace Packet Through This Rule… (context menu:
 * starts from the example packet of the rule under the cursor) and the
 * hover's "Trace this packet" (opens the panel with the rule's example).
 */
import * as vscode from 'vscode';
import { hostInfoRequest, ruleExampleRequest, type HostInfo, type TraceParams } from '../../../server/src/protocol';
import type { Ctx } from '../ctx';
import { TracePanel } from '../tracePanel/tracePanel';
import { askTrace } from './askTrace';
import { exampleParams } from './exampleParams';
import { answersToParams, isTraceAnswers, paramsToAnswers, type TraceAnswers } from './traceAnswers';

/** The last answers, per workspace. */
const LAST_ANSWERS = 'netfilterLens.tracePacket.last';

function isTraceParams(x: unknown): x is TraceParams {
  return !!x && typeof x === 'object' && typeof (x as TraceParams).uri === 'string' && typeof (x as TraceParams).proto === 'string' && !!(x as TraceParams).origin;
}

/** The rules document a command is about: the one it was given, else the active iptables editor's. */
function rulesUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (isTraceParams(arg)) return vscode.Uri.parse(arg.uri);
  const e = vscode.window.activeTextEditor;
  return e?.document.languageId === 'iptables' ? e.document.uri : undefined;
}

async function hostInfo(ctx: Ctx, uri: vscode.Uri): Promise<HostInfo | undefined> {
  const client = ctx.languageClient;
  if (!client) return undefined;
  try {
    await vscode.workspace.openTextDocument(uri);
    const r = await client.sendRequest(hostInfoRequest, { uri: uri.toString() });
    if ('error' in r) {
      ctx.output.warn(`hostInfo: ${r.error}`);
      return undefined;
    }
    return r;
  } catch (e) {
    ctx.output.warn(`hostInfo failed: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

function needRulesFile(): void {
  void vscode.window.showInformationMessage('Netfilter Lens: open an iptables rules file (iptables-save output) to trace a packet through it.');
}

/** Asks the questions from `start` (else the last answers), remembering the answers; with the host the trace runs on. */
export async function askTraceParams(ctx: Ctx, uri: vscode.Uri, start?: TraceAnswers, title = 'Trace Packet'): Promise<{ readonly params: TraceParams; readonly host: HostInfo | undefined } | undefined> {
  const info = await hostInfo(ctx, uri);
  const name = uri.path.split('/').pop() ?? '';
  const remembered = ctx.extension.workspaceState.get<unknown>(LAST_ANSWERS);
  const answers = await askTrace(info, start ?? (isTraceAnswers(remembered) ? remembered : undefined), `Netfilter Lens: ${title} through ${name}`);
  if (!answers) return undefined;
  await ctx.extension.workspaceState.update(LAST_ANSWERS, answers);
  return { params: answersToParams(uri.toString(), answers), host: info };
}

/** Asks the questions from `start` and opens the panel with the answers, remembering them. */
async function askAndShow(ctx: Ctx, uri: vscode.Uri, start: TraceAnswers | undefined): Promise<void> {
  const asked = await askTraceParams(ctx, uri, start);
  if (asked) TracePanel.show(ctx, asked.params);
}

export async function tracePacket(ctx: Ctx, arg?: unknown): Promise<void> {
  const uri = rulesUri(arg);
  if (!uri) return needRulesFile();
  const remembered = ctx.extension.workspaceState.get<unknown>(LAST_ANSWERS);
  await askAndShow(ctx, uri, isTraceParams(arg) ? paramsToAnswers(arg) : isTraceAnswers(remembered) ? remembered : undefined);
}

export async function traceRuleAtCursor(ctx: Ctx, arg?: unknown): Promise<void> {
  const uri = rulesUri(arg);
  const editor = vscode.window.activeTextEditor;
  if (!uri || !editor || editor.document.uri.toString() !== uri.toString()) return needRulesFile();
  const client = ctx.languageClient;
  if (!client) return void vscode.window.showWarningMessage('Netfilter Lens: the language server is not running.');
  const line = editor.selection.active.line;
  const ex = await client.sendRequest(ruleExampleRequest, { uri: uri.toString(), line });
  if ('error' in ex) return void vscode.window.showInformationMessage(`Netfilter Lens: ${ex.error}`);
  const params = exampleParams(uri.toString(), ex.hook, ex.witness);
  if ('error' in params) return void vscode.window.showInformationMessage(`Netfilter Lens: ${params.error}`);
  await askAndShow(ctx, uri, paramsToAnswers(params));
}

/** From a rule's hover ("Trace this packet"): the example packet, straight into the panel. */
export function traceExample(ctx: Ctx, arg?: unknown): void {
  const a = arg as { uri?: unknown; hook?: unknown; witness?: unknown } | undefined;
  if (typeof a?.uri !== 'string' || typeof a.hook !== 'string') {
    void vscode.window.showInformationMessage('Netfilter Lens: hover a rule in an iptables file and choose "Trace this packet".');
    return;
  }
  const params = exampleParams(a.uri, a.hook, a.witness);
  if ('error' in params) return void vscode.window.showInformationMessage(`Netfilter Lens: ${params.error}`);
  TracePanel.show(ctx, params);
}
