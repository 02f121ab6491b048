/**
 * What the kernel refuses when a table is committed.
 *
 * - Per rule, reachable or not: a target or match used outside the table it
 *   is made for, one that needs a protocol the rule does not pin (tcp/udp
 *   options without `-p tcp`), or a module's own checkentry() refusal.
 * - Over the jump graph from the built-in chains: a target or match used
 *   from a hook it does not support (DNAT reached from POSTROUTING through a
 *   user chain), jump loops, and (nftables) chains nested deeper than 16.
 *
 * iptables-legacy reports any of these as "line <COMMIT> failed".
 * iptables-nft validates the whole table again each time it adds a rule, so
 * the rule it names is the first one after which the table is invalid; every
 * later rule then fails too.
 *
 * Hot path: runs over every rule of 170,000-rule dumps. Hooks are bitmasks,
 * chains are numbered, and rules without kernel restrictions cost one check.
 */
import type { RelatedInfo } from '../diagnostic';
import type { Backend, Hook, KernelCheckContext } from './extension';
import { HOOKS } from './extension';
import type { Family } from './inet';
import { LoadedRule, type LoadedChain, type LoadedTable } from './ruleset';
import { isBuiltinChain } from './tables';
import { HOOK_BIT, maskOf, type KernelUse } from './ruleFacts';

/** nftables' NFT_JUMP_STACK_SIZE: base chain is level 0, chains may sit at 1..15. */
export const NFT_MAX_LEVEL = 16;

export interface Problem {
  readonly rule: LoadedRule;
  readonly message: string;
  readonly code: string;
  readonly related?: RelatedInfo[];
}

function hooksOfMask(mask: number): Hook[] {
  return HOOKS.filter((h) => mask & HOOK_BIT[h]);
}

const hookList = (h: readonly Hook[]): string => h.join('/');

function checkContext(rule: LoadedRule, use: KernelUse, table: string, hooks: ReadonlySet<Hook>, family: Family, backend: Backend): KernelCheckContext<unknown> {
  const f = rule.facts;
  const matches = f.matches ?? [];
  return {
    data: use.data,
    table,
    hooks,
    family,
    protoNum: f.protoNum,
    protoInvert: f.protoInvert,
    backend,
    matchNames: matches.map((m) => m.name),
    matches,
  };
}

/** Checks that do not depend on reachability. */
function ruleInitProblems(rule: LoadedRule, table: string, family: Family, backend: Backend, baseHook: Hook | undefined, out: Problem[]): void {
  const f = rule.facts;
  for (const use of f.uses ?? []) {
    const ext = use.ext;
    if (backend === 'nft' && use.native) continue;
    const k = ext.kernel!;
    const label = `${use.name} ${use.kind}`;
    if (k.table && k.table !== table) {
      out.push({ rule, code: 'wrong-table', message: `${label}: only valid in the ${k.table} table, not ${table}. The kernel refuses the rule ("${use.kind === 'target' ? 'x_tables' : 'xt'}: ${use.name}: only valid in ${k.table} table, not ${table}").` });
      continue;
    }
    if (k.proto !== undefined && (k.proto !== f.protoNum || f.protoInvert)) {
      const name = k.proto === 6 ? 'tcp' : k.proto === 17 ? 'udp' : k.proto === 1 ? 'icmp' : k.proto === 58 ? 'icmpv6' : String(k.proto);
      const why = f.protoInvert ? `"! -p ${f.protoText}" does not pin the protocol` : f.protoNum === 0 ? 'the rule has no "-p"' : `the rule says "-p ${f.protoText}"`;
      out.push({ rule, code: 'needs-protocol', message: `${label}: only valid for protocol ${name}, but ${why}. The kernel refuses the rule. Add "-p ${name}".` });
      continue;
    }
    if (k.check) {
      const hooks = new Set<Hook>(backend === 'nft' && baseHook ? [baseHook] : []);
      const msg = k.check(checkContext(rule, use, table, hooks, family, backend));
      if (msg) out.push({ rule, code: 'kernel-refuses', message: `${label}: ${msg}` });
    }
  }
}

