/**
 * `nflens trace`: one conversation through the rules, as a story (text) or
 * as the event stream (JSON, 1-based source lines, dotted addresses).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Emulator, inferHost, parseHostFile, renderStory, type TraceEvent } from '../emulator/index';
import type { Origin } from '../emulator/conversation';
import type { HostModel, Peer } from '../emulator/host/model';
import type { InferHints } from '../emulator/host/infer';
import { parseDockerInspect, withDockerInspect, type DockerNetwork } from '../emulator/host/dockerInspect';
import type { DockerContainer } from '../emulator/host/containerInspect';
import { parseWorkspace } from '../emulator/overlay/workspace';
import { OverlayWorld } from '../emulator/overlay/world';
import type { Ruleset } from '../lang/iptables/ruleset';
import { ip4, type Packet } from '../emulator/packet';
import { analyzeIptables } from '../lang/iptables/analyze';
import type { Backend } from '../lang/iptables/extension';
import { parseIpv4Strict } from '../lang/iptables/inet';

export interface TraceArgs {
  readonly rules: string;
  readonly flags: ReadonlyMap<string, string>;
}

interface Endpoint {
  readonly addr: number;
  readonly port?: number;
  /** Named by a host description: a peer, or the host itself. */
  readonly peer?: Peer;
  readonly isHost?: boolean;
}

/** IP[:PORT], or NAME[:PORT] naming a peer (container, external host) or the host of the description. */
function endpoint(text: string | undefined, what: string, host?: HostModel): Endpoint | string {
  if (!text) return `--${what} is required (IP, IP:PORT, or a name from the host description)`;
  const [a, p] = text.split(':');
  let addr = parseIpv4Strict(a ?? '');
  let named: Pick<Endpoint, 'peer' | 'isHost'> = {};
  if (addr === undefined && host && a) {
    const peer = host.peers.find((q) => q.name === a);
    const own = a === host.name ? [...host.ifaces.values()].find((i) => i.kind !== 'loopback' && i.addrs.length)?.addrs[0]?.addr : undefined;
    if (peer) {
      addr = peer.addr;
      named = { peer };
    } else if (own !== undefined) {
      addr = own;
      named = { isHost: true };
    }
  }
  if (addr === undefined) return `--${what} "${text}" is not IP or IP:PORT${host ? `, nor a peer of ${host.name} (${host.peers.map((q) => q.name).join(', ') || 'none described'})` : ' (names need --host)'}`;
  if (p === undefined) return { addr, ...named };
  if (p === undefined) return { addr };
  const port = /^\d+$/.test(p) ? Number(p) : NaN;
  if (!(port >= 0 && port <= 65535)) return `--${what} "${text}": bad port`;
  return { addr, port, ...named };
}

function jsonPacket(p: Packet): Record<string, unknown> {
  return {
    src: ip4(p.src), dst: ip4(p.dst), proto: p.proto, sport: p.sport, dport: p.dport,
    ...(p.proto === 6 ? { tcpFlags: p.tcpFlags } : {}),
    ...(p.proto === 1 ? { icmpType: p.icmpType, icmpCode: p.icmpCode } : {}),
    mark: p.mark, iif: p.iif, oif: p.oif,
  };
}

/** The event stream for JSON: 1-based lines, readable addresses. */
export function toJsonEvent(e: TraceEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'rule' && v && typeof v === 'object' && 'line' in v) out[k] = { ...(v as object), line: (v as { line: number }).line + 1 };
    else if ((k === 'packet' || k === 'before' || k === 'after') && v) out[k] = jsonPacket(v as Packet);
    else if ((k === 'orig' || k === 'reply') && v) {
      const t = v as { src: number; dst: number; sport: number; dport: number; proto: number };
      out[k] = { src: ip4(t.src), dst: ip4(t.dst), sport: t.sport, dport: t.dport, proto: t.proto };
    } else if ((k === 'via' || k === 'src') && typeof v === 'number') out[k] = ip4(v);
    else if (k === 'from' && v && typeof v === 'object' && 'line' in v) out[k] = { ...(v as object), line: (v as { line: number }).line + 1 };
    else out[k] = v;
  }
  return out;
}

/** What the command line tells about an undescribed host: the interface the first packet arrives on, addressed to the host. */
function inferHints(f: ReadonlyMap<string, string>): InferHints {
  const iface = f.get('in');
  const dst = parseIpv4Strict((f.get('dst') ?? '').split(':')[0] ?? '');
  return { ifaces: iface ? [iface] : [], ...(iface && !f.has('local') && dst !== undefined ? { localAddr: { addr: dst, iface } } : {}) };
}

