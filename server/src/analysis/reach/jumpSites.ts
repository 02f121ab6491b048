/**
 * A chain's jump sites (the jumping rule, or "hook X") and the flows each sent in, in the order
 * the sites were first met, as a map would hold them. Most chains are entered from one site (a
 * kube dump's 60,000 service and endpoint chains): that one is kept in two fields, and a map is
 * made only for a second site (a map per chain was ~220 bytes, 13 MB at 170,012 rules).
 */
import type { EmuRule } from '../../emulator/compile';
import type { Flow } from './flow';

export type Site = EmuRule | string;

export class JumpSites {
  private firstSite: Site | undefined = undefined;
  private firstFlows: Flow[] | undefined = undefined;
  private others: Map<Site, Flow[]> | undefined = undefined;

  /** The flow a site sent in, after those it sent before. */
  add(site: Site, f: Flow): void {
    const flows = this.get(site);
    // At their own length up to two (a site met at two hooks): pushing onto a list of one makes room for 17.
    if (!flows) this.set(site, [f]);
    else if (flows.length === 1) this.set(site, [flows[0]!, f]);
    else flows.push(f);
  }

  get(site: Site): Flow[] | undefined {
    if (this.firstFlows !== undefined && this.firstSite === site) return this.firstFlows;
    return this.others?.get(site);
  }

  /** Puts a site's flows (a new site goes last, a known one keeps its place). */
  set(site: Site, flows: Flow[]): void {
    if (this.firstFlows === undefined || this.firstSite === site) {
      this.firstSite = site;
      this.firstFlows = flows;
    } else (this.others ??= new Map()).set(site, flows);
  }

  /** Each site and its flows, in order, without a generator's step and pair per site (KUBE-MARK-MASQ has 60,000 sites). */
  forEach(fn: (site: Site, flows: Flow[]) => void): void {
    if (this.firstFlows === undefined) return;
    fn(this.firstSite!, this.firstFlows);
    this.others?.forEach((flows, site) => fn(site, flows));
  }

  *entries(): Generator<[Site, Flow[]]> {
    if (this.firstFlows === undefined) return;
    yield [this.firstSite!, this.firstFlows];
    if (this.others) yield* this.others;
  }

  *keys(): Generator<Site> {
    for (const [site] of this.entries()) yield site;
  }

  [Symbol.iterator](): Generator<[Site, Flow[]]> {
    return this.entries();
  }
}