/** Hook restriction of one rule, given the hooks it is reached from. */
export function hookProblem(rule: LoadedRule, mask: number, table: string, family: Family, backend: Backend, via: string): Problem | undefined {
  const f = rule.facts;
  if (!f.uses) return undefined;
  if (backend === 'nft' ? (mask & ~f.allowedNft) === 0 : (mask & ~f.allowedLegacy) === 0 && !f.hasCheck) return undefined;
  for (const use of f.uses) {
    const k = use.ext.kernel!;
    if (backend === 'nft' && use.native) continue;
    if (k.hooks) {
      const bad = mask & ~maskOf(k.hooks);
      if (bad) {
        const badHooks = hooksOfMask(bad);
        return {
          rule,
          code: 'wrong-hook',
          message: `${use.name} ${use.kind}: used from hook${badHooks.length > 1 ? 's' : ''} ${hookList(badHooks)}${via}, but only usable from ${hookList(k.hooks)}. The kernel refuses the table.`,
        };
      }
    }
    if (backend === 'legacy' && k.check) {
      const msg = k.check(checkContext(rule, use, table, new Set(hooksOfMask(mask)), family, backend));
      if (msg) return { rule, code: 'kernel-refuses', message: `${use.name} ${use.kind}: ${msg}${via}` };
    }
  }
  return undefined;
}

/** Chains numbered for array-indexed graph walks. */
export interface Graph {
  readonly chains: LoadedChain[];
  readonly index: Map<string, number>;
}

export function graphOf(table: LoadedTable): Graph {
  const chains = [...table.chains.values()];
  const index = new Map<string, number>();
  chains.forEach((c, i) => index.set(c.name, i));
  return { chains, index };
}

/** Index of the user chain a rule jumps or goes to, or -1. */
function userTarget(rule: LoadedRule, g: Graph): number {
  const to = rule.facts.jumpTo;
  if (to === undefined) return -1;
  const i = g.index.get(to);
  return i === undefined || g.chains[i]!.builtin ? -1 : i;
}

/**
 * mark_source_chains() ends its walk of a chain at an unconditional standard
 * verdict (ACCEPT, DROP, RETURN, QUEUE with no match and an all-zero ipt_ip):
 * the rules after it get no hook, and their jumps are not followed.
 */
function walkLength(c: LoadedChain): number {
  const i = c.rules.findIndex((r) => r.facts.unconditional || (r.facts.anyAddresses?.src[r.srcIndex ?? 0] === true && r.facts.anyAddresses.dst[r.dstIndex ?? 0] === true));
  return i < 0 ? c.rules.length : i + 1;
}

