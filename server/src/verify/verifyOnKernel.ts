/**
 * One verification: build the lab for the host, start the kernel's trace,
 * load the rules and send the conversation, replay what the kernel traced
 * through the emulator and compare, and hold the emulator's own trace
 * against the kernel's packets (traceAgainstKernel.ts). A lost trace (xtables-monitor
 * overflowed) is tried again with a new monitor; a difference counts only
 * if a second run shows it too, since the real TCP stacks can add timing
 * artefacts (a retransmission). The lab is gone when this returns or
 * throws.
 */
import type { HostModel } from '../emulator/host/model';
import type { UnknownAssumption } from '../emulator/traverse';
import { TraceMonitor } from './kernelTrace';
import { Lab, run } from './lab';
import type { ReplayResult } from './replay';
import type { TraceCheck } from './traceAgainstKernel';
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
  /** The emulator's own trace held against the kernel's packets of a run, as the replay listed them. */
  readonly checkTrace?: (replay: ReplayResult) => TraceCheck;
}

/** A run: the replay, and the trace's own check. */
export interface CheckedCase extends TraceCaseResult {
  readonly trace?: TraceCheck;
}

export interface KernelRun {
  readonly result: CheckedCase;
  /** The first run differed but a second agreed: its report, kept to be told. */
  readonly unrepeated?: CheckedCase;
}

const agrees = (c: CheckedCase): boolean => c.result.agree && (c.trace?.agree ?? true);

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
    const once = async (): Promise<CheckedCase> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const r = await runTraceCase(lab, monitor!, i.host, i.rules, i.steps, caseNo++, { seed: i.seed, assume: i.assume });
          return i.checkTrace ? { ...r, trace: i.checkTrace(r.result) } : r;
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
    if (agrees(first)) return { result: first };
    i.progress('the traces differ; running the conversation again to rule out timing artefacts');
    const second = await once();
    return agrees(second) ? { result: second, unrepeated: first } : { result: first };
  } finally {
    monitor?.stop();
    lab.destroy();
  }
}
