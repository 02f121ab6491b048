/**
 * The host description file (JSON; schema in server/schemas/host.schema.json):
 * interfaces, routes, sysctls, listeners and peers of the machine the rules
 * run on. Parsing never throws: every problem is a diagnostic with a range,
 * and whatever is usable is kept.
 */
import type { Diagnostic, Span } from '../../lang/diagnostic';
import { parseCidr4Strict, parseIpv4Strict } from '../../lang/iptables/inet';
import { parseJson, prop, type JsonNode } from '../../lang/json';
import { readDocker } from './docker';
import type { HostModel, Iface, IfaceKind, Listener, Peer, Route, Sysctls } from './model';

export interface HostFile {
  readonly host: HostModel;
  /** Rules file named in the description, relative to it. */
  readonly rules?: string;
  /** Docker daemon options file named in the description. */
  readonly daemon?: string;
  /** The raw JSON, for extensions of the format (Docker, overlay). */
  readonly json?: JsonNode;
}

const KINDS: readonly IfaceKind[] = ['loopback', 'ethernet', 'bridge', 'veth', 'vxlan', 'dummy', 'tun', 'other'];

export class Reader {
  readonly diagnostics: Diagnostic[] = [];

  err(span: Span, message: string, code = 'host-file'): void {
    this.diagnostics.push({ code, severity: 'error', message, span });
  }

  warn(span: Span, message: string, code = 'host-file'): void {
    this.diagnostics.push({ code, severity: 'warning', message, span });
  }

  str(node: JsonNode | undefined, what: string): string | undefined {
    if (!node) return undefined;
    if (node.kind !== 'string') {
      this.err(node.span, `${what} must be a string.`);
      return undefined;
    }
    return node.value;
  }

  num(node: JsonNode | undefined, what: string, min: number, max: number): number | undefined {
    if (!node) return undefined;
    if (node.kind !== 'number' || !Number.isInteger(node.value) || node.value < min || node.value > max) {
      this.err(node.span, `${what} must be an integer from ${min} to ${max}.`);
      return undefined;
    }
    return node.value;
  }

  bool(node: JsonNode | undefined, what: string): boolean | undefined {
    if (!node) return undefined;
    if (node.kind === 'boolean') return node.value;
    if (node.kind === 'number' && (node.value === 0 || node.value === 1)) return node.value === 1;
    this.err(node.span, `${what} must be true/false (or 1/0).`);
    return undefined;
  }

  addr(node: JsonNode | undefined, what: string): number | undefined {
    const s = this.str(node, what);
    if (s === undefined) return undefined;
    const a = parseIpv4Strict(s);
    if (a === undefined) this.err(node!.span, `${what}: "${s}" is not an IPv4 address (a.b.c.d).`);
    return a;
  }

  arr(node: JsonNode | undefined, what: string): JsonNode[] {
    if (!node) return [];
    if (node.kind !== 'array') {
      this.err(node.span, `${what} must be an array.`);
      return [];
    }
    return node.items;
  }

  obj(node: JsonNode, what: string): boolean {
    if (node.kind !== 'object') {
      this.err(node.span, `${what} must be an object.`);
      return false;
    }
    return true;
  }

  known(node: JsonNode, keys: readonly string[], what: string): void {
    if (node.kind !== 'object') return;
    for (const p of node.props) {
      if (!keys.includes(p.key) && p.key !== '$schema' && !p.key.startsWith('//')) {
        this.warn(p.keySpan, `Unknown property "${p.key}" in ${what} (expected one of: ${keys.join(', ')}).`);
      }
    }
  }
}

/** The keys each object of a host description may have (schemas/host.schema.json lists the same). */
export const HOST_KEYS = {
  host: ['$schema', 'name', 'rules', 'daemon', 'interfaces', 'routes', 'sysctl', 'listeners', 'peers', 'docker', 'containers', 'networks'],
  interface: ['name', 'kind', 'addresses', 'up', 'mtu', 'mac', 'master', 'hairpin', 'routeLocalnet', 'rpFilter', 'vxlan'],
  route: ['to', 'via', 'dev', 'src', 'metric', 'type'],
  listener: ['proto', 'address', 'port', 'program'],
  peer: ['name', 'address', 'via', 'port', 'kind', 'listens'],
  sysctl: ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.netfilter.nf_conntrack_tcp_loose'],
} as const;

