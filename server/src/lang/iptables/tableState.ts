/**
 * What loading one table block does, command by command, for each backend.
 *
 * iptables-legacy applies every command to an in-memory copy of the table at
 * once (libiptc): a bad command fails on its own line; the kernel checks the
 * result when the table is committed ("line <COMMIT> failed").
 *
 * iptables-nft queues commands and sends them as one batch at COMMIT. First
 * it prepares each command in file order against its cache — a jump target
 * it does not know ("Chain 'X' does not exist", named at COMMIT), then the
 * command itself ("line N failed: …"); the first failure stops everything.
 * Then the kernel adds the rules one by one (a rule it refuses fails on its
 * own line, and it reports every failing message), and only if all of that
 * passed does it validate the final table (hooks reached through jumps,
 * loops, nesting); a failure there is named at the first rule after which the
 * table, replayed, became invalid.
 */
import type { RelatedInfo, Span } from '../diagnostic';
import type { Command, JumpRef, TableBlock } from './ast';
import type { Backend } from './extension';
import type { Family } from './inet';
import { nftInitProblems, nftValidation, legacyCommitProblems, type BatchOp, type Problem, type SharedObjects } from './kernelChecks';
import { ruleKey } from './ruleKey';
import { LoadedRule, type LoadedChain, type LoadedTable } from './ruleset';
import { RuleCommand } from './ruleLine';
import type { RuleInput } from './ruleShape';
import { isBuiltinChain } from './tables';
import { utf8Length } from '../utf8';
import { ValidTable } from './validTable';
import { movedChain, withRules } from './moved';
import { LayeredNames, type NameSet } from './layeredNames';
import { firstAtLine, replaced } from './byLine';

/** An error of this table, in the order iptables would meet it. */
export interface StateError {
  readonly code: string;
  readonly message: string;
  readonly span: Span;
  /** The line iptables names; COMMIT_LINE for "the COMMIT line". */
  readonly reportedLine: number;
  /** 'now': legacy, at the command's line; 'commit': found when the table is committed. */
  readonly when: 'now' | 'commit';
  readonly related?: readonly RelatedInfo[];
}

export const COMMIT_LINE = -1;

/** One message of iptables-nft's batch: a rule added (one object per rule of large files), deleted, or an error. */
type Op =
  | LoadedRule
  | { readonly kind: 'del'; readonly rule: LoadedRule }
  | { readonly kind: 'error'; readonly error: StateError };

export interface TableContext {
  readonly prog: string;
  readonly family: Family;
  readonly backend: Backend;
  /** "Did you mean …?" for a chain name. */
  chainHint(name: string): string;
  /** Whether a line of this table block after `line` declares the chain (":NAME", or "-N NAME"). */
  declaredLater(name: string, line: number): boolean;
  /** iptables-nft: this table as the previous parse of the document last found it valid (validTable.ts). */
  readonly previousValid?: ValidTable;
  /** Told what a valid table's validation saw, for the next parse. */
  keepValid?(v: ValidTable): void;
}

/** Up to this many rules, -A gives a chain a new array of its exact length. */
const SHORT_CHAIN = 8;

/** `rules` and `r` in a new array of exactly their length (a spread or a push reserves more). */
function appended(rules: readonly LoadedRule[], r: LoadedRule): LoadedRule[] {
  const out = new Array<LoadedRule>(rules.length + 1);
  for (let i = 0; i < rules.length; i++) out[i] = rules[i]!;
  out[rules.length] = r;
  return out;
}

/** The kernel rules a rule line makes: one per source/destination address pair. */
function expand(rule: RuleInput, cmd: Command, chain: string): LoadedRule[] {
  const ns = rule.srcCount;
  const nd = rule.dstCount;
  const facts = rule.facts;
  if (ns === 1 && nd === 1) return [new LoadedRule(cmd, chain, facts)];
  const out: LoadedRule[] = [];
  for (let i = 0; i < ns; i++) for (let j = 0; j < nd; j++) out.push(new LoadedRule(cmd, chain, facts, ns > 1 ? i : undefined, nd > 1 ? j : undefined));
  return out;
}

const NO_RULES: readonly LoadedRule[] = [];

/** Index of the first rule at or after `line` in rules kept in line order. */
const firstAtOrAfter = (rules: readonly LoadedRule[], line: number): number => firstAtLine(rules, line, ruleLine);
const ruleLine = (r: LoadedRule): number => r.command.line;

/** The kernel rule's identity for -D/-C: one address pair, compared by value. */
const keys = new WeakMap<LoadedRule, string>();
function keyOf(r: LoadedRule): string {
  let k = keys.get(r);
  if (k === undefined) {
    k = ruleKey(r.spec, r);
    keys.set(r, k);
  }
  return k;
}

