/**
 * Rulesets whose chains jump into one another several levels deep (mangle with MARK rewrites, and
 * filter), and edits of rules in the deeper chains: every chain above an edited one is walked again
 * (a re-analysis reads what its rules took from its previous walk until a chain below returns
 * other packets: walk.ts). For the tests that hold a re-analysis to a fresh one.
 */
import type { Rng } from './netlab/traceGenerator';

/** Chains C0 … C8 per table; Ci jumps or goes only to deeper chains. */
const CHAINS = 9;

function condition(r: Rng): string {
  const parts: string[] = [];
  if (r.chance(0.4)) parts.push(`-s 10.${r.int(4)}.0.0/${r.pick([8, 16, 24])}`);
  if (r.chance(0.4)) parts.push(`-d 10.${r.int(4)}.${r.int(3)}.0/${r.pick([16, 24])}`);
  if (r.chance(0.5)) {
    const p = r.pick(['tcp', 'udp']);
    parts.push(`-p ${p}`);
    if (r.chance(0.6)) parts.push(`-m ${p} --dport ${r.pick(['22', '80', '443', '1000:2000', '53'])}`);
  }
  if (r.chance(0.2)) parts.push(`-m mark --mark 0x${r.int(4)}`);
  if (r.chance(0.2)) parts.push(`-i eth${r.int(2)}`);
  return parts.join(' ');
}

/** A rule of chain Ci of the table. */
export function deepRule(r: Rng, table: string, i: number): string {
  const deeper = Array.from({ length: CHAINS - i - 1 }, (_, k) => `C${i + 1 + k}`);
  const verdicts = table === 'mangle' ? ['ACCEPT', 'RETURN', 'MARK --set-mark 0x1', 'MARK --set-xmark 0x2/0x3', 'MARK --or-mark 0x1'] : ['ACCEPT', 'DROP', 'RETURN'];
  const target = deeper.length && r.chance(0.45) ? `${r.chance(0.15) ? '-g' : '-j'} ${r.pick(deeper)}` : `-j ${r.pick(verdicts)}`;
  return `-A C${i} ${condition(r)} ${target}`.replace(/ +/g, ' ');
}

export interface DeepRuleset {
  readonly lines: string[];
  /** Rule lines: the table and the chain's number. */
  readonly rules: ReadonlyMap<number, readonly [string, number]>;
}

export function deepRuleset(r: Rng): DeepRuleset {
  const lines: string[] = [];
  const rules = new Map<number, readonly [string, number]>();
  for (const table of ['mangle', 'filter']) {
    lines.push(`*${table}`);
    const builtins = table === 'mangle' ? ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] : ['INPUT', 'FORWARD', 'OUTPUT'];
    for (const b of builtins) lines.push(`:${b} ACCEPT [0:0]`);
    for (let i = 0; i < CHAINS; i++) lines.push(`:C${i} - [0:0]`);
    for (const b of builtins) for (let k = 0; k < 2; k++) lines.push(`-A ${b} ${condition(r)} -j C${r.int(4)}`.replace(/ +/g, ' '));
    for (let i = 0; i < CHAINS; i++) {
      const n = 2 + r.int(5);
      for (let k = 0; k < n; k++) {
        rules.set(lines.length, [table, i]);
        lines.push(deepRule(r, table, i));
      }
    }
    lines.push('COMMIT');
  }
  lines.push('');
  return { lines, rules };
}

/** Changes a rule of a chain three or more levels down (in place): returns what it did. */
export function deepEdit(d: DeepRuleset, r: Rng): string {
  const all = [...d.rules.keys()];
  const deep = all.filter((l) => d.rules.get(l)![1] >= 3);
  const at = r.pick(deep.length ? deep : all);
  const [table, i] = d.rules.get(at)!;
  d.lines[at] = deepRule(r, table, i);
  return `line ${at + 1}: ${d.lines[at]}`;
}
