/**
 * Where the kernel's trace and the emulator's first part: the packet, then
 * the base chain (table and hook), then what differs there — the chain
 * run itself, the packet's addresses as it entered, or the first rule (or
 * policy) that matched on one side and not the same on the other, with its
 * line in the rules file. Across an overlay workspace, also the host it is
 * on and that host's rules file. For one host, whether the replay of the
 * kernel's packets differs or the emulator's own trace does.
 */
import type { Ruleset } from '../lang/iptables/ruleset';
import { runText, stepText, type ChainRun, type EpisodeComparison, type ReplayResult, type RunStep } from './replay';
import type { TraceCheck } from './traceAgainstKernel';
import { ruleWords } from './verifyReport';

export interface RuleAt {
  readonly table: string;
  readonly chain: string;
  /** Position in the chain; absent for the policy. */
  readonly index?: number;
  /** 1-based line in the rules file. */
  readonly line?: number;
  readonly text?: string;
  readonly policy?: boolean;
}

/** One side at the point of difference. */
export interface SideAt {
  /** The base chain's run, as compared ("filter FORWARD a>b | FORWARD#0:ACCEPT"). */
  readonly run?: string;
  /** The packet's addresses and ports as it entered that chain. */
  readonly packet?: string;
  /** The step that differs ("FORWARD#0:DROP"), and the rule it names. */
  readonly step?: string;
  readonly rule?: RuleAt;
  readonly verdict?: string;
  /** Emulator: the rule's matches it decided by assumption (--assume), not by evaluating them. */
  readonly assumed?: readonly string[];
}

export interface FirstDifference {
  /**
   * 1-based: in the order the kernel traced them; for a difference in the
   * trace itself, the trace's own packet number in its conversation (a
   * kernel packet the trace lacks: the kernel's number).
   */
  readonly packet: number;
  readonly packetTitle: string;
  /**
   * One host: 'replay' when the kernel's packets replayed through the
   * emulator part from the kernel, 'trace' when the emulator's own trace
   * (what nflens trace shows) does.
   */
  readonly in?: 'replay' | 'trace';
  /** Overlay workspaces: the host where they part, and its rules file (the rule lines are that file's). */
  readonly host?: string;
  readonly rulesFile?: string;
  /** Where they part: … or the trace's fate for a packet, a trace packet the kernel never traced, a kernel packet the trace does not have. */
  readonly what: 'chains' | 'packet' | 'rule' | 'note' | 'fate' | 'missing' | 'extra';
  readonly hook?: string;
  readonly table?: string;
  readonly chain?: string;
  readonly kernel: SideAt;
  readonly emulator: SideAt;
  /** The difference in one sentence. */
  readonly explanation: string;
}

function ruleAt(rs: Ruleset, lines: readonly string[], table: string, s: RunStep): RuleAt {
  if (s.policy) return { table, chain: s.chain, policy: true };
  const r = s.index !== undefined ? rs.tables.get(table)?.chains.get(s.chain)?.rules[s.index] : undefined;
  const line = r?.command.line;
  return { table, chain: s.chain, ...(s.index !== undefined ? { index: s.index } : {}), ...(line !== undefined ? { line: line + 1, text: lines[line]?.replace(/\r$/, '').trim() } : {}) };
}

/** Why an emulator step may differ: it could not evaluate a match and assumed it. */
function assumedWords(assumed: readonly string[] | undefined): string {
  return assumed?.length ? `, since ${assumed.join('; ')} (the kernel evaluates it; --assume changes the assumption)` : '';
}

const runWords = (r: ChainRun | undefined): string => (r ? `${r.table} ${r.hook}` : 'no further chain');

function side(r: ChainRun | undefined, text: string | undefined, s: RunStep | undefined, rule: RuleAt | undefined): SideAt {
  return {
    ...(text ? { run: text } : {}), ...(r ? { packet: r.packet } : {}), ...(s ? { step: stepText(s), verdict: s.verdict } : {}), ...(rule ? { rule } : {}),
    ...(s?.assumed ? { assumed: s.assumed } : {}),
  };
}