export class TableState {
  readonly chains: Map<string, LoadedChain>;
  /** iptables-nft's cache of chain names (renames do not update it). */
  private known: NameSet = new Set<string>();
  private ops: Op[] = [];
  /** Adds a later -F of their chain took back (iptables-nft). */
  private readonly dropped = new Set<LoadedRule>();
  /** -I adds placed next to a rule of the batch, and those whose rule a later delete removed. */
  private readonly insertRefs = new Map<LoadedRule, LoadedRule>();
  private readonly failsInsert = new Set<LoadedRule>();
  /** The chain the last rule was added to, while no command changed the chains (consecutive rules share it). */
  private lastChain: LoadedChain | undefined;
  /** iptables-nft: built-in chains a bare "-X" made its cache forget, and their rules (the kernel keeps those). */
  private readonly forgotten = new Set<string>();
  private readonly uncached = new Set<LoadedRule>();
  /** iptables-nft errors found while preparing commands (reported at COMMIT, in this order). */
  private readonly prepared: StateError[] = [];
  private readonly nft: boolean;
  /** Chains -X removed, with the line that did it (for messages). */
  private readonly deletedAt = new Map<string, number>();
  /**
   * Whether every command so far was an -A adding one kernel rule at the end
   * of its chain, or did nothing (an iptables-save dump's rule lines): each
   * chain's rules and the batch are then in line order, and what the table
   * held at any line can be read off the end state (resumedAt).
   */
  appendOnly = true;
  /** The last line that declared a user chain. */
  private lastDeclLine = -1;
  /**
   * While walking the edited lines of a splice (resumedAt): the previous
   * state, the edit's lines, where its batch resumes, the chains declared
   * below the edit, and the chains this state has made its own (with the
   * previous state's rules below the edit). Only -A of one rule is walked.
   * Meanwhile `ops` holds only the edited lines' messages; fastForward puts
   * the previous batch's around them, in one copy when it can (a kube dump's
   * batch has 170,000: each copy goes straight to the old generation).
   */
  private resumed: { old: TableState; from: number; to: number; opsFrom: number; opsTo: number; later: LoadedChain[]; owned: Map<string, readonly LoadedRule[]> } | undefined;
  /** Whether the kernel took every rule of the batch at COMMIT (what commit() found). */
  private batchClean = false;
  /** The batch's rules commit() must check (a splice: those of the edited lines, when the kernel took all the others before). */
  private toCheck: { from: number; to: number } | undefined;


  constructor(
    readonly block: TableBlock,
    readonly loaded: LoadedTable,
    private ctx: TableContext,
    private report: (e: StateError) => void,
  ) {
    this.chains = loaded.chains;
    this.nft = ctx.backend === 'nft';
  }

  private get table(): string {
    return this.block.name.text;
  }

  // ------------------------------------------------------------ chain lines

  /** A ":NAME POLICY" line: declares a user chain, or a built-in one for nft's cache. `absent`: the caller saw no chain of that name. */
  declare(name: string, span: Span, line: number, absent = false): void {
    this.lastChain = undefined;
    if (isBuiltinChain(this.table, name)) {
      this.known.add(name);
      const ch = this.chains.get(name);
      if (ch) {
        ch.declSpan = span;
        ch.declLine = line;
      }
      return;
    }
    if (absent || !this.chains.has(name)) this.chains.set(name, { name, builtin: false, policy: 'ACCEPT', rules: [], declSpan: span, declLine: line });
    this.known.add(name);
    if (line > this.lastDeclLine) this.lastDeclLine = line;
  }

  /** A chain line's error: legacy reports it now, iptables-nft when it prepares the batch. */
  chainLineError(e: StateError): void {
    if (e.when === 'now') this.report(e);
    else this.prepared.push(e);
  }

  // --------------------------------------------------------------- commands

  private fail(cmd: Command, code: string, nftText: string, why: string, span: Span = cmd.chain?.span ?? cmd.span): void {
    const rl = cmd.restoreLine;
    if (this.nft) {
      this.prepared.push({ code, message: `${this.ctx.prog}: line ${rl} failed: ${nftText} — ${why}`, span, reportedLine: rl, when: 'commit' });
    } else {
      this.report({ code, message: `${this.ctx.prog}: line ${rl} failed — ${why}`, span, reportedLine: rl, when: 'now' });
    }
  }

  /** An error iptables-nft only gets from the kernel when it sends the batch. */
  private kernelError(cmd: Command, code: string, what: string, why: string, span: Span = cmd.chain?.span ?? cmd.span): void {
    const rl = cmd.restoreLine;
    this.ops.push({ kind: 'error', error: { code, message: `line ${rl}: ${what} — ${why}`, span, reportedLine: rl, when: 'commit' } });
  }

  /** Whether a chain exists here: in iptables-nft's cache, or in libiptc's copy of the table. */
  private exists(name: string): boolean {
    return this.nft ? this.known.has(name) : this.chains.has(name);
  }

  private noChain(cmd: Command, name: string): void {
    this.fail(cmd, 'unknown-chain', 'No chain/target/match by that name.', `there is no chain "${name}" in table ${this.table} at this point.${this.whyGone(name)}`);
  }