function readInterface(r: Reader, n: JsonNode): Iface | undefined {
  if (!r.obj(n, 'An interface')) return undefined;
  r.known(n, HOST_KEYS.interface, 'an interface');
  const name = r.str(prop(n, 'name')?.value, 'Interface name');
  if (!name) {
    r.err(n.span, 'An interface needs a "name".');
    return undefined;
  }
  if (name.length > 15) r.err(prop(n, 'name')!.value.span, `Interface names are at most 15 characters ("${name}").`);
  const kindNode = prop(n, 'kind')?.value;
  let kind = r.str(kindNode, 'Interface kind') as IfaceKind | undefined;
  if (kind && !KINDS.includes(kind)) {
    r.err(kindNode!.span, `Unknown interface kind "${kind}" (expected ${KINDS.join(', ')}).`);
    kind = undefined;
  }
  const addrs = r.arr(prop(n, 'addresses')?.value, 'addresses').flatMap((a) => {
    const s = r.str(a, 'An address');
    if (s === undefined) return [];
    const c = parseCidr4Strict(s);
    if (!c || !s.includes('/')) {
      r.err(a.span, `"${s}" is not an IPv4 address with a prefix length (e.g. 10.0.0.1/24).`);
      return [];
    }
    return [{ addr: parseIpv4Strict(s.split('/')[0]!)!, prefix: c.prefix }];
  });
  const vx = prop(n, 'vxlan')?.value;
  const vxlan = vx && r.obj(vx, 'vxlan')
    ? (() => {
        const vni = r.num(prop(vx, 'vni')?.value, 'vxlan.vni', 0, 0xffffff) ?? 0;
        const port = r.num(prop(vx, 'port')?.value, 'vxlan.port', 1, 65535) ?? 4789;
        const local = r.addr(prop(vx, 'local')?.value, 'vxlan.local');
        return local === undefined ? { vni, port } : { vni, port, local };
      })()
    : undefined;
  const master = r.str(prop(n, 'master')?.value, 'master');
  const mac = r.str(prop(n, 'mac')?.value, 'mac');
  const hairpin = r.bool(prop(n, 'hairpin')?.value, 'hairpin');
  return {
    name,
    kind: kind ?? (name === 'lo' ? 'loopback' : /^(docker\d|br-|virbr|cni|docker_gwbridge)/.test(name) ? 'bridge' : /^veth/.test(name) ? 'veth' : 'ethernet'),
    up: r.bool(prop(n, 'up')?.value, 'up') ?? true,
    addrs,
    mtu: r.num(prop(n, 'mtu')?.value, 'mtu', 68, 65535) ?? (name === 'lo' ? 65536 : 1500),
    routeLocalnet: r.bool(prop(n, 'routeLocalnet')?.value, 'routeLocalnet') ?? false,
    rpFilter: (r.num(prop(n, 'rpFilter')?.value, 'rpFilter', 0, 2) ?? 0) as 0 | 1 | 2,
    ...(master ? { master } : {}),
    ...(hairpin ? { hairpin } : {}),
    ...(mac ? { mac } : {}),
    ...(vxlan ? { vxlan } : {}),
  };
}

