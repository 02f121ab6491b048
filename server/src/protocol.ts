/**
 * Custom LSP messages between client and server, each declared once here
 * with its direction. Method names are `netfilterLens/<camelCase>`.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

export interface ServerInfo {
  readonly version: string;
  readonly languages: readonly string[];
}

/** Sent from the client to the server to ask what the server supports (used by tests and the status bar). */
export const serverInfoRequest = new RequestType<void, ServerInfo, void>('netfilterLens/serverInfo');

/** A rule's example packet (from its hover) to trace: the document, the hook it was seen at, and the packet. */
export interface TraceExampleParams {
  readonly uri: string;
  readonly hook: string;
  readonly witness: Readonly<Record<string, string | number | boolean>>;
}

export interface TraceExampleResult {
  readonly completed: boolean;
  /** The trace told as a story (markdown-safe plain text). */
  readonly story: string;
}

/** Client → server: trace an example packet through the emulator (hover's "Trace this packet"). */
export const traceExampleRequest = new RequestType<TraceExampleParams, TraceExampleResult, void>('netfilterLens/traceExample');

/** What the status bar shows for the active iptables file, counted from the diagnostics just published. */
export interface FileSummary {
  readonly uri: string;
  readonly errors: number;
  readonly warnings: number;
  /** Rules no packet reaches (codes unreachable-rule, rule-after-terminal, impossible-match). */
  readonly unreachable: number;
  /** Reachability of a large file is still being computed (its findings follow in another summary). */
  readonly analysing: boolean;
}

/** Server → client, after each publish of an iptables file's diagnostics. */
export const fileSummaryNotification = new NotificationType<FileSummary>('netfilterLens/fileSummary');
