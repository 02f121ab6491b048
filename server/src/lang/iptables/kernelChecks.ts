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
import type { Diagnostic, RelatedInfo } from '../diagnostic';
import type { AddrSpec, ExtensionUse } from './ast';
import type { Backend, Hook, KernelCheckContext } from './extension';
import { HOOKS } from './extension';
import type { Family } from './inet';
import type { LoadedChain, LoadedRule, LoadedTable } from './ruleset';

/** nftables' NFT_JUMP_STACK_SIZE: base chain is level 0, chains may sit at 1..15. */
export const NFT_MAX_LEVEL = 16;

interface Problem {
  readonly rule: LoadedRule;
  readonly message: string;
  readonly code: string;
  readonly related?: RelatedInfo[];
}

const HOOK_BIT: Readonly<Record<Hook, number>> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

function hooksOfMask(mask: number): Hook[] {
  return HOOKS.filter((h) => mask & HOOK_BIT[h]);
}

function maskOf(hooks: readonly Hook[]): number {
  let m = 0;
  for (const h of hooks) m |= HOOK_BIT[h];
  return m;
}

const hookList = (h: readonly Hook[]): string => h.join('/');

type Use = readonly [ExtensionUse, 'match' | 'target'];

/** The rule's matches and target that carry kernel restrictions. */
function kernelUses(rule: LoadedRule): Use[] | undefined {
  let out: Use[] | undefined;
  for (const m of rule.spec.matches) if (m.spec?.kernel) (out ??= []).push([m, 'match']);
  const t = rule.spec.target;
  if (t?.kind === 'extension' && t.use.spec?.kernel) (out ??= []).push([t.use, 'target']);
  return out;
}

function checkContext(rule: LoadedRule, use: ExtensionUse, table: string, hooks: ReadonlySet<Hook>, family: Family, backend: Backend): KernelCheckContext<unknown> {
  const spec = rule.spec;
  return {
    data: use.data,
    table,
    hooks,
    family,
    protoNum: spec.proto?.num ?? 0,
    protoInvert: spec.proto?.invert ?? false,
    backend,
    matchNames: spec.matches.map((m) => m.name),
    matches: spec.matches.map((m) => ({ name: m.name, data: m.data })),
  };
}

/** Checks that do not depend on reachability. */
function ruleInitProblems(rule: LoadedRule, uses: readonly Use[], table: string, family: Family, backend: Backend, baseHook: Hook | undefined): Problem[] {
  const out: Problem[] = [];
  const spec = rule.spec;
  const protoNum = spec.proto?.num ?? 0;
  const protoInvert = spec.proto?.invert ?? false;
  for (const [use, kind] of uses) {
    const ext = use.spec!;
    if (backend === 'nft' && ext.nftNative?.(use.data)) continue;
    const k = ext.kernel!;
    const label = `${use.name} ${kind}`;
    if (k.table && k.table !== table) {
      out.push({ rule, code: 'wrong-table', message: `${label}: only valid in the ${k.table} table, not ${table}. The kernel refuses the rule ("${kind === 'target' ? 'x_tables' : 'xt'}: ${use.name}: only valid in ${k.table} table, not ${table}").` });
      continue;
    }
    if (k.proto !== undefined && (k.proto !== protoNum || protoInvert)) {
      const name = k.proto === 6 ? 'tcp' : k.proto === 17 ? 'udp' : k.proto === 1 ? 'icmp' : k.proto === 58 ? 'icmpv6' : String(k.proto);
      const why = protoInvert ? `"! -p ${spec.proto?.text}" does not pin the protocol` : protoNum === 0 ? 'the rule has no "-p"' : `the rule says "-p ${spec.proto?.text}"`;
      out.push({ rule, code: 'needs-protocol', message: `${label}: only valid for protocol ${name}, but ${why}. The kernel refuses the rule. Add "-p ${name}".` });
      continue;
    }
    if (k.check) {
      const hooks = new Set<Hook>(backend === 'nft' && baseHook ? [baseHook] : []);
      const msg = k.check(checkContext(rule, use, table, hooks, family, backend));
      if (msg) out.push({ rule, code: 'kernel-refuses', message: `${label}: ${msg}` });
    }
  }
  return out;
}

