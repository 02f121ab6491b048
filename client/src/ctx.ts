/**
 * Ctx owns everything the extension creates: the language client, the output
 * channel, and two disposal scopes (extension lifetime, one server start).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { fileSummaryNotification } from '../../server/src/protocol';
import { SummaryStatusBar } from './statusBar';

export const LANGUAGE_IDS = ['iptables', 'docker-daemon'];
/** nflens-host.json, *.nflens-host.json and nflens-workspace.json, in any language mode. */
export const DESCRIPTION_FILTER = { scheme: 'file', pattern: '**/{nflens-host,*.nflens-host,nflens-workspace}.json' };

export class Ctx {
  private client: LanguageClient | undefined;
  private readonly extCleanup: vscode.Disposable[] = [];
  private clientCleanup: vscode.Disposable[] = [];
  readonly output: vscode.LogOutputChannel;
  readonly statusBar = new SummaryStatusBar();

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Netfilter Lens', { log: true });
    this.pushExtCleanup(this.output);
    this.pushExtCleanup(this.statusBar);
  }

  pushExtCleanup(d: vscode.Disposable): void {
    this.extCleanup.push(d);
  }

  pushClientCleanup(d: vscode.Disposable): void {
    this.clientCleanup.push(d);
  }

  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  async start(): Promise<void> {
    const module = this.extension.asAbsolutePath(path.join('server', 'out', 'server.js'));
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        ...LANGUAGE_IDS.map((language) => ({ language })),
        // daemon.json stays JSON (VS Code's own support and our schema); the server adds its checks.
        { language: 'json', pattern: '**/daemon.json' },
        { language: 'jsonc', pattern: '**/daemon.json' },
        // Host and workspace descriptions, only so the server has their unsaved text: traces, the topology view and hovers use it.
        DESCRIPTION_FILTER,
      ],
      outputChannel: this.output,
      synchronize: { configurationSection: 'netfilterLens' },
      // Hovers link to "Trace this packet"; only that command may run from their markdown.
      markdown: { isTrusted: { enabledCommands: ['netfilterLens.traceExample'] } },
    };
    this.client = new LanguageClient('netfilterLens', 'Netfilter Lens', serverOptions, clientOptions);
    await this.client.start();
    this.pushClientCleanup(this.client.onNotification(fileSummaryNotification, (s) => this.statusBar.update(s)));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    for (const d of this.clientCleanup.splice(0)) d.dispose();
    this.statusBar.reset();
    const c = this.client;
    this.client = undefined;
    if (c) await c.stop();
  }

  async dispose(): Promise<void> {
    await this.stop();
    for (const d of this.extCleanup.splice(0)) d.dispose();
  }
}
