// Types of codeServer.mjs for the TypeScript editor tests.
export declare const CODE_SERVER_VERSION: string;
export declare const E2E_CACHE: string;
export declare const CHROMIUM: string;
export type Availability = { readonly ok: true } | { readonly ok: false; readonly why: string };
export declare function e2eAvailability(opts?: { browser?: boolean }): Availability;
export interface CodeServer {
  /** http://127.0.0.1:PORT/?folder=… for the workspace. */
  readonly url: string;
  readonly log: () => string;
  stop(): Promise<void>;
}
export declare function startCodeServer(opts: { vsix: string; workspace: string; home: string; settings: Record<string, unknown>; port?: number }): Promise<CodeServer>;
