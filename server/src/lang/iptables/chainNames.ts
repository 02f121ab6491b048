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

  intern(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    const own = this.copy ? detach(name) : name;
    this.names.set(own, own);
    return own;
  }
}
