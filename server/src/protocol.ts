/**
 * Custom LSP messages between client and server, each declared once here
 * with its direction. Method names are `netfilterLens/<camelCase>`.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { InferGuess } from './trace/plan';
import type { TraceHost, TraceOutcome } from './trace/traceResult';
import type { Topology } from './trace/topology';

export interface ServerInfo {
  readonly version: string;
  readonly languages: readonly string[];
  /** The edit rehearsal after a large file's first reachability (server.ts, editRehearsal.ts): under way, or done; absent before. */
  readonly editRehearsal?: 'waiting' | 'done';
}

/** Sent from the client to the server to ask what the server supports (used by tests and the status bar). */
export const serverInfoRequest = new RequestType<void, ServerInfo, void>('netfilterLens/serverInfo');

/** A rule's example packet (from its hover) to trace: the document, the hook it was seen at, and the packet. */
export interface TraceExampleParams {
  readonly uri: string;
  readonly hook: string;
  readonly witness: Readonly<Record<string, string | number | boolean>>;
}

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

/** Where the first packet of a traced conversation comes from. */
export type TraceOriginParam = { readonly iface: string } | { readonly local: true } | { readonly peer: string };

/** A conversation to trace through an open rules document (Trace Packet…, the trace panel). */
export interface TraceParams {
  readonly uri: string;
  readonly proto: string;
  /** An address, or a name from the host description (a peer, a container, the host). */
  readonly src: string;
  readonly sport?: number;
  readonly dst: string;
  readonly dport?: number;
  readonly origin: TraceOriginParam;
  /** Only for a host inferred from the rules (no description): see InferGuess. */
  readonly guess?: InferGuess;
}

export type TraceReply = TraceOutcome | { readonly error: string };

/** Client → server: trace a conversation; a bad request is answered with { error }. */
export const traceRequest = new RequestType<TraceParams, TraceReply, void>('netfilterLens/trace');

export interface HostInfoParams {
  readonly uri: string;
}

/** The host a rules document's traces run on, for suggestions; with the overlay workspace it belongs to. */
export interface HostInfo extends TraceHost {
  readonly overlay?: {
    readonly containers: ReadonlyArray<{ readonly name: string; readonly network: string; readonly host: string; readonly address: string }>;
    readonly hosts: ReadonlyArray<{ readonly name: string; readonly address: string }>;
  };
}

export type HostInfoReply = HostInfo | { readonly error: string };

/** Client → server: the host of a rules document (peers, interfaces, listeners, published ports). */
export const hostInfoRequest = new RequestType<HostInfoParams, HostInfoReply, void>('netfilterLens/hostInfo');

export interface RuleExampleParams {
  readonly uri: string;
  /** 0-based line of the rule. */
  readonly line: number;
}

/** A rule's example packet, as the hover's "Trace this packet" link carries it. */
export type RuleExampleReply = { readonly hook: string; readonly witness: TraceExampleParams['witness']; readonly text: string } | { readonly error: string };

/** Client → server: the example packet of the rule on a line (editor context menu). */
export const ruleExampleRequest = new RequestType<RuleExampleParams, RuleExampleReply, void>('netfilterLens/ruleExample');

export interface TopologyParams {
  /** An iptables rules document, or a host (nflens-host.json) or overlay workspace (nflens-workspace.json) description. */
  readonly uri: string;
}

export type TopologyReply = Topology | { readonly error: string };

/** Client → server: what the topology view draws (Show Host Topology). */
export const topologyRequest = new RequestType<TopologyParams, TopologyReply, void>('netfilterLens/topology');
