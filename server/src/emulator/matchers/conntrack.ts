/**
 * conntrack and state matches (kernel net/netfilter/xt_conntrack.c,
 * conntrack_mt; iptables sends "-m state" as conntrack with only a state test).
 *
 * - State: the packet's state bit, plus the virtual SNAT/DNAT bits when the
 *   connection's IPS_SRC_NAT/IPS_DST_NAT status bits are set.
 * - A packet without a connection (INVALID, UNTRACKED): after the state test
 *   the match holds exactly when the rule tests the state, whatever else it asks.
 * - --ctproto compares the protocol number as is (0 never matches a real connection).
 * - --ctexpire: whole seconds left. Before a connection is confirmed the
 *   kernel still holds its timeout relative to "now", so what it reports then
 *   depends on the host's uptime: we cannot tell.
 */
import type { ConntrackMatch, CtAddrMatch, CtPortMatch } from '../../lang/iptables/extensions/matches/conntrack';
import type { StateMatch } from '../../lang/iptables/extensions/matches/state';
import { ICMP_REPLY_OF } from '../conntrack';
import { unknown, type EvalContext } from '../context';
import { CT_ASSURED, CT_CONFIRMED, CT_DST_NAT, CT_EXPECTED, CT_SEEN_REPLY, CT_SRC_NAT } from '../ct';
import { PROTO_ICMP } from '../packet';
import type { MatcherEntry } from '../registry';

/** The packet's state names as --ctstate tests them (SNAT/DNAT are virtual states). */
function states(ctx: EvalContext): string[] {
  const ct = ctx.ct;
  const out: string[] = [ct.state];
  const c = ct.conn;
  if (c) {
    if (c.status & CT_SRC_NAT) out.push('SNAT');
    if (c.status & CT_DST_NAT) out.push('DNAT');
  }
  return out;
}

function addrOk(m: CtAddrMatch | undefined, a: number): boolean | undefined {
  if (!m) return true;
  if (typeof m.addr !== 'number') return undefined;
  const mask = m.prefix <= 0 ? 0 : m.prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - m.prefix)) >>> 0;
  return ((((a ^ m.addr) & mask) >>> 0) === 0) !== m.invert;
}

function portOk(m: CtPortMatch | undefined, p: number): boolean {
  return !m || ((p >= m.range[0] && p <= m.range[1]) !== m.invert);
}

const STATUS_BITS: Readonly<Record<string, number>> = { EXPECTED: CT_EXPECTED, SEEN_REPLY: CT_SEEN_REPLY, ASSURED: CT_ASSURED, CONFIRMED: CT_CONFIRMED };

export const conntrack: MatcherEntry = {
  name: 'conntrack',
  fn: (d: ConntrackMatch, ctx) => {
    const ct = ctx.ct;
    if (d.state && states(ctx).some((s) => d.state!.states.includes(s as never)) === d.state.invert) return false;
    const c = ct.conn;
    if (!c) return d.state !== undefined;
    if (d.direction && ct.dir !== d.direction) return false;
    // Every test must hold: a failing one decides even when another is undecidable.
    let why: string | undefined;
    for (const [m, a] of [[d.origSrc, c.orig.src], [d.origDst, c.orig.dst], [d.replSrc, c.reply.src], [d.replDst, c.reply.dst]] as const) {
      const ok = addrOk(m, a);
      if (ok === undefined) why ??= `--ctorig/--ctrepl with a host name resolved at load time (${m?.hostname})`;
      else if (!ok) return false;
    }
    if (d.proto && ((c.orig.proto === d.proto.num) === d.proto.invert)) return false;
    if (!portOk(d.origSrcPort, c.orig.sport) || !portOk(d.replSrcPort, c.reply.sport)) return false;
    if (c.orig.proto === PROTO_ICMP && (d.origDstPort || d.replDstPort)) {
      // For ICMP the kernel's source "port" is the echo id, its destination "port" type << 8 | code:
      // the request's in the original tuple, its reply's in the reply tuple (checked in the kernel).
      const q = c.icmpQuery;
      if (!q) why ??= 'an ICMP connection whose request the emulator did not see';
      else if (!portOk(d.origDstPort, (q.type << 8) | q.code) || !portOk(d.replDstPort, ((ICMP_REPLY_OF[q.type] ?? q.type) << 8) | q.code)) return false;
    } else if (!portOk(d.origDstPort, c.orig.dport) || !portOk(d.replDstPort, c.reply.dport)) {
      return false;
    }
    if (d.status && d.status.statuses.some((s) => c.status & STATUS_BITS[s]!) === d.status.invert) return false;
    if (d.expire) {
      if (!(c.status & CT_CONFIRMED)) why ??= "--ctexpire on a connection's first packet (not yet confirmed): the kernel's answer depends on the host's uptime";
      else {
        const left = Math.max(0, Math.floor((c.expires - ctx.clock.now()) / 1000));
        if ((left >= d.expire.range[0] && left <= d.expire.range[1]) === d.expire.invert) return false;
      }
    }
    return why === undefined ? true : unknown(why);
  },
};

export const state: MatcherEntry = {
  name: 'state',
  fn: (d: StateMatch, ctx) => d.states.includes(ctx.ct.state as never) !== d.invert,
};