  private whyGone(name: string): string {
    const at = this.deletedAt.get(name);
    if (at !== undefined && this.forgotten.has(name)) return ` The bare "-X" on line ${at + 1} made iptables-nft forget it, built-in or not (its rules stay in the kernel); -A, -I, -P or -F of it makes it anew, empty and with policy ACCEPT.`;
    return at !== undefined ? ` The "-X" on line ${at + 1} removed it${this.nft ? ' from iptables-nft\'s view' : ''}.` : this.ctx.chainHint(name);
  }

  /** The rules of a chain iptables-nft's cache lists (legacy: all of them). */
  private cachedRules(ch: LoadedChain): readonly LoadedRule[] {
    return this.uncached.size === 0 ? ch.rules : ch.rules.filter((r) => !this.uncached.has(r));
  }

  /** iptables-nft makes a built-in chain on -A, -I, -P or -F; one a bare -X forgot starts again with policy ACCEPT. */
  private makeBuiltin(name: string): void {
    this.known.add(name);
    if (!this.forgotten.delete(name)) return;
    const ch = this.chains.get(name);
    if (!ch) return;
    ch.policy = 'ACCEPT';
    delete ch.policySpan;
  }

  /** -4/-6 of the other family: do_parse() returned early; rule commands then do nothing. */
  command(cmd: Command, rule: RuleInput | undefined, otherFamily = false): void {
    if (cmd.kind !== 'A') {
      this.lastChain = undefined;
      this.appendOnly = false;
      // A splice stops here (the chains may still be the previous parse's).
      if (this.resumed) return;
    }
    switch (cmd.kind) {
      case 'A':
      case 'I':
      case 'R':
      case 'D':
      case 'C':
        if (cmd.ruleNum !== undefined && cmd.kind === 'D' && !rule) return this.deleteNum(cmd);
        if (otherFamily) {
          // The rule is not added, but iptables-legacy has already looked up its -j target.
          if (!this.nft && rule) this.jumpTarget(cmd, rule);
          return;
        }
        return this.ruleCommand(cmd, rule);
      case 'N':
        return this.newChain(cmd);
      case 'X':
        return this.deleteChain(cmd);
      case 'F':
        return this.flush(cmd);
      case 'Z':
        return this.zero(cmd);
      case 'L':
      case 'S':
        if (cmd.chain && !this.exists(cmd.chain.text)) this.noChain(cmd, cmd.chain.text);
        return;
      case 'P':
        return this.policy(cmd);
      case 'E':
        return this.rename(cmd);
    }
  }

  /** Whether the jump's target can be used here: undefined if not, else the built-in chain it names, or null. */
  private jumpTarget(cmd: Command, rule: RuleInput): LoadedChain | null | undefined {
    const target = rule.facts.jumpTo;
    if (target === undefined || rule.jumpIsExtension) return null;
    // Spans are built only for a message.
    const t = (): JumpRef => cmd.jump!;
    const rl = cmd.restoreLine;
    // Built-in chains are always there (one lookup per jump: 170,000-rule dumps have 120,000 jumps).
    const builtin = isBuiltinChain(this.table, target) ? this.chains.get(target) ?? null : null;
    if (this.nft) {
      // Checked while preparing the command: the chain must be in the cache by then.
      if (!builtin?.builtin && !this.known.has(target)) {
        const later = this.ctx.declaredLater(target, cmd.line);
        this.prepared.push({
          code: 'unknown-target',
          message: `Chain '${target}' does not exist — "${target}" is neither a target nor a chain of table ${this.table} at this point.${later ? ' It is declared further down: declare chains before the rules that use them.' : this.whyGone(target)} (iptables-nft reports this at the COMMIT.)`,
          span: t().nameSpan,
          reportedLine: COMMIT_LINE,
          when: 'commit',
        });
        return undefined;
      }
      return builtin;
    }
    if (!builtin && !this.chains.has(target)) {
      if (t().goto) {
        this.report({ code: 'goto-not-chain', message: `goto '${target}' is not a chain${this.ctx.chainHint(target)}`, span: t().span, reportedLine: rl, when: 'now' });
      } else {
        const later = this.ctx.declaredLater(target, cmd.line);
        this.report({
          code: 'unknown-target',
          message: `Couldn't load target \`${target}':No such file or directory — "${target}" is neither a target nor a chain declared before this line.${later ? ' It is declared further down: declare chains before the rules that use them.' : this.ctx.chainHint(target)}`,
          span: t().span,
          reportedLine: rl,
          when: 'now',
        });
      }
      return undefined;
    }
    return builtin;
  }

