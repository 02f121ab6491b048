/**
 * The trace as the panel shows it: conversations (the first, and the legs
 * it opened, such as docker-proxy's own connection), each a list of
 * packets, each packet with its events, the host each event happened on,
 * and its way through each host's hooks.
 */
import { eventHosts } from '../../../server/src/trace/eventHosts';
import type { JsonPacket, JsonTraceEvent } from '../../../server/src/trace/jsonEvent';
import type { TraceOutcome } from '../../../server/src/trace/traceResult';
import { hookPath, type HookPath } from './hookPath';

export interface HostedEvent {
  readonly event: JsonTraceEvent;
  readonly host: string;
}

export interface PacketView {
  /** Stable across updates of the same trace: "c1p2" (conversation 1, packet 2). */
  readonly key: string;
  readonly conversation: number;
  readonly n: number;
  readonly label: string;
  readonly dir: 'original' | 'reply';
  readonly packet: JsonPacket;
  readonly host: string;
  readonly from: { readonly iface: string } | { readonly local: true };
  readonly events: readonly HostedEvent[];
  /** One path per host it crosses, in order. */
  readonly paths: readonly HookPath[];
  /** The last fate: what became of it. */
  readonly fate?: { readonly fate: string; readonly detail: string };
  /** Rewrites conntrack made back on a reply ("un-DNAT"). */
  readonly unNat: readonly string[];
  /** It crossed a VXLAN hop between two hosts. */
  readonly vxlan: boolean;
}

export interface ConversationView {
  readonly id: number;
  readonly title: string;
  readonly linkedTo?: number;
  readonly why?: string;
  /** Notes told before its first packet. */
  readonly notes: readonly string[];
  readonly packets: readonly PacketView[];
}

export interface TraceView {
  readonly assumptions: readonly string[];
  readonly conversations: readonly ConversationView[];
}

/** Fates that mean the packet did not get where it was sent. */
export const BAD_FATES: ReadonlySet<string> = new Set(['dropped', 'rejected', 'queued', 'no-route', 'not-forwarding', 'martian', 'lost', 'no-listener']);

interface PacketDraft {
  readonly head: Extract<JsonTraceEvent, { type: 'packet' }>;
  readonly events: HostedEvent[];
}

function finish(d: PacketDraft): PacketView {
  const h = d.head;
  const segments: Array<{ host: string; events: JsonTraceEvent[] }> = [];
  for (const { event, host } of d.events) {
    const last = segments[segments.length - 1];
    if (last && last.host === host) last.events.push(event);
    else segments.push({ host, events: [event] });
  }
  const paths = segments
    .map((s, i) => hookPath(s.host, s.events, i === 0 && 'local' in h.from))
    .filter((p) => p.nodes.length > 0);
  let fate: PacketView['fate'];
  const unNat: string[] = [];
  let vxlan = false;
  for (const { event: e } of d.events) {
    if (e.type === 'fate') fate = { fate: e.fate, detail: e.detail };
    else if (e.type === 'rewrite' && (e.what === 'un-DNAT' || e.what === 'un-SNAT') && !unNat.includes(e.what)) unNat.push(e.what);
    else if (e.type === 'encap') vxlan = true;
  }
  return {
    key: `c${h.conversation}p${h.n}`, conversation: h.conversation, n: h.n, label: h.label, dir: h.dir, packet: h.packet, host: h.host, from: h.from,
    events: d.events, paths, unNat, vxlan, ...(fate ? { fate } : {}),
  };
}

export function traceView(outcome: Pick<TraceOutcome, 'events'>): TraceView {
  const assumptions: string[] = [];
  const conversations: Array<{ c: Omit<ConversationView, 'packets' | 'notes'>; notes: string[]; packets: PacketDraft[] }> = [];
  const hosts = eventHosts(outcome.events);
  outcome.events.forEach((e, i) => {
    const conv = conversations[conversations.length - 1];
    const packet = conv?.packets[conv.packets.length - 1];
    if (e.type === 'assume' && !packet) assumptions.push(e.what);
    else if (e.type === 'conversation') {
      conversations.push({ c: { id: e.id, title: e.title, ...(e.linkedTo !== undefined ? { linkedTo: e.linkedTo } : {}), ...(e.why ? { why: e.why } : {}) }, notes: [], packets: [] });
    } else if (e.type === 'packet' && conv) conv.packets.push({ head: e, events: [] });
    else if (packet) packet.events.push({ event: e, host: hosts[i] ?? '' });
    else if (conv && e.type === 'note') conv.notes.push(e.text);
    else if (conv && e.type === 'assume') assumptions.push(e.what);
  });
  return {
    assumptions,
    conversations: conversations.map(({ c, notes, packets }) => ({ ...c, notes, packets: packets.map(finish) })),
  };
}

/** Every packet of the trace, conversation by conversation. */
export function allPackets(v: TraceView): PacketView[] {
  return v.conversations.flatMap((c) => [...c.packets]);
}