/** Hook restriction of one rule, given the hooks it is reached from. */
function hookProblem(rule: LoadedRule, uses: readonly Use[], mask: number, table: string, family: Family, backend: Backend, via: string): Problem | undefined {
  for (const [use, kind] of uses) {
    const k = use.spec!.kernel!;
    if (backend === 'nft' && use.spec!.nftNative?.(use.data)) continue;
    if (k.hooks) {
      const bad = mask & ~maskOf(k.hooks);
      if (bad) {
        const badHooks = hooksOfMask(bad);
        return {
          rule,
          code: 'wrong-hook',
          message: `${use.name} ${kind}: used from hook${badHooks.length > 1 ? 's' : ''} ${hookList(badHooks)}${via}, but only usable from ${hookList(k.hooks)}. The kernel refuses the table.`,
        };
      }
    }
    if (backend === 'legacy' && k.check) {
      const msg = k.check(checkContext(rule, use, table, new Set(hooksOfMask(mask)), family, backend));
      if (msg) return { rule, code: 'kernel-refuses', message: `${use.name} ${kind}: ${msg}${via}` };
    }
  }
  return undefined;
}

/** Chains numbered for array-indexed graph walks. */
interface Graph {
  readonly chains: LoadedChain[];
  readonly index: Map<string, number>;
}

function graphOf(table: LoadedTable): Graph {
  const chains = [...table.chains.values()];
  const index = new Map<string, number>();
  chains.forEach((c, i) => index.set(c.name, i));
  return { chains, index };
}

/** Index of the user chain a rule jumps or goes to, or -1. */
function userTarget(rule: LoadedRule, g: Graph): number {
  const t = rule.spec.target;
  if (t?.kind !== 'jump') return -1;
  const i = g.index.get(t.chain);
  return i === undefined || g.chains[i]!.builtin ? -1 : i;
}

/**
 * mark_source_chains() ends its walk of a chain at an unconditional standard
 * verdict (ACCEPT, DROP, RETURN, QUEUE with no match and an all-zero ipt_ip):
 * the rules after it get no hook, and their jumps are not followed.
 */
function walkLength(c: LoadedChain, family: Family): number {
  const anyAddr = (a: AddrSpec | undefined): boolean =>
    !a || (!a.invert && a.hostnames.length === 0 && a.v4.every((x) => x.prefix === 0) && a.v6.every((x) => x.prefix === 0));
  const i = c.rules.findIndex(({ spec: s }) => s.target?.kind === 'verdict' && s.matches.length === 0 && !s.inIface && !s.outIface && !s.fragment
    && (!s.proto || (family === 'ipv4' && s.proto.num === 0 && !s.proto.invert)) && anyAddr(s.src) && anyAddr(s.dst));
  return i < 0 ? c.rules.length : i + 1;
}

function legacyGraph(table: LoadedTable, family: Family): Problem[] {
  const g = graphOf(table);
  const n = g.chains.length;
  const mask = new Uint8Array(n);
  const walked = g.chains.map((c) => walkLength(c, family));
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
      const uses = kernelUses(r);
      if (!uses) return;
      const init = ruleInitProblems(r, uses, table.name, family, 'legacy', undefined);
      for (const p of init) problems.push(p);
      const m = i < walked[ci]! ? mask[ci]! : 0;
      // A rule already refused needs no second report (its checkentry runs again with the hooks).
      if (m && init.length === 0) {
        const via = c.builtin || !firstJump[ci] ? '' : ` (chain ${c.name} is reached through the jump on line ${firstJump[ci]!.command.line + 1})`;
        const p = hookProblem(r, uses, m, table.name, family, 'legacy', via);
        if (p) problems.push(p);
      }
    });
  });
  return problems;
}

/** The table's rules in the order their lines were added (one command per line). */
function inFileOrder(chains: readonly LoadedChain[]): LoadedRule[] {
  let max = 0;
  let count = 0;
  for (const c of chains) {
    for (const r of c.rules) {
      if (r.command.line > max) max = r.command.line;
      count++;
    }
  }
  const slots: Array<LoadedRule | undefined> = new Array(max + 1);
  for (const c of chains) for (const r of c.rules) slots[r.command.line] = r;
  const out: LoadedRule[] = [];
  out.length = 0;
  for (const r of slots) if (r) out.push(r);
  // More rules than lines would mean two rules per line: fall back to a sort.
  return out.length === count ? out : chains.flatMap((c) => c.rules).sort((a, b) => a.command.line - b.command.line);
}