  private ruleCommand(cmd: Command, rule: RuleInput | undefined): void {
    const chainName = cmd instanceof RuleCommand ? cmd.shape.chain : cmd.chain?.text;
    if (!rule || chainName === undefined) return;
    const targetChain = this.jumpTarget(cmd, rule);
    if (targetChain === undefined) return;
    let ch = this.lastChain;
    if (ch === undefined || ch.name !== chainName) {
      if (!this.exists(chainName)) {
        if (this.nft && isBuiltinChain(this.table, chainName) && (cmd.kind === 'A' || cmd.kind === 'I')) {
          this.makeBuiltin(chainName); // iptables-nft creates a built-in chain on first use
        } else if (this.nft && (cmd.kind === 'D' || cmd.kind === 'C')) {
          // iptables-nft looks for the rule first, and says so.
          return this.fail(cmd, 'unknown-chain', 'Bad rule (does a matching rule exist in that chain?).', `there is no chain "${chainName}" in table ${this.table} at this point.${this.whyGone(chainName)}`);
        } else return this.noChain(cmd, chainName);
      }
      ch = this.chains.get(chainName)!;
      if (this.resumed && !this.resumed.owned.has(chainName)) ch = this.own(chainName);
      if (cmd.kind === 'A') this.lastChain = ch;
    }
    if (cmd.kind === 'A' && rule.srcCount === 1 && rule.dstCount === 1 && !targetChain?.builtin) {
      // The common case, without the arrays of expand().
      const r = cmd instanceof RuleCommand ? cmd.loadedIn(ch.name) : new LoadedRule(cmd, ch.name, rule.facts);
      // Most chains of a dump hold a few rules, and a push onto an empty array reserves 16 slots: short chains get arrays of their length.
      const rules = ch.rules;
      if (rules.length < SHORT_CHAIN) ch.rules = appended(rules, r);
      else rules.push(r);
      this.ops.push(r);
      return;
    }
    this.appendOnly = false;
    if (this.resumed) return;
    const rules = expand(rule, cmd, ch.name);
    if (targetChain?.builtin) {
      const why = `"${targetChain.name}" is a built-in chain: rules can only jump to user chains (a packet enters built-in chains from its hook).`;
      if (!this.nft) {
        this.report({ code: 'jump-to-builtin', message: `${this.ctx.prog}: line ${cmd.restoreLine} failed — ${why}`, span: cmd.jump!.span, reportedLine: cmd.restoreLine, when: 'now' });
        return;
      }
    }
    const count = this.cachedRules(ch).length;
    switch (cmd.kind) {
      case 'A':
        ch.rules.push(...rules);
        for (const r of rules) this.ops.push(r);
        return;
      case 'I': {
        const n = cmd.ruleNum ?? 1;
        if (n - 1 > count) return this.fail(cmd, 'bad-rule-number', 'Index of insertion too big.', `chain "${chainName}" has only ${count} rule(s) here; -I takes 1 to ${count + 1}.`);
        // One insert per address pair, each at position n: later pairs end up first.
        for (const r of rules) {
          const view = this.cachedRules(ch);
          const ref = n > 1 && n <= view.length ? view[n - 1] : undefined;
          // Without a rule to place it by, -I 1 prepends and a later number appends (in the kernel too).
          ch.rules.splice(n === 1 ? 0 : ref ? ch.rules.indexOf(ref) : ch.rules.length, 0, r);
          if (ref) this.insertRefs.set(r, ref);
          this.ops.push(r);
        }
        return;
      }
      case 'R': {
        const n = cmd.ruleNum ?? 1;
        if (n > count) return this.fail(cmd, 'bad-rule-number', 'Index of replacement too big.', `chain "${chainName}" has only ${count} rule(s) here.`);
        if (this.nft) {
          // Every rule of a restore batch is new, and iptables-nft 1.8.9 crashes replacing one.
          this.kernelError(cmd, 'nft-crash', 'iptables-nft 1.8.9 crashes here', 'replacing a rule added earlier in the same file makes iptables-nft-restore 1.8.9 crash (segmentation fault); nothing loads. Delete and insert instead, or edit the rule itself.');
        }
        const [old] = ch.rules.splice(ch.rules.indexOf(this.cachedRules(ch)[n - 1]!), 1, ...rules);
        this.ops.push({ kind: 'del', rule: old! });
        for (const r of rules) this.ops.push(r);
        return;
      }
      case 'D':
      case 'C': {
        for (const r of rules) {
          const key = keyOf(r);
          const found = this.cachedRules(ch).find((x) => keyOf(x) === key);
          const idx = found ? ch.rules.indexOf(found) : -1;
          if (idx < 0) return this.fail(cmd, 'no-such-rule', 'Bad rule (does a matching rule exist in that chain?).', `no rule of "${chainName}" is identical to this one at this point.`, cmd.span);
          if (cmd.kind === 'D') this.removeAt(ch, idx);
        }
        return;
      }
    }
  }

  private removeAt(ch: LoadedChain, idx: number): void {
    const [gone] = ch.rules.splice(idx, 1);
    if (!gone) return;
    this.ops.push({ kind: 'del', rule: gone });
    // iptables-nft: an insert placed next to this rule earlier in the batch now fails.
    for (const [add, ref] of this.insertRefs) if (ref === gone) this.failsInsert.add(add);
  }

