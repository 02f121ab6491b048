/**
 * For a rule whose conditions never hold where its chain is reached: the
 * rules of the tables packets meet before it (at the hooks before, and at its
 * own hook in higher-priority tables) that drop packets its conditions
 * accept. A ruleset whose raw PREROUTING sends everything from eth0.50 to a
 * DROP makes `-i eth0.50` in filter INPUT dead; the finding names that DROP.
 */
import type { EmuRule } from '../emulator/compile';
import type { Hook } from '../lang/iptables/extension';
import type { ExplainReads } from './explainMemo';
import type { Reachability } from './reachability';
import { tablesBefore } from './reach/pipeline';
import { Field } from './space/fields';
import { range } from './space/intSet';
import { assign, intersectSets, isEmpty, type PacketSet } from './space/packetSet';

export interface Dropper {
  readonly rule: EmuRule;
  readonly table: string;
  readonly chain: string;
  readonly hook: Hook;
  /** The target's name (DROP, REJECT, …). */
  readonly target: string;
  /** The packets it drops there that the dead rule's conditions accept. */
  readonly drops: PacketSet;
}

/** Droppers named at most. */
const MAX_DROPPERS = 3;

/**
 * Up to three rules, in the order packets meet them, that drop some packets `accepts` holds before they
 * get to `table` at `hook`. Their chains' records are noted in `reads` (an explanation naming them is made
 * again when those chains are walked anew).
 */
export function droppedBefore(reach: Reachability, hook: Hook, table: string, accepts: PacketSet, reads: ExplainReads): Dropper[] {
  const out: Dropper[] = [];
  // Before conntrack (raw), a packet's state is not known yet: the analysis holds it as INVALID there.
  const anyState = assign(accepts, Field.Ct, range(0, reach.space.max[Field.Ct]!));
  for (const stage of tablesBefore(hook, table)) {
    const t = reach.emu.tables.get(stage.table);
    if (!t) continue;
    const meets = stage.table === 'raw' ? anyState : accepts;
    for (const c of t.chains.values()) {
      if (!reach.rec.entryHooks(stage.table, c.name).includes(stage.hook)) continue;
      let named = false;
      for (const r of c.rules) {
        const f = reach.facts(r, stage.table, c.name);
        // (Conditions first: most rules' conditions miss the dead rule's packets, and their hits are not joined.)
        if (f.effect.kind !== 'drop' || isEmpty(intersectSets(meets, f.match.upper))) continue;
        const hit = reach.reach(r, stage.table, c.name).hits.get(stage.hook);
        const drops = hit ? intersectSets(meets, hit.may) : [];
        if (isEmpty(drops)) continue;
        out.push({ rule: r, table: stage.table, chain: c.name, hook: stage.hook, target: r.target.kind === 'verdict' ? r.target.verdict : r.target.kind === 'ext' ? r.target.name : 'DROP', drops });
        named = true;
        if (out.length === MAX_DROPPERS) break;
      }
      if (named) reads.records.push({ table: stage.table, name: c.name, record: reach.rec.existing(stage.table, c.name) });
      if (out.length === MAX_DROPPERS) return out;
    }
  }
  return out;
}