function inEpisode(e: EpisodeComparison, n: number, rs: Ruleset, lines: readonly string[], where: { host?: string; rulesFile?: string } = {}): FirstDifference {
  const base = { packet: n, packetTitle: e.title, ...where };
  const len = Math.max(e.kernel.length, e.emulator.length);
  let i = 0;
  while (i < len && e.kernel[i] === e.emulator[i]) i++;
  if (i === len) return { ...base, what: 'note', kernel: {}, emulator: {}, explanation: e.note ?? 'the traces differ' };
  const k = e.runs.kernel[i];
  const m = e.runs.emulator[i];
  if (!k || !m || k.table !== m.table || k.hook !== m.hook) {
    return {
      ...base, what: 'chains', ...(k && m && k.hook === m.hook ? { hook: k.hook } : {}),
      kernel: side(k, e.kernel[i], undefined, undefined), emulator: side(m, e.emulator[i], undefined, undefined),
      explanation: `after the same ${i} chain run${i === 1 ? '' : 's'}, the kernel's packet goes to ${runWords(k)} and the emulator's to ${runWords(m)}`,
    };
  }
  const at = { hook: k.hook, table: k.table };
  if (k.packet !== m.packet) {
    return {
      ...base, what: 'packet', ...at, kernel: side(k, e.kernel[i], undefined, undefined), emulator: side(m, e.emulator[i], undefined, undefined),
      explanation: `entering ${k.table} ${k.hook}, the packet is ${k.packet} in the kernel but ${m.packet} in the emulator`,
    };
  }
  let j = 0;
  while (j < Math.max(k.steps.length, m.steps.length) && k.steps[j] && m.steps[j] && stepText(k.steps[j]!) === stepText(m.steps[j]!)) j++;
  const ks = k.steps[j];
  const ms = m.steps[j];
  const kr = ks && ruleAt(rs, lines, k.table, ks);
  const mr = ms && ruleAt(rs, lines, m.table, ms);
  return {
    ...base, what: 'rule', ...at, chain: (ks ?? ms)?.chain ?? k.hook,
    kernel: side(k, e.kernel[i], ks, kr), emulator: side(m, e.emulator[i], ms, mr),
    explanation: `in ${k.table} ${k.hook}, the kernel: ${ruleWords(kr, ks?.verdict)}; the emulator: ${ruleWords(mr, ms?.verdict)}${assumedWords(ms?.assumed)}`,
  };
}

/** The first difference, or undefined when every packet agrees. */
export function firstDifference(r: ReplayResult, rs: Ruleset, rulesText: string): FirstDifference | undefined {
  const n = r.episodes.findIndex((e) => !e.agree);
  if (n < 0) return undefined;
  return { ...inEpisode(r.episodes[n]!, n + 1, rs, rulesText.split('\n')), in: 'replay' };
}

/** The first packet where the emulator's own trace and the kernel part, or undefined when they agree. */
export function firstTraceDifference(c: TraceCheck, rs: Ruleset, rulesText: string): FirstDifference | undefined {
  const d = c.checks.find((x) => x.status === 'differ');
  if (!d) return undefined;
  const t = d.trace;
  const k = d.kernel;
  const title = t ? `the trace's packet ${t.n} (${t.label}): ${t.start === 'out' ? 'local' : 'arriving'} ${t.addr}${t.flags ? ` [${t.flags}]` : ''}` : `the kernel's packet ${k!.index}: ${k!.title}`;
  const base = { packet: t?.n ?? k!.index, packetTitle: title, in: 'trace' as const };
  if (d.what === 'runs' && t && k) {
    const e: EpisodeComparison = { title, kernel: k.runs.map(runText), emulator: t.runs.map(runText), runs: { kernel: k.runs, emulator: t.runs }, agree: false };
    const d = inEpisode(e, t.n, rs, rulesText.split('\n'));
    return { ...d, ...base, explanation: d.explanation.replace('; the emulator: ', '; the trace: ').replace(' in the emulator', ' in the trace').replace(' and the emulator\'s to ', ' and the trace\'s to ') };
  }
  const last = (runs: readonly ChainRun[] | undefined): ChainRun | undefined => runs?.[runs.length - 1];
  const sideOf = (runs: readonly ChainRun[] | undefined): SideAt => {
    const r = last(runs);
    return r ? side(r, runText(r), undefined, undefined) : {};
  };
  return { ...base, what: d.what === 'runs' || !d.what ? 'note' : d.what, kernel: sideOf(k?.runs), emulator: sideOf(t?.runs), explanation: d.why ?? 'the trace differs' };
}

/** The rules a host of an overlay workspace loaded. */
export interface HostRules {
  readonly ruleset: Ruleset;
  readonly text: string;
  readonly file?: string;
}

/** The first difference across an overlay workspace's hosts, named by host, or undefined when every crossing agrees. */
export function firstOverlayDifference(episodes: readonly (EpisodeComparison & { readonly host: string })[], rules: ReadonlyMap<string, HostRules>): FirstDifference | undefined {
  const n = episodes.findIndex((e) => !e.agree);
  if (n < 0) return undefined;
  const e = episodes[n]!;
  const r = rules.get(e.host);
  const empty: Ruleset = { family: 'ipv4', tables: new Map() };
  const d = inEpisode(e, n + 1, r?.ruleset ?? empty, (r?.text ?? '').split('\n'), { host: e.host, ...(r?.file ? { rulesFile: r.file } : {}) });
  return { ...d, explanation: `on ${e.host}, ${d.explanation}` };
}