export function runTrace(args: TraceArgs, write: (s: string) => void, warn: (s: string) => void): number {
  const f = args.flags;
  const text = readFileSync(args.rules, 'utf8');
  const backend = (f.get('backend') ?? 'nft') as Backend;
  const analysis = analyzeIptables(text, { backend, family: 'ipv4' });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  for (const e of errors.slice(0, 5)) warn(`${args.rules}:${e.span.start.line + 1}: error: ${e.message}\n`);
  if (errors.length) warn(`nflens: ${args.rules} has load errors; tables with errors are left out of the trace.\n`);
  const proto = f.get('proto') ?? 'tcp';
  if (!['tcp', 'udp', 'icmp'].includes(proto)) throw new Error('--proto must be tcp, udp or icmp');
  let described: HostModel | undefined;
  const hostFile = f.get('host');
  if (hostFile) {
    const parsed = parseHostFile(readFileSync(hostFile, 'utf8'), 'host');
    for (const d of parsed.diagnostics) warn(`${hostFile}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity}: ${d.message}\n`);
    if (!parsed.value) throw new Error(`cannot use ${hostFile}`);
    described = parsed.value.host;
    if (parsed.value.rules && resolve(dirname(hostFile), parsed.value.rules) !== resolve(args.rules)) {
      warn(`nflens: note: ${hostFile} names rules file ${parsed.value.rules}; tracing ${args.rules}\n`);
    }
  }
  // Networks, containers and published ports from saved `docker network inspect` / `docker inspect` output;
  // read together, so a container finds its network's bridge in another file.
  const inspectFiles = (f.get('docker-inspect') ?? '').split(',').filter(Boolean);
  if (inspectFiles.length) {
    const networks: DockerNetwork[] = [];
    const containers: DockerContainer[] = [];
    for (const file of inspectFiles) {
      const r = parseDockerInspect(readFileSync(file, 'utf8'));
      for (const d of r.diagnostics) warn(`${file}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity}: ${d.message}\n`);
      networks.push(...r.value.networks);
      containers.push(...r.value.containers);
    }
    described = withDockerInspect(described ?? inferHost(analysis.parsed.ruleset, inferHints(f)), { networks, containers });
  }
  const src = endpoint(f.get('src'), 'src', described);
  const dst = endpoint(f.get('dst'), 'dst', described);
  if (typeof src === 'string') throw new Error(src);
  if (typeof dst === 'string') throw new Error(dst);
  // A peer named as the source sends from where it is; the host named as the source is a local process.
  const local = f.has('local') || !!src.isHost;
  const iface = f.get('in') ?? src.peer?.via;
  if (!local && !iface) throw new Error('say where the first packet comes from: --in IFACE or --local (or name a peer of the host description as --src)');
  const host: HostModel = described ?? inferHost(analysis.parsed.ruleset, inferHints(f));
  let origin: Origin;
  if (local) origin = { kind: 'local' };
  else {
    const peer = src.peer ?? host.peers.find((p) => p.addr === src.addr);
    origin = peer && (peer.via === iface || peer.port === iface) ? { kind: 'peer', peer } : { kind: 'iface', iface: iface! };
  }
  const assume = f.get('assume') === 'no-match' ? 'no-match' : 'match';
  const emu = new Emulator(analysis.parsed.ruleset, host, { seed: Number(f.get('seed') ?? 1), assume });
  const r = emu.trace({
    proto: proto as 'tcp' | 'udp' | 'icmp',
    src: src.addr,
    dst: dst.addr,
    origin,
    ...(src.port !== undefined ? { sport: src.port } : {}),
    ...(dst.port !== undefined ? { dport: dst.port } : {}),
  });
  if ((f.get('format') ?? 'text') === 'json') {
    write(`${JSON.stringify({ completed: r.completed, summary: r.summary, events: r.events.map(toJsonEvent) }, null, 2)}\n`);
  } else {
    const lines = text.split('\n');
    write(`${renderStory(r.events, { lineText: (l) => lines[l], verbose: f.has('verbose') })}\n`);
  }
  return r.completed ? 0 : 3;
}

/** `nflens trace --workspace FILE`: containers on overlay networks across the hosts a workspace describes. */
export function runWorkspaceTrace(flags: ReadonlyMap<string, string>, write: (s: string) => void, warn: (s: string) => void): number {
  const file = flags.get('workspace')!;
  const ws = parseWorkspace(readFileSync(file, 'utf8'));
  for (const d of ws.diagnostics) warn(`${file}:${d.span.start.line + 1}:${d.span.start.col + 1}: ${d.severity}: ${d.message}\n`);
  const backend = (flags.get('backend') ?? 'nft') as Backend;
  const rules = new Map<string, Ruleset>();
  for (const h of ws.value.hosts) {
    if (!h.rules) continue;
    const path = resolve(dirname(file), h.rules);
    const analysis = analyzeIptables(readFileSync(path, 'utf8'), { backend, family: 'ipv4' });
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    for (const e of errors.slice(0, 5)) warn(`${path}:${e.span.start.line + 1}: error: ${e.message}\n`);
    rules.set(h.name, analysis.parsed.ruleset);
  }
  const proto = flags.get('proto') ?? 'icmp';
  if (!['tcp', 'udp', 'icmp'].includes(proto)) throw new Error('--proto must be tcp, udp or icmp');
  const src = flags.get('src');
  const dstText = flags.get('dst');
  if (!src || !dstText) throw new Error('--src names a container of the workspace, --dst a container, a host of the workspace or an address (with :PORT)');
  const [dst, port] = dstText.split(':');
  const world = new OverlayWorld(ws.value, rules, { seed: Number(flags.get('seed') ?? 1) });
  const r = world.trace({ proto: proto as 'tcp' | 'udp' | 'icmp', src, dst: dst!, ...(port ? { dport: Number(port) } : {}) });
  if ((flags.get('format') ?? 'text') === 'json') write(`${JSON.stringify({ completed: r.completed, summary: r.summary, events: r.events.map(toJsonEvent) }, null, 2)}\n`);
  else write(`${renderStory(r.events, { verbose: flags.has('verbose') })}\n`);
  return r.completed ? 0 : 3;
}
