/**
 * The symbolic chain walk: the emulator's runTable with packet sets instead
 * of one packet. Each rule records the packets it takes (per hook); a
 * jump walks the called chain with the packets the jumping rule takes and
 * brings back those that return; a goto's returns go to the caller's
 * caller; a built-in chain's end applies its policy.
 */
import type { EmuRule, EmuTable } from '../../emulator/compile';
import type { Hook } from '../../lang/iptables/extension';
import type { Space } from '../space/fields';
import type { AddressFacts, RuleMatch } from '../space/ruleMatch';
import { ruleMatch } from '../space/ruleMatch';
import { effectOf, type Effect } from './effect';
import { FlowSum, isDead, join, NO_FLOW, type Flow } from './flow';
import { PendingFlow } from './pendingFlow';
import { coarsen } from '../space/packetSet';

/** Largest set (in boxes) a table hands on; beyond it `may` is widened and `must` trimmed (both stay sound). */
const HANDOFF_LIMIT = 256;

function budget(f: Flow): Flow {
  return f.may.length <= HANDOFF_LIMIT && f.must.length <= HANDOFF_LIMIT ? f : { may: coarsen(f.may, HANDOFF_LIMIT), must: f.must.slice(0, HANDOFF_LIMIT) };
}

const MAX_DEPTH = 64;

export interface RuleFacts {
  readonly rule: EmuRule;
  readonly table: string;
  readonly chain: string;
  readonly match: RuleMatch;
  readonly effect: Effect;
}

/** One rule's facts and, per hook (in the order first met), the packets its conditions took (pieces, joined when read). */
export interface RuleRecord {
  readonly facts: RuleFacts;
  readonly hooks: Hook[];
  readonly parts: Flow[][];
}

/** One chain's entries: per jump site (the jumping rule, or "hook X"), the flows sent in (pieces). */
interface ChainRecord {
  readonly key: string;
  readonly sites: Map<EmuRule | string, { readonly id: string; readonly parts: Flow[] }>;
}

/**
 * What the walks found: per rule, per hook, the packets its conditions took; per chain, the flows
 * each jump site sent in. Held by rule object and chain name (no key strings built per visit: a
 * kube-proxy dump visits hundreds of thousands of rules).
 */
export class Recorder {
  private readonly byRule = new Map<EmuRule, RuleRecord>();
  /** By rule id, for rules asked about through another compiled copy (built on first need). */
  private byId: Map<string, RuleRecord> | undefined;
  /** Table → chain → its entries. */
  private readonly chains = new Map<string, Map<string, ChainRecord>>();
  /** Chain key "table/chain" → the hooks whose packets enter it. */
  readonly entryHooks = new Map<string, Set<Hook>>();
  /** Built-in chain key → flow that met the policy. */
  readonly policy = new Map<string, Flow>();

  constructor(
    readonly space: Space,
    readonly addrs: AddressFacts | undefined,
  ) {}

  /** Set while the pipeline walks: every rule met then is the walk's own. */
  walking = false;

  facts(r: EmuRule, table: string, chain: string): RuleFacts {
    return this.record(r, table, chain).facts;
  }

  /** The rule's record, made on first sight. */
  record(r: EmuRule, table: string, chain: string): RuleRecord {
    let rec = this.byRule.get(r);
    if (rec) return rec;
    // A rule object not seen yet may be a copy of one that was (same id): the walk's own are all
    // seen first, so the index by id is built only when someone asks about another copy.
    if (!this.byId && this.byRule.size && !this.walking) {
      this.byId = new Map();
      for (const x of this.byRule.values()) this.byId.set(x.facts.rule.id, x);
    }
    rec = this.byId?.get(r.id) ?? { facts: { rule: r, table, chain, match: ruleMatch(this.space, r, this.addrs), effect: effectOf(this.space, r, table) }, hooks: [], parts: [] };
    this.byId?.set(r.id, rec);
    this.byRule.set(r, rec);
    return rec;
  }

  hit(rec: RuleRecord, hook: Hook, f: Flow): void {
    const i = rec.hooks.indexOf(hook);
    if (i >= 0) rec.parts[i]!.push(f);
    else {
      rec.hooks.push(hook);
      rec.parts.push([f]);
    }
  }

  /** A rule's hits per hook. */
  hitsOf(r: EmuRule): Map<Hook, Flow> {
    const rec = this.byRule.get(r) ?? this.byId?.get(r.id);
    const out = new Map<Hook, Flow>();
    if (rec) rec.hooks.forEach((h, i) => out.set(h, concat(rec.parts[i]!)));
    return out;
  }

