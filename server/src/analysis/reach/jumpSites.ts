/**
 * A chain's jump sites (the jumping rule, or "hook X") and the flows each sent in, in the order
 * the sites were first met, as a map would hold them, and per site the hooks at which it sent
 * packets in (a jump sends in what it takes: the hooks where the jumping rule is hit). Most chains
 * are entered from one site (a kube dump's 60,000 service and endpoint chains): that one is kept
 * in fields, and a map is made only for a second site (a map per chain was ~220 bytes, 13 MB at
 * 170,012 rules).
 */
import type { EmuRule } from '../../emulator/compile';
import type { Flow } from './flow';

export type Site = EmuRule | string;

export class JumpSites {
  private firstSite: Site | undefined = undefined;
  private firstFlows: Flow[] | undefined = undefined;
  private firstHooks = 0;
  /** The other sites, each with its place in the three lists below (read in order from the lists, not the map). */
  private others: Map<Site, number> | undefined = undefined;
  private otherSites: Site[] | undefined = undefined;
  private otherFlows: Flow[][] | undefined = undefined;
  private otherHooks: number[] | undefined = undefined;
  /** How many of the flows sent in held some packet (those added with their hooks). */
  live = 0;

  /**
   * The flow a site sent in, after those it sent before; `hooks`, the bits of the hook it came in at
   * when some packet did (hover names a chain's sites per hook from them, without a lookup per site:
   * KUBE-MARK-MASQ has 60,000).
   */
  add(site: Site, f: Flow, hooks = 0): void {
    const flows = this.get(site);
    // At their own length up to two (a site met at two hooks): pushing onto a list of one makes room for 17.
    if (!flows) this.set(site, [f]);
    else if (flows.length === 1) this.set(site, [flows[0]!, f]);
    else flows.push(f);
    if (hooks === 0) return;
    this.live++;
    if (this.firstSite === site) this.firstHooks |= hooks;
    else this.otherHooks![this.others!.get(site)!]! |= hooks;
  }

  get(site: Site): Flow[] | undefined {
    if (this.firstFlows !== undefined && this.firstSite === site) return this.firstFlows;
    const k = this.others?.get(site);
    return k === undefined ? undefined : this.otherFlows![k];
  }

  /** Puts a site's flows (a new site goes last, a known one keeps its place and its hooks). */
  set(site: Site, flows: Flow[]): void {
    if (this.firstFlows === undefined || this.firstSite === site) {
      this.firstSite = site;
      this.firstFlows = flows;
      return;
    }
    const k = this.others?.get(site);
    if (k !== undefined) {
      this.otherFlows![k] = flows;
      return;
    }
    (this.others ??= new Map()).set(site, (this.otherFlows ??= []).length);
    this.otherFlows.push(flows);
    (this.otherHooks ??= []).push(0);
    (this.otherSites ??= []).push(site);
  }

  /** The hooks (as bits) at which a site sent packets in. */
  hooksOf(site: Site): number {
    if (this.firstFlows !== undefined && this.firstSite === site) return this.firstHooks;
    const k = this.others?.get(site);
    return k === undefined ? 0 : this.otherHooks![k]!;
  }

  /** Each site and its flows, in order, without a generator's step and pair per site (KUBE-MARK-MASQ has 60,000 sites). */
  forEach(fn: (site: Site, flows: Flow[], hooks: number) => void): void {
    if (this.firstFlows === undefined) return;
    fn(this.firstSite!, this.firstFlows, this.firstHooks);
    const sites = this.otherSites;
    if (!sites) return;
    const flows = this.otherFlows!;
    const hooks = this.otherHooks!;
    for (let k = 0; k < sites.length; k++) fn(sites[k]!, flows[k]!, hooks[k]!);
  }

  /**
   * The sites that sent packets in, grouped by the hooks (bits) they came in at, each group in the
   * order first met. Counted first and filled into lists made at their length (KUBE-MARK-MASQ has
   * 60,000 sites: pushing them one by one took ~10 ms).
   */
  byHooks(): Map<number, Site[]> {
    const out = new Map<number, Site[]>();
    if (this.firstFlows === undefined) return out;
    const sites = this.otherSites ?? [];
    const hooks = this.otherHooks ?? [];
    const sizes = new Map<number, number>();
    if (this.firstHooks) sizes.set(this.firstHooks, 1);
    for (let k = 0; k < hooks.length; k++) if (hooks[k]) sizes.set(hooks[k]!, (sizes.get(hooks[k]!) ?? 0) + 1);
    const filled = new Map<number, number>();
    for (const [bits, n] of sizes) {
      out.set(bits, new Array<Site>(n));
      filled.set(bits, 0);
    }
    // Sites of one group mostly come one after another: a group's list is looked up when the bits change.
    let bits = 0;
    let list: Site[] = [];
    let at = 0;
    const put = (site: Site, b: number): void => {
      if (b !== bits) {
        if (bits) filled.set(bits, at);
        bits = b;
        list = out.get(b)!;
        at = filled.get(b)!;
      }
      list[at++] = site;
    };
    if (this.firstHooks) put(this.firstSite!, this.firstHooks);
    for (let k = 0; k < hooks.length; k++) if (hooks[k]) put(sites[k]!, hooks[k]!);
    return out;
  }

  *entries(): Generator<[Site, Flow[]]> {
    if (this.firstFlows === undefined) return;
    yield [this.firstSite!, this.firstFlows];
    const sites = this.otherSites;
    if (sites) for (let k = 0; k < sites.length; k++) yield [sites[k]!, this.otherFlows![k]!];
  }

  *keys(): Generator<Site> {
    for (const [site] of this.entries()) yield site;
  }

  [Symbol.iterator](): Generator<[Site, Flow[]]> {
    return this.entries();
  }
}
