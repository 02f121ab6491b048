/**
 * Route lookups and address types, as the kernel's FIB answers them
 * (net/ipv4/fib_frontend.c, route.c): the local table (every host address,
 * all of 127/8, directed broadcasts), then the main table by longest prefix.
 */
import type { AddrTypeName, HostView } from '../context';
import type { HostModel, Iface, Route } from './model';
import { ip4 } from '../packet';

const LOOPBACK_NET = 0x7f000000;

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function inNet(addr: number, net: number, prefix: number): boolean {
  const m = maskOf(prefix);
  return ((addr & m) >>> 0) === ((net & m) >>> 0);
}

export interface LocalEntry {
  readonly type: 'LOCAL' | 'BROADCAST';
  readonly dev: string;
}

/** The local routing table: what `ip route show table local` lists. */
export function localTable(host: HostModel): Map<number, LocalEntry> {
  const t = new Map<number, LocalEntry>();
  for (const i of host.ifaces.values()) {
    for (const a of i.addrs) {
      t.set(a.addr >>> 0, { type: 'LOCAL', dev: i.name });
      if (a.prefix < 31) {
        const bcast = (a.addr | ~maskOf(a.prefix)) >>> 0;
        if (!t.has(bcast)) t.set(bcast, { type: 'BROADCAST', dev: i.name });
      }
    }
  }
  return t;
}

export interface RouteResult {
  readonly kind: 'local' | 'broadcast' | 'unicast' | 'unreachable' | 'blackhole' | 'prohibit';
  readonly dev?: string;
  readonly via?: number;
  /** The source address a locally generated packet gets. */
  readonly src?: number;
  readonly route?: Route;
}

export class Router implements HostView {
  private readonly local: Map<number, LocalEntry>;
  /** Main-table routes, longest prefix first, then lowest metric. */
  private readonly main: Route[];

  constructor(readonly host: HostModel) {
    this.local = localTable(host);
    this.main = [...host.routes].sort((a, b) => b.prefix - a.prefix || a.metric - b.metric);
  }

  iface(name: string): Iface | undefined {
    return this.host.ifaces.get(name);
  }

  isLocal(addr: number): boolean {
    return (addr >>> 24) === 127 || this.local.get(addr >>> 0)?.type === 'LOCAL';
  }

  /** Whether an interface of the host has this very address (inet_lookup_ifaddr_rcu: 127.0.0.1, not the rest of 127/8). */
  isOwnAddress(addr: number): boolean {
    const a = addr >>> 0;
    for (const i of this.host.ifaces.values()) for (const x of i.addrs) if (x.addr >>> 0 === a) return true;
    return false;
  }

  /** __inet_dev_addr_type(): zeronet and limited broadcast, multicast, then the local table. */
  addrType(addr: number, dev?: string): AddrTypeName {
    const a = addr >>> 0;
    if ((a >>> 24) === 0 || a === 0xffffffff) return 'BROADCAST';
    if ((a >>> 28) === 0xe) return 'MULTICAST';
    if ((a >>> 24) === 127) return !dev || dev === 'lo' ? 'LOCAL' : 'UNICAST';
    const e = this.local.get(a);
    if (e && (!dev || e.dev === dev)) return e.type;
    return 'UNICAST';
  }

  /** Main-table lookup (no local table): the route a forwarded packet takes. */
  lookupMain(dst: number, oif?: string): Route | undefined {
    return this.main.find((r) => inNet(dst, r.dst, r.prefix) && (!oif || r.dev === oif));
  }

  /**
   * inet_select_addr(): a primary address of `dev`, preferring one in the
   * same subnet as `towards` (the next hop or destination).
   */
  primaryAddr(dev: string, towards?: number): number | undefined {
    const i = this.host.ifaces.get(dev);
    if (!i || i.addrs.length === 0) return undefined;
    if (i.kind === 'loopback') {
      // inet_select_addr(): lo's addresses are host-scope, so the kernel takes the first
      // universe-scope address of the namespace's devices (description order = ifindex order).
      for (const other of this.host.ifaces.values()) if (other.kind !== 'loopback' && other.addrs.length) return other.addrs[0]!.addr;
    }
    if (towards !== undefined) {
      const same = i.addrs.find((a) => inNet(towards, a.addr, a.prefix));
      if (same) return same.addr;
    }
    return i.addrs[0]!.addr;
  }

  /** The route for a packet arriving on `iif` (after PREROUTING). */
  input(dst: number, iif: string): RouteResult {
    const d = dst >>> 0;
    if ((d >>> 24) === 127) {
      if (iif === 'lo' || this.host.ifaces.get(iif)?.routeLocalnet) return { kind: 'local', dev: 'lo' };
      return { kind: 'unreachable' }; // martian destination
    }
    if (d === 0xffffffff) return { kind: 'broadcast', dev: iif };
    const e = this.local.get(d);
    if (e) return { kind: e.type === 'LOCAL' ? 'local' : 'broadcast', dev: e.dev };
    return this.unicast(d);
  }

  /** The route for a locally generated packet: device and source address. */
  output(dst: number, oif?: string): RouteResult {
    const d = dst >>> 0;
    if ((d >>> 24) === 127) return { kind: 'local', dev: 'lo', src: d === LOOPBACK_NET ? 0x7f000001 : 0x7f000001 };
    const e = this.local.get(d);
    if (e?.type === 'LOCAL') return { kind: 'local', dev: 'lo', src: d };
    const r = this.unicast(d, oif);
    if (r.kind !== 'unicast') return r;
    const src = r.route?.src ?? this.primaryAddr(r.dev!, r.via ?? d);
    return src === undefined ? r : { ...r, src };
  }

  private unicast(d: number, oif?: string): RouteResult {
    const r = this.lookupMain(d, oif);
    if (!r) return { kind: 'unreachable' };
    if (r.type && r.type !== 'unicast') return { kind: r.type, route: r };
    return r.via !== undefined ? { kind: 'unicast', dev: r.dev, via: r.via, route: r } : { kind: 'unicast', dev: r.dev, route: r };
  }
}

/**
 * What makes an arriving packet a martian for ip_route_input_slow, but a loopback destination (the
 * router's: it has no route for one): a multicast or broadcast source, the source 0.0.0.0 (but to
 * 255.255.255.255: DHCP), the destination 0.0.0.0, a loopback source on an interface without
 * route_localnet (lo counts as with: its packets never see this check) but to 255.255.255.255, which
 * is routed before that test, and a source that is one of the host's own addresses (`ownSource`:
 * fib_validate_source refuses it with accept_local 0, to 255.255.255.255 too; never said of lo).
 * Undefined when it is none (test/kernel/martians.kernel.test.ts sends each; on lo a local process
 * cannot send the others).
 */
export function martianAddress(src: number, dst: number, routeLocalnet: boolean, ownSource = false): string | undefined {
  const s = src >>> 0;
  const d = dst >>> 0;
  if (s >>> 28 === 0xe || s === 0xffffffff) return `${ip4(s)} is a multicast or broadcast source`;
  const own = ownSource ? `${ip4(s)} is an address of this host (accept_local is 0)` : undefined;
  if (d === 0xffffffff || (s === 0 && d === 0)) return own;
  if (s === 0) return 'the source 0.0.0.0 (only a DHCP request to 255.255.255.255 may have it)';
  if (d === 0) return 'the destination 0.0.0.0';
  if (s >>> 24 === 127 && d >>> 24 !== 127 && !routeLocalnet) return `${ip4(s)} is a loopback source (route_localnet is 0)`;
  return own;
}
