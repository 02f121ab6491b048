/**
 * Custom LSP messages between client and server, each declared once here
 * with its direction. Method names are `netfilterLens/<camelCase>`.
 */
import { RequestType } from 'vscode-languageserver-protocol';

export interface ServerInfo {
  readonly version: string;
  readonly languages: readonly string[];
}

/** Sent from the client to the server to ask what the server supports (used by tests and the status bar). */
export const serverInfoRequest = new RequestType<void, ServerInfo, void>('netfilterLens/serverInfo');
