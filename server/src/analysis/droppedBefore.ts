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
import { assign, intersectSets, isEmpty, NONE, subtractSets, unionSets, volume, type PacketSet } from './space/packetSet';

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

/** Droppers looked at most, the first in the order packets meet them (a block list has thousands). */
const MAX_CANDIDATES = 64;

/**
 * Up to three rules, in the order packets meet them, that drop packets `accepts` holds before they get to
 * `table` at `hook`: those that drop the most of them (mostDropping). Their chains' records are noted in `reads` (an explanation naming them is made
 * again when those chains are walked anew).
 */
export function droppedBefore(reach: Reachability, hook: Hook, table: string, accepts: PacketSet, reads: ExplainReads): Dropper[] {
  const found: Dropper[] = [];
  // Routing picks the output interface after PREROUTING: there, a packet FORWARD or POSTROUTING sees
  // going out has none yet (a FORWARD `-i eth1 -o eth0.10` rule behind a raw PREROUTING DROP from eth1).
  const unrouted = hook === 'FORWARD' || hook === 'POSTROUTING' ? assign(accepts, Field.Oif, range(0, reach.space.max[Field.Oif]!)) : accepts;
  // Before conntrack (raw), a packet's state is not known yet: the analysis holds it as INVALID there.
  const anyState = (s: PacketSet): PacketSet => assign(s, Field.Ct, range(0, reach.space.max[Field.Ct]!));
  for (const stage of tablesBefore(hook, table)) {
    const t = reach.emu.tables.get(stage.table);
    if (!t) continue;
    const base = stage.hook === 'PREROUTING' ? unrouted : accepts;
    const meets = stage.table === 'raw' ? anyState(base) : base;
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
        found.push({ rule: r, table: stage.table, chain: c.name, hook: stage.hook, target: r.target.kind === 'verdict' ? r.target.verdict : r.target.kind === 'ext' ? r.target.name : 'DROP', drops });
        named = true;
        if (found.length === MAX_CANDIDATES) break;
      }
      // (Every chain a candidate came from: which ones are named depends on all of them.)
      if (named) reads.records.push({ table: stage.table, name: c.name, record: reach.rec.existing(stage.table, c.name) });
      if (found.length === MAX_CANDIDATES) return mostDropping(found);
    }
  }
  return mostDropping(found);
}

/**
 * Of the droppers found, the (at most three) that together drop the most of the packets, each chosen
 * for what it adds to those before (a greedy cover, by how many packets; none that adds less than 1 % of
 * what the first drops), in the order packets meet them: a block list's first source ranges each drop a
 * sliver of what its `-d 192.168.0.0/16 -j DROP` drops.
 */
function mostDropping(found: readonly Dropper[]): Dropper[] {
  if (found.length <= 1) return [...found];
  const chosen = new Set<Dropper>();
  let covered: PacketSet = NONE;
  let firstV = 0;
  while (chosen.size < MAX_DROPPERS) {
    let best: Dropper | undefined;
    let bestV = 0;
    for (const d of found) {
      if (chosen.has(d)) continue;
      const v = volume(subtractSets(d.drops, covered));
      if (v > bestV) [best, bestV] = [d, v];
    }
    // (A sliver next to what the first drops is not named: a block list's source ranges behind its `-d 192.168.0.0/16`.)
    if (!best || (chosen.size > 0 && bestV < firstV / 100)) break;
    if (chosen.size === 0) firstV = bestV;
    chosen.add(best);
    covered = unionSets(covered, best.drops);
  }
  return found.filter((d) => chosen.has(d));
}
