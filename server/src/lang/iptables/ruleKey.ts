/**
 * A canonical key for a rule, equal for two rules the kernel stores alike
 * (used by `-D rule-spec`, `-C`, and duplicate-rule checks): addresses are
 * pre-masked, `-p tcp --dport` equals `-p tcp -m tcp --dport`, options are
 * compared by their parsed values, not their spelling.
 */
import type { AddrSpec, RuleSpec } from './ast';
import { cidrToString, ipv6ToString } from './inet';

function stable(v: unknown): string {
  if (v === undefined) return 'u';
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v instanceof Set) return `{${[...v].map(stable).sort().join(',')}}`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${k}:${stable(o[k])}`)
    .join(',')}}`;
}

function addr(a: AddrSpec | undefined, pick?: number): string {
  if (!a) return '';
  const all = [...a.v4.map(cidrToString), ...a.v6.map((c) => `${ipv6ToString(c.groups)}/${c.prefix}`), ...a.hostnames];
  const list = pick === undefined ? all : all.slice(pick, pick + 1);
  const isAny = list.length === 1 && (list[0] === '0.0.0.0/0' || list[0] === '::/0');
  return isAny && !a.invert ? '' : `${a.invert ? '!' : ''}${list.join(',')}`;
}

/** With `pair`, only that source/destination address of a multi-address rule counts (one kernel rule). */
export function ruleKey(r: RuleSpec, pair?: { readonly srcIndex?: number; readonly dstIndex?: number }): string {
  const parts = [
    addr(r.src, pair ? pair.srcIndex ?? 0 : undefined),
    addr(r.dst, pair ? pair.dstIndex ?? 0 : undefined),
    r.inIface && r.inIface.name !== '+' ? `${r.inIface.invert ? '!' : ''}${r.inIface.name}` : '',
    r.outIface && r.outIface.name !== '+' ? `${r.outIface.invert ? '!' : ''}${r.outIface.name}` : '',
    r.proto && (r.proto.num !== 0 || r.proto.invert) ? `${r.proto.invert ? '!' : ''}${r.proto.num}` : '',
    r.fragment ? (r.fragment.invert ? '!f' : 'f') : '',
    r.matches.map((m) => `${m.name}${stable(m.data)}`).join(';'),
  ];
  const t = r.target;
  if (!t) parts.push('');
  else if (t.kind === 'verdict') parts.push(t.name);
  else if (t.kind === 'jump') parts.push(`${t.goto ? 'g' : 'j'}:${t.chain}`);
  else parts.push(`x:${t.use.name}${stable(t.use.data)}`);
  return parts.join('|');
}