function legacyGraph(table: LoadedTable, family: Family): Problem[] {
  const g = graphOf(table);
  const n = g.chains.length;
  const mask = new Uint8Array(n);
  const walked = g.chains.map(walkLength);
  const firstJump: Array<LoadedRule | undefined> = new Array(n);
  const problems: Problem[] = [];
  let loop: Problem | undefined;
  // mark_source_chains: a depth-first walk from each hook's chain, detecting
  // back edges. Iterative: real dumps nest chains deeper than the JS stack.
  const onStack = new Uint8Array(n);
  for (const hook of table.builtins) {
    const start = g.index.get(hook);
    if (start === undefined) continue;
    const bit = HOOK_BIT[hook];
    const frames: Array<{ chain: number; next: number }> = [];
    const enter = (ci: number, via: LoadedRule | undefined): void => {
      if (onStack[ci]) {
        if (!loop && via) loop = { rule: via, code: 'jump-loop', message: `This jump closes a loop back to chain ${g.chains[ci]!.name}, reachable from ${hook}: the kernel refuses the table ("Loop found").` };
        return;
      }
      if (mask[ci]! & bit) return;
      mask[ci]! |= bit;
      onStack[ci] = 1;
      frames.push({ chain: ci, next: 0 });
    };
    enter(start, undefined);
    while (frames.length) {
      const f = frames[frames.length - 1]!;
      const c = g.chains[f.chain]!;
      if (f.next >= walked[f.chain]!) {
        onStack[f.chain] = 0;
        frames.pop();
        continue;
      }
      const r = c.rules[f.next++]!;
      const t = userTarget(r, g);
      if (t >= 0) {
        firstJump[t] ??= r;
        enter(t, r);
      }
    }
  }
  if (loop) problems.push(loop);
  g.chains.forEach((c, ci) => {
    c.rules.forEach((r, i) => {
      if (!r.facts.uses) return;
      const init: Problem[] = [];
      ruleInitProblems(r, table.name, family, 'legacy', undefined, init);
      for (const p of init) problems.push(p);
      const m = i < walked[ci]! ? mask[ci]! : 0;
      // A rule already refused needs no second report (its checkentry runs again with the hooks).
      if (m && init.length === 0) {
        const via = c.builtin || !firstJump[ci] ? '' : ` (chain ${c.name} is reached through the jump on line ${firstJump[ci]!.command.line + 1})`;
        const p = hookProblem(r, m, table.name, family, 'legacy', via);
        if (p) problems.push(p);
      }
    });
  });
  return problems;
}

/**
 * Kernel objects shared by name across rules and tables of a network
 * namespace: a hashlimit table's rate-match flag, a RATEEST estimator's
 * parameters. The first rule that creates one fixes it; a later rule that
 * disagrees is refused.
 */
export class SharedObjects {
  private readonly seen = new Map<string, { key: string; rule: LoadedRule }>();

  /** Whether a rule has named a shared object. */
  get used(): boolean {
    return this.seen.size > 0;
  }

  check(rule: LoadedRule): Problem | undefined {
    for (const c of rule.facts.shared ?? []) {
      const p = this.claim(`${c.kind}/${c.name}`, c.key, rule);
      if (!p) continue;
      const where = `(line ${p.rule.command.line + 1})`;
      const message = c.kind === 'hashlimit'
        ? `hashlimit match: the table "${c.name}" already exists ${p.key === 'rate-match' ? 'with' : 'without'} --hashlimit-rate-match ${where}; rules sharing a name must agree. The kernel refuses the rule.`
        : `RATEEST target: the estimator "${c.name}" already exists with a different interval or ewmalog ${where}. The kernel refuses the rule.`;
      return { rule, code: 'kernel-refuses', message, related: [{ span: p.rule.command.span, message: c.kind === 'hashlimit' ? 'the rule that created the table' : 'the rule that created the estimator' }] };
    }
    return undefined;
  }

  private claim(name: string, key: string, rule: LoadedRule): { key: string; rule: LoadedRule } | undefined {
    const prev = this.seen.get(name);
    if (!prev) {
      this.seen.set(name, { key, rule });
      return undefined;
    }
    return prev.key === key ? undefined : prev;
  }
}

/**
 * What the kernel refuses when iptables-nft adds this rule: the xt checks of
 * its matches and target, plus what nf_tables itself refuses (QUEUE, a
 * negated /0 address, a jump to a built-in chain, shared-object clashes).
 */
