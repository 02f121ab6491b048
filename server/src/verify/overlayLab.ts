/**
 * A kernel lab for overlay networks: one namespace per host of a workspace,
 * joined through a router namespace; per host and overlay network a namespace
 * with br0 and a VXLAN device created in the host namespace and moved there
 * (so, as with Docker, its UDP socket and the VXLAN datagrams stay in the
 * host's netfilter); one namespace per container with a fixed MAC and static
 * neighbours (no ARP floods through VXLAN). Each host also has its
 * docker_gwbridge (with its gateway address, no ports), as the emulator's
 * host model does. Tracing runs in every host; an agent runs in every host
 * and container, answering on the ports it is given and sending on request.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip4 } from '../emulator/packet';
import type { Workspace } from '../emulator/overlay/workspace';
import { handleIndex, parseTrace, TRACE_TABLE, TraceMonitor, type KEpisode } from './kernelTrace';
import { AgentPool, type AgentListen, type Traffic } from './agents';
import { onAbort } from './cleanup';
import { run } from './lab';
import { MARKER } from './traceCase';

const mac = (addr: number): string => `02:42:${[24, 16, 8, 0].map((s) => ((addr >>> s) & 255).toString(16).padStart(2, '0')).join(':')}`;

export class OverlayLab {
  private readonly namespaces: string[] = [];
  private readonly hostNs = new Map<string, string>();
  private readonly containerNs = new Map<string, string>();
  private readonly monitors = new Map<string, TraceMonitor>();
  private readonly agents = new AgentPool();
  private readonly dir = mkdtempSync(join(tmpdir(), 'nflens-ovl-'));
  private readonly unregister = onAbort(() => this.destroy());

  constructor(
    private readonly ws: Workspace,
    private readonly prefix: string,
  ) {}

  private ns(name: string): string {
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    // No IPv6 chatter (router solicitations, DAD) through the tunnel: interfaces made later take "default".
    run(['ip', 'netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    run(['ip', 'netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    return name;
  }

  build(): void {
    const R = this.ns(`${this.prefix}r`);
    run(['ip', 'netns', 'exec', R, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    this.ws.hosts.forEach((h, i) => {
      const H = this.ns(`${this.prefix}h${i}`);
      this.hostNs.set(h.name, H);
      run(['ip', '-n', H, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `rt${i}`, 'netns', R]);
      run(['ip', '-n', H, 'addr', 'add', `${ip4(h.underlay)}/${h.prefix}`, 'dev', 'eth0']);
      run(['ip', '-n', H, 'link', 'set', 'eth0', 'up']);
      const gw = h.gateway ?? ((h.underlay & ~0xff) | 1) >>> 0;
      run(['ip', '-n', R, 'addr', 'add', `${ip4(gw)}/${h.prefix}`, 'dev', `rt${i}`]);
      run(['ip', '-n', R, 'link', 'set', `rt${i}`, 'up']);
      run(['ip', '-n', H, 'route', 'add', 'default', 'via', ip4(gw)]);
      run(['ip', 'netns', 'exec', H, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      run(['ip', '-n', H, 'link', 'add', 'name', 'docker_gwbridge', 'type', 'bridge']);
      run(['ip', '-n', H, 'addr', 'add', `${ip4(h.gwbridge.gateway)}/${h.gwbridge.prefix}`, 'dev', 'docker_gwbridge']);
      run(['ip', '-n', H, 'link', 'set', 'dev', 'docker_gwbridge', 'up']);
    });
    let c = 0;
    this.ws.hosts.forEach((h, hi) => {
      const H = this.hostNs.get(h.name)!;
      this.ws.networks.forEach((net, ni) => {
        const members = this.ws.containers.filter((x) => x.network === net.name && x.host === h.name);
        if (!members.length) return;
        const O = this.ns(`${this.prefix}o${hi}n${ni}`);
        const vx = `vx${net.vni}`;
        run(['ip', '-n', H, 'link', 'add', vx, 'type', 'vxlan', 'id', String(net.vni), 'dstport', '4789', 'local', ip4(h.underlay)]);
        run(['ip', '-n', H, 'link', 'set', vx, 'netns', O]);
        // As Docker's overlay driver does: each remote container's MAC points at its host, so a frame goes to that host alone.
        for (const o of this.ws.containers) {
          const at = o.network === net.name && o.host !== h.name ? this.ws.hosts.find((x) => x.name === o.host) : undefined;
          if (at) run(['ip', 'netns', 'exec', O, 'bridge', 'fdb', 'add', mac(o.addr), 'dev', vx, 'dst', ip4(at.underlay), 'self', 'permanent']);
        }
        run(['ip', '-n', O, 'link', 'add', 'br0', 'type', 'bridge']);
        run(['ip', '-n', O, 'link', 'set', 'br0', 'up']);
        run(['ip', '-n', O, 'link', 'set', vx, 'master', 'br0', 'up']);
        for (const m of members) {
          const C = this.ns(`${this.prefix}c${c}`);
          this.containerNs.set(m.name, C);
          run(['ip', '-n', O, 'link', 'add', `p${c}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', C]);
          run(['ip', '-n', O, 'link', 'set', `p${c}`, 'master', 'br0', 'up']);
          run(['ip', '-n', C, 'link', 'set', 'eth0', 'address', mac(m.addr)]);
          run(['ip', '-n', C, 'link', 'set', 'eth0', 'mtu', '1450']);
          run(['ip', '-n', C, 'addr', 'add', `${ip4(m.addr)}/${net.subnet.prefix}`, 'dev', 'eth0']);
          run(['ip', '-n', C, 'link', 'set', 'eth0', 'up']);
          c++;
        }
      });
    });
    for (const m of this.ws.containers) {
      for (const o of this.ws.containers) {
        if (o === m || o.network !== m.network) continue;
        run(['ip', '-n', this.containerNs.get(m.name)!, 'neigh', 'add', ip4(o.addr), 'lladdr', mac(o.addr), 'dev', 'eth0']);
      }
    }
  }

  /** Starts an agent in every host and container; containers listen as `listen` says (by container name). */
  async startAgents(listen: ReadonlyMap<string, readonly AgentListen[]> = new Map()): Promise<void> {
    await Promise.all([
      ...[...this.hostNs.values()].map((ns) => this.agents.start(ns, [])),
      ...[...this.containerNs].map(([name, ns]) => this.agents.start(ns, listen.get(name) ?? [])),
    ]);
  }

  /** Sends traffic from a container's namespace (its agent) and waits until it is over. */
  send(container: string, t: Traffic): Promise<{ ok: boolean; detail: string }> {
    const ns = this.containerNs.get(container);
    if (!ns) throw new Error(`lab: no namespace for ${container}`);
    return this.agents.send(ns, t);
  }

  /**
   * Marks the end of a case in every host's trace (a datagram to 127.1.2.3)
   * and waits until each monitor has shown it; false if one never did.
   */
  async markEnd(caseNo: number, timeoutMs = 5000): Promise<boolean> {
    const port = 20000 + (caseNo % 20000);
    const seen = await Promise.all([...this.hostNs].map(async ([name, ns]) => {
      const offset = this.monitors.get(name)!.length;
      await this.agents.send(ns, { op: 'udp', dst: MARKER, dport: port, timeoutMs: 1 });
      return this.monitors.get(name)!.waitFor(offset, (t) => t.includes(`DST=${MARKER} `), timeoutMs);
    }));
    await new Promise((r) => setTimeout(r, 20));
    return seen.every(Boolean);
  }

  /** Whether a host's trace monitor died (its netlink socket overflowed). */
  monitorLost(): boolean {
    return [...this.monitors.values()].some((m) => m.exited);
  }

  /** Ends TCP connections left from an earlier case, so none of their packets shows up in the next. */
  quiesce(): void {
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'exec', ns, 'ss', '-K', '-tn', 'state', 'connected'], { stdio: 'ignore' });
  }

  /** iptables-nft-restore --test of a host's rules in its namespace; the error text if the kernel refuses them. */
  refuses(host: string, rules: string): string | undefined {
    const r = spawnSync('ip', ['netns', 'exec', this.hostNs.get(host)!, 'iptables-nft-restore', '--test'], { input: rules, encoding: 'utf8' });
    return r.status === 0 ? undefined : (r.stderr || `exit ${r.status}`).trim();
  }

  /** Loads each host's rules (and the tracing table); returns each host's handle → position map. */
  load(rules: ReadonlyMap<string, string>): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const h of this.ws.hosts) {
      const H = this.hostNs.get(h.name)!;
      const rf = join(this.dir, `${h.name}.rules`);
      const tf = join(this.dir, 'trace.nft');
      writeFileSync(rf, rules.get(h.name) ?? '');
      writeFileSync(tf, TRACE_TABLE);
      out.set(h.name, handleIndex(run(['ip', 'netns', 'exec', H, 'sh', '-c', `nft flush ruleset && iptables-nft-restore < ${rf} && nft -f ${tf} && { conntrack -F >/dev/null 2>&1; true; } && nft -a list ruleset`])));
    }
    return out;
  }

  async startMonitors(): Promise<void> {
    for (const m of this.monitors.values()) m.stop();
    for (const [name, H] of this.hostNs) this.monitors.set(name, new TraceMonitor(H));
    await new Promise((r) => setTimeout(r, 300));
  }

  offsets(): Map<string, number> {
    return new Map([...this.monitors].map(([n, m]) => [n, m.length]));
  }

  /** ping from a container's namespace; true when answered. */
  ping(container: string, dst: string): boolean {
    return spawnSync('ip', ['netns', 'exec', this.containerNs.get(container)!, 'ping', '-n', '-q', '-c', '1', '-W', '0.5', dst]).status === 0;
  }

  async episodes(since: ReadonlyMap<string, number>): Promise<Map<string, KEpisode[]>> {
    await new Promise((r) => setTimeout(r, 300));
    return new Map([...this.monitors].map(([n, m]) => [n, parseTrace(m.since(since.get(n) ?? 0))]));
  }

  /** Each host's trace since `since`, as monitor text. */
  traceText(since: ReadonlyMap<string, number>): Map<string, string> {
    return new Map([...this.monitors].map(([n, m]) => [n, m.since(since.get(n) ?? 0)]));
  }

  destroy(): void {
    this.unregister();
    this.agents.stopAll();
    for (const m of this.monitors.values()) m.stop();
    this.monitors.clear();
    for (const ns of this.namespaces.splice(0).reverse()) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
