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
 */
import type { Diagnostic, RelatedInfo } from '../diagnostic';
import type { AddrSpec, ExtensionUse } from './ast';
import type { Backend, Hook, KernelCheckContext } from './extension';
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

const hookList = (h: Iterable<Hook>): string => [...h].join('/');

/** Checks that do not depend on reachability. */
function ruleInitProblems(rule: LoadedRule, table: string, family: Family, backend: Backend, baseHook: Hook | undefined): Problem[] {
  const out: Problem[] = [];
  const spec = rule.spec;
  const protoNum = spec.proto?.num ?? 0;
  const protoInvert = spec.proto?.invert ?? false;
  const matchNames = spec.matches.map((m) => m.name);
  const matches = spec.matches.map((m) => ({ name: m.name, data: m.data }));
  const hooksAtInit = new Set<Hook>(baseHook ? [baseHook] : []);
  const check = (use: ExtensionUse, kind: 'match' | 'target'): void => {
    const ext = use.spec;
    if (!ext?.kernel) return;
    if (backend === 'nft' && ext.nftNative?.(use.data)) return;
    const k = ext.kernel;
    const label = `${use.name} ${kind}`;
    if (k.table && k.table !== table) {
      out.push({ rule, code: 'wrong-table', message: `${label}: only valid in the ${k.table} table, not ${table}. The kernel refuses the rule ("${kind === 'target' ? 'x_tables' : 'xt'}: ${use.name}: only valid in ${k.table} table, not ${table}").` });
      return;
    }
    if (k.proto !== undefined && (k.proto !== protoNum || protoInvert)) {
      const name = k.proto === 6 ? 'tcp' : k.proto === 17 ? 'udp' : k.proto === 1 ? 'icmp' : k.proto === 58 ? 'icmpv6' : String(k.proto);
      const why = protoInvert ? `"! -p ${spec.proto?.text}" does not pin the protocol` : protoNum === 0 ? 'the rule has no "-p"' : `the rule says "-p ${spec.proto?.text}"`;
      out.push({ rule, code: 'needs-protocol', message: `${label}: only valid for protocol ${name}, but ${why}. The kernel refuses the rule. Add "-p ${name}".` });
      return;
    }
    const ctx: KernelCheckContext<unknown> = { data: use.data, table, hooks: backend === 'legacy' ? new Set() : hooksAtInit, family, protoNum, protoInvert, backend, matchNames, matches };
    const msg = k.check?.(ctx);
    if (msg) out.push({ rule, code: 'kernel-refuses', message: `${label}: ${msg}` });
  };
  for (const m of spec.matches) check(m, 'match');
  if (spec.target?.kind === 'extension') check(spec.target.use, 'target');
  return out;
}

/** Hook restriction of one rule, given the hooks it is reached from. */
function hookProblem(rule: LoadedRule, hooks: ReadonlySet<Hook>, table: string, family: Family, backend: Backend, via: string): Problem | undefined {
  const uses: Array<[ExtensionUse, 'match' | 'target']> = rule.spec.matches.map((m) => [m, 'match'] as [ExtensionUse, 'match']);
  if (rule.spec.target?.kind === 'extension') uses.push([rule.spec.target.use, 'target']);
  for (const [use, kind] of uses) {
    const k = use.spec?.kernel;
    if (!k) continue;
    if (backend === 'nft' && use.spec?.nftNative?.(use.data)) continue;
    if (k.hooks) {
      const bad = [...hooks].filter((h) => !k.hooks!.includes(h));
      if (bad.length > 0) {
        return {
          rule,
          code: 'wrong-hook',
          message: `${use.name} ${kind}: used from hook${bad.length > 1 ? 's' : ''} ${hookList(bad)}${via}, but only usable from ${hookList(k.hooks)}. The kernel refuses the table.`,
        };
      }
    }
    if (backend === 'legacy' && k.check) {
      const protoNum = rule.spec.proto?.num ?? 0;
      const msg = k.check({ data: use.data, table, hooks, family, protoNum, protoInvert: rule.spec.proto?.invert ?? false, backend, matchNames: rule.spec.matches.map((m) => m.name), matches: rule.spec.matches.map((m) => ({ name: m.name, data: m.data })) });
      if (msg) return { rule, code: 'kernel-refuses', message: `${use.name} ${kind}: ${msg}${via}` };
    }
  }
  return undefined;
}

function jumpTarget(rule: LoadedRule): string | undefined {
  const t = rule.spec.target;
  return t?.kind === 'jump' ? t.chain : undefined;
}