export function nftInitProblems(rule: LoadedRule, table: LoadedTable, family: Family, shared: SharedObjects): Problem[] | undefined {
  const f = rule.facts;
  // Most rules: nothing to check (a jump can only name a built-in chain by its name).
  if (!f.uses && !f.shared && f.verdict !== 'QUEUE' && !f.zeroSrc && !f.zeroDst && (f.jumpTo === undefined || !isBuiltinChain(table.name, f.jumpTo))) return undefined;
  const out: Problem[] = [];
  if (f.verdict === 'QUEUE') {
    out.push({ rule, code: 'nft-queue', message: 'iptables-nft turns QUEUE into an nftables verdict this kernel does not have: the rule is refused (No such file or directory). Use "-j NFQUEUE --queue-num 0" instead.' });
  }
  if (f.zeroSrc?.[rule.srcIndex ?? 0] || f.zeroDst?.[rule.dstIndex ?? 0]) {
    out.push({ rule, code: 'nft-zero-mask', message: 'iptables-nft turns "! -s/-d ADDR/0" into a zero-length comparison, which the kernel refuses (Invalid argument). It would match nothing anyway: remove the rule or the negation.' });
  }
  if (f.jumpTo !== undefined && table.chains.get(f.jumpTo)?.builtin) {
    out.push({ rule, code: 'jump-to-builtin', message: `"${f.jumpTo}" is a built-in chain: rules can only jump to user chains (a packet enters built-in chains from its hook). The kernel refuses the rule (No such file or directory).` });
  }
  if (f.uses) {
    const builtin = table.chains.get(rule.chain)?.builtin === true;
    ruleInitProblems(rule, table.name, family, 'nft', builtin ? (rule.chain as Hook) : undefined, out);
    if (builtin && out.length === 0) {
      const hp = hookProblem(rule, HOOK_BIT[rule.chain as Hook] ?? 0, table.name, family, 'nft', '');
      if (hp) out.push(hp);
    }
  }
  const s = shared.check(rule);
  if (s) out.push(s);
  return out;
}

/**
 * The first problem in the table as it stands: a rule that cannot run in a
 * hook that reaches it, or chains nested too deep (loops included).
 */
export function firstProblem(g: Graph, rulesOf: readonly (readonly LoadedRule[])[], table: LoadedTable, family: Family, reached?: (mask: Uint8Array) => void): Problem | undefined {
  const n = g.chains.length;
  const mask = new Uint8Array(n);
  const level = new Int16Array(n).fill(-1);
  // The user chain each rule jumps to (-1: none), resolved once per call, in one array
  // (rules of chain ci from offset[ci]); runs of jumps to one chain are looked up once.
  let total = 0;
  for (let ci = 0; ci < n; ci++) total += rulesOf[ci]!.length;
  const offset = new Int32Array(n + 1);
  const targets = new Int32Array(total);
  let k = 0;
  let lastTo: string | undefined;
  let lastTarget = -1;
  for (let ci = 0; ci < n; ci++) {
    offset[ci] = k;
    for (const r of rulesOf[ci]!) {
      const to = r.facts.jumpTo;
      if (to === undefined) targets[k++] = -1;
      else {
        if (to !== lastTo) {
          lastTo = to;
          lastTarget = userTarget(r, g);
        }
        targets[k++] = lastTarget;
      }
    }
  }
  offset[n] = k;
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = g.chains[i]!;
    if (!c.builtin) continue;
    mask[i] = HOOK_BIT[c.name as Hook] ?? 0;
    level[i] = 0;
    stack.push(i);
  }
  // Propagate hooks and the deepest level; a level of 16 (or a loop) is refused.
  while (stack.length) {
    const ci = stack.pop()!;
    const from = offset[ci]!;
    const to = offset[ci + 1]!;
    const lvl = level[ci]! + 1;
    for (let i = from; i < to; i++) {
      const t = targets[i]!;
      if (t < 0) continue;
      if (lvl >= NFT_MAX_LEVEL) {
        return { rule: rulesOf[ci]![i - from]!, code: 'jump-depth', message: `Chains nest more than ${NFT_MAX_LEVEL - 1} deep from a built-in chain (or loop back): nftables refuses the table ("Too many links"). Chain ${g.chains[t]!.name} would sit at level ${lvl}.` };
      }
      if (mask[ci]! & ~mask[t]! || lvl > level[t]!) {
        mask[t]! |= mask[ci]!;
        if (lvl > level[t]!) level[t] = lvl;
        stack.push(t);
      }
    }
  }
  for (let ci = 0; ci < n; ci++) {
    const m = mask[ci]!;
    if (!m || g.chains[ci]!.builtin) continue;
    for (const rule of rulesOf[ci]!) {
      const f = rule.facts;
      if (!f.uses || (m & ~f.allowedNft) === 0) continue;
      const p = hookProblem(rule, m, table.name, family, 'nft', ` (chain ${g.chains[ci]!.name} is reached from ${hooksOfMask(m).join('/')})`);
      if (p) return p;
    }
  }
  // The hooks each chain is reached from, for a later parse's check of a table like this one (validTable.ts).
  reached?.(mask);
  return undefined;
}