  private deleteNum(cmd: Command): void {
    const chainName = cmd.chain?.text;
    if (chainName === undefined) return;
    if (!this.exists(chainName)) return this.noChain(cmd, chainName);
    const ch = this.chains.get(chainName)!;
    const n = cmd.ruleNum ?? 1;
    const vis = this.cachedRules(ch);
    if (n > vis.length) return this.fail(cmd, 'bad-rule-number', 'Index of deletion too big.', `chain "${chainName}" has only ${vis.length} rule(s) here.`);
    this.removeAt(ch, ch.rules.indexOf(vis[n - 1]!));
  }

  private newChain(cmd: Command): void {
    const name = cmd.chain?.text;
    if (name === undefined) return;
    if (this.exists(name) || this.chains.has(name)) return this.fail(cmd, 'duplicate-chain', 'Chain already exists.', `chain "${name}" already exists.`);
    this.chains.set(name, { name, builtin: false, policy: 'ACCEPT', rules: [], declSpan: cmd.chain!.span, declLine: cmd.line });
    this.known.add(name);
  }

  private references(name: string): LoadedRule[] {
    const out: LoadedRule[] = [];
    for (const c of this.chains.values()) for (const r of c.rules) if (r.facts.jumpTo === name) out.push(r);
    return out;
  }

  private deleteChain(cmd: Command): void {
    const given = cmd.chain?.text;
    if (given !== undefined && !this.exists(given)) return this.noChain(cmd, given);
    const names = given !== undefined ? [given] : [...this.chains.values()].filter((c) => !c.builtin).map((c) => c.name);
    if (given === undefined && this.nft) {
      // iptables-nft's bare "-X" forgets the built-in chains too: one with rules stays in the
      // kernel (with them), an empty one is never made (see commit()).
      for (const c of this.chains.values()) {
        if (!c.builtin || !this.known.delete(c.name)) continue;
        this.deletedAt.set(c.name, cmd.line);
        this.forgotten.add(c.name);
        for (const r of c.rules) this.uncached.add(r);
      }
    }
    for (const name of names) {
      const ch = this.chains.get(name);
      if (!ch) continue;
      if (ch.builtin) {
        if (!this.nft) return this.fail(cmd, 'delete-builtin', 'Operation not permitted.', `built-in chain "${name}" cannot be deleted.`);
        // iptables-nft deletes an empty built-in chain; one with rules the kernel refuses.
        if (ch.rules.length > 0) {
          this.fail(cmd, 'delete-busy', 'Directory not empty.', `built-in chain "${name}" still has rules.`);
          continue;
        }
        this.known.delete(name);
        this.deletedAt.set(name, cmd.line);
        continue;
      }
      const refs = this.references(name);
      if (refs.length > 0 || ch.rules.length > 0) {
        const why = refs.length > 0 ? `chain "${name}" is still jumped to (line ${refs[0]!.command.line + 1}).` : `chain "${name}" is not empty: -X does not flush (use -F first).`;
        if (this.nft) {
          this.kernelError(cmd, 'delete-busy', 'CHAIN_DEL failed (Device or resource busy)', why);
          this.known.delete(name); // the cache forgets it anyway
          this.deletedAt.set(name, cmd.line);
        } else this.fail(cmd, 'delete-busy', 'Device or resource busy.', why);
        continue;
      }
      this.chains.delete(name);
      this.known.delete(name);
      this.deletedAt.set(name, cmd.line);
    }
  }

  private flush(cmd: Command): void {
    const given = cmd.chain?.text;
    if (given !== undefined) {
      if (!this.exists(given)) {
        if (this.nft && isBuiltinChain(this.table, given)) this.makeBuiltin(given);
        else return this.noChain(cmd, given);
      }
      const ch = this.chains.get(given);
      if (!ch) return;
      // iptables-nft drops the rules this batch was going to add to the chain.
      if (this.nft) for (const op of this.ops) if (op instanceof LoadedRule && op.chain === given) this.dropped.add(op);
      ch.rules = [];
      return;
    }
    // Without a chain, iptables-nft only asks the kernel to flush the table
    // it had before this batch: the rules added so far stay, and its cache
    // still lists them (-D/-I/-C by number or spec see them).
    if (this.nft) return;
    for (const c of this.chains.values()) c.rules = [];
  }

