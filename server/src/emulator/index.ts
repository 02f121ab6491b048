/**
 * The emulator's API boundary: build an emulator for a loaded ruleset on a
 * host, then trace conversations through it. Pure: time and randomness come
 * in through the options, so the same inputs give the same trace.
 */
import type { Ruleset } from '../lang/iptables/ruleset';
import { manualClock, seededRng, type ManualClock } from './clock';
import { compileRuleset, type EmuRuleset } from './compile';
import { ConversationRunner, type ConversationResult, type ConversationSpec } from './conversation';
import type { HostModel } from './host/model';
import { HostStack } from './netstack';
import type { TraceEvent } from './trace';
import { ip4 } from './packet';
import type { UnknownAssumption } from './traverse';

export interface EmulatorOptions {
  readonly clock?: ManualClock;
  /** Seed for the random source (statistic, NAT range picks). */
  readonly seed?: number;
  /** How matches the emulator cannot decide are taken (default: they match). */
  readonly assume?: UnknownAssumption;
}

export class Emulator {
  readonly compiled: EmuRuleset;
  readonly stack: HostStack;
  readonly clock: ManualClock;
  private conversations = 0;

  constructor(ruleset: Ruleset, readonly host: HostModel, opts: EmulatorOptions = {}) {
    this.clock = opts.clock ?? manualClock(1_000_000);
    this.compiled = compileRuleset(ruleset);
    this.stack = new HostStack(host, this.compiled, { clock: this.clock, rng: seededRng(opts.seed ?? 1), assume: opts.assume ?? 'match' });
  }

  /**
   * Runs one conversation; conntrack state carries over to the next one. When
   * a local proxy (docker-proxy) accepts it, the proxy's own connection to
   * where it forwards follows as a linked conversation, in the same events.
   */
  trace(spec: ConversationSpec, emit: (e: TraceEvent) => void = () => undefined): ConversationResult & { readonly legs: readonly ConversationResult[] } {
    const id = ++this.conversations;
    const runner = new ConversationRunner(this.stack, this.clock, id);
    const prelude: TraceEvent[] = this.host.assumed.map((what) => ({ type: 'assume', what }));
    for (const e of prelude) emit(e);
    const r = runner.run(spec, emit);
    const events = [...prelude, ...r.events];
    const legs: ConversationResult[] = [];
    const fwd = r.completed ? r.acceptedBy?.forwardTo : undefined;
    if (fwd && r.acceptedBy) {
      const next = ++this.conversations;
      const why = `${r.acceptedBy.program ?? 'a proxy'} accepted the connection on ${r.acceptedBy.proto}/${r.acceptedBy.port} and opens its own to ${ip4(fwd.addr)}:${fwd.port}; the container sees the proxy's address, not the client's`;
      const leg = new ConversationRunner(this.stack, this.clock, next).run(
        { proto: spec.proto, src: 0, dst: fwd.addr, dport: fwd.port, origin: { kind: 'local' }, title: `${r.acceptedBy.program ?? 'proxy'} → ${ip4(fwd.addr)}:${fwd.port}`, linkedTo: id, why },
        emit,
      );
      legs.push(leg);
      events.push(...leg.events);
    }
    return { ...r, events, legs };
  }
}

export type { ConversationResult, ConversationSpec } from './conversation';
export type { HostModel } from './host/model';
export type { TraceEvent, RuleRef, Fate } from './trace';
export { parseHostFile } from './host/file';
export { inferHost } from './host/infer';
export { renderStory } from './render';