/** A rule added, or one deleted. */
export type BatchOp = LoadedRule | { readonly kind: 'del'; readonly rule: LoadedRule };

/**
 * nf_tables validates the table after the batch: if the final table is
 * valid nothing fails; otherwise, replaying the batch, the first rule added
 * after which the table is invalid fails (and every later one).
 *
 * Adding rules only adds problems, so between two deletions the first
 * failing add is found by bisection instead of checking after every add
 * (which is quadratic on a 170,000-rule table).
 */
export function nftValidation(table: LoadedTable, family: Family, ops: readonly BatchOp[], valid?: (g: Graph, rules: readonly (readonly LoadedRule[])[], mask: Uint8Array) => void): Problem | undefined {
  const g = graphOf(table);
  const final: LoadedRule[][] = g.chains.map((c) => c.rules);
  if (!firstProblem(g, final, table, family, valid && ((mask) => valid(g, final, mask)))) return undefined;
  let base: LoadedRule[][] = g.chains.map(() => []);
  const withAdds = (from: number, to: number): LoadedRule[][] => {
    const cur = base.map((rules) => rules.slice());
    for (let i = from; i < to; i++) {
      const op = ops[i]!;
      const ci = op instanceof LoadedRule ? g.index.get(op.chain) : undefined;
      if (ci !== undefined) cur[ci]!.push(op as LoadedRule);
    }
    return cur;
  };
  let i = 0;
  while (i < ops.length) {
    const op = ops[i]!;
    if (!(op instanceof LoadedRule)) {
      const ci = g.index.get(op.rule.chain);
      if (ci !== undefined) base[ci] = base[ci]!.filter((x) => x !== op.rule);
      i++;
      continue;
    }
    let end = i;
    while (end < ops.length && ops[end] instanceof LoadedRule) end++;
    if (firstProblem(g, withAdds(i, end), table, family)) {
      // Smallest k in [i, end) such that the table is invalid once ops[k] is added.
      let lo = i;
      let hi = end - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (firstProblem(g, withAdds(i, mid + 1), table, family)) hi = mid;
        else lo = mid + 1;
      }
      const add = ops[lo] as LoadedRule;
      const p = firstProblem(g, withAdds(i, lo + 1), table, family)!;
      if (p.rule === add) return p;
      const msg = p.message.replace(/ The kernel refuses the table\.$/, '').replace(/: nftables refuses the table \("Too many links"\)\./, '');
      return {
        rule: add,
        code: p.code,
        message: `${msg} — once line ${add.command.line + 1} is added; nftables refuses the table from this rule on.`,
        related: [{ span: p.rule.command.span, message: 'the rule that cannot run there' }],
      };
    }
    base = withAdds(i, end);
    i = end;
  }
  return undefined;
}

/** iptables-legacy: the kernel's checks of the committed table (all named at COMMIT). */
export function legacyCommitProblems(table: LoadedTable, family: Family, shared: SharedObjects): Problem[] {
  const out = legacyGraph(table, family);
  const all = graphOf(table).chains.flatMap((c) => c.rules).sort((a, b) => a.command.line - b.command.line);
  for (const r of all) {
    const p = shared.check(r);
    if (p) out.push(p);
  }
  return out;
}