function readRoute(r: Reader, n: JsonNode, ifaces: ReadonlyMap<string, Iface>): Route | undefined {
  if (!r.obj(n, 'A route')) return undefined;
  r.known(n, HOST_KEYS.route, 'a route');
  const to = r.str(prop(n, 'to')?.value, 'to') ?? 'default';
  const c = to === 'default' ? { addr: 0, prefix: 0 } : parseCidr4Strict(to);
  if (!c) {
    r.err(prop(n, 'to')!.value.span, `"${to}" is not "default" or an IPv4 network (e.g. 10.0.0.0/8).`);
    return undefined;
  }
  const via = r.addr(prop(n, 'via')?.value, 'via');
  let dev = r.str(prop(n, 'dev')?.value, 'dev');
  if (!dev && via !== undefined) {
    dev = [...ifaces.values()].find((i) => i.addrs.some((a) => ((a.addr ^ via) >>> 0) >>> (32 - a.prefix) === 0 || a.prefix === 0))?.name;
  }
  if (!dev) {
    r.err(n.span, 'A route needs a "dev", or a "via" inside a connected network.');
    return undefined;
  }
  if (!ifaces.has(dev)) r.warn(prop(n, 'dev')?.value.span ?? n.span, `Route through "${dev}", which is not among the interfaces.`);
  const src = r.addr(prop(n, 'src')?.value, 'src');
  const typeNode = prop(n, 'type')?.value;
  const type = r.str(typeNode, 'type') as Route['type'] | undefined;
  if (type && !['unicast', 'blackhole', 'unreachable', 'prohibit'].includes(type)) r.err(typeNode!.span, `Unknown route type "${type}".`);
  return {
    dst: c.addr,
    prefix: c.prefix,
    dev,
    metric: r.num(prop(n, 'metric')?.value, 'metric', 0, 0xffffffff) ?? 0,
    origin: c.prefix === 0 ? 'default' : 'static',
    ...(via !== undefined ? { via } : {}),
    ...(src !== undefined ? { src } : {}),
    ...(type ? { type } : {}),
  };
}

function readListener(r: Reader, n: JsonNode): Listener | undefined {
  if (!r.obj(n, 'A listener')) return undefined;
  r.known(n, HOST_KEYS.listener, 'a listener');
  const proto = r.str(prop(n, 'proto')?.value, 'proto') ?? 'tcp';
  if (proto !== 'tcp' && proto !== 'udp') r.err(prop(n, 'proto')!.value.span, 'proto must be "tcp" or "udp".');
  const port = r.num(prop(n, 'port')?.value, 'port', 1, 65535);
  if (port === undefined) {
    r.err(n.span, 'A listener needs a "port".');
    return undefined;
  }
  const program = r.str(prop(n, 'program')?.value, 'program');
  return { proto: proto === 'udp' ? 'udp' : 'tcp', addr: r.addr(prop(n, 'address')?.value, 'address') ?? 0, port, ...(program ? { program } : {}) };
}

function readPeer(r: Reader, n: JsonNode, ifaces: ReadonlyMap<string, Iface>): Peer | undefined {
  if (!r.obj(n, 'A peer')) return undefined;
  r.known(n, HOST_KEYS.peer, 'a peer');
  const name = r.str(prop(n, 'name')?.value, 'name');
  const addr = r.addr(prop(n, 'address')?.value, 'address');
  if (!name || addr === undefined) {
    r.err(n.span, 'A peer needs a "name" and an "address".');
    return undefined;
  }
  let via = r.str(prop(n, 'via')?.value, 'via');
  via ??= [...ifaces.values()].find((i) => i.addrs.some((a) => a.prefix > 0 && (((a.addr ^ addr) >>> 0) >>> (32 - a.prefix)) === 0))?.name;
  if (!via) {
    r.err(n.span, `Peer "${name}": no interface's network contains ${prop(n, 'address')?.value.kind === 'string' ? (prop(n, 'address')!.value as { value: string }).value : 'its address'}; say which interface leads to it with "via".`);
    return undefined;
  }
  const kindNode = prop(n, 'kind')?.value;
  const kind = (r.str(kindNode, 'kind') ?? (ifaces.get(via)?.kind === 'bridge' ? 'container' : 'external')) as Peer['kind'];
  const port = r.str(prop(n, 'port')?.value, 'port');
  const listens = prop(n, 'listens') ? r.arr(prop(n, 'listens')!.value, 'listens').flatMap((l) => readListener(r, l) ?? []) : undefined;
  return { name, addr, via, kind, ...(port ? { port } : {}), ...(listens ? { listens } : {}) };
}

