/**
 * One tab list per conversation, one tab per packet (SYN, SYN-ACK, …, the
 * replies with their un-NAT), the legs a conversation opened (docker-proxy's
 * own connection) as their own group. Tabs follow the WAI-ARIA pattern: one
 * tab in the tab order per list, arrow keys move (main.ts).
 */
import { BAD_FATES, type ConversationView, type PacketView, type TraceView } from './traceModel';
import { h, type VNode } from './vnode';

export const PANEL_ID = 'trace-packet-panel';

export function tabId(key: string): string {
  return `tab-${key}`;
}

function tabWords(p: PacketView): string {
  const parts = [`Packet ${p.n}: ${p.label}`, p.dir, ...p.unNat, ...(p.vxlan ? ['VXLAN'] : []), ...(p.fate ? [p.fate.fate] : [])];
  return parts.join(', ');
}

function tab(p: PacketView, selected: boolean, focusable: boolean): VNode {
  const bad = !!p.fate && BAD_FATES.has(p.fate.fate);
  return h(
    'button',
    {
      type: 'button',
      role: 'tab',
      id: tabId(p.key),
      class: `tab${bad ? ' bad' : ''}`,
      'aria-selected': String(selected),
      'aria-controls': PANEL_ID,
      'aria-label': tabWords(p),
      tabindex: focusable ? 0 : -1,
      'data-testid': 'trace-tab',
      'data-action': 'select-packet',
      'data-packet': p.key,
      'data-label': p.label,
      'data-dir': p.dir,
      'data-fate': p.fate?.fate,
      'data-unnat': p.unNat.join(' ') || undefined,
    },
    h('span', { class: 'tab-n' }, String(p.n)),
    ` ${p.label} `,
    h('span', { class: 'dir', 'aria-hidden': 'true' }, p.dir === 'reply' ? '←' : '→'),
    p.unNat.map((u) => h('span', { class: 'badge', 'aria-hidden': 'true' }, u)),
    p.vxlan && h('span', { class: 'badge', 'aria-hidden': 'true' }, 'VXLAN'),
    bad && h('span', { class: 'badge bad', 'aria-hidden': 'true' }, p.fate!.fate),
  );
}

function group(c: ConversationView, selected: string): VNode {
  const headingId = `conversation-${c.id}`;
  const hasSelected = c.packets.some((p) => p.key === selected);
  return h(
    'section',
    { class: `conversation${c.linkedTo !== undefined ? ' leg' : ''}`, 'data-testid': 'trace-conversation', 'data-conversation': c.id, 'data-leg': String(c.linkedTo !== undefined) },
    h('h2', { id: headingId }, c.linkedTo !== undefined ? `Second leg: ${c.title}` : `Conversation ${c.id}: ${c.title}`),
    c.why && h('p', { class: 'why', 'data-testid': 'trace-leg-why' }, `Opened by conversation ${c.linkedTo}: ${c.why}.`),
    c.notes.map((n) => h('p', { class: 'note' }, n)),
    h('div', { role: 'tablist', 'aria-labelledby': headingId, class: 'tablist', 'data-testid': 'trace-tablist' },
      c.packets.map((p, i) => tab(p, p.key === selected, hasSelected ? p.key === selected : i === 0)),
    ),
  );
}

export function packetTabs(v: TraceView, selected: string): VNode {
  return h('nav', { class: 'tabs', 'aria-label': 'Packets of the conversation', 'data-testid': 'trace-tabs' }, v.conversations.map((c) => group(c, selected)));
}
