/**
 * One string object per chain name, shared by chain lines, rule lines, the
 * table state and the load checks, and handed on to the next parse of the
 * same document: map and set lookups by name then find their key by identity
 * instead of comparing text in the middle of a 26 MB document.
 */
import { HOOKS } from './extension';
import { detach } from './lineCache';

export class ChainNames {
  private readonly names: Map<string, string>;
  /** Names met in a reparse live on in later parses: they are copied out of this version of the document. */
  private readonly copy: boolean;

  constructor(previous?: ChainNames) {
    this.names = previous?.names ?? new Map(HOOKS.map((h) => [h, h]));
    this.copy = previous !== undefined;
  }

  /** The last two names asked for: consecutive rules mostly name the same chains. */
  private last1 = '';
  private last2 = '';

  intern(name: string): string {
    if (name === this.last1) return this.last1;
    if (name === this.last2) return this.swap();
    let known = this.names.get(name);
    if (known === undefined) {
      known = this.copy ? detach(name) : name;
      this.names.set(known, known);
    }
    this.last2 = this.last1;
    this.last1 = known;
    return known;
  }

  private swap(): string {
    const n = this.last2;
    this.last2 = this.last1;
    this.last1 = n;
    return n;
  }
}
