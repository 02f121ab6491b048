/**
 * One overlay verification: build the overlay lab for the network (every
 * host a namespace, the VXLAN hop between them), load each host's rules,
 * trace every host, send the conversation from the source container, and
 * compare (overlayReplay.ts). As for one host: a lost trace is tried again,
 * a difference counts only if a second run shows it too, and the lab is
 * gone when this returns or throws.
 */
import type { Workspace } from '../emulator/overlay/workspace';
import type { HostRules } from './firstDifference';
import { parseTrace, type KEpisode } from './kernelTrace';
import type { OverlayLabPlan } from './overlayConversation';
import { OverlayLab } from './overlayLab';
import type { OverlayReplay } from './overlayReplay';
import { MARKER, TraceLost } from './traceCase';
import { KernelRefused } from './verifyOnKernel';

export interface OverlayRunInput {
  readonly plan: OverlayLabPlan;
  readonly rules: ReadonlyMap<string, HostRules>;
  readonly prefix: string;
  readonly progress: (what: string) => void;
  /** The kernel's traces compared with the emulator's. */
  readonly compare: (episodes: ReadonlyMap<string, readonly KEpisode[]>, handles: ReadonlyMap<string, ReadonlyMap<string, number>>) => OverlayReplay;
}

export interface OverlayCase {
  readonly replay: OverlayReplay;
  readonly outcome: { readonly ok: boolean; readonly detail: string };
}

export interface OverlayKernelRun {
  readonly result: OverlayCase;
  readonly unrepeated?: OverlayCase;
}

const ATTEMPTS = 3;

/** The case's packets on one host: before the end marker, without multicast (the kernel's own IGMP is not modelled). */
export function caseEpisodes(text: string): KEpisode[] {
  const all = parseTrace(text);
  const cut = all.findIndex((e) => e.packet.dst === MARKER);
  return (cut >= 0 ? all.slice(0, cut) : all).filter((e) => !/^2(2[4-9]|3\d)\./.test(e.packet.dst));
}

async function once(lab: OverlayLab, i: OverlayRunInput, ws: Workspace, caseNo: number): Promise<OverlayCase> {
  lab.quiesce();
  await new Promise((r) => setTimeout(r, 30));
  const handles = lab.load(new Map(ws.hosts.map((h) => [h.name, i.rules.get(h.name)?.text ?? ''])));
  const since = lab.offsets();
  const outcome = await lab.send(i.plan.from.name, i.plan.traffic);
  if (!(await lab.markEnd(caseNo))) throw new TraceLost(lab.monitorLost() ? 'xtables-monitor died (its netlink socket overflowed?)' : 'a host\'s kernel trace never showed the end-of-case marker');
  const text = lab.traceText(since);
  const episodes = new Map([...text].map(([h, t]) => [h, caseEpisodes(t)]));
  return { replay: i.compare(episodes, handles), outcome };
}

export async function verifyOverlayOnKernel(i: OverlayRunInput): Promise<OverlayKernelRun> {
  const ws = i.plan.labWorkspace;
  i.progress(`building the lab: ${ws.hosts.map((h) => h.name).join(', ')} and ${i.plan.network}'s containers in network namespaces ${i.prefix}*`);
  const lab = new OverlayLab(ws, i.prefix);
  try {
    lab.build();
    for (const h of ws.hosts) {
      const why = lab.refuses(h.name, i.rules.get(h.name)?.text ?? '');
      if (why) throw new KernelRefused(`iptables-nft-restore refuses ${h.name}'s rules, which nflens check accepts: ${why}`);
    }
    await lab.startAgents(i.plan.listen);
    await lab.startMonitors();
    let caseNo = 0;
    const run = async (): Promise<OverlayCase> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(lab, i, ws, caseNo++);
        } catch (e) {
          if (!(e instanceof TraceLost) || attempt >= ATTEMPTS) throw e;
          i.progress(`a host's trace was lost (${e.message}); trying again`);
          if (lab.monitorLost()) await lab.startMonitors();
        }
      }
    };
    i.progress('loading each host\'s rules with iptables-nft-restore and sending the conversation');
    const first = await run();
    if (first.replay.agree) return { result: first };
    i.progress('the traces differ; running the conversation again to rule out timing artefacts');
    const second = await run();
    return second.replay.agree ? { result: second, unrepeated: first } : { result: first };
  } finally {
    lab.destroy();
  }
}
