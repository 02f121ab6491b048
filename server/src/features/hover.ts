/**
 * Hover: what a chain, option, match, target or table means, in plain words.
 * (Flow explanations for whole rules plug in here: see ruleHover.)
 */
import type { Hover, Position } from 'vscode-languageserver/node';
import type { IptablesAnalysis } from '../lang/iptables/analyze';
import type { ExtensionUse } from '../lang/iptables/ast';
import type { LoadedChain } from '../lang/iptables/ruleset';
import { BASE_OPTION_DOCS } from '../lang/iptables/docs';
import { findTarget } from '../lang/iptables/extensions/registry';
import { contains, locate } from '../lang/iptables/navigation';
import type { ExtOption } from '../lang/iptables/xtoptions';
import { fromPosition, toRange } from './convert';

const TABLE_DOCS: Record<string, string> = {
  filter: 'The **filter** table decides whether packets pass: chains INPUT (to this host), FORWARD (routed through it) and OUTPUT (from it).',
  nat: 'The **nat** table chooses address translations, once per connection (its first packet): DNAT/REDIRECT in PREROUTING and OUTPUT, SNAT/MASQUERADE in POSTROUTING (and SNAT in INPUT). Later packets and replies follow the connection.',
  mangle: 'The **mangle** table alters packets and marks (MARK, TOS, TTL, TCPMSS…) in every hook.',
  raw: 'The **raw** table runs before connection tracking (PREROUTING, OUTPUT): NOTRACK/CT exemptions and TRACE.',
  security: 'The **security** table applies SELinux labels (SECMARK/CONNSECMARK) after filter.',
};

function describeUse(ext: ExtensionUse): string | undefined {
  try {
    return ext.spec?.describe?.(ext.data);
  } catch {
    return undefined;
  }
}

/** Where a chain is jumped to from: the first few sites, then how many more (KUBE-MARK-MASQ has tens of thousands). */
const SITES_SHOWN = 20;
function jumpSites(chains: Iterable<LoadedChain>, name: string): string {
  const shown: string[] = [];
  let count = 0;
  for (const c of chains) {
    for (const r of c.rules) {
      if (r.facts.jumpTo !== name) continue;
      if (count++ < SITES_SHOWN) shown.push(`${c.name} (line ${r.command.line + 1})`);
    }
  }
  if (count === 0) return 'Nothing jumps to it: no packet reaches it.';
  return `Jumped to from ${shown.join(', ')}${count > SITES_SHOWN ? ` and ${count - SITES_SHOWN} more rules` : ''}.`;
}

/** `flows(line)`: markdown about the rule on that line (what it matches), when reachability is available. */
export function hover(analysis: IptablesAnalysis, pos: Position, flows?: (line: number) => string | undefined): Hover | null {
  const file = analysis.parsed.file;
  const p = fromPosition(pos);
  const l = locate(file, p);
  if (!l) return null;
  switch (l.kind) {
    case 'table':
      return { contents: { kind: 'markdown', value: TABLE_DOCS[l.block.name.text] ?? `Unknown table "${l.block.name.text}".` }, range: toRange(l.block.name.span) };
    case 'chain': {
      const ref = l.ref;
      const loaded = analysis.parsed.ruleset.tables.get(ref.table);
      const chain = loaded?.block === ref.block ? loaded.chains.get(ref.name) : undefined;
      const lines: string[] = [`**${ref.name}** — ${chain?.builtin ? `built-in chain of table ${ref.table}` : `user chain in table ${ref.table}`}`];
      if (!chain && findTarget(ref.name, file.family)) lines.push(`"${ref.name}" is a target, not a chain.`);
      if (chain) {
        if (chain.builtin) lines.push(`Policy: **${chain.policy}** (what happens to packets that reach the end).`);
        lines.push(`${chain.rules.length} rule${chain.rules.length === 1 ? '' : 's'}${chain.declLine !== undefined ? `, declared on line ${chain.declLine + 1}` : ''}.`);
        if (!chain.builtin) lines.push(jumpSites(loaded!.chains.values(), ref.name));
      }
      return { contents: { kind: 'markdown', value: lines.join('\n\n') }, range: toRange(ref.span) };
    }
    case 'option': {
      const spec = l.ext.spec;
      const opt = spec?.options.find((o: ExtOption) => o.name === l.option.name);
      const head = `\`--${l.option.name}\` (${l.ext.name} ${spec?.kind ?? 'extension'})`;
      const parts = [head];
      if (opt?.doc) parts.push(opt.doc);
      const d = describeUse(l.ext);
      if (d) parts.push(`This ${spec?.kind === 'target' ? 'target' : 'match'}: ${d}.`);
      if (!spec) parts.push('Netfilter Lens does not know this extension; the option is kept as written.');
      return { contents: { kind: 'markdown', value: parts.join('\n\n') }, range: toRange(l.onArg ? l.option.argSpan! : l.option.span) };
    }
    case 'extension': {
      const spec = l.ext.spec;
      const parts = [`**${l.ext.name}** ${l.role}`, spec?.summary ?? 'Not known to Netfilter Lens: iptables loads it only if the module exists on the host.'];
      const d = describeUse(l.ext);
      if (d) parts.push(`Here: ${d}.`);
      const f = l.role === 'target' ? flows?.(l.command.line) : undefined;
      if (f) parts.push('---', f);
      return { contents: { kind: 'markdown', value: parts.join('\n\n') }, range: toRange(l.ext.nameSpan) };
    }
    case 'verdict': {
      const spec = findTarget(l.name, file.family);
      return { contents: { kind: 'markdown', value: `**${l.name}** — ${spec?.summary ?? ''}` } };
    }
    case 'rule': {
      const rule = l.command.rule;
      if (!rule) return null;
      const base: Array<[keyof typeof BASE_OPTION_DOCS, { span: import('../lang/diagnostic').Span } | undefined]> = [
        ['s', rule.src], ['d', rule.dst], ['i', rule.inIface], ['o', rule.outIface], ['p', rule.proto], ['f', rule.fragment],
      ];
      for (const [k, v] of base) {
        if (v && contains(v.span, p)) return { contents: { kind: 'markdown', value: `\`-${k}\` — ${BASE_OPTION_DOCS[k]}` }, range: toRange(v.span) };
      }
      if (rule.target?.kind === 'jump' && contains(rule.target.span, p)) {
        const jf = flows?.(l.command.line);
        return { contents: { kind: 'markdown', value: `\`-${rule.target.goto ? 'g' : 'j'}\` — ${BASE_OPTION_DOCS[rule.target.goto ? 'g' : 'j']}${jf ? `\n\n---\n\n${jf}` : ''}` } };
      }
      const f = flows?.(l.command.line);
      return f ? { contents: { kind: 'markdown', value: f }, range: toRange(l.command.span) } : null;
    }
  }
}