/**
 * iptables-nft: replay rule additions in file order; after each one the
 * kernel validates the table. Levels and hooks propagate incrementally.
 */
function nftGraph(table: LoadedTable, family: Family): Problem[] {
  const g = graphOf(table);
  const n = g.chains.length;
  const mask = new Uint8Array(n);
  const level = new Int16Array(n).fill(-1);
  const added: LoadedRule[][] = g.chains.map(() => []);
  g.chains.forEach((c, i) => {
    if (c.builtin) {
      mask[i] = HOOK_BIT[c.name as Hook] ?? 0;
      level[i] = 0;
    }
  });
  const problems: Problem[] = [];
  let broken = false;

  // Propagates hooks and level into chain `start`; returns a problem if the table becomes invalid.
  const propagate = (start: number, hooks: number, lvl0: number, trigger: LoadedRule): Problem | undefined => {
    const stack: number[] = [start, lvl0];
    while (stack.length) {
      const lvl = stack.pop()!;
      const ci = stack.pop()!;
      const ch = g.chains[ci]!;
      if (lvl >= NFT_MAX_LEVEL) {
        return { rule: trigger, code: 'jump-depth', message: `Chains nest more than ${NFT_MAX_LEVEL - 1} deep from a built-in chain (or loop) once this rule is added: nftables refuses it ("Too many links"). Chain ${ch.name} would sit at level ${lvl}.` };
      }
      const gained = hooks & ~mask[ci]!;
      if (gained === 0 && lvl <= level[ci]!) continue;
      mask[ci]! |= hooks;
      if (lvl > level[ci]!) level[ci] = lvl;
      const hs = mask[ci]!;
      for (const r of added[ci]!) {
        const uses = kernelUses(r);
        const p = uses && hookProblem(r, uses, hs, table.name, family, 'nft', '');
        if (p) {
          const where = hookList(hooksOfMask(hs));
          return { rule: trigger, code: p.code, message: r === trigger ? p.message : `${p.message.replace(/ The kernel refuses the table\.$/, '')} — in line ${r.command.line + 1}, which this rule makes reachable from ${where}. The kernel refuses it.`, related: [{ span: r.command.span, message: `the rule that cannot run in ${where}` }] };
        }
        const t = userTarget(r, g);
        if (t >= 0) stack.push(t, level[ci]! + 1);
      }
    }
    return undefined;
  };

  for (const r of inFileOrder(g.chains)) {
    const ci = g.index.get(r.chain)!;
    const c = g.chains[ci]!;
    const uses = kernelUses(r);
    if (uses) for (const p of ruleInitProblems(r, uses, table.name, family, 'nft', c.builtin ? (r.chain as Hook) : undefined)) problems.push(p);
    added[ci]!.push(r);
    if (broken) continue;
    const hs = mask[ci]!;
    if (hs === 0) continue;
    const own = uses && hookProblem(r, uses, hs, table.name, family, 'nft', '');
    if (own) {
      problems.push(own);
      broken = true;
      continue;
    }
    const t = userTarget(r, g);
    if (t >= 0) {
      const p = propagate(t, hs, Math.max(0, level[ci]!) + 1, r);
      if (p) {
        problems.push(p);
        broken = true;
      }
    }
  }
  return problems;
}

export function kernelCommitChecks(table: LoadedTable, family: Family, backend: Backend, commitRestoreLine: number): Diagnostic[] {
  const problems = backend === 'legacy' ? legacyGraph(table, family) : nftGraph(table, family);
  problems.sort((a, b) => a.rule.command.line - b.rule.command.line);
  return problems.map((p) => {
    const reported = backend === 'legacy' ? commitRestoreLine : p.rule.command.restoreLine;
    const tail = backend === 'legacy'
      ? ` (iptables-legacy reports "line ${commitRestoreLine} failed" at COMMIT.)`
      : ` (iptables-nft reports "line ${p.rule.command.restoreLine}: RULE_APPEND failed".)`;
    const d: Diagnostic = {
      code: p.code,
      severity: 'error',
      message: p.message + tail,
      span: p.rule.spec.target?.span ?? p.rule.command.span,
      restore: { reportedLine: reported, detectedAtLine: commitRestoreLine },
      ...(p.related ? { related: p.related } : {}),
    };
    return d;
  });
}
