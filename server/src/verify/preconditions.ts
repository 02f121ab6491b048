/**
 * Whether this machine can build a kernel lab: Linux, root (network
 * namespaces need CAP_SYS_ADMIN), the tools the lab runs, and a namespace
 * that can really be created. The reasons are written for a person; the
 * checks read the machine through `MachineProbe` so the wording is tested
 * without root.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface LabAvailability {
  readonly ok: boolean;
  readonly why?: string;
  /** What is missing, for callers that explain more (how to become root). */
  readonly need?: 'linux' | 'root' | 'tools' | 'netns';
}

export interface MachineProbe {
  readonly platform: string;
  readonly uid: number | undefined;
  /** Whether an executable of that name is on PATH. */
  onPath(tool: string): boolean;
  /** Creates and deletes a network namespace; the error text if it cannot. */
  probeNamespace(): string | undefined;
}

/** Debian/Ubuntu packages that bring each tool. */
const PACKAGE: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  'iptables-nft-restore': 'iptables',
  'xtables-monitor': 'iptables',
  nft: 'nftables',
  conntrack: 'conntrack',
  ping: 'iputils-ping',
};

/** What `nflens verify` needs; ping only to send an ICMP echo. */
export function verifyTools(proto: string): string[] {
  return ['ip', 'iptables-nft-restore', 'xtables-monitor', 'nft', ...(proto === 'icmp' ? ['ping'] : [])];
}

/** What the kernel test suites need (they flush conntrack between cases and send pings). */
export const TEST_LAB_TOOLS = ['ip', 'iptables-nft-restore', 'nft', 'xtables-monitor', 'conntrack', 'ping'];

export function checkMachine(m: MachineProbe, tools: readonly string[]): LabAvailability {
  if (m.platform !== 'linux') return { ok: false, need: 'linux', why: `not Linux (this is ${m.platform}): the lab needs Linux network namespaces and netfilter` };
  if (m.uid !== 0) return { ok: false, need: 'root', why: 'not root (network namespaces need CAP_SYS_ADMIN)' };
  const missing = tools.filter((t) => !m.onPath(t));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((t) => PACKAGE[t] ?? t))];
    return { ok: false, need: 'tools', why: `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed (apt-get install ${pkgs.join(' ')})` };
  }
  const ns = m.probeNamespace();
  if (ns !== undefined) return { ok: false, need: 'netns', why: `cannot create a network namespace: ${ns}` };
  return { ok: true };
}

function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function probeNamespace(): string | undefined {
  const probe = `nflprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe]);
  return r.status === 0 ? undefined : (r.stderr || r.error?.message || `ip netns add exited with ${r.status}`).trim();
}

export const THIS_MACHINE: MachineProbe = { platform: process.platform, uid: process.getuid?.(), onPath, probeNamespace };

/** Whether this machine can run the kernel test labs. */
export function labAvailable(): LabAvailability {
  return checkMachine(THIS_MACHINE, TEST_LAB_TOOLS);
}