  /** A chain's entry flows per jump site (rule id, or "hook X" for a built-in chain). */
  entriesOf(table: string, chain: string): Map<string, Flow> {
    const out = new Map<string, Flow>();
    for (const site of this.chains.get(table)?.get(chain)?.sites.values() ?? []) out.set(site.id, concat(site.parts));
    return out;
  }

  /** Packets entering a chain from a jump site: the jumping rule, or a hook (as "hook X"). */
  enter(table: string, chain: string, site: EmuRule | string, f: Flow, hook: Hook): void {
    let t = this.chains.get(table);
    if (!t) this.chains.set(table, (t = new Map()));
    let c = t.get(chain);
    if (!c) t.set(chain, (c = { key: `${table}/${chain}`, sites: new Map() }));
    if (!isDead(f)) {
      let hs = this.entryHooks.get(c.key);
      if (!hs) this.entryHooks.set(c.key, (hs = new Set<Hook>()));
      hs.add(hook);
    }
    const s = c.sites.get(site);
    if (s) s.parts.push(f);
    else c.sites.set(site, { id: typeof site === 'string' ? site : site.id, parts: [f] });
  }
}

function concat(l: readonly Flow[]): Flow {
  return l.length === 1 ? l[0]! : { may: l.flatMap((f) => f.may), must: l.flatMap((f) => f.must) };
}

export interface ChainOut {
  /** Packets that fall off the end of a user chain or RETURN from it. */
  readonly ret: Flow;
  /** Packets the table lets through (ACCEPT, NAT targets, an ACCEPT policy). */
  readonly accepted: Flow;
}

export class Walker {
  constructor(
    private readonly table: EmuTable,
    private readonly hook: Hook,
    private readonly rec: Recorder,
  ) {}

  /** The table's walk from its built-in chain for this hook: what it lets through. */
  run(entry: Flow): Flow {
    const base = this.table.chains.get(this.hook);
    if (!base) return entry;
    this.rec.enter(this.table.name, this.hook, `hook ${this.hook}`, entry, this.hook);
    const out = this.walk(this.hook, entry, 0);
    const key = `${this.table.name}/${this.hook}`;
    // Returns from a built-in chain (RETURN, or a goto'd chain's end) meet the policy.
    this.rec.policy.set(key, join(this.rec.policy.get(key) ?? NO_FLOW, out.ret));
    return budget(base.policy === 'ACCEPT' ? join(out.accepted, out.ret) : out.accepted);
  }

  private walk(chainName: string, entry: Flow, depth: number): ChainOut {
    const chain = this.table.chains.get(chainName);
    if (!chain || depth > MAX_DEPTH) return { ret: NO_FLOW, accepted: NO_FLOW };
    const cur = new PendingFlow(entry);
    // Sums over every rule of the chain (thousands of jump sites in a service table): built in place.
    const ret = new FlowSum();
    const accepted = new FlowSum();
    for (const r of chain.rules) {
      if (cur.deadNow()) break;
      const rec = this.rec.record(r, this.table.name, chainName);
      const facts = rec.facts;
      const m = facts.match;
      const e = facts.effect;
      const taken = cur.hit(m);
      this.rec.hit(rec, this.hook, taken);
      if (isDead(taken)) continue;
      switch (e.kind) {
        case 'accept':
          accepted.add(taken);
          cur.take(m);
          break;
        case 'drop':
          cur.take(m);
          break;
        case 'return':
          ret.add(taken);
          cur.take(m);
          break;
        case 'jump': {
          this.rec.enter(this.table.name, e.chain, r, taken, this.hook);
          const sub = this.walk(e.chain, taken, depth + 1);
          accepted.add(sub.accepted);
          cur.take(m);
          if (e.goto) ret.add(sub.ret);
          else if (!isDead(sub.ret)) cur.set(join(cur.whole(), sub.ret));
          break;
        }
        case 'continue':
          if (e.rewrite) {
            cur.take(m);
            cur.set(join(cur.whole(), e.rewrite(taken)));
          }
          break;
        case 'nat':
          accepted.add(e.rewrite(taken));
          cur.take(m);
          break;
        case 'unknown':
          // It may end the walk (either way) or go on: may keeps both, must neither.
          accepted.add({ may: taken.may, must: [] });
          cur.takeMust(m);
          break;
      }
    }
    // Falling off the end: a user chain returns; for a built-in chain run() applies the policy.
    ret.add(cur.whole());
    return { ret: ret.value, accepted: accepted.value };
  }
}

export type { Effect };
