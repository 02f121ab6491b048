/**
 * The kernel's own trace: `xtables-monitor --trace` running in the lab's
 * host namespace, and its output cut into episodes. Tracing is switched on
 * by a separate nft table (`nflens_trace`, priority -400 at prerouting and
 * output) so the rules under test keep their positions; each of its rule
 * events starts an episode (one packet entering the host, or leaving a
 * local process), and its own events are dropped.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { onAbort } from './cleanup';

export const TRACE_TABLE = `table ip nflens_trace {
  chain pre { type filter hook prerouting priority -400; meta nftrace set 1; }
  chain out { type filter hook output priority -400; meta nftrace set 1; }
}
`;

/** Header fields of a PACKET line. */
export interface KPacket {
  readonly iif?: string;
  readonly oif?: string;
  readonly src: string;
  readonly dst: string;
  readonly len: number;
  readonly ttl: number;
  /** IP identification: follows the packet when the kernel's trace id changes (br_netfilter). */
  readonly ipId: number;
  readonly sport?: number;
  readonly dport?: number;
  /** TCP flags as printed (SYN ACK FIN RST PSH URG); undefined for non-TCP. */
  readonly flags?: readonly string[];
  readonly mark: number;
}

export interface KStep {
  readonly chain: string;
  readonly kind: 'rule' | 'policy' | 'return';
  readonly handle?: number;
  /** ACCEPT, DROP, CONTINUE, JUMP:X, GOTO:X, RETURN, QUEUE, … */
  readonly verdict: string;
}

/** One base chain's run: the packet as it entered, then the events in it. */
export interface KChainRun {
  readonly table: string;
  readonly chain: string;
  readonly packet: KPacket;
  readonly steps: KStep[];
}

export interface KEpisode {
  readonly id: string;
  readonly start: 'pre' | 'out';
  readonly packet: KPacket;
  readonly runs: KChainRun[];
}

export function parsePacketLine(line: string): KPacket {
  const f = new Map<string, string>();
  const flags: string[] = [];
  for (const tok of line.split(/\s+/).slice(3)) {
    const eq = tok.indexOf('=');
    if (eq > 0) f.set(tok.slice(0, eq), tok.slice(eq + 1));
    else if (/^(SYN|ACK|FIN|RST|PSH|URG)$/.test(tok)) flags.push(tok);
  }
  const num = (k: string): number | undefined => (f.has(k) ? Number(f.get(k)) : undefined);
  const sport = num('SPORT');
  const dport = num('DPORT');
  return {
    ...(f.has('IN') ? { iif: f.get('IN')! } : {}),
    ...(f.has('OUT') ? { oif: f.get('OUT')! } : {}),
    src: f.get('SRC') ?? '',
    dst: f.get('DST') ?? '',
    len: num('LEN') ?? 0,
    ttl: num('TTL') ?? 0,
    ipId: num('ID') ?? 0,
    ...(sport !== undefined ? { sport, dport: dport! } : {}),
    ...(flags.length ? { flags } : {}),
    mark: f.has('MARK') ? Number.parseInt(f.get('MARK')!, 16) : 0,
  };
}

function same(a: KPacket, b: KPacket): boolean {
  return a.src === b.src && a.ipId === b.ipId && a.len === b.len && a.sport === b.sport && String(a.flags) === String(b.flags);
}

function verdictName(v: string): string {
  if (v === '0xfffffffb') return 'RETURN';
  return v;
}

/** Cuts monitor output into episodes, in the order they started. */
export function parseTrace(text: string): KEpisode[] {
  const episodes: KEpisode[] = [];
  const open = new Map<string, KEpisode>();
  const lastPacket = new Map<string, KPacket>();
  /** Whether the next TRACE line of this id starts a new base-chain run. */
  const freshPacket = new Set<string>();
  for (const line of text.split('\n')) {
    const pm = /^PACKET: \d+ ([0-9a-f]+) /.exec(line);
    if (pm) {
      lastPacket.set(pm[1]!, parsePacketLine(line));
      freshPacket.add(pm[1]!);
      continue;
    }
    const tm = /^ TRACE: \d+ ([0-9a-f]+) ([^:\s]+):([^:\s]+):(rule|policy|return):?(\S*)/.exec(line);
    if (!tm) continue;
    const [, id, table, chain, kind, rest] = tm as unknown as [string, string, string, string, 'rule' | 'policy' | 'return', string];
    if (table === 'nflens_trace') {
      if (kind === 'rule') {
        const ep: KEpisode = { id, start: chain === 'pre' ? 'pre' : 'out', packet: lastPacket.get(id)!, runs: [] };
        episodes.push(ep);
        open.set(id, ep);
      }
      freshPacket.delete(id);
      continue;
    }
    let ep = open.get(id);
    const pk = lastPacket.get(id);
    if (freshPacket.has(id) && pk && (!ep || !same(ep.packet, pk))) {
      // A bridged packet routed on by br_netfilter continues under another trace id, and
      // ids are reused for later packets: follow the packet by its headers.
      ep = episodes.slice(-50).reverse().find((e) => same(e.packet, pk));
      if (ep) open.set(id, ep);
      else open.delete(id);
    }
    if (!ep) continue;
    let run = ep.runs[ep.runs.length - 1];
    if (freshPacket.has(id) || !run) {
      freshPacket.delete(id);
      run = { table, chain, packet: lastPacket.get(id)!, steps: [] };
      ep.runs.push(run);
    }
    if (kind === 'rule') {
      const m = /^0x([0-9a-f]+):(.*)$/.exec(rest);
      run.steps.push({ chain, kind, handle: m ? Number.parseInt(m[1]!, 16) : -1, verdict: verdictName(m?.[2] ?? rest) });
    } else if (kind === 'policy') {
      run.steps.push({ chain, kind, verdict: rest });
    } else {
      run.steps.push({ chain, kind, verdict: 'RETURN' });
    }
  }
  return episodes;
}

/** Rule handles → position in their chain, from `nft -a list ruleset`. */
export function handleIndex(listing: string): Map<string, number> {
  const out = new Map<string, number>();
  let table = '';
  let chain = '';
  let n = 0;
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const t = /^table ip (\S+) \{/.exec(line);
    if (t) {
      table = t[1]!;
      continue;
    }
    const c = /^chain (\S+) \{/.exec(line);
    if (c) {
      chain = c[1]!;
      n = 0;
      continue;
    }
    const h = /# handle (\d+)$/.exec(line);
    if (h && chain) out.set(`${table}/${chain}/${h[1]}`, n++);
    if (line === '}') chain = '';
  }
  return out;
}

/** A running `xtables-monitor --trace`, collecting output. */
export class TraceMonitor {
  private text = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: (() => void)[] = [];
  /** Set when xtables-monitor died (e.g. its netlink socket overflowed: ENOBUFS). */
  exited = false;
  private readonly unregister = onAbort(() => this.stop());

  constructor(ns: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'xtables-monitor', '--trace'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      this.text += d;
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr.on('data', (d) => process.stderr.write(`[xtables-monitor] ${d}`));
    this.child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  get length(): number {
    return this.text.length;
  }

  since(offset: number): string {
    return this.text.slice(offset);
  }

  /** Waits until `pred` holds for the output after `offset`, or the timeout passes. */
  async waitFor(offset: number, pred: (text: string) => boolean, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!pred(this.text.slice(offset)) && !this.exited) {
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return pred(this.text.slice(offset));
  }

  stop(): void {
    this.unregister();
    this.child.kill('SIGKILL');
  }
}
