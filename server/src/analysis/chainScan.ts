/**
 * Findings' look at every chain: the user chains no packet enters, and the
 * chains it reads rule by rule (built-in ones, and those with a rule no
 * packet reaches), each rule with whether it is reached.
 *
 * A kube-proxy dump has 60,000 chains, and looking each one's record up
 * took ~30 ms per edit. After an edit, only the chains the reparse or the
 * re-analysis touched are looked at again (Reachability.changes: chains
 * compiled anew, chain records made anew or gone); every other chain has
 * the same compiled rules and the same record as before, so what the
 * previous scan found for it holds (a listed chain whose lines moved is
 * read again, for its rules' lines). The result equals a full scan's
 * (test/unit/analysis/chainScan.test.ts). Chains are listed by where their
 * rules are in the file, not in the table's chain order: a scan kept from
 * the previous analysis does not know where a chain it did not look at
 * again stands among the others.
 */
import type { EmuChain, EmuRule, EmuTable } from '../emulator/compile';
import type { LoadedRule, LoadedTable, Ruleset } from '../lang/iptables/ruleset';
import type { ChainRecord } from './reach/recorder';
import type { ReachChanges, Reachability } from './reachability';

export interface KRule {
  readonly table: string;
  readonly chain: string;
  readonly rule: EmuRule;
  readonly loaded: LoadedRule | undefined;
  /** Its line in the parse scanned (the compiled rule's own may be where it was when compiled: Reachability.lineOf). */
  readonly line: number;
  /** No packet reaches it. */
  readonly dead: boolean;
}

/** What the scan found for one chain, kept when there is something to report. */
interface Scanned {
  readonly chain: EmuChain;
  readonly record: ChainRecord | undefined;
  /** A user chain no packet enters. */
  readonly unentered: boolean;
  /** Its rules, when findings reads them one by one (a built-in chain, or some rule not reached). */
  readonly rules: readonly KRule[] | undefined;
}

/** Per table, the chains with something to report, by name. Never changed once made. */
export class ChainScan {
  constructor(
    /** The recorder it was made from (Recorder.id). */
    readonly recorder: number,
    readonly tables: ReadonlyMap<string, ReadonlyMap<string, Scanned>>,
    /** How many chains it looked at (the others' findings came from the previous scan). */
    readonly lookedAt: number,
  ) {}

  /**
   * The chains read rule by rule ("table/chain"), table by table, in each by their first rule's
   * line (a line's rules are all in one chain), then name.
   */
  chainRules(): Map<string, KRule[]> {
    const out = new Map<string, KRule[]>();
    for (const [table, chains] of this.tables) {
      const listed = [...chains].filter(([, s]) => s.rules);
      listed.sort(([a, x], [b, y]) => x.rules![0]!.line - y.rules![0]!.line || (a < b ? -1 : a > b ? 1 : 0));
      for (const [name, s] of listed) out.set(`${table}/${name}`, s.rules!.slice());
    }
    return out;
  }

  /** Per table, its user chains no packet enters. */
  unentered(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [table, chains] of this.tables) {
      const names = new Set<string>();
      for (const [name, s] of chains) if (s.unentered) names.add(name);
      out.set(table, names);
    }
    return out;
  }
}

/** The reachability's scan: made once per analysis, from the previous analysis's where it can. */
export function scanChains(rs: Ruleset, reach: Reachability): ChainScan {
  if (reach.scan?.recorder === reach.rec.id) return reach.scan;
  const changes = reach.changes;
  const before = changes?.scan;
  if (changes) changes.scan = undefined;
  const usable = before && sameKeys(before.tables, reach.emu.tables);
  const tables = new Map<string, ReadonlyMap<string, Scanned>>();
  const counted = { chains: 0 };
  for (const t of reach.emu.tables.values()) {
    const lt = rs.tables.get(t.name);
    tables.set(t.name, usable ? rescan(reach, t, lt, before.tables.get(t.name)!, changes!, counted) : scanTable(reach, t, lt, counted));
  }
  return (reach.scan = new ChainScan(reach.rec.id, tables, counted.chains));
}

function scanTable(reach: Reachability, t: EmuTable, lt: LoadedTable | undefined, counted: { chains: number }): Map<string, Scanned> {
  const out = new Map<string, Scanned>();
  counted.chains += t.chains.size;
  for (const c of t.chains.values()) {
    const s = scanChain(reach, t.name, lt, c, reach.rec.existing(t.name, c.name));
    if (s) out.set(c.name, s);
  }
  return out;
}

function scanChain(reach: Reachability, table: string, lt: LoadedTable | undefined, c: EmuChain, record: ChainRecord | undefined): Scanned | undefined {
  const unentered = !c.builtin && !record?.entered;
  let rules: KRule[] | undefined;
  if (c.rules.length) {
    const reached = reach.rec.reachedRules(table, c.name, c.rules, record);
    if (c.builtin || reached.includes(false)) {
      const loadedRules = lt?.chains.get(c.name)?.rules;
      rules = c.rules.map((rule, i) => {
        const loaded = loadedRules?.[rule.ref.index];
        return { table, chain: c.name, rule, loaded, line: loaded?.command.line ?? -1, dead: !reached[i] };
      });
    }
  }
  return unentered || rules ? { chain: c, record, unentered, rules } : undefined;
}

/**
 * A table's scan from the previous one: the chains changes names, and those the previous scan
 * listed whose chain or record is not the same object now, looked at again; the others as they were.
 */
function rescan(reach: Reachability, t: EmuTable, lt: LoadedTable | undefined, before: ReadonlyMap<string, Scanned>, changes: ReachChanges, counted: { chains: number }): ReadonlyMap<string, Scanned> {
  const again = new Set<string>();
  for (const c of changes.chainsMade) if (t.chains.get(c.name) === c) again.add(c.name);
  for (const r of changes.recordsMade) if (r.table === t.name) again.add(r.name);
  for (const [table, name] of changes.recordsGone) if (table === t.name) again.add(name);
  // (Implied by the lists above today, and cheap: the previous scan holds only the chains with something to report.)
  for (const [name, s] of before) if (t.chains.get(name) !== s.chain || reach.rec.existing(t.name, name) !== s.record) again.add(name);
  // A chain kept whose lines moved (lines added or removed above it): its rules read again at their lines.
  for (const [name, s] of before) if (s.rules && !sameLoaded(s.rules, lt?.chains.get(name)?.rules)) again.add(name);
  counted.chains += again.size;
  const out = new Map(before);
  for (const name of again) {
    const c = t.chains.get(name);
    const s = c && scanChain(reach, t.name, lt, c, reach.rec.existing(t.name, name));
    if (s) out.set(name, s);
    else out.delete(name);
  }
  return out;
}

/** Whether the scanned rules are the parse's loaded rules now, at their places. */
function sameLoaded(rules: readonly KRule[], now: readonly LoadedRule[] | undefined): boolean {
  for (const k of rules) if (k.loaded !== now?.[k.rule.ref.index]) return false;
  return true;
}

function sameKeys(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}
