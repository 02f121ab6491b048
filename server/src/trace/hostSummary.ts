/**
 * A host model in words for the editor: its interfaces and addresses, the
 * peers around it, local listeners and Docker's published ports. What the
 * Trace Packet input suggests and the trace panel shows.
 */
import type { HostModel } from '../emulator/host/model';
import { ip4 } from '../emulator/packet';

export interface HostSummary {
  readonly name: string;
  readonly assumed: readonly string[];
  readonly ifaces: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly addresses: readonly string[]; readonly master?: string }>;
  readonly peers: ReadonlyArray<{
    readonly name: string;
    readonly address: string;
    readonly kind: string;
    readonly via: string;
    /** Services it answers on (absent: everything). */
    readonly listens?: ReadonlyArray<{ readonly proto: string; readonly port: number }>;
  }>;
  readonly listeners: ReadonlyArray<{ readonly proto: string; readonly address: string; readonly port: number; readonly program?: string }>;
  readonly published: ReadonlyArray<{ readonly proto: string; readonly hostIp: string; readonly hostPort: number; readonly container?: string; readonly containerAddress: string; readonly containerPort: number }>;
  /** The interface the default route leaves by. */
  readonly uplink?: string;
}

export function summarizeHost(h: HostModel): HostSummary {
  const peerAt = (addr: number): string | undefined => h.peers.find((p) => p.addr === addr)?.name;
  const uplink = h.routes.find((r) => r.prefix === 0 && (r.type ?? 'unicast') === 'unicast')?.dev;
  return {
    name: h.name,
    assumed: h.assumed,
    ifaces: [...h.ifaces.values()].map((i) => ({ name: i.name, kind: i.kind, addresses: i.addrs.map((a) => `${ip4(a.addr)}/${a.prefix}`), ...(i.master ? { master: i.master } : {}) })),
    peers: h.peers.map((p) => ({
      name: p.name, address: ip4(p.addr), kind: p.kind, via: p.via,
      ...(p.listens ? { listens: p.listens.map((l) => ({ proto: l.proto, port: l.port })) } : {}),
    })),
    listeners: h.listeners.map((l) => ({ proto: l.proto, address: ip4(l.addr), port: l.port, ...(l.program ? { program: l.program } : {}) })),
    published: h.listeners.flatMap((l) => {
      if (!l.publishes) return [];
      const container = peerAt(l.publishes.addr);
      return [{ proto: l.proto, hostIp: ip4(l.addr), hostPort: l.port, ...(container ? { container } : {}), containerAddress: ip4(l.publishes.addr), containerPort: l.publishes.port }];
    }),
    ...(uplink ? { uplink } : {}),
  };
}