  private zero(cmd: Command): void {
    const given = cmd.chain?.text;
    if (given !== undefined && !this.exists(given)) return this.noChain(cmd, given);
    if (given !== undefined && cmd.ruleNum !== undefined) {
      const ch = this.chains.get(given)!;
      if (!this.nft && cmd.ruleNum > ch.rules.length) return this.fail(cmd, 'bad-rule-number', 'Index of counter too big.', `chain "${given}" has only ${ch.rules.length} rule(s) here.`);
      if (this.nft && cmd.ruleNum <= this.cachedRules(ch).length) {
        this.kernelError(cmd, 'nft-crash', 'iptables-nft 1.8.9 crashes here', 'zeroing one rule of this batch makes iptables-nft-restore 1.8.9 crash (segmentation fault); nothing loads.');
      }
      return;
    }
    // (ip6tables-nft zeroes these without complaint; only iptables-nft refuses.)
    if (!this.nft || this.ctx.family !== 'ipv4') return;
    const chains = given !== undefined ? [this.chains.get(given)!] : [...this.chains.values()];
    const withCounters = chains.flatMap((c) => this.cachedRules(c)).find((r) => r.facts.countersSet);
    if (withCounters) this.kernelError(cmd, 'zero-counters', 'RULE_REPLACE failed (Invalid argument)', `iptables-nft zeroes counters by replacing rules that carry "-c" counters (line ${withCounters.command.line + 1}), which fails for rules of the same batch.`);
  }

  private policy(cmd: Command): void {
    const name = cmd.chain?.text;
    if (name === undefined || !cmd.policy) return;
    const ch = this.chains.get(name);
    if (!ch || !ch.builtin) {
      if (!this.exists(name) && !this.nft) return this.noChain(cmd, name);
      return this.fail(cmd, 'policy-on-user-chain', 'Bad built-in chain name.', `"${name}" is not a built-in chain of ${this.table}; only built-in chains have a policy.`);
    }
    const p = cmd.policy.text;
    if (p !== 'ACCEPT' && p !== 'DROP') return this.fail(cmd, 'bad-policy', 'Bad policy name.', 'a policy is ACCEPT or DROP.', cmd.policy.span);
    if (this.nft) this.makeBuiltin(name);
    ch.policy = p;
    ch.policySpan = cmd.policy.span;
  }

  private rename(cmd: Command): void {
    const old = cmd.chain?.text;
    if (old === undefined || !cmd.newName) return;
    const nn = cmd.newName.text;
    if (!this.exists(old)) return this.noChain(cmd, old);
    const ch = this.chains.get(old);
    if (!ch || ch.builtin) {
      // iptables-nft sends the rename; the kernel refuses it in the batch.
      if (this.nft) return this.kernelError(cmd, 'rename-builtin', 'CHAIN_RENAME failed (Operation not supported)', 'built-in chains cannot be renamed.');
      return this.fail(cmd, 'rename-builtin', 'Operation not permitted.', 'built-in chains cannot be renamed.');
    }
    if (this.nft) {
      // iptables-nft renames by handle; a chain created in this batch has none yet.
      this.kernelError(cmd, 'nft-rename', 'CHAIN_RENAME failed (No such file or directory)', `iptables-nft cannot rename a chain created in the same file ("${old}"); create it as "${nn}" instead. (iptables-legacy renames it.)`, cmd.newName.span);
      return;
    }
    if (utf8Length(nn) > 31) return this.fail(cmd, 'name-too-long', 'Invalid argument.', `"${nn}" is longer than the 31 bytes libiptc allows.`, cmd.newName.span);
    if (['ACCEPT', 'DROP', 'QUEUE', 'RETURN'].includes(nn)) return this.fail(cmd, 'bad-chain-name', 'Invalid argument.', `"${nn}" is a verdict, not a chain name.`, cmd.newName.span);
    if (this.chains.has(nn)) return this.fail(cmd, 'duplicate-chain', 'File exists.', `chain "${nn}" already exists.`, cmd.newName.span);
    this.chains.delete(old);
    const renamed: LoadedChain = { ...ch, name: nn };
    renamed.rules = ch.rules.map((r) => r.moved(nn));
    this.chains.set(nn, renamed);
    for (const c of this.chains.values()) {
      c.rules = c.rules.map((r) => (r.facts.jumpTo === old ? r.moved(r.chain, nn) : r));
    }
  }

  // ----------------------------------------------------- a reparse's splice

  /**
   * Lets go of the parser that walked this table (its context and report
   * refer to it, and through it to its whole parse): a state kept for the
   * next splice is only read (resumedAt, moved), never walked again.
   */
  retire(): void {
    const { prog, family, backend } = this.ctx;
    this.ctx = { prog, family, backend, chainHint: () => '', declaredLater: () => false };
    this.report = () => undefined;
  }

