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
import type { AddrSpec, ExtensionUse } from './ast';
import type { Backend, Hook, KernelCheckContext } from './extension';
import { HOOKS } from './extension';
import type { Family } from './inet';
import type { LoadedChain, LoadedRule, LoadedTable } from './ruleset';

/** nftables' NFT_JUMP_STACK_SIZE: base chain is level 0, chains may sit at 1..15. */
export const NFT_MAX_LEVEL = 16;

export interface Problem {
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

/**
 * Kernel objects shared by name across rules and tables of a network
 * namespace: a hashlimit table's rate-match flag, a RATEEST estimator's
 * parameters. The first rule that creates one fixes it; a later rule that
 * disagrees is refused.
 */
export class SharedObjects {
  private readonly seen = new Map<string, { key: string; rule: LoadedRule }>();

  check(rule: LoadedRule): Problem | undefined {
    for (const m of rule.spec.matches) {
      if (m.name !== 'hashlimit') continue;
      const d = m.data as { name?: string; rateMatch?: boolean };
      if (!d.name) continue;
      const p = this.claim(`hashlimit/${d.name}`, d.rateMatch ? 'rate-match' : 'plain', rule);
      if (p) return { rule, code: 'kernel-refuses', message: `hashlimit match: the table "${d.name}" already exists ${p.key === 'rate-match' ? 'with' : 'without'} --hashlimit-rate-match (line ${p.rule.command.line + 1}); rules sharing a name must agree. The kernel refuses the rule.`, related: [{ span: p.rule.command.span, message: 'the rule that created the table' }] };
    }
    const t = rule.spec.target;
    if (t?.kind === 'extension' && t.use.name === 'RATEEST') {
      const d = t.use.data as { name?: string; params?: string };
      if (d.name && d.params) {
        const p = this.claim(`rateest/${d.name}`, d.params, rule);
        if (p) return { rule, code: 'kernel-refuses', message: `RATEEST target: the estimator "${d.name}" already exists with a different interval or ewmalog (line ${p.rule.command.line + 1}). The kernel refuses the rule.`, related: [{ span: p.rule.command.span, message: 'the rule that created the estimator' }] };
      }
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

/** Whether an address match covers every address (prefix 0). */
function zeroMask(a: AddrSpec | undefined, i: number | undefined): boolean {
  if (!a?.invert) return false;
  const v4 = a.v4[i ?? 0];
  const v6 = a.v6[i ?? 0];
  return (v4 !== undefined && v4.prefix === 0) || (v6 !== undefined && v6.prefix === 0);
}

/**
 * What the kernel refuses when iptables-nft adds this rule: the xt checks of
 * its matches and target, plus what nf_tables itself refuses (QUEUE, a
 * negated /0 address, a jump to a built-in chain, shared-object clashes).
 */
export function nftInitProblems(rule: LoadedRule, table: LoadedTable, family: Family, shared: SharedObjects): Problem[] {
  const out: Problem[] = [];
  const t = rule.spec.target;
  if (t?.kind === 'verdict' && t.name === 'QUEUE') {
    out.push({ rule, code: 'nft-queue', message: 'iptables-nft turns QUEUE into an nftables verdict this kernel does not have: the rule is refused (No such file or directory). Use "-j NFQUEUE --queue-num 0" instead.' });
  }
  if (zeroMask(rule.spec.src, rule.srcIndex) || zeroMask(rule.spec.dst, rule.dstIndex)) {
    out.push({ rule, code: 'nft-zero-mask', message: 'iptables-nft turns "! -s/-d ADDR/0" into a zero-length comparison, which the kernel refuses (Invalid argument). It would match nothing anyway: remove the rule or the negation.' });
  }
  if (t?.kind === 'jump' && table.chains.get(t.chain)?.builtin) {
    out.push({ rule, code: 'jump-to-builtin', message: `"${t.chain}" is a built-in chain: rules can only jump to user chains (a packet enters built-in chains from its hook). The kernel refuses the rule (No such file or directory).` });
  }
  const uses = kernelUses(rule);
  const c = table.chains.get(rule.chain);
  if (uses) {
    out.push(...ruleInitProblems(rule, uses, table.name, family, 'nft', c?.builtin ? (rule.chain as Hook) : undefined));
    if (c?.builtin && out.length === 0) {
      const hp = hookProblem(rule, uses, HOOK_BIT[rule.chain as Hook] ?? 0, table.name, family, 'nft', '');
      if (hp) out.push(hp);
    }
  }
  const s = shared.check(rule);
  if (s) out.push(s);
  return out;
}

/** Hooks and nesting levels of the chains of a rule set (by chain index). */
interface Reach {
  mask: Uint8Array;
  level: Int16Array;
}

/**
 * The first problem in the table as it stands: a rule that cannot run in a
 * hook that reaches it, or chains nested too deep (loops included).
 */
function firstProblem(g: Graph, rulesOf: readonly LoadedRule[][], table: LoadedTable, family: Family): Problem | undefined {
  const n = g.chains.length;
  const r: Reach = { mask: new Uint8Array(n), level: new Int16Array(n).fill(-1) };
  const stack: number[] = [];
  g.chains.forEach((c, i) => {
    if (c.builtin) {
      r.mask[i] = HOOK_BIT[c.name as Hook] ?? 0;
      r.level[i] = 0;
      stack.push(i);
    }
  });
  // Propagate hooks and the deepest level; a level of 16 (or a loop) is refused.
  while (stack.length) {
    const ci = stack.pop()!;
    for (const rule of rulesOf[ci]!) {
      const t = userTarget(rule, g);
      if (t < 0) continue;
      const lvl = r.level[ci]! + 1;
      if (lvl >= NFT_MAX_LEVEL) {
        return { rule, code: 'jump-depth', message: `Chains nest more than ${NFT_MAX_LEVEL - 1} deep from a built-in chain (or loop back): nftables refuses the table ("Too many links"). Chain ${g.chains[t]!.name} would sit at level ${lvl}.` };
      }
      const gained = r.mask[ci]! & ~r.mask[t]!;
      if (gained || lvl > r.level[t]!) {
        r.mask[t]! |= r.mask[ci]!;
        if (lvl > r.level[t]!) r.level[t] = lvl;
        stack.push(t);
      }
    }
  }
  for (let ci = 0; ci < n; ci++) {
    const m = r.mask[ci]!;
    if (!m || g.chains[ci]!.builtin) continue;
    for (const rule of rulesOf[ci]!) {
      const uses = kernelUses(rule);
      const p = uses && hookProblem(rule, uses, m, table.name, family, 'nft', ` (chain ${g.chains[ci]!.name} is reached from ${hooksOfMask(m).join('/')})`);
      if (p) return p;
    }
  }
  return undefined;
}

export type BatchOp = { readonly add: LoadedRule } | { readonly del: LoadedRule };

/**
 * nf_tables validates the table after the batch: if the final table is
 * valid nothing fails; otherwise, replaying the batch, the first rule added
 * after which the table is invalid fails (and every later one).
 */
export function nftValidation(table: LoadedTable, family: Family, ops: readonly BatchOp[]): Problem | undefined {
  const g = graphOf(table);
  const final: LoadedRule[][] = g.chains.map((c) => c.rules);
  if (!firstProblem(g, final, table, family)) return undefined;
  const current: LoadedRule[][] = g.chains.map(() => []);
  for (const op of ops) {
    if ('del' in op) {
      const ci = g.index.get(op.del.chain);
      if (ci !== undefined) current[ci] = current[ci]!.filter((x) => x !== op.del);
      continue;
    }
    const ci = g.index.get(op.add.chain);
    if (ci === undefined) continue;
    current[ci]!.push(op.add);
    const p = firstProblem(g, current, table, family);
    if (p) {
      if (p.rule === op.add) return p;
      const msg = p.message.replace(/ The kernel refuses the table\.$/, '').replace(/: nftables refuses the table \("Too many links"\)\./, '');
      return {
        rule: op.add,
        code: p.code,
        message: `${msg} — once line ${op.add.command.line + 1} is added; nftables refuses the table from this rule on.`,
        related: [{ span: p.rule.command.span, message: 'the rule that cannot run there' }],
      };
    }
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
