/** conntrack and state matches (kernel net/netfilter/xt_conntrack.c, xt_state.c). */
import type { ConntrackMatch, CtAddrMatch, CtPortMatch } from '../../lang/iptables/extensions/matches/conntrack';
import type { StateMatch } from '../../lang/iptables/extensions/matches/state';
import { unknown, type EvalContext } from '../context';
import { CT_ASSURED, CT_CONFIRMED, CT_DST_NAT, CT_EXPECTED, CT_SEEN_REPLY, CT_SRC_NAT } from '../ct';
import type { MatcherEntry } from '../registry';

/** The packet's state names as --ctstate tests them (SNAT/DNAT are virtual states). */
function states(ctx: EvalContext): string[] {
  const ct = ctx.ct;
  const out: string[] = [ct.state];
  const c = ct.conn;
  if (c) {
    if (c.status & CT_SRC_NAT || c.orig.src !== c.reply.dst) out.push('SNAT');
    if (c.status & CT_DST_NAT || c.orig.dst !== c.reply.src) out.push('DNAT');
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

export const conntrack: MatcherEntry = {
  name: 'conntrack',
  fn: (d: ConntrackMatch, ctx) => {
    const ct = ctx.ct;
    if (d.state && states(ctx).some((s) => d.state!.states.includes(s as never)) === d.state.invert) return false;
    const c = ct.conn;
    if (d.direction && (!c || ct.dir !== d.direction)) return false;
    const needsConn = d.proto || d.origSrc || d.origDst || d.replSrc || d.replDst || d.origSrcPort || d.origDstPort || d.replSrcPort || d.replDstPort || d.status || d.expire;
    if (!needsConn) return true;
    if (!c) return false;
    if (d.proto && ((d.proto.num === 0 || c.orig.proto === d.proto.num) === d.proto.invert)) return false;
    for (const [m, a] of [[d.origSrc, c.orig.src], [d.origDst, c.orig.dst], [d.replSrc, c.reply.src], [d.replDst, c.reply.dst]] as const) {
      const ok = addrOk(m, a);
      if (ok === undefined) return unknown(`--ctorig/--ctrepl with a host name resolved at load time (${m?.hostname})`);
      if (!ok) return false;
    }
    if (!portOk(d.origSrcPort, c.orig.sport) || !portOk(d.origDstPort, c.orig.dport) || !portOk(d.replSrcPort, c.reply.sport) || !portOk(d.replDstPort, c.reply.dport)) return false;
    if (d.status) {
      const bits: Record<string, number> = { EXPECTED: CT_EXPECTED, SEEN_REPLY: CT_SEEN_REPLY, ASSURED: CT_ASSURED, CONFIRMED: CT_CONFIRMED };
      const any = d.status.statuses.some((s) => c.status & bits[s]!);
      if (any === d.status.invert) return false;
    }
    if (d.expire) {
      const left = Math.max(0, Math.floor((c.expires - ctx.clock.now()) / 1000));
      if ((left >= d.expire.range[0] && left <= d.expire.range[1]) === d.expire.invert) return false;
    }
    return true;
  },
};

export const state: MatcherEntry = {
  name: 'state',
  fn: (d: StateMatch, ctx) => d.states.includes(ctx.ct.state as never) !== d.invert,
};
