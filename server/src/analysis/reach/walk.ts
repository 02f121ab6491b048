/**
 * The symbolic chain walk: the emulator's runTable with packet sets instead
 * of one packet. Each rule records the flow that reaches it (per hook); a
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
import { hit, isDead, join, miss, NO_FLOW, type Flow } from './flow';

const MAX_DEPTH = 64;

export interface RuleFacts {
  readonly rule: EmuRule;
  readonly table: string;
  readonly chain: string;
  readonly match: RuleMatch;
  readonly effect: Effect;
}

/** What the walks found: per rule, per hook, the flow that reached it; per chain, the flows each jump site sent in. */
export class Recorder {
  readonly rules = new Map<string, RuleFacts>();
  readonly reached = new Map<string, Map<Hook, Flow>>();
  /** chain key "table/chain" → jumping rule id → flow sent in. */
  readonly entries = new Map<string, Map<string, Flow>>();
  /** Built-in chain key → flow that met the policy. */
  readonly policy = new Map<string, Flow>();

  constructor(
    readonly space: Space,
    readonly addrs: AddressFacts | undefined,
  ) {}

  facts(r: EmuRule, table: string, chain: string): RuleFacts {
    let f = this.rules.get(r.id);
    if (!f) {
      f = { rule: r, table, chain, match: ruleMatch(this.space, r, this.addrs), effect: effectOf(this.space, r, table) };
      this.rules.set(r.id, f);
    }
    return f;
  }

  reach(id: string, hook: Hook, f: Flow): void {
    let m = this.reached.get(id);
    if (!m) this.reached.set(id, (m = new Map()));
    m.set(hook, join(m.get(hook) ?? NO_FLOW, f));
  }

  enter(table: string, chain: string, site: string, f: Flow): void {
    const key = `${table}/${chain}`;
    let m = this.entries.get(key);
    if (!m) this.entries.set(key, (m = new Map()));
    m.set(site, join(m.get(site) ?? NO_FLOW, f));
  }
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
    this.rec.enter(this.table.name, this.hook, `hook ${this.hook}`, entry);
    const out = this.walk(this.hook, entry, 0);
    const key = `${this.table.name}/${this.hook}`;
    // Returns from a built-in chain (RETURN, or a goto'd chain's end) meet the policy.
    this.rec.policy.set(key, join(this.rec.policy.get(key) ?? NO_FLOW, out.ret));
    return base.policy === 'ACCEPT' ? join(out.accepted, out.ret) : out.accepted;
  }

  private walk(chainName: string, entry: Flow, depth: number): ChainOut {
    const chain = this.table.chains.get(chainName);
    if (!chain || depth > MAX_DEPTH) return { ret: NO_FLOW, accepted: NO_FLOW };
    let cur = entry;
    let ret = NO_FLOW;
    let accepted = NO_FLOW;
    for (const r of chain.rules) {
      if (isDead(cur)) break;
      const facts = this.rec.facts(r, this.table.name, chainName);
      this.rec.reach(r.id, this.hook, cur);
      const m = facts.match;
      const e = facts.effect;
      const taken = hit(cur, m);
      if (isDead(taken)) continue;
      const rest = miss(cur, m);
      switch (e.kind) {
        case 'accept':
          accepted = join(accepted, taken);
          cur = rest;
          break;
        case 'drop':
          cur = rest;
          break;
        case 'return':
          ret = join(ret, taken);
          cur = rest;
          break;
        case 'jump': {
          this.rec.enter(this.table.name, e.chain, r.id, taken);
          const sub = this.walk(e.chain, taken, depth + 1);
          accepted = join(accepted, sub.accepted);
          if (e.goto) {
            ret = join(ret, sub.ret);
            cur = rest;
          } else {
            cur = join(rest, sub.ret);
          }
          break;
        }
        case 'continue':
          cur = e.rewrite ? join(rest, e.rewrite(taken)) : cur;
          break;
        case 'nat':
          accepted = join(accepted, e.rewrite(taken));
          cur = rest;
          break;
        case 'unknown':
          // It may end the walk (either way) or go on: may keeps both, must neither.
          accepted = join(accepted, { may: taken.may, must: [] });
          cur = { may: cur.may, must: rest.must };
          break;
      }
    }
    // Falling off the end: a user chain returns; for a built-in chain run() applies the policy.
    return { ret: join(ret, cur), accepted };
  }
}

export type { Effect };
