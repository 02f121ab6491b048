/**
 * A kernel lab: the topology of a host description built out of network
 * namespaces and veth pairs, nothing outside them touched. The host gets its
 * interfaces, addresses, routes and sysctls; each interface that leads to
 * external peers gets an "outside" namespace holding those peers' addresses
 * (and the gateway's); each container behind a bridge port gets its own
 * namespace. An agent (agent.mjs) runs in every namespace to answer on the
 * listeners the description names and to send traffic on request.
 * Interface names follow the `name`/`dev` keywords, so no name from a
 * description can be read by `ip` as a keyword.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostModel, Listener } from '../emulator/host/model';
import { ip4 } from '../emulator/packet';
import { AgentPool, type AgentListen, type Traffic } from './agents';
import { onAbort } from './cleanup';

export type { Traffic } from './agents';

/** Runs a command; throws with its stderr when it fails. */
export function run(args: readonly string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const cidr = (a: { addr: number; prefix: number }): string => `${ip4(a.addr)}/${a.prefix}`;

export class Lab {
  /** Namespace of the host under test. */
  readonly hostNs: string;
  /** Namespace each peer (by name) lives in. */
  readonly peerNs = new Map<string, string>();
  private readonly namespaces: string[] = [];
  private readonly agents = new AgentPool();
  private readonly dir = mkdtempSync(join(tmpdir(), 'nflens-lab-'));
  /** Taken back by destroy(); until then an aborted process tears the lab down. */
  private readonly unregister: () => void;

  private constructor(readonly prefix: string) {
    this.hostNs = `${prefix}h`;
    this.unregister = onAbort(() => this.destroy());
  }

  static async build(host: HostModel, prefix: string): Promise<Lab> {
    const lab = new Lab(prefix);
    try {
      lab.create(host);
      await lab.startAgents(host);
    } catch (e) {
      lab.destroy();
      throw e;
    }
    return lab;
  }

  private addNs(name: string): void {
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    // No IPv6 chatter (router solicitations, DAD) in the traces.
    this.sysctl(name, 'net.ipv6.conf.all.disable_ipv6', '1');
    this.sysctl(name, 'net.ipv6.conf.default.disable_ipv6', '1');
  }

  private sysctl(ns: string, key: string, value: string): void {
    run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', `${key}=${value}`]);
  }

  private create(host: HostModel): void {
    const H = this.hostNs;
    this.addNs(H);
    const ifaces = [...host.ifaces.values()];
    // Interfaces are made in description order, so their ifindex order matches it
    // (the kernel's source address choice for lo walks devices in that order).
    const bridges = new Set<string>();
    const bridge = (name: string): void => {
      const i = host.ifaces.get(name);
      if (!i || bridges.has(name)) return;
      bridges.add(name);
      run(['ip', '-n', H, 'link', 'add', 'name', i.name, 'type', 'bridge']);
      for (const a of i.addrs) run(['ip', '-n', H, 'addr', 'add', cidr(a), 'dev', i.name]);
      run(['ip', '-n', H, 'link', 'set', 'dev', i.name, 'up']);
    };
    let outside = 0;
    for (const i of ifaces) {
      if (i.kind === 'loopback') continue;
      if (i.kind === 'bridge') {
        bridge(i.name);
        continue;
      }
      if (i.master) {
        bridge(i.master);
        const peer = host.peers.find((p) => p.port === i.name);
        const br = host.ifaces.get(i.master);
        if (!peer || !br) throw new Error(`lab: bridge port ${i.name} has no container peer`);
        const ns = `${this.prefix}c${this.peerNs.size}`;
        this.addNs(ns);
        this.peerNs.set(peer.name, ns);
        run(['ip', '-n', H, 'link', 'add', 'name', i.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
        run(['ip', '-n', H, 'link', 'set', 'dev', i.name, 'master', i.master, 'up']);
        if (i.hairpin) run(['ip', '-n', H, 'link', 'set', 'dev', i.name, 'type', 'bridge_slave', 'hairpin', 'on']);
        const brAddr = br.addrs[0]!;
        run(['ip', '-n', ns, 'addr', 'add', `${ip4(peer.addr)}/${brAddr.prefix}`, 'dev', 'eth0']);
        run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
        run(['ip', '-n', ns, 'route', 'add', 'default', 'via', ip4(brAddr.addr)]);
        continue;
      }
      // An interface to the outside: one namespace holds every peer and gateway behind it.
      const ns = `${this.prefix}o${outside++}`;
      this.addNs(ns);
      run(['ip', '-n', H, 'link', 'add', 'name', i.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      for (const a of i.addrs) run(['ip', '-n', H, 'addr', 'add', cidr(a), 'dev', i.name]);
      run(['ip', '-n', H, 'link', 'set', 'dev', i.name, 'up']);
      run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      const own = i.addrs[0];
      const addrs = new Set<number>();
      for (const p of host.peers) if (p.via === i.name && p.kind !== 'container') addrs.add(p.addr);
      for (const r of host.routes) if (r.dev === i.name && r.via !== undefined) addrs.add(r.via);
      let sharesSubnet = false;
      for (const a of addrs) {
        const onLink = own && own.prefix > 0 && ((a ^ own.addr) >>> (32 - own.prefix)) === 0;
        sharesSubnet ||= !!onLink;
        run(['ip', '-n', ns, 'addr', 'add', onLink ? `${ip4(a)}/${own!.prefix}` : `${ip4(a)}/32`, 'dev', 'eth0']);
      }
      if (own) {
        // With no address in the host's subnet (no peer on the link, or a /32), the host is still its next hop.
        run(['ip', '-n', ns, 'route', 'add', 'default', 'via', ip4(own.addr), 'dev', 'eth0', ...(sharesSubnet ? [] : ['onlink'])]);
      }
      for (const p of host.peers) if (p.via === i.name && p.kind !== 'container') this.peerNs.set(p.name, ns);
    }
    for (const r of host.routes) {
      if (r.origin === 'connected') continue;
      const to = r.prefix === 0 ? 'default' : `${ip4(r.dst)}/${r.prefix}`;
      const type = r.type && r.type !== 'unicast' ? [r.type] : [];
      run(['ip', '-n', H, 'route', 'add', ...type, to, ...(r.via !== undefined ? ['via', ip4(r.via)] : []), ...(r.type && r.type !== 'unicast' ? [] : ['dev', r.dev])]);
    }
    // A roomier socket buffer for xtables-monitor's trace events (where the kernel keeps it per namespace).
    spawnSync('ip', ['netns', 'exec', H, 'sysctl', '-qw', 'net.core.rmem_default=8388608']);
    this.sysctl(H, 'net.ipv4.ip_forward', host.sysctls.ipForward ? '1' : '0');
    // The emulator does not model ICMP redirects (see server/src/emulator/README.md).
    // (Keys as paths: an interface name may hold a dot, as a VLAN's eth0.10 does.)
    for (const k of ['all', 'default', ...ifaces.filter((i) => i.kind !== 'loopback').map((i) => i.name)]) this.sysctl(H, `net/ipv4/conf/${k}/send_redirects`, '0');
    this.sysctl(H, 'net.bridge.bridge-nf-call-iptables', host.sysctls.bridgeNfCallIptables ? '1' : '0');
    for (const i of ifaces) if (i.routeLocalnet) this.sysctl(H, `net/ipv4/conf/${i.name}/route_localnet`, '1');
  }

  private async startAgents(host: HostModel): Promise<void> {
    const listen = (ls: readonly Listener[] | undefined): AgentListen[] => (ls ?? []).map((l) => ({ proto: l.proto, port: l.port }));
    const byNs = new Map<string, AgentListen[]>([[this.hostNs, listen(host.listeners)]]);
    for (const p of host.peers) {
      const ns = this.peerNs.get(p.name);
      if (ns) byNs.set(ns, [...(byNs.get(ns) ?? []), ...listen(p.listens)]);
    }
    await Promise.all([...byNs].map(([ns, ls]) => this.agents.start(ns, ls)));
  }

  /** Sends traffic from the host (`'host'`) or a peer and waits until it is over. */
  send(from: string, t: Traffic): Promise<{ ok: boolean; detail: string }> {
    const ns = from === 'host' ? this.hostNs : this.peerNs.get(from);
    if (!ns || !this.agents.has(ns)) throw new Error(`lab: no namespace for ${from}`);
    return this.agents.send(ns, t);
  }

  /**
   * Ends every TCP connection left from earlier traffic (ss -K), so no
   * retransmitted SYN-ACK or FIN of an old connection shows up in the next trace.
   */
  quiesce(): void {
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'exec', ns, 'ss', '-K', '-tn', 'state', 'connected'], { stdio: 'ignore' });
  }

  /** Runs a shell command in the host namespace. */
  hostShell(script: string, input?: string): string {
    return run(['ip', 'netns', 'exec', this.hostNs, 'sh', '-c', script], input);
  }

  /** A file in the lab's scratch directory. */
  scratch(name: string, text: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  destroy(): void {
    this.unregister();
    this.agents.stopAll();
    for (const ns of this.namespaces.splice(0).reverse()) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
