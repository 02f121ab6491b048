/**
 * Docker's published-port DNAT rules (nat DOCKER) against the jumps that
 * lead there. Docker jumps to DOCKER from nat PREROUTING (clients from
 * other hosts; containers on other bridges) and from nat OUTPUT (this host's own
 * connections). When the PREROUTING jump is gone — rules flushed and re-added
 * by hand — other hosts' and containers' connections are never DNATed: with
 * docker-proxy on they end at the proxy, which connects to the container
 * from the bridge's address, so the container loses the client's address;
 * with the proxy off nothing accepts them.
 */
import type { Diagnostic, RelatedInfo, Span } from '../lang/diagnostic';
import { span as spanAt } from '../lang/diagnostic';
import type { LoadedRule, Ruleset } from '../lang/iptables/ruleset';
import { chainEntries } from './chainEntries';

/** Whether docker-proxy is on, and where the daemon options say so (absent: Docker's default, on). */
export interface ProxySetting {
  readonly on: boolean;
  readonly source?: RelatedInfo;
}

const PREROUTING_JUMP = '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER';

function ip4(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

function dport(r: LoadedRule): string | undefined {
  for (const m of r.spec.matches) for (const o of m.options) if ((o.name === 'dport' || o.name === 'destination-port') && !o.invert && o.arg) return o.arg;
  return undefined;
}

function destination(r: LoadedRule): string {
  const t = r.spec.target;
  const d = (t?.kind === 'extension' ? t.use.data : undefined) as { addrs?: { min: { family: string; v4?: number } }; ports?: { min: number } } | undefined;
  const a = d?.addrs?.min;
  if (a?.family !== 'ipv4' || a.v4 === undefined) return 'the container';
  return `${ip4(a.v4)}${d?.ports ? `:${d.ports.min}` : ''}`;
}

/** The bridge's own address, from Docker's "-s SUBNET ! -o BRIDGE -j MASQUERADE" (Docker's default otherwise). */
function bridgeAddress(rs: Ruleset, bridge: string): string {
  for (const r of rs.tables.get('nat')?.chains.get('POSTROUTING')?.rules ?? []) {
    const s = r.spec;
    const net = s.src?.v4[0];
    if (s.target?.kind === 'extension' && s.target.use.name === 'MASQUERADE' && s.outIface?.invert && s.outIface.name === bridge && net && !s.src!.invert && net.prefix < 31) return ip4((net.addr + 1) >>> 0);
  }
  return bridge === 'docker0' ? '172.17.0.1' : `${bridge}'s address`;
}

export function publishedPortFindings(rs: Ruleset, proxy: ProxySetting = { on: true }): Diagnostic[] {
  const nat = rs.tables.get('nat');
  const docker = nat?.chains.get('DOCKER');
  if (!nat || !docker || docker.builtin) return [];
  const dnats = docker.rules.filter((r) => r.spec.target?.kind === 'extension' && r.spec.target.use.name === 'DNAT');
  if (!dnats.length) return [];
  const entry = chainEntries(nat).get('DOCKER')!;
  if (entry.hooks.has('PREROUTING')) return [];
  const fromOutput = entry.hooks.has('OUTPUT');
  const sites: RelatedInfo[] = entry.sites.map((s) => ({ span: s.command.span, message: `the only way into DOCKER: a jump from ${s.chain}${fromOutput ? ' (connections this host opens)' : ''}` }));
  const firstRuleLine = Math.min(...[...nat.chains.values()].flatMap((c) => c.rules.map((r) => r.command.line)));
  const fix = { title: `Restore Docker's jump: ${PREROUTING_JUMP}`, edits: [{ span: spanAt(firstRuleLine, 0, 0), newText: `${PREROUTING_JUMP}\n` }] };
  return dnats.map((r): Diagnostic => {
    const s = r.spec;
    const port = `${r.facts.protoText ?? 'tcp'}/${dport(r) ?? '?'}`;
    const to = destination(r);
    const bridge = s.inIface?.invert ? s.inIface.name : 'docker0';
    const who = 'Connections arriving from other hosts never reach this DNAT rule: nat PREROUTING does not jump to DOCKER';
    let message: string;
    if (!fromOutput) message = `No packet reaches this DNAT rule: nothing jumps to nat DOCKER from PREROUTING or OUTPUT. Connections to ${port} are never sent to ${to}.`;
    else if (proxy.on) message = `${who} (only OUTPUT does, for this host's own connections). docker-proxy accepts their connections to ${port} instead and opens its own to ${to} from ${bridgeAddress(rs, bridge)}: the container sees ${bridgeAddress(rs, bridge)}, never the clients' addresses.`;
    else message = `${who} (only OUTPUT does, for this host's own connections), and with the userland proxy off nothing accepts their connections to ${port}: they never reach ${to}.`;
    const related = [...sites, ...(proxy.source ? [proxy.source] : [])];
    const where: Span = s.target?.kind === 'extension' ? s.target.span : r.command.span;
    return { code: 'docker-dnat-unreached', severity: 'warning', message, span: where, ...(related.length ? { related } : {}), fixes: [fix] };
  });
}

/** Whether a jump leaves out the loopback range (`! -d 127.0.0.0/8`, Docker's OUTPUT jump when the proxy is on). */
function leavesOutLoopback(r: LoadedRule): boolean {
  const d = r.spec.dst;
  const net = d?.v4.length === 1 ? d.v4[0] : undefined;
  return !!d?.invert && net !== undefined && net.addr >>> 0 === 0x7f000000 && net.prefix === 8;
}

/** Whether a (non-inverted, single) destination lies in 127.0.0.0/8. */
function inLoopback(addr: number, prefix: number): boolean {
  return addr >>> 24 === 127 && prefix >= 8;
}

/**
 * For hover on a Docker published-port DNAT rule (nat DOCKER, the line given): the connections to its
 * port that never get to it and go to docker-proxy instead (or, with the proxy off, to nothing), in
 * words. Undefined for any other line, and when every connection to the port gets there.
 */
export function proxyServes(rs: Ruleset, line: number, proxy: ProxySetting = { on: true }): string | undefined {
  const nat = rs.tables.get('nat');
  const docker = nat?.chains.get('DOCKER');
  if (!nat || !docker || docker.builtin) return undefined;
  const r = docker.rules.find((x) => x.command.line === line);
  if (!r || r.spec.target?.kind !== 'extension' || r.spec.target.use.name !== 'DNAT') return undefined;
  const port = dport(r);
  if (!port) return undefined;
  const s = r.spec;
  const to = destination(r);
  const bridge = s.inIface?.invert ? s.inIface.name : 'docker0';
  // The host address it is published on (`-p HOSTIP:…`: -d HOSTIP), where docker-proxy listens too.
  const hostNet = s.dst && !s.dst.invert && s.dst.v4.length === 1 ? s.dst.v4[0]! : undefined;
  const hostAddr = hostNet ? ip4(hostNet.addr >>> 0) : undefined;
  const entry = chainEntries(nat).get('DOCKER')!;
  const parts: string[] = [];
  const fromOutput = entry.sites.filter((x) => x.chain === 'OUTPUT');
  if (!entry.hooks.has('OUTPUT')) parts.push(`this host's own connections to ${hostAddr ?? 'its addresses'} port ${port} (nat OUTPUT does not jump to DOCKER)`);
  else if (fromOutput.length && fromOutput.every(leavesOutLoopback) && (!hostNet || inLoopback(hostNet.addr >>> 0, hostNet.prefix))) {
    const where = hostAddr ?? '127.0.0.1 (or any 127.0.0.0/8 address)';
    parts.push(`this host's own connections to ${where} port ${port} (the jump from OUTPUT at line ${fromOutput[0]!.command.line + 1} leaves out 127.0.0.0/8)`);
  }
  if (s.inIface?.invert) parts.push(`connections from containers on ${bridge} (its \`! -i ${bridge}\`)`);
  if (!parts.length) return undefined;
  const who = parts.join(', and ');
  if (!proxy.on) return `With the userland proxy off, ${who} never get here, and nothing accepts them: dockerd only holds the port.`;
  const from = bridgeAddress(rs, bridge);
  return `docker-proxy takes ${who}: they never get here. It accepts them on port ${port} and opens its own connection to ${to} from ${from}, so the container sees ${from}, not the client.`;
}
