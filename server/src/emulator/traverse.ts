/**
 * One table at one hook: the kernel's ipt_do_table / nft chain walk.
 * Rules are tried in order; a match failure moves on; targets decide:
 * ACCEPT/DROP/QUEUE end the table, RETURN (or falling off a user chain) goes
 * back to the caller, -j pushes a return point, -g does not, the end of a
 * built-in chain applies its policy. Non-terminating targets continue.
 * Every step is reported to `emit`.
 */
import type { Hook } from '../lang/iptables/extension';
import type { EmuRule, EmuTable } from './compile';
import { isUnknown, type CtZoneTemplate, type EvalContext, type NatRequest, type TargetContext } from './context';
import type { Packet } from './packet';
import type { RuleRef, TraceEvent } from './trace';

/** Safety net for rulesets the kernel would have refused (loops): nft's limit. */
const MAX_DEPTH = 16;

export type UnknownAssumption = 'match' | 'no-match';

export interface TableResult {
  readonly verdict: 'ACCEPT' | 'DROP' | 'QUEUE' | 'REJECT';
  /** The rule that decided, if a rule did (absent: policy). */
  readonly rule?: RuleRef;
  /** A NAT target asked for this binding (nat table only). */
  readonly nat?: NatRequest;
  readonly rejectWith?: string;
  /** NOTRACK / CT --notrack fired (raw table). */
  readonly notrack?: boolean;
  /** A CT put its template on the packet (raw table): conntrack looks it up in the template's zone. */
  readonly template?: { readonly zone?: CtZoneTemplate };
}

export interface TableRun {
  readonly table: EmuTable;
  readonly hook: Hook;
  readonly packet: Packet;
  /**
   * Builds the evaluation context for one rule (`attached`: what an earlier NOTRACK or CT in this
   * table put on the packet, which conntrack matches see: UNTRACKED, or a template, NEW).
   */
  context(rule: EmuRule, attached: 'untracked' | 'template' | undefined): TargetContext;
  readonly emit: (e: TraceEvent) => void;
  readonly assume: UnknownAssumption;
}

function ifaceOk(m: { name: string; prefix: boolean; invert: boolean }, dev: string): boolean {
  const hit = m.prefix ? dev.startsWith(m.name) : dev === m.name;
  return hit !== m.invert;
}

/** The first part of the rule's header (ipt_ip) that does not match, or undefined. */
export function headerFailure(r: EmuRule, p: Packet): string | undefined {
  if (r.src && ((((p.src & r.src.mask) >>> 0) === r.src.addr) === r.src.invert)) return r.src.text;
  if (r.dst && ((((p.dst & r.dst.mask) >>> 0) === r.dst.addr) === r.dst.invert)) return r.dst.text;
  if (r.iif && !ifaceOk(r.iif, p.iif)) return p.iif ? r.iif.text : `${r.iif.text} (no input interface at this hook)`;
  if (r.oif && !ifaceOk(r.oif, p.oif)) return p.oif ? r.oif.text : `${r.oif.text} (no output interface at this hook)`;
  if (r.proto && ((p.proto === r.proto.num) === r.proto.invert)) return r.proto.text;
  if (r.frag && ((p.fragOffset !== 0) === r.frag.invert)) return r.frag.invert ? '! -f' : '-f (not a later fragment)';
  return undefined;
}

interface Frame {
  readonly chain: string;
  next: number;
}

