/**
 * The `nflens verify` command line for a trace as the editor holds it: the
 * rules file, the host description it ran on, and the conversation in the
 * same words `nflens trace` takes; an overlay trace as `nflens verify
 * --workspace` takes it. Pure; a trace the lab cannot replay is said, not run.
 */
import type { TraceParams } from '../../../server/src/protocol';
import type { TraceHost } from '../../../server/src/trace/traceResult';

/** The host a trace ran on, as far as the command line needs it. */
export type VerifyHost = Pick<TraceHost, 'source' | 'file'>;

const withPort = (addr: string, port: number | undefined): string => (port !== undefined ? `${addr}:${port}` : addr);

export function verifyArgs(rulesPath: string, p: TraceParams, host: VerifyHost | undefined, overlay = false): string[] | { readonly error: string } {
  if (!['tcp', 'udp', 'icmp'].includes(p.proto)) return { error: `The protocol must be tcp, udp or icmp, not "${p.proto}".` };
  const ports = p.proto !== 'icmp';
  if (overlay) {
    // The workspace names every host's rules file; the containers are named as the trace named them.
    if (host?.source !== 'workspace' || !host.file) return { error: 'This overlay trace has no workspace description file to replay it from.' };
    const src = 'peer' in p.origin ? p.origin.peer : p.src;
    if (!src || !p.dst) return { error: 'The trace names no source container or no destination.' };
    const dst = ports && p.dport !== undefined && !/:\d+$/.test(p.dst) ? `${p.dst}:${p.dport}` : p.dst;
    return ['verify', '--workspace', host.file, '--proto', p.proto, '--src', src, '--dst', dst, '--format', 'json'];
  }
  if (host?.source === 'workspace') {
    return { error: 'This trace runs on one host of an overlay workspace, which has no host description of its own: Verify Trace on Kernel replays traces between the workspace\'s containers (Trace Packet… from a container) or on a host described by an nflens-host.json.' };
  }
  const args = ['verify', rulesPath];
  if (host?.source === 'description' && host.file) args.push('--host', host.file);
  args.push('--proto', p.proto);
  const o = p.origin;
  if ('local' in o) {
    if (p.src) args.push('--src', p.src);
    args.push('--local');
  } else if ('peer' in o) {
    args.push('--src', withPort(o.peer, ports ? p.sport : undefined));
  } else {
    if (!p.src) return { error: 'The trace has no source address.' };
    args.push('--src', withPort(p.src, ports ? p.sport : undefined), '--in', o.iface);
  }
  if (!p.dst) return { error: 'The trace has no destination.' };
  // A destination typed with its port ("web:80") keeps it; a separate port is added.
  const dst = ports && p.dport !== undefined && !/:\d+$/.test(p.dst) ? `${p.dst}:${p.dport}` : p.dst;
  args.push('--dst', dst, '--format', 'json');
  return args;
}

/** The same command for a terminal (quoted for sh), to run as root by hand. */
export function shellCommand(node: string, nflens: string, args: readonly string[]): string {
  const q = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['sudo', node, nflens, ...args.filter((a, i, all) => !(a === '--format' || all[i - 1] === '--format'))].map(q).join(' ');
}
