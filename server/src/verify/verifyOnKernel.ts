/**
 * One verification: build the lab for the host, start the kernel's trace,
 * load the rules and send the conversation, replay what the kernel traced
 * through the emulator and compare. A lost trace (xtables-monitor
 * overflowed) is tried again with a new monitor; a difference counts only
 * if a second run shows it too, since the real TCP stacks can add timing
 * artefacts (a retransmission). The lab is gone when this returns or
 * throws.
 */
import type { HostModel } from '../emulator/host/model';
import type { UnknownAssumption } from '../emulator/traverse';
import { TraceMonitor } from './kernelTrace';
import { Lab, run } from './lab';
import { runTraceCase, TraceLost, type TraceCaseResult, type TrafficStep } from './traceCase';

export interface KernelRunInput {
  /** The host the emulator replays on (the user's description). */
  readonly host: HostModel;
  /** The host the lab is built from (with stand-ins). */
  readonly labHost: HostModel;
  readonly rules: string;
  /** The conversation, then docker-proxy's own connection when it opens one. */
  readonly steps: readonly TrafficStep[];
  readonly seed: number;
  readonly assume: UnknownAssumption;
  readonly prefix: string;
  readonly progress: (what: string) => void;
}

export interface KernelRun {
  readonly result: TraceCaseResult;
  /** The first run differed but a second agreed: its report, kept to be told. */
  readonly unrepeated?: TraceCaseResult;
}

const ATTEMPTS = 3;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The kernel refuses rules the checker accepted: not a trace difference, but worth its own message. */
export class KernelRefused extends Error {}

export async function verifyOnKernel(i: KernelRunInput): Promise<KernelRun> {
  i.progress(`building the lab: ${i.labHost.name} and its neighbours in network namespaces ${i.prefix}*`);
  const lab = await Lab.build(i.labHost, i.prefix);
  let monitor: TraceMonitor | undefined;
  try {
    try {
      run(['ip', 'netns', 'exec', lab.hostNs, 'iptables-nft-restore', '--test'], i.rules);
    } catch (e) {
      throw new KernelRefused(`iptables-nft-restore refuses these rules, which nflens check accepts: ${(e as Error).message.replace(/^[^:]*failed \(\d+\): /, '').trim()}`);
    }
    monitor = new TraceMonitor(lab.hostNs);
    await pause(300);
    let caseNo = 0;
    const once = async (): Promise<TraceCaseResult> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await runTraceCase(lab, monitor!, i.host, i.rules, i.steps, caseNo++, i.seed, i.assume);
        } catch (e) {
          if (!(e instanceof TraceLost) || attempt >= ATTEMPTS) throw e;
          i.progress(`the kernel's trace was lost (${e.message}); trying again`);
          if (monitor!.exited) {
            monitor!.stop();
            monitor = new TraceMonitor(lab.hostNs);
            await pause(300);
          }
        }
      }
    };
    i.progress('loading the rules with iptables-nft-restore and sending the conversation');
    const first = await once();
    if (first.result.agree) return { result: first };
    i.progress('the traces differ; running the conversation again to rule out timing artefacts');
    const second = await once();
    return second.result.agree ? { result: second, unrepeated: first } : { result: first };
  } finally {
    monitor?.stop();
    lab.destroy();
  }
}
