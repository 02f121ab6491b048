/** Per-run state for stateful matches (limit, recent, statistic nth, quota …). */
import type { StateStore } from './context';

export class MemoryStore implements StateStore {
  private readonly rules = new Map<string, unknown>();
  private readonly named = new Map<string, unknown>();

  forRule<T>(ruleId: string, init: () => T): T {
    let v = this.rules.get(ruleId) as T | undefined;
    if (v === undefined) this.rules.set(ruleId, (v = init()));
    return v;
  }

  shared<T>(kind: string, name: string, init: () => T): T {
    const key = `${kind}\u0000${name}`;
    let v = this.named.get(key) as T | undefined;
    if (v === undefined) this.named.set(key, (v = init()));
    return v;
  }
}
