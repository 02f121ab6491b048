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
 * The emulator's conntrack has no zones or helpers and runs after raw, so
 * a CT template is noted; when the engine hands us a connection that is new
 * and not yet confirmed we record the zone and helper on it.
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
    if (conn && conn.status & CT_CONFIRMED) {
      ctx.note(`${name}: the packet already belongs to a tracked connection (looped back?), so the kernel ignores this target`);
      return { kind: 'continue' };
    }
    if (d.notrack) return { kind: 'notrack' };
    const zoneId = d.zone ? (d.zone.fromMark ? ctx.packet.mark & 0xffff : d.zone.id) : undefined;
    const what = templateText(d, zoneId);
    if (conn && ctx.ct.state === 'NEW') {
      // Only a new connection takes the template's settings.
      if (zoneId !== undefined) conn.zone = zoneId;
      if (d.helper) conn.helper = d.helper;
      ctx.note(`CT: the new connection gets ${what}`);
    } else {
      ctx.note(`CT: conntrack template with ${what} — a new connection gets these settings${d.zone ? ', and the zone keeps its entries apart from other zones' : ''}; the emulator's conntrack models neither zones nor helpers`);
    }
    return { kind: 'continue' };
  };
}

export const CT: TargetEntry = { name: 'CT', fn: ctTarget('CT') };
/** NOTRACK: the parser's data is CT's with notrack set. */
export const NOTRACK: TargetEntry = { name: 'NOTRACK', fn: ctTarget('NOTRACK') };
