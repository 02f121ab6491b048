/**
 * A minimal LSP client that drives the real built server (server/out/server.js)
 * over stdio, for protocol-level tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';

/** Server notifications kept in `notifications` for tests to read (with $/progress of created tokens). */
const RECORDED_NOTIFICATIONS = ['netfilterLens/fileSummary'];

export const SERVER_JS = join(__dirname, '..', '..', '..', 'server', 'out', 'server.js');

export class LspClient {
  readonly conn: ProtocolConnection;
  private readonly proc: ChildProcess;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: Array<() => void> = [];
  private versions = new Map<string, number>();
  configuration: Record<string, unknown> = {};
  /** Set by shutdown(): the server's exit is expected from then on. */
  private closing = false;
  /** Recorded notifications in arrival order ($/progress, netfilterLens/fileSummary). */
  readonly notifications: Array<{ readonly method: string; readonly params: unknown }> = [];

  constructor() {
    this.proc = spawn(process.execPath, [SERVER_JS, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    // Said on the test's stderr: a server that dies or logs an error explains a test that then times out.
    this.proc.on('exit', (code, signal) => {
      if (!this.closing) console.error(`language server exited during the test (code ${code}, signal ${signal})`);
    });
    this.conn = createProtocolConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      for (const w of this.waiters.splice(0)) w();
    });
    this.conn.onRequest('workspace/configuration', (p: { items: Array<{ section?: string }> }) => p.items.map(() => this.configuration));
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.onNotification('window/logMessage', (m: { type: number; message: string }) => {
      if (m.type === 1) console.error(`language server error: ${m.message}`);
    });
    // jsonrpc routes $/progress by token, never to a general handler: listen per created token.
    this.conn.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
      this.conn.onProgress(WorkDoneProgress.type, p.token, (value) => {
        this.notifications.push({ method: '$/progress', params: { token: p.token, value } });
        for (const w of this.waiters.splice(0)) w();
      });
      return null;
    });
    for (const method of RECORDED_NOTIFICATIONS) {
      this.conn.onNotification(method, (params: unknown) => {
        this.notifications.push({ method, params });
        for (const w of this.waiters.splice(0)) w();
      });
    }
    this.conn.listen();
  }

  async initialize(opts: { workDoneProgress?: boolean } = {}): Promise<unknown> {
    const r = await this.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {
        workspace: { configuration: true },
        textDocument: { publishDiagnostics: { relatedInformation: true } },
        ...(opts.workDoneProgress ? { window: { workDoneProgress: true } } : {}),
      },
    });
    await this.conn.sendNotification('initialized', {});
    return r;
  }

  async open(uri: string, text: string, languageId = 'iptables'): Promise<void> {
    this.versions.set(uri, 1);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  async change(uri: string, text: string): Promise<number> {
    const v = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, v);
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
    return v;
  }

  /** Waits until diagnostics for `uri` (at `version`, if given) have been published. */
  async diagnosticsFor(uri: string, version?: number, timeoutMs = 10000): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = this.diagnostics.get(uri);
      if (d && (version === undefined || d.version === version)) return d;
      if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri} v${version}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** The first diagnostics published for uri that satisfy pred (e.g. after another file changed). */
  async diagnosticsWhere(uri: string, pred: (d: PublishDiagnosticsParams) => boolean, timeoutMs = 10000): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = this.diagnostics.get(uri);
      if (d && pred(d)) return d;
      if (Date.now() > deadline) throw new Error(`no matching diagnostics for ${uri}: last ${JSON.stringify(d?.diagnostics.map((x) => x.message))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** Waits for a recorded notification that satisfies pred. */
  async notificationWhere<P>(method: string, pred: (p: P) => boolean = () => true, timeoutMs = 10000): Promise<P> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = this.notifications.find((x) => x.method === method && pred(x.params as P));
      if (n) return n.params as P;
      if (Date.now() > deadline) throw new Error(`no matching ${method}: got ${JSON.stringify(this.notifications.filter((x) => x.method === method).map((x) => x.params))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest(method, params) as Promise<R>;
  }

  async shutdown(): Promise<void> {
    this.closing = true;
    try {
      // Bounded: a server that died or hangs must fail the test run, not hold it forever.
      const gone = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10000).unref());
      if ((await Promise.race([this.conn.sendRequest('shutdown'), gone])) === 'timeout') throw new Error('the language server did not answer shutdown within 10 s');
      await this.conn.sendNotification('exit');
    } catch (e) {
      // already gone (a closed connection), or no answer: said, and the process is killed below
      if (e instanceof Error && e.message.startsWith('the language server')) console.error(e.message);
    }
    this.conn.dispose();
    this.proc.kill();
  }
}
