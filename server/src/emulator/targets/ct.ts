/**
 * CT and NOTRACK (kernel net/netfilter/xt_CT.c; iptables ≥ 1.4.x sends
 * NOTRACK to the kernel as CT --notrack). The raw table runs before
 * conntrack, so the kernel attaches either "untracked" or a template to the
 * packet; conntrack then builds a new connection from the template (zone,
 * helper, timeout policy, event mask) or, for a known connection, only uses
 * the template's zone to find it.
 *
 * A packet that already has a conntrack entry is left alone ("previously
 * seen (loopback)? Ignore." in xt_ct_target/notrack_tg): that is a packet
 * looped back through lo after OUTPUT.
 *
 * A REJECT's reply carries the rejected packet's entry too (attached before
 * it is sent; a bare conntrack word when that packet had none), so raw
 * OUTPUT ignores CT and NOTRACK for it as well.
 *
 * The template's zone is modelled (conntrack.ts keeps each zone's entries
 * apart); its helper, timeout policy and event mask are only noted. Until
 * conntrack, matches see a packet with a template as NEW (nf_ct_get finds the
 * template with ctinfo IP_CT_NEW), and a later CT or NOTRACK leaves it alone.
 */
import { zoneDirection, type CtTarget } from '../../lang/iptables/extensions/targets/CT';
import { CT_CONFIRMED } from '../ct';
import type { TargetContext, TargetOutcome } from '../context';
import type { TargetEntry } from '../registry';

function templateText(d: CtTarget, zoneId: number | undefined): string {
  const parts: string[] = [];
  if (d.zone) {
    const dir = zoneDirection(d.zone);
    const id = d.zone.fromMark ? `${zoneId} (the low 16 bits of the packet mark)` : `${d.zone.id}`;
    parts.push(`zone ${id}${dir === 'both' ? '' : ` for the ${dir} direction`}`);
  }
  if (d.helper) parts.push(`helper "${d.helper}"`);
  if (d.timeout) parts.push(`timeout policy "${d.timeout}"`);
  if (d.ctEvents) parts.push(`events ${d.ctEvents.length ? d.ctEvents.join(',') : 'none'}`);
  if (d.expEvents) parts.push(`expectation events ${d.expEvents.join(',')}`);
  return parts.length ? parts.join(', ') : 'default settings';
}

function ctTarget(name: string) {
  return (d: CtTarget, ctx: TargetContext): TargetOutcome => {
    const conn = ctx.conn;
    // In raw (CT's only table) a packet carries an entry only when it has one already, NOTRACK's mark, or an earlier CT's template.
    if (conn || ctx.ct.state === 'UNTRACKED' || ctx.ct.attachedBare || ctx.ct.template) {
      const why = conn ? `the packet already belongs to a tracked connection (${conn.status & CT_CONFIRMED ? 'looped back' : "a REJECT's reply"})`
        : ctx.ct.attachedBare ? "the packet is a REJECT's reply to a packet without a connection, and carries its bare conntrack word"
          : ctx.ct.template ? 'an earlier CT put its conntrack template on the packet' : 'an earlier NOTRACK marked the packet untracked';
      ctx.note(`${name}: ${why}, so the kernel ignores this target`);
      return { kind: 'continue' };
    }
    if (d.notrack) return { kind: 'notrack' };
    const zoneId = d.zone ? (d.zone.fromMark ? ctx.packet.mark & 0xffff : d.zone.id) : undefined;
    ctx.note(`CT: conntrack template with ${templateText(d, zoneId)} — a new connection gets these settings${d.zone ? ', and conntrack looks the packet up in that zone only' : ''}; until conntrack, matches see the packet NEW${d.helper ? '; the emulator does not model helpers' : ''}`);
    if (!d.zone) return { kind: 'template' };
    const dir = zoneDirection(d.zone);
    return { kind: 'template', zone: { id: d.zone.id, fromMark: d.zone.fromMark, dir: dir === 'both' ? 'both' : dir === 'original' ? 'ORIGINAL' : 'REPLY' } };
  };
}

export const CT: TargetEntry = { name: 'CT', fn: ctTarget('CT') };
/** NOTRACK: the parser's data is CT's with notrack set. */
export const NOTRACK: TargetEntry = { name: 'NOTRACK', fn: ctTarget('NOTRACK') };
