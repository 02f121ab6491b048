/** Small pieces the kernel tests that read rule counters in a namespace share. */
import { spawnSync } from 'node:child_process';

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