/** Describes how a chain is reached, for messages ("via line 12"). */
function viaText(chain: string, from: Map<string, LoadedRule>): string {
  const r = from.get(chain);
  return r ? ` (chain ${chain} is reached through the jump on line ${r.command.line + 1})` : '';
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
  const chains = table.chains;
  const hooksOf = new Map<string, Set<Hook>>();
  const firstJump = new Map<string, LoadedRule>();
  const problems: Problem[] = [];
  let loop: Problem | undefined;
  // mark_source_chains: a DFS from each hook's chain, detecting back edges.
  for (const hook of table.builtins) {
    const start = chains.get(hook);
    if (!start) continue;
    const onStack = new Set<string>();
    const visit = (c: LoadedChain, viaRule: LoadedRule | undefined): void => {
      if (onStack.has(c.name)) {
        if (!loop && viaRule) loop = { rule: viaRule, code: 'jump-loop', message: `This jump closes a loop back to chain ${c.name}, reachable from ${hook}: the kernel refuses the table ("Loop found").` };
        return;
      }
      let set = hooksOf.get(c.name);
      if (!set) hooksOf.set(c.name, (set = new Set()));
      if (set.has(hook)) return;
      set.add(hook);
      onStack.add(c.name);
      for (const r of c.rules.slice(0, walkLength(c, family))) {
        const t = jumpTarget(r);
        const tc = t ? chains.get(t) : undefined;
        if (tc && !tc.builtin) {
          if (!firstJump.has(tc.name)) firstJump.set(tc.name, r);
          visit(tc, r);
        }
      }
      onStack.delete(c.name);
    };
    visit(start, undefined);
  }
  if (loop) problems.push(loop);
  for (const c of chains.values()) {
    const reached = hooksOf.get(c.name) ?? new Set<Hook>();
    const walked = walkLength(c, family);
    for (const [i, r] of c.rules.entries()) {
      const hooks = i < walked ? reached : new Set<Hook>();
      const init = ruleInitProblems(r, table.name, family, 'legacy', undefined);
      for (const p of init) problems.push(p);
      // A rule already refused needs no second report (its checkentry runs again with the hooks).
      if (hooks.size && init.length === 0) {
        const p = hookProblem(r, hooks, table.name, family, 'legacy', c.builtin ? '' : viaText(c.name, firstJump));
        if (p) problems.push(p);
      }
    }
  }
  return problems;
}

/**
 * iptables-nft: replay rule additions in file order; after each one the
 * kernel validates the table. Levels and hooks propagate incrementally.
 */
function nftGraph(table: LoadedTable, family: Family): Problem[] {
  const chains = table.chains;
  const all: LoadedRule[] = [];
  for (const c of chains.values()) for (const r of c.rules) all.push(r);
  all.sort((a, b) => a.command.line - b.command.line);

  const hooksOf = new Map<string, Set<Hook>>();
  const levelOf = new Map<string, number>();
  const added = new Map<string, LoadedRule[]>();
  const reachedBy = new Map<string, LoadedRule>();
  for (const c of chains.values()) {
    added.set(c.name, []);
    if (c.builtin) {
      hooksOf.set(c.name, new Set([c.name as Hook]));
      levelOf.set(c.name, 0);
    }
  }
  const problems: Problem[] = [];
  let broken = false;

  // Propagates hooks and level into `name`; returns a problem if the table becomes invalid.
  const propagate = (name: string, hooks: ReadonlySet<Hook>, level: number, trigger: LoadedRule): Problem | undefined => {
    const stack: Array<[string, number]> = [[name, level]];
    const newHooks = new Set(hooks);
    while (stack.length) {
      const [cn, lvl] = stack.pop()!;
      const ch = chains.get(cn);
      if (!ch || ch.builtin) continue;
      if (lvl >= NFT_MAX_LEVEL) {
        return { rule: trigger, code: 'jump-depth', message: `Chains nest more than ${NFT_MAX_LEVEL - 1} deep from a built-in chain (or loop) once this rule is added: nftables refuses it ("Too many links"). Chain ${cn} would sit at level ${lvl}.` };
      }
      let hs = hooksOf.get(cn);
      if (!hs) hooksOf.set(cn, (hs = new Set()));
      const gained = [...newHooks].filter((h) => !hs!.has(h));
      const oldLevel = levelOf.get(cn) ?? -1;
      if (gained.length === 0 && lvl <= oldLevel) continue;
      for (const h of gained) hs.add(h);
      if (lvl > oldLevel) levelOf.set(cn, lvl);
      for (const r of added.get(cn) ?? []) {
        const p = hookProblem(r, hs, table.name, family, 'nft', '');
        if (p) {
          return { rule: trigger, code: p.code, message: r === trigger ? p.message : `${p.message.replace(/ The kernel refuses the table\.$/, '')} — in line ${r.command.line + 1}, which this rule makes reachable from ${hookList(hs)}. The kernel refuses it.`, related: [{ span: r.command.span, message: `the rule that cannot run in ${hookList(hs)}` }] };
        }
        const t = jumpTarget(r);
        if (t && chains.has(t)) stack.push([t, Math.max(lvl, levelOf.get(cn) ?? lvl) + 1]);
      }
    }
    return undefined;
  };

  for (const r of all) {
    for (const p of ruleInitProblems(r, table.name, family, 'nft', chains.get(r.chain)?.builtin ? (r.chain as Hook) : undefined)) problems.push(p);
    added.get(r.chain)?.push(r);
    if (broken) continue;
    const hs = hooksOf.get(r.chain);
    if (!hs || hs.size === 0) continue;
    const level = levelOf.get(r.chain) ?? 0;
    const own = hookProblem(r, hs, table.name, family, 'nft', '');
    if (own) {
      problems.push(own);
      broken = true;
      continue;
    }
    const t = jumpTarget(r);
    if (t && chains.has(t) && !chains.get(t)!.builtin) {
      if (!reachedBy.has(t)) reachedBy.set(t, r);
      const p = propagate(t, hs, level + 1, r);
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
