/**
 * What each step of Trace Packet… offers, from the host the server
 * describes (netfilterLens/hostInfo): who can send (this host, its peers
 * and containers, overlay containers), where to (its addresses, published
 * ports, listeners, peers), which port, which interface. Pure.
 */
import type { HostInfo } from '../../../server/src/protocol';
import { hasPorts, type SourceAnswer, type TraceProto } from './traceAnswers';

export interface Suggestion<T> {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
  readonly value: T;
}

export interface Destination {
  readonly dst: string;
  readonly dport?: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

export function protocolItems(): Suggestion<TraceProto>[] {
  return [
    { label: 'tcp', description: 'handshake, data and close', value: 'tcp' },
    { label: 'udp', description: 'a request and its response', value: 'udp' },
    { label: 'icmp', description: 'an echo request (ping) and its reply', value: 'icmp' },
  ];
}

function ownAddresses(info: HostInfo): Array<{ iface: string; address: string }> {
  return info.ifaces.filter((i) => i.kind !== 'loopback').flatMap((i) => i.addresses.map((a) => ({ iface: i.name, address: a.split('/')[0]! })));
}

export function sourceItems(info: HostInfo | undefined): Suggestion<SourceAnswer>[] {
  const items: Suggestion<SourceAnswer>[] = [];
  const own = info ? ownAddresses(info).map((a) => a.address) : [];
  items.push({ label: `$(vm) ${info?.name ?? 'This host'}`, description: 'this host: a local process sends it', ...(own.length ? { detail: own.join(', ') } : {}), value: { kind: 'host' } });
  for (const p of info?.peers ?? []) {
    items.push({ label: `$(${p.kind === 'container' ? 'package' : 'globe'}) ${p.name}`, description: p.address, detail: `${p.kind} reached through ${p.via}`, value: { kind: 'peer', name: p.name } });
  }
  const peers = new Set((info?.peers ?? []).map((p) => p.name));
  for (const c of info?.overlay?.containers ?? []) {
    if (peers.has(c.name)) continue;
    items.push({ label: `$(package) ${c.name}`, description: c.address, detail: `overlay container on ${c.network}, host ${c.host}`, value: { kind: 'peer', name: c.name } });
  }
  return items;
}

export function destinationItems(info: HostInfo | undefined, proto: TraceProto, source: SourceAnswer): Suggestion<Destination>[] {
  if (!info) return [];
  const items: Suggestion<Destination>[] = [];
  const ports = hasPorts(proto);
  const overlaySource = source.kind === 'peer' && info.overlay?.containers.some((c) => c.name === source.name);
  if (overlaySource) {
    const from = info.overlay!.containers.find((c) => source.kind === 'peer' && c.name === source.name)!;
    for (const c of info.overlay!.containers) if (c.name !== from.name) items.push({ label: `$(package) ${c.name}`, description: c.address, detail: `overlay container on ${c.network}, host ${c.host}${c.network === from.network ? '' : ' (another network)'}`, value: { dst: c.name } });
    for (const h of info.overlay!.hosts) items.push({ label: `$(vm) ${h.name}`, description: h.address, detail: 'a host of the workspace (by docker_gwbridge)', value: { dst: h.name } });
    return items;
  }
  for (const p of ports ? info.published.filter((x) => x.proto === proto) : []) {
    items.push({ label: `$(plug) ${info.name}:${p.hostPort}`, description: `published → ${p.container ?? p.containerAddress}:${p.containerPort}`, value: { dst: info.name, dport: p.hostPort } });
  }
  for (const l of ports ? info.listeners.filter((x) => x.proto === proto && !info.published.some((p) => p.proto === x.proto && p.hostPort === x.port)) : []) {
    items.push({ label: `$(plug) ${info.name}:${l.port}`, description: l.program ?? 'a local listener', value: { dst: info.name, dport: l.port } });
  }
  for (const a of ownAddresses(info)) items.push({ label: `$(vm) ${a.address}`, description: `${info.name} (${a.iface})`, value: { dst: a.address } });
  for (const p of info.peers) {
    if (source.kind === 'peer' && source.name === p.name) continue;
    const listens = ports ? (p.listens ?? []).filter((l) => l.proto === proto) : [];
    if (listens.length) for (const l of listens) items.push({ label: `$(package) ${p.name}:${l.port}`, description: `${p.address} (${p.kind})`, value: { dst: p.name, dport: l.port } });
    else items.push({ label: `$(${p.kind === 'container' ? 'package' : 'globe'}) ${p.name}`, description: `${p.address} (${p.kind})`, value: { dst: p.name } });
  }
  return items;
}

const COMMON_PORTS: Readonly<Record<'tcp' | 'udp', ReadonlyArray<readonly [number, string]>>> = {
  tcp: [[22, 'ssh'], [80, 'http'], [443, 'https']],
  udp: [[53, 'dns'], [123, 'ntp']],
};

export function portItems(info: HostInfo | undefined, proto: TraceProto, dst: string): Suggestion<number>[] {
  if (!hasPorts(proto)) return [];
  const p = proto as 'tcp' | 'udp';
  const items: Suggestion<number>[] = [];
  const add = (port: number, description: string): void => {
    if (!items.some((i) => i.value === port)) items.push({ label: String(port), description, value: port });
  };
  const peer = info?.peers.find((x) => x.name === dst || x.address === dst);
  if (peer) for (const l of peer.listens ?? []) if (l.proto === p) add(l.port, `${peer.name} listens`);
  const toHost = !!info && (dst === info.name || ownAddresses(info).some((a) => a.address === dst));
  if (toHost) {
    for (const x of info!.published) if (x.proto === p) add(x.hostPort, `published → ${x.container ?? x.containerAddress}:${x.containerPort}`);
    for (const l of info!.listeners) if (l.proto === p) add(l.port, l.program ?? 'a local listener');
  }
  for (const [port, name] of COMMON_PORTS[p]) add(port, name);
  return items;
}

export function ifaceItems(info: HostInfo | undefined): Suggestion<string>[] {
  const ifaces = (info?.ifaces ?? []).filter((i) => i.kind !== 'loopback' && !i.master);
  const ordered = [...ifaces.filter((i) => i.name === info?.uplink), ...ifaces.filter((i) => i.name !== info?.uplink)];
  return ordered.map((i) => ({
    label: i.name,
    description: [i.kind, ...i.addresses].join(' · '),
    ...(i.name === info?.uplink ? { detail: 'the default route leaves here: where packets from outside usually arrive' } : {}),
    value: i.name,
  }));
}

/** A destination typed by hand: ADDRESS or NAME, with an optional ":PORT". A string is why it is not one. */
export function typedDestination(text: string, info: HostInfo | undefined): Destination | string {
  const [name, port, ...rest] = text.trim().split(':');
  if (!name || rest.length) return 'an address or a name, optionally with :PORT';
  const known = !!info && (name === info.name || info.peers.some((p) => p.name === name) || !!info.overlay?.containers.some((c) => c.name === name) || !!info.overlay?.hosts.some((h) => h.name === name));
  if (!isIpv4(name) && !known) return `"${name}" is neither an IPv4 address nor a name of ${info?.name ?? 'the host'}`;
  if (port === undefined) return { dst: name };
  const n = /^\d+$/.test(port) ? Number(port) : NaN;
  return n >= 0 && n <= 65535 ? { dst: name, dport: n } : `bad port "${port}"`;
}