  /**
   * A new state for `block`, as the walk of an append-only table (`old`, its
   * end state) had it just before line `from`, for walking the edited rule
   * lines [from, to) (see tableSplice.ts): the chains declared above them,
   * each with its rules above them, the batch and the errors so far.
   * `loaded.chains` must be a copy of old's: the chains stay the previous
   * parse's objects until this state adds to one (own()).
   */
  static resumedAt(old: TableState, from: number, to: number, block: TableBlock, loaded: LoadedTable, ctx: TableContext, report: (e: StateError) => void): TableState {
    const s = new TableState(block, loaded, ctx, report);
    s.known = new LayeredNames(old.known);
    s.lastDeclLine = old.lastDeclLine;
    const later: LoadedChain[] = [];
    if (old.lastDeclLine >= from) {
      // Chains declared below the edit are not there yet; fastForward() brings them back, in order.
      for (const ch of old.chains.values()) {
        if (ch.builtin || ch.declLine === undefined || ch.declLine < from) continue;
        later.push(ch);
        s.chains.delete(ch.name);
        s.known.delete(ch.name);
      }
    }
    // iptables-nft knows a built-in chain once a line declared it or added to it.
    for (const name of loaded.builtins) {
      const ch = old.chains.get(name);
      if (ch && !((ch.declLine !== undefined && ch.declLine < from) || (ch.rules[0] !== undefined && ch.rules[0].command.line < from))) s.known.delete(name);
    }
    const ops = old.ops as LoadedRule[];
    const opsFrom = firstAtOrAfter(ops, from);
    const opsTo = firstAtOrAfter(ops, to);
    if (old.batchClean) s.toCheck = { from: opsFrom, to: opsFrom };
    s.resumed = { old, from, to, opsFrom, opsTo, later, owned: new Map() };
    // The chains that had rules on the edited lines lose them.
    for (let i = opsFrom; i < opsTo; i++) if (!s.resumed.owned.has(ops[i]!.chain)) s.own(ops[i]!.chain);
    for (const e of old.prepared) if (e.span.start.line < from) s.prepared.push(e);
    return s;
  }

  /**
   * A resumed state's own copy of a chain that is still the previous
   * parse's object: its rules above the edit now, those below it back at
   * fastForward().
   */
  private own(name: string, below = true): LoadedChain {
    const r = this.resumed!;
    const ch = this.chains.get(name)!;
    const rules = ch.rules;
    const mine = withRules(ch, rules.slice(0, firstAtOrAfter(rules, r.from)));
    r.owned.set(name, below ? rules.slice(firstAtOrAfter(rules, r.to)) : NO_RULES);
    this.chains.set(name, mine);
    return mine;
  }

  /**
   * Takes back what the walk of the previous state added from the end of the
   * edit on: its chains, their rules, the batch, the errors it found (the
   * lines below an edit of rule lines meet the same chains as before, so
   * they do the same). When those lines moved by `delta`, their rules are
   * made anew at their lines; returns their commands then (in line order),
   * or undefined if one is not an -A of one rule.
   */
  fastForward(delta: number): RuleCommand[] | undefined {
    const r = this.resumed!;
    const old = r.old;
    this.lastChain = undefined;
    for (const ch of r.later) {
      this.known.add(ch.name);
      if (delta === 0) this.chains.set(ch.name, ch);
      else {
        this.chains.set(ch.name, movedChain(ch, delta, []));
        r.owned.set(ch.name, []);
      }
    }
    for (const name of this.loaded.builtins) {
      const ch = old.chains.get(name);
      if (!ch) continue;
      if (!this.known.has(name) && ((ch.declLine ?? -1) >= r.to || (this.nft && (ch.rules.at(-1)?.command.line ?? -1) >= r.to))) this.known.add(name);
      // commit() marks built-in chains (absent): they must be this parse's.
      const mine = r.owned.has(name) ? this.chains.get(name)! : this.own(name);
      if (delta !== 0 && (ch.declLine ?? -1) >= r.to) this.chains.set(name, movedChain(mine, delta, mine.rules));
    }
    if (this.toCheck) this.toCheck = { from: this.toCheck.from, to: r.opsFrom + this.ops.length };
    if (delta !== 0 && this.lastDeclLine >= r.to) this.lastDeclLine += delta;
    for (const e of old.prepared) if (e.span.start.line >= r.to) this.prepared.push(e);
    const moved = delta === 0 ? this.takeBelow(r) : this.moveBelow(r, delta);
    this.resumed = undefined;
    return moved;
  }

  /** The previous state's rules below the edit, where they were. */
  private takeBelow(r: NonNullable<TableState['resumed']>): RuleCommand[] {
    for (const [name, below] of r.owned) {
      const rules = this.chains.get(name)!.rules;
      for (const x of below) rules.push(x);
    }
    // Copied whole (a 170,000-rule table pushed item by item took ~5 ms per edit).
    this.ops = replaced(r.old.ops, r.opsFrom, r.opsTo, this.ops);
    return [];
  }

  /** The previous state's rules below the edit, each anew `delta` lines further (in chains this state owns); their commands. */
  private moveBelow(r: NonNullable<TableState['resumed']>, delta: number): RuleCommand[] | undefined {
    const ops = r.old.ops as LoadedRule[];
    this.ops = r.old.ops.slice(0, r.opsFrom).concat(this.ops);
    const moved: RuleCommand[] = [];
    // A chain's rules are mostly consecutive lines: its chain is looked up once per run of them.
    let chain = '';
    let into: LoadedRule[] = [];
    for (let i = r.opsTo; i < ops.length; i++) {
      const o = ops[i]!;
      const c = o.command;
      if (!(c instanceof RuleCommand) || c.kind !== 'A') return undefined;
      const cmd = new RuleCommand(c.line + delta, c.restoreLine + delta, c.shape);
      const x = cmd.loadedIn(o.chain);
      if (o.chain !== chain) {
        chain = o.chain;
        // Its rules below the edit are the ones made here, not the previous ones.
        into = (r.owned.has(chain) ? this.chains.get(chain)! : this.own(chain, false)).rules;
      }
      into.push(x);
      this.ops.push(x);
      moved.push(cmd);
    }
    return moved;
  }

