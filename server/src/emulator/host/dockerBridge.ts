/**
 * Putting Docker's pieces into a host model being built: a bridge with its
 * gateway address and connected route, and a container as a peer behind its
 * own port of that bridge (so traffic between containers crosses the bridge
 * as frames do). What the host already has is kept.
 */
import type { Iface, Peer, Route } from './model';

export interface BridgeNet {
  readonly bridge: string;
  /** The bridge's own address (the containers' gateway). */
  readonly gateway: number;
  readonly prefix: number;
}

/** The network address of `addr` with `prefix` bits. */
export const netOf = (addr: number, prefix: number): number => (prefix === 0 ? 0 : (addr & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0);

/** Adds the bridge and its connected route unless the host has them. */
export function ensureBridge(ifaces: Map<string, Iface>, routes: Route[], net: BridgeNet): void {
  if (!ifaces.has(net.bridge)) {
    ifaces.set(net.bridge, { name: net.bridge, kind: 'bridge', up: true, addrs: [{ addr: net.gateway, prefix: net.prefix }], mtu: 1500, routeLocalnet: false, rpFilter: 0 });
  }
  if (routes.some((r) => r.dev === net.bridge && r.origin === 'connected')) return;
  routes.push({ dst: netOf(net.gateway, net.prefix), prefix: net.prefix, dev: net.bridge, src: net.gateway, metric: 0, origin: 'connected' });
}

/** The bridge of the host whose network holds `addr`. */
export function bridgeHolding(ifaces: ReadonlyMap<string, Iface>, addr: number): string | undefined {
  return [...ifaces.values()].find((i) => i.kind === 'bridge' && i.addrs.some((a) => a.prefix > 0 && netOf(a.addr, a.prefix) === netOf(addr, a.prefix)))?.name;
}

/**
 * Adds a container behind `bridge`, unless a described peer already has its
 * address there; a peer only inferred from the rules is replaced. Returns
 * whether it was added.
 */
export function attachContainer(ifaces: Map<string, Iface>, peers: Peer[], c: { readonly name: string; readonly addr: number; readonly bridge: string }): boolean {
  if (peers.some((p) => p.addr === c.addr && p.via === c.bridge && !p.inferred)) return false;
  const guessed = peers.findIndex((p) => p.addr === c.addr && p.inferred);
  if (guessed >= 0) peers.splice(guessed, 1);
  const port = freePort(ifaces, peers, c.name, c.bridge);
  if (!ifaces.has(port)) ifaces.set(port, { name: port, kind: 'veth', up: true, addrs: [], mtu: 1500, routeLocalnet: false, rpFilter: 0, master: c.bridge });
  peers.push({ name: c.name, addr: c.addr, via: c.bridge, port, kind: 'container' });
  return true;
}

/** veth-NAME (15 characters at most, as the kernel allows): a described, unused port of the bridge by that name, or a new one. */
function freePort(ifaces: ReadonlyMap<string, Iface>, peers: readonly Peer[], name: string, bridge: string): string {
  const free = (n: string): boolean => {
    const i = ifaces.get(n);
    return !i || (i.master === bridge && !peers.some((p) => p.port === n));
  };
  const base = `veth-${name}`.slice(0, 15);
  if (free(base)) return base;
  for (let k = 2; ; k++) {
    const n = `${base.slice(0, 14 - String(k).length)}-${k}`;
    if (free(n)) return n;
  }
}
