/**
 * The trace: one closed, typed stream of events that every consumer reads
 * (the CLI story, the hover, the webview, the kernel differential tests).
 * Events refer to rules by table, chain, index in the chain and source line.
 */
import type { Hook } from '../lang/iptables/extension';
import type { CtDir, CtStateName, Tuple } from './ct';
import type { Packet } from './packet';

/** A rule as the trace names it. */
export interface RuleRef {
  readonly table: string;
  readonly chain: string;
  /** 0-based position in the chain as the kernel holds it. */
  readonly index: number;
  /** 0-based source line of the rule (-1 for none). */
  readonly line: number;
}

export type Fate =
  | 'delivered' // handed to a local socket
  | 'no-listener' // for this host, but nothing listens: RST / port unreachable
  | 'forwarded' // routed out of an interface to another host
  | 'sent' // locally generated and sent out of an interface
  | 'bridged' // switched between two ports of a bridge
  | 'dropped'
  | 'rejected'
  | 'queued'
  | 'no-route'
  | 'not-forwarding' // ip_forward is off
  | 'martian'
  | 'lost'; // the peer it was sent to does not exist or does not answer

export type TraceEvent =
  | { readonly type: 'conversation'; readonly id: number; readonly title: string; readonly linkedTo?: number; readonly why?: string }
  | {
      readonly type: 'packet';
      readonly conversation: number;
      readonly n: number;
      readonly label: string;
      readonly dir: 'original' | 'reply';
      readonly packet: Packet;
      readonly host: string;
      /** Where it enters this host: an interface, or a local process. */
      readonly from: { readonly iface: string } | { readonly local: true };
    }
  | { readonly type: 'hook'; readonly hook: Hook; readonly host: string; readonly iif: string; readonly oif: string; readonly packet: Packet }
  | { readonly type: 'table'; readonly table: string; readonly hook: Hook }
  | { readonly type: 'chain'; readonly table: string; readonly chain: string; readonly from: RuleRef; readonly goto: boolean }
  | {
      readonly type: 'rule';
      readonly rule: RuleRef;
      readonly matched: boolean;
      /** When it did not match: the part that failed ("-s 10.0.0.0/8", "-m conntrack --ctstate NEW"). */
      readonly failed?: string;
      /** Matches decided by assumption (unknown ipset members, u32). */
      readonly assumed?: readonly string[];
    }
  | {
      readonly type: 'verdict';
      readonly table: string;
      readonly chain: string;
      /** The rule that decided it; absent for a policy or the end of a user chain. */
      readonly rule?: RuleRef;
      readonly verdict: 'ACCEPT' | 'DROP' | 'QUEUE' | 'REJECT' | 'RETURN' | 'JUMP' | 'GOTO' | 'CONTINUE' | 'POLICY' | 'NAT';
      /** For POLICY: the policy applied; for JUMP/GOTO: the chain. */
      readonly detail?: string;
    }
  | { readonly type: 'skip'; readonly table: string; readonly hook: Hook; readonly reason: string }
  | {
      readonly type: 'rewrite';
      readonly what: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT' | 'NETMAP' | 'un-DNAT' | 'un-SNAT' | 'MARK' | 'CONNMARK' | 'TOS' | 'TTL' | 'TCPMSS' | 'other';
      readonly before: Packet;
      readonly after: Packet;
      readonly rule?: RuleRef;
      readonly note?: string;
    }
  | {
      readonly type: 'conntrack';
      readonly event: 'new' | 'found' | 'related' | 'untracked' | 'invalid' | 'confirmed' | 'seen-reply';
      readonly state: CtStateName;
      readonly dir: CtDir;
      readonly orig?: Tuple;
      readonly reply?: Tuple;
      readonly mark: number;
      /** The conntrack zone looked up in, when a CT template gave one other than 0. */
      readonly zone?: number;
      readonly note?: string;
    }
  | {
      readonly type: 'route';
      readonly decision: 'local' | 'forward' | 'output' | 'unreachable' | 'blackhole' | 'prohibit' | 'not-forwarding' | 'martian' | 'loopback';
      readonly dev?: string;
      readonly via?: number;
      readonly src?: number;
      readonly reason: string;
      /** Re-routing after DNAT or a mark change in OUTPUT. */
      readonly reroute?: boolean;
    }
  | { readonly type: 'log'; readonly rule: RuleRef; readonly text: string }
  | { readonly type: 'assume'; readonly what: string }
  | { readonly type: 'fate'; readonly fate: Fate; readonly dev?: string; readonly rule?: RuleRef; readonly detail: string; readonly packet: Packet }
  | { readonly type: 'note'; readonly text: string }
  | {
      /** An overlay packet put into (or taken out of) VXLAN: the outer UDP packet is what the hosts' netfilter sees. */
      readonly type: 'encap';
      readonly action: 'encapsulate' | 'decapsulate';
      readonly host: string;
      readonly network: string;
      readonly vni: number;
      readonly inner: Packet;
      readonly outer: Packet;
    };

export type TraceEventType = TraceEvent['type'];