/** Connected routes for every address (what the kernel adds with the address). */
export function connectedRoutes(ifaces: Iterable<Iface>): Route[] {
  const out: Route[] = [];
  for (const i of ifaces) {
    if (i.kind === 'loopback') continue;
    for (const a of i.addrs) {
      const m = a.prefix === 0 ? 0 : (0xffffffff << (32 - a.prefix)) >>> 0;
      out.push({ dst: (a.addr & m) >>> 0, prefix: a.prefix, dev: i.name, src: a.addr, metric: 0, origin: 'connected' });
    }
  }
  return out;
}

export function hostFromJson(json: JsonNode, r: Reader, fallbackName: string): HostFile {
  const assumed: string[] = [];
  if (!r.obj(json, 'The host description')) {
    return { host: { name: fallbackName, ifaces: new Map(), routes: [], sysctls: { ipForward: true, bridgeNfCallIptables: true, tcpLoose: true }, listeners: [], peers: [], assumed } };
  }
  r.known(json, HOST_KEYS.host, 'the host description');
  const name = r.str(prop(json, 'name')?.value, 'name') ?? fallbackName;
  const ifaces = new Map<string, Iface>();
  for (const n of r.arr(prop(json, 'interfaces')?.value, 'interfaces')) {
    const i = readInterface(r, n);
    if (!i) continue;
    if (ifaces.has(i.name)) r.err(n.span, `Interface "${i.name}" is described twice.`);
    ifaces.set(i.name, i);
  }
  if (!ifaces.has('lo')) {
    ifaces.set('lo', { name: 'lo', kind: 'loopback', up: true, addrs: [{ addr: 0x7f000001, prefix: 8 }], mtu: 65536, routeLocalnet: false, rpFilter: 0 });
  }
  for (const i of ifaces.values()) {
    if (i.master && !ifaces.has(i.master)) r.warn(json.span, `Interface "${i.name}" is a port of "${i.master}", which is not described.`);
  }
  const routes = [...connectedRoutes(ifaces.values())];
  for (const n of r.arr(prop(json, 'routes')?.value, 'routes')) {
    const rt = readRoute(r, n, ifaces);
    if (rt) routes.push(rt);
  }
  const sys = prop(json, 'sysctl')?.value;
  const sysctl = (key: string): boolean | undefined => r.bool(prop(sys, key)?.value, key);
  if (sys && r.obj(sys, 'sysctl')) r.known(sys, HOST_KEYS.sysctl, 'sysctl');
  const ipForward = sysctl('net.ipv4.ip_forward');
  const brnf = sysctl('net.bridge.bridge-nf-call-iptables');
  if (ipForward === undefined) assumed.push('net.ipv4.ip_forward = 1 (not described)');
  if (brnf === undefined) assumed.push('net.bridge.bridge-nf-call-iptables = 1 (not described)');
  const sysctls: Sysctls = { ipForward: ipForward ?? true, bridgeNfCallIptables: brnf ?? true, tcpLoose: sysctl('net.netfilter.nf_conntrack_tcp_loose') ?? true };
  const listeners: Listener[] = r.arr(prop(json, 'listeners')?.value, 'listeners').flatMap((n) => readListener(r, n) ?? []);
  const peers = r.arr(prop(json, 'peers')?.value, 'peers').flatMap((n) => readPeer(r, n, ifaces) ?? []);
  const docker = readDocker(r, prop(json, 'docker')?.value, peers);
  if (docker) listeners.push(...docker.listeners);
  const rules = r.str(prop(json, 'rules')?.value, 'rules');
  const daemon = r.str(prop(json, 'daemon')?.value, 'daemon');
  return {
    host: { name, ifaces, routes, sysctls, listeners, peers, assumed, ...(docker ? { userlandProxy: docker.userlandProxy } : {}) },
    json,
    ...(rules ? { rules } : {}),
    ...(daemon ? { daemon } : {}),
  };
}

export function parseHostFile(text: string, fallbackName = 'host'): { value: HostFile | undefined; diagnostics: Diagnostic[] } {
  const parsed = parseJson(text);
  const r = new Reader();
  r.diagnostics.push(...parsed.diagnostics);
  if (!parsed.value) return { value: undefined, diagnostics: r.diagnostics };
  const value = hostFromJson(parsed.value, r, fallbackName);
  return { value, diagnostics: r.diagnostics };
}
