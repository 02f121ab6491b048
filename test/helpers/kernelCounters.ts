/** Small pieces the kernel tests share: a lab of namespaces of their own, commands run in them, rule counters read. */
import { spawnSync } from 'node:child_process';
import { labAvailable } from '../../server/src/verify/preconditions';

/**
 * Whether a kernel test can run here: false, or why not (printed loudly, for the test's `skip`).
 * `python`, when the test needs python3: what it does for the test, the code that must run for it
 * (default: import socket) and what to call that when it does not.
 */
export function kernelSkip(label: string, python?: { readonly does: string; readonly check?: string; readonly what?: string }): string | false {
  const avail = labAvailable();
  const missing = python && spawnSync('python3', ['-c', python.check ?? 'import socket'], { encoding: 'utf8' }).status !== 0;
  const why = !avail.ok ? avail.why : missing ? `${python.what ?? 'python3'} is not installed (${python.does})` : undefined;
  if (why === undefined) return false;
  const skip = `KERNEL ${label} TESTS SKIPPED: ${why}`;
  console.log(`\n!!! ${skip}\n`);
  return skip;
}

/** A host description (JSON) of a host with one interface, eth0 at `cidr`, and one peer on it. */
export function onePeerHostJson(name: string, cidr: string, peer: { readonly name: string; readonly address: string }): string {
  return JSON.stringify({ name, interfaces: [{ name: 'eth0', addresses: [cidr] }], routes: [], peers: [{ name: peer.name, address: peer.address, via: 'eth0' }] });
}

/**
 * A peer namespace and a host namespace joined on eth0 (each address a /24), the host's rules loaded
 * with iptables-nft-restore: gives what deletes them again.
 */
export function peerAndHostLab(peer: readonly [ns: string, addr: string], host: readonly [ns: string, addr: string], hostRules: string): () => void {
  const destroy = lab({ namespaces: [peer[0], host[0]], links: [[peer[0], 'eth0', host[0], 'eth0']], addresses: [[peer[0], 'eth0', `${peer[1]}/24`], [host[0], 'eth0', `${host[1]}/24`]] });
  try {
    sh(['ip', 'netns', 'exec', host[0], 'iptables-nft-restore'], hostRules);
  } catch (e) {
    destroy();
    throw e;
  }
  return destroy;
}

/** A prefix for the namespaces of one test run, unique to this process. */
export function labTag(prefix: string): string {
  return `${prefix}${process.pid % 100000}`;
}

/** Runs a command (optionally fed `input`) and gives its output; throws with its stderr when it fails. */
export function sh(args: readonly string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Per rule comment (`-m comment --comment NAME`): the packets the namespace's kernel counted on that rule. */
export function countsByComment(ns: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of sh(['ip', 'netns', 'exec', ns, 'iptables-nft-save', '-c']).split('\n')) {
    const m = /^\[(\d+):\d+\] .*--comment (\S+)/.exec(l);
    if (m) out.set(m[2]!, Number(m[1]));
  }
  return out;
}

/** Namespaces of a kernel test's own, joined by veth pairs, with their addresses: what `lab` builds. */
export interface LabSpec {
  readonly namespaces: readonly string[];
  /** Each a veth pair: [namespace, device, peer namespace, peer device]. */
  readonly links: ReadonlyArray<readonly [string, string, string, string]>;
  /** [namespace, device, address/prefix]. */
  readonly addresses: ReadonlyArray<readonly [string, string, string]>;
  /** [namespace, ...`ip route add` arguments]. */
  readonly routes?: ReadonlyArray<readonly string[]>;
  /** Namespaces that forward IPv4. */
  readonly forwarding?: readonly string[];
}

/** Builds the namespaces (lo and every device up) and gives what deletes them again. */
export function lab(spec: LabSpec): () => void {
  for (const ns of spec.namespaces) {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  for (const [ns, dev, peerNs, peerDev] of spec.links) sh(['ip', '-n', ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', peerDev, 'netns', peerNs]);
  for (const [ns, dev, addr] of spec.addresses) sh(['ip', '-n', ns, 'addr', 'add', addr, 'dev', dev]);
  for (const [ns, dev, peerNs, peerDev] of spec.links) {
    sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    sh(['ip', '-n', peerNs, 'link', 'set', peerDev, 'up']);
  }
  for (const [ns, ...args] of spec.routes ?? []) sh(['ip', '-n', ns!, 'route', 'add', ...args]);
  for (const ns of spec.forwarding ?? []) sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  return () => {
    for (const ns of spec.namespaces) spawnSync('ip', ['netns', 'del', ns]);
  };
}
