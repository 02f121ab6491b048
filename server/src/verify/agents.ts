/**
 * The lab's agents (agent.mjs), one per network namespace that must answer
 * or send: each listens on the ports it is given and sends traffic on
 * request, one JSON line each way. Shared by the single-host lab and the
 * overlay lab.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { agentPath } from './agentPath';

export interface Traffic {
  readonly op: 'tcp' | 'udp' | 'ping';
  readonly dst: string;
  /** The source address to send from (it must be one of the namespace's); absent: the kernel picks. */
  readonly src?: string;
  readonly dport?: number;
  readonly sport?: number;
  readonly timeoutMs?: number;
}

export interface AgentListen {
  readonly proto: string;
  readonly port: number;
}

interface Agent {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pending: Map<number, (r: { ok: boolean; detail: string }) => void>;
  nextId: number;
}

export class AgentPool {
  private readonly agents = new Map<string, Agent>();

  /** Starts the agent of a namespace; resolves once it listens. */
  start(ns: string, listen: readonly AgentListen[]): Promise<void> {
    const unique = [...new Map(listen.map((l) => [`${l.proto}/${l.port}`, { proto: l.proto, port: l.port }])).values()];
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, agentPath(), JSON.stringify({ listen: unique })], { stdio: ['pipe', 'pipe', 'pipe'] });
    const agent: Agent = { child, pending: new Map(), nextId: 1 };
    this.agents.set(ns, agent);
    let buf = '';
    child.stderr.on('data', (d) => process.stderr.write(`[agent ${ns}] ${d}`));
    return new Promise((resolve, reject) => {
      agent.pending.set(0, () => resolve());
      child.on('exit', (code) => reject(new Error(`agent in ${ns} exited (${code})`)));
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl)) as { id: number; ok: boolean; detail: string };
          buf = buf.slice(nl + 1);
          agent.pending.get(msg.id)?.(msg);
          agent.pending.delete(msg.id);
        }
      });
    });
  }

  has(ns: string): boolean {
    return this.agents.has(ns);
  }

  /** Sends traffic from a namespace's agent and waits until it is over. */
  send(ns: string, t: Traffic): Promise<{ ok: boolean; detail: string }> {
    const agent = this.agents.get(ns);
    if (!agent) throw new Error(`lab: no agent in ${ns}`);
    const id = agent.nextId++;
    return new Promise((resolve) => {
      agent.pending.set(id, resolve);
      agent.child.stdin.write(JSON.stringify({ id, ...t }) + '\n');
    });
  }

  stopAll(): void {
    for (const a of this.agents.values()) {
      a.child.stdin.end();
      a.child.kill('SIGKILL');
    }
    this.agents.clear();
  }
}