export function runTable(run: TableRun, chainName: string): TableResult {
  const { table, packet, emit } = run;
  const builtin = table.chains.get(chainName);
  if (!builtin) return { verdict: 'ACCEPT' };
  emit({ type: 'table', table: table.name, hook: run.hook });
  // The jump stack holds return points of -j calls.
  const stack: Frame[] = [];
  let frame: Frame = { chain: chainName, next: 0 };
  let notrack = false;
  let template: TableResult['template'];
  const done = (r: TableResult): TableResult => (notrack ? { ...r, notrack } : template ? { ...r, template } : r);
  for (;;) {
    const chain = table.chains.get(frame.chain);
    const rule = chain?.rules[frame.next];
    if (!chain || !rule) {
      // End of chain: a built-in chain applies its policy; a user chain returns.
      const back = stack.pop();
      if (!back || chain?.builtin) {
        const policy = builtin.policy;
        emit({ type: 'verdict', table: table.name, chain: builtin.name, verdict: 'POLICY', detail: policy });
        return done({ verdict: policy });
      }
      frame = back;
      continue;
    }
    frame.next++;
    const failed = headerFailure(rule, packet);
    if (failed !== undefined) {
      emit({ type: 'rule', rule: rule.ref, matched: false, failed });
      continue;
    }
    const ctx = run.context(rule, notrack ? 'untracked' : template ? 'template' : undefined);
    let why: string | undefined;
    let assumed: string[] | undefined;
    for (const m of rule.matches) {
      const out = m.fn ? m.fn(m.data, ctx) : { unknown: `the emulator does not model -m ${m.name}` };
      if (isUnknown(out)) {
        (assumed ??= []).push(`${m.text}: ${out.unknown} — assumed to ${run.assume === 'match' ? 'match' : 'not match'}`);
        if (run.assume === 'no-match') {
          why = m.text;
          break;
        }
        continue;
      }
      if (!out) {
        why = m.text;
        break;
      }
    }
    if (why !== undefined) {
      emit(assumed ? { type: 'rule', rule: rule.ref, matched: false, failed: why, assumed } : { type: 'rule', rule: rule.ref, matched: false, failed: why });
      continue;
    }
    emit(assumed ? { type: 'rule', rule: rule.ref, matched: true, assumed } : { type: 'rule', rule: rule.ref, matched: true });
    const t = rule.target;
    switch (t.kind) {
      case 'none':
        emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'CONTINUE' });
        continue;
      case 'verdict':
        if (t.verdict === 'RETURN') {
          emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'RETURN' });
          const back = chain.builtin ? undefined : stack.pop();
          if (!back) {
            const policy = builtin.policy;
            emit({ type: 'verdict', table: table.name, chain: builtin.name, verdict: 'POLICY', detail: policy });
            return done({ verdict: policy });
          }
          frame = back;
          continue;
        }
        emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: t.verdict });
        return done({ verdict: t.verdict, rule: rule.ref });
      case 'jump': {
        const target = table.chains.get(t.chain);
        emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: t.goto ? 'GOTO' : 'JUMP', detail: t.chain });
        if (!target) continue; // refused at load; keep going like a no-op
        if (stack.length >= MAX_DEPTH) {
          emit({ type: 'note', text: `Jump depth over ${MAX_DEPTH} (a loop?): the kernel would have refused these rules; the packet is dropped here.` });
          return done({ verdict: 'DROP', rule: rule.ref });
        }
        if (!t.goto) stack.push(frame);
        emit({ type: 'chain', table: table.name, chain: t.chain, from: rule.ref, goto: t.goto });
        frame = { chain: t.chain, next: 0 };
        continue;
      }
      case 'ext': {
        if (!t.fn) {
          emit({ type: 'assume', what: `-j ${t.name} is not modelled: assumed to let the packet continue` });
          emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'CONTINUE' });
          continue;
        }
        const out = t.fn(t.data, ctx);
        switch (out.kind) {
          case 'continue':
            emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'CONTINUE' });
            continue;
          case 'notrack':
            // NOTRACK marks the packet and lets the chain go on.
            notrack = true;
            emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'CONTINUE', detail: 'untracked' });
            continue;
          case 'template':
            template = out.zone ? { zone: out.zone } : {};
            emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'CONTINUE', detail: 'conntrack template' });
            continue;
          case 'verdict':
            emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: out.verdict });
            return done({ verdict: out.verdict, rule: rule.ref });
          case 'reject':
            emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'REJECT', detail: out.with });
            return done({ verdict: 'REJECT', rule: rule.ref, rejectWith: out.with });
          case 'nat':
            emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'NAT', detail: t.name });
            return done({ verdict: 'ACCEPT', rule: rule.ref, nat: out.nat });
          case 'unmodeled':
            emit({ type: 'assume', what: `-j ${t.name}: ${out.why}; assumed ${out.then === 'continue' ? 'to continue' : out.then}` });
            if (out.then === 'continue') {
              emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: 'CONTINUE' });
              continue;
            }
            emit({ type: 'verdict', table: table.name, chain: chain.name, rule: rule.ref, verdict: out.then });
            return done({ verdict: out.then, rule: rule.ref });
        }
      }
    }
  }
}

export type { EvalContext };
