/**
 * A trace's source or destination as a person writes it: an address, or
 * the name of a peer (container, external host) or of the host itself from
 * the host description, with an optional port ("web:80").
 */
import type { HostModel, Peer } from '../emulator/host/model';
import { parseIpv4Strict } from '../lang/iptables/inet';

export interface Endpoint {
  readonly addr: number;
  readonly port?: number;
  /** Named by a host description: a peer, or the host itself. */
  readonly peer?: Peer;
  readonly isHost?: boolean;
}

export interface EndpointWords {
  /** How the answer is named in messages: "--src", "Source". */
  readonly label: string;
  /** Said after a name that is not an address when no host is known: " (names need --host)". */
  readonly withoutHost: string;
}

/** The host's own address a name for it stands for: its first non-loopback address. */
export function ownAddress(host: HostModel): number | undefined {
  return [...host.ifaces.values()].find((i) => i.kind !== 'loopback' && i.addrs.length)?.addrs[0]?.addr;
}

/** IP[:PORT], or NAME[:PORT] naming a peer or the host. A string is the reason it is not one. */
export function resolveEndpoint(text: string | undefined, words: EndpointWords, host?: HostModel): Endpoint | string {
  if (!text) return `${words.label} is required (IP, IP:PORT, or a name from the host description)`;
  const [a, p, ...rest] = text.trim().split(':');
  let addr = parseIpv4Strict(a ?? '');
  let named: Pick<Endpoint, 'peer' | 'isHost'> = {};
  if (addr === undefined && host && a) {
    const peer = host.peers.find((q) => q.name === a);
    const own = a === host.name ? ownAddress(host) : undefined;
    if (peer) {
      addr = peer.addr;
      named = { peer };
    } else if (own !== undefined) {
      addr = own;
      named = { isHost: true };
    }
  }
  if (addr === undefined || rest.length) {
    return `${words.label} "${text}" is not IP or IP:PORT${host ? `, nor a peer of ${host.name} (${host.peers.map((q) => q.name).join(', ') || 'none described'})` : words.withoutHost}`;
  }
  if (p === undefined) return { addr, ...named };
  const port = /^\d+$/.test(p) ? Number(p) : NaN;
  if (!(port >= 0 && port <= 65535)) return `${words.label} "${text}": bad port`;
  return { addr, port, ...named };
}
