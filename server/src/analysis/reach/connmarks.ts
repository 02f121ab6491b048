/**
 * A connection starts without a mark: its first packet (NEW) meets the rules after conntrack with
 * connmark 0, and a connection keeps 0 unless a rule writes one (CONNMARK --set-mark, --save-mark;
 * --restore-mark only reads it). `must`, the packets surely reaching a rule, keeps a tracked packet
 * with another connmark only where that can happen; `may` keeps every value (a later packet of an
 * unanswered flow is NEW too, with what rules wrote on the first; tools outside the dump may write
 * marks). The witness test cannot see this: it puts ESTABLISHED connections in with any connmark
 * (`conntrack -I`); test/kernel/notrackAnswers.kernel.test.ts counts real ones.
 */
import type { EmuRuleset } from '../../emulator/compile';
import type { ConnmarkTarget } from '../../lang/iptables/extensions/targets/CONNMARK';
import { ctValues, Field, type Space } from '../space/fields';
import { range } from '../space/intSet';
import { intersectSets, NONE, where, type PacketSet } from '../space/packetSet';

/** Tracked packets with a connmark no connection of theirs can have (for `must`), given whether some rule writes one (asked only when some rule tests one). */
export function impossibleConnmarks(space: Space, writesConnmark: () => boolean): PacketSet {
  // Not modelled (too many bits) or no rule tests one: nothing to say.
  if (!space.connmark.modelled || space.connmark.max === 0) return NONE;
  const marked = where(space, Field.Connmark, range(1, space.connmark.max));
  return intersectSets(marked, where(space, Field.Ct, ctValues(writesConnmark() ? ['NEW'] : ['NEW', 'ESTABLISHED', 'RELATED'])));
}

/** Whether some rule writes connection marks. */
export function writesConnmark(rs: EmuRuleset): boolean {
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      if (c.rules.some((r) => r.target.kind === 'ext' && r.target.name === 'CONNMARK' && (r.target.data as ConnmarkTarget | undefined)?.mode !== 'restore')) return true;
    }
  }
  return false;
}