  /** Whether an error of this table (iptables-nft's, found while preparing) is on line `line` or below. */
  hasErrorsFrom(line: number): boolean {
    return this.prepared.some((e) => e.span.start.line >= line);
  }

  /** Whether the batch has `n` messages. */
  hasOps(n: number): boolean {
    return this.ops.length === n;
  }

  /** The state of an append-only table without errors whose lines all moved (movedTable in tableSplice.ts): `ops` its rules anew. */
  static moved(old: TableState, block: TableBlock, loaded: LoadedTable, ctx: TableContext, report: (e: StateError) => void, ops: LoadedRule[], delta: number): TableState {
    const s = new TableState(block, loaded, ctx, report);
    // Never changed after COMMIT: a later splice copies it.
    s.known = old.known;
    s.ops = ops;
    s.lastDeclLine = old.lastDeclLine >= 0 ? old.lastDeclLine + delta : -1;
    s.batchClean = old.batchClean;
    return s;
  }

  // ----------------------------------------------------------------- commit

  /** Errors found at COMMIT, in the order iptables reports them. */
  commit(shared: SharedObjects): StateError[] {
    const out: StateError[] = [...this.prepared];
    // A built-in chain iptables-nft does not list is not made, unless the kernel already holds rules of it.
    if (this.nft) for (const ch of this.chains.values()) if (ch.builtin) ch.absent = !this.known.has(ch.name) && ch.rules.length === 0;
    if (!this.nft) {
      for (const p of legacyCommitProblems(this.loaded, this.ctx.family, shared)) out.push(this.fromProblem(p, COMMIT_LINE));
      return out;
    }
    if (this.prepared.length > 0) return out; // the first prepare failure stops the load
    // The kernel batch: every message in order; all failures are reported.
    const kernel: StateError[] = [];
    const dropped = this.dropped.size > 0;
    const failsInsert = this.failsInsert.size > 0;
    const ops = this.ops;
    for (let i = this.toCheck?.from ?? 0, end = this.toCheck?.to ?? ops.length; i < end; i++) {
      const op = ops[i]!;
      if (op instanceof LoadedRule) {
        if (dropped && this.dropped.has(op)) continue;
        const cmd = op.command;
        if (failsInsert && this.failsInsert.has(op)) kernel.push({ code: 'nft-insert', message: `line ${cmd.restoreLine}: RULE_INSERT failed (No such file or directory) — the rule this -I was placed next to is deleted later in the file.`, span: cmd.span, reportedLine: cmd.restoreLine, when: 'commit' });
        // Shared kernel objects (hashlimit, RATEEST) depend on the other rules: checked every time.
        const shape = cmd instanceof RuleCommand && !op.facts.shared && op.srcIndex === undefined && op.dstIndex === undefined && op.chain === cmd.shape.chain ? cmd.shape : undefined;
        if (shape?.nftClean) continue;
        const problems = nftInitProblems(op, this.loaded, this.ctx.family, shared);
        if (problems?.length) for (const p of problems) kernel.push(this.fromProblem(p, cmd.restoreLine));
        else if (shape) shape.nftClean = true;
      } else if (op.kind === 'error') kernel.push(op.error);
    }
    if (kernel.length > 0) return [...out, ...kernel];
    this.batchClean = true;
    const { family, keepValid } = this.ctx;
    const still = this.ctx.previousValid?.stillValid(this.loaded, family);
    if (still) {
      keepValid?.(still);
      return out;
    }
    // The messages the kernel gets: rules added (but those a later -F took back) and deleted.
    const live = this.ops.filter((op): op is BatchOp => (op instanceof LoadedRule ? !(dropped && this.dropped.has(op)) : op.kind === 'del'));
    const v = nftValidation(this.loaded, family, live, keepValid && ((g, rules, mask) => keepValid(ValidTable.of(this.loaded, family, g, rules, mask))));
    if (v) out.push(this.fromProblem(v, v.rule.command.restoreLine));
    return out;
  }

  private fromProblem(p: Problem, reportedLine: number): StateError {
    const tail = this.nft ? ` (iptables-nft reports "line ${p.rule.command.restoreLine}: RULE_APPEND failed".)` : '';
    return {
      code: p.code,
      message: p.message + tail,
      span: p.rule.command.targetSpan ?? p.rule.command.span,
      reportedLine,
      when: 'commit',
      ...(p.related ? { related: p.related } : {}),
    };
  }
}
