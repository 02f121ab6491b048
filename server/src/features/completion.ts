/** Completion: tables, chains, options of the modules in scope, targets, states, address types. */
import { CompletionItemKind, type CompletionItem, type Position } from 'vscode-languageserver/node';
import type { IptablesAnalysis } from '../lang/iptables/analyze';
import { ADDRTYPE_NAMES, BASE_OPTION_DOCS, COMMAND_DOCS, PROTOCOL_COMPLETIONS, STATE_NAMES } from '../lang/iptables/docs';
import type { AnyExtension } from '../lang/iptables/extension';
import { allMatches, allTargets, findMatch, findTarget } from '../lang/iptables/extensions/registry';
import { blockAt } from '../lang/iptables/navigation';
import { BUILTIN_CHAINS, isTableName, TABLE_NAMES } from '../lang/iptables/tables';
import { tokenizeArgs } from '../lang/iptables/tokenize';
import type { ExtOption } from '../lang/iptables/xtoptions';

const CHAIN_CMDS = new Set(['-A', '--append', '-I', '--insert', '-D', '--delete', '-R', '--replace', '-C', '--check', '-F', '--flush', '-Z', '--zero', '-X', '--delete-chain', '-P', '--policy', '-E', '--rename-chain', '-L', '--list', '-S', '--list-rules']);

const VALUE_SETS: Record<string, readonly string[]> = {
  ctstate: STATE_NAMES,
  state: ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED'],
  'src-type': ADDRTYPE_NAMES,
  'dst-type': ADDRTYPE_NAMES,
  'reject-with': ['icmp-net-unreachable', 'icmp-host-unreachable', 'icmp-port-unreachable', 'icmp-proto-unreachable', 'icmp-net-prohibited', 'icmp-host-prohibited', 'icmp-admin-prohibited', 'tcp-reset'],
  'log-level': ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'],
  ctstatus: ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'],
  ctdir: ['ORIGINAL', 'REPLY'],
  mode: ['random', 'nth'],
  'pkt-type': ['unicast', 'broadcast', 'multicast'],
  'icmp-type': ['any', 'echo-reply', 'destination-unreachable', 'network-unreachable', 'host-unreachable', 'port-unreachable', 'fragmentation-needed', 'source-quench', 'redirect', 'echo-request', 'time-exceeded', 'parameter-problem', 'timestamp-request', 'timestamp-reply'],
};

function item(label: string, kind: CompletionItemKind, detail?: string, doc?: string): CompletionItem {
  const it: CompletionItem = { label, kind };
  if (detail) it.detail = detail;
  if (doc) it.documentation = doc;
  return it;
}

function targetAllowed(t: AnyExtension, table: string): boolean {
  return !t.kernel?.table || t.kernel.table === table;
}

export function completion(analysis: IptablesAnalysis, lineText: string, pos: Position): CompletionItem[] {
  const file = analysis.parsed.file;
  const prefix = lineText.slice(0, pos.character);
  const block = blockAt(file, pos.line) ?? [...file.tables].reverse().find((b) => b.line < pos.line && (b.commitLine === undefined || b.commitLine >= pos.line));
  const inTable = !!block && (block.commitLine === undefined || block.commitLine >= pos.line) && block.line < pos.line;
  const table = inTable ? block!.name.text : undefined;

  if (prefix.startsWith('*')) return TABLE_NAMES.map((t) => item(t, CompletionItemKind.Module, 'table'));
  const chainNames = (): string[] => {
    if (!block) return [];
    const names = new Set<string>(isTableName(block.name.text) ? BUILTIN_CHAINS[block.name.text] : []);
    for (const c of block.chains) names.add(c.name.text);
    for (const c of block.commands) if (c.kind === 'N' && c.chain) names.add(c.chain.text);
    return [...names];
  };
  if (prefix.startsWith(':')) return chainNames().map((c) => item(c, CompletionItemKind.Function, 'chain'));
  if (!inTable) {
    if (/^\s*\w*$/.test(prefix)) return TABLE_NAMES.map((t) => ({ ...item(`*${t}`, CompletionItemKind.Module, 'start a table'), insertText: `*${t}` }));
    return [];
  }
  const toks = tokenizeArgs(prefix).tokens;
  const endsWithSpace = /\s$/.test(prefix) || prefix.length === 0;
  const current = endsWithSpace ? '' : toks[toks.length - 1]?.text ?? '';
  const prev = (endsWithSpace ? toks[toks.length - 1] : toks[toks.length - 2])?.text;

  if (toks.length === 0 || (toks.length === 1 && !endsWithSpace)) {
    const items = [item('COMMIT', CompletionItemKind.Keyword, 'close the table')];
    for (const [c, doc] of Object.entries(COMMAND_DOCS)) items.push(item(`-${c}`, CompletionItemKind.Keyword, 'command', doc));
    return items;
  }
  if (prev && CHAIN_CMDS.has(prev)) return chainNames().map((c) => item(c, CompletionItemKind.Function, 'chain'));
  if (prev === '-j' || prev === '--jump') {
    const out = allTargets().filter((t) => !t.family || t.family === file.family).filter((t) => targetAllowed(t, table!)).map((t) => item(t.name, CompletionItemKind.Constant, 'target', t.summary));
    for (const c of chainNames()) if (!isTableName(table!) || !(BUILTIN_CHAINS[table] as readonly string[]).includes(c)) out.push(item(c, CompletionItemKind.Function, 'user chain'));
    return out;
  }
  if (prev === '-g' || prev === '--goto') return chainNames().filter((c) => !(BUILTIN_CHAINS[table as 'filter'] as readonly string[] | undefined)?.includes(c)).map((c) => item(c, CompletionItemKind.Function, 'user chain'));
  if (prev === '-m' || prev === '--match') {
    return allMatches().filter((m) => !m.family || m.family === file.family).map((m) => item(m.name, CompletionItemKind.Module, 'match', m.summary));
  }
  if (prev === '-p' || prev === '--protocol') return PROTOCOL_COMPLETIONS.map((p) => item(p, CompletionItemKind.EnumMember, 'protocol'));
  if (prev?.startsWith('--')) {
    const set = VALUE_SETS[prev.slice(2)];
    if (set) {
      const already = current.includes(',') ? current.slice(0, current.lastIndexOf(',') + 1) : '';
      return set.map((v) => ({ ...item(v, CompletionItemKind.EnumMember), insertText: v, filterText: already + v, ...(already ? { textEdit: undefined } : {}) }));
    }
  }
  // Options: base ones plus those of the modules loaded so far on this line.
  const exts: AnyExtension[] = [];
  for (let i = 0; i < toks.length - 1; i++) {
    const t = toks[i]!.text;
    const v = toks[i + 1]!.text;
    if (t === '-m' || t === '--match') {
      const m = findMatch(v, file.family);
      if (m) exts.push(m);
    } else if (t === '-p' || t === '--protocol') {
      const m = findMatch(v.toLowerCase(), file.family);
      if (m) exts.push(m);
    } else if (t === '-j' || t === '--jump') {
      const tg = findTarget(v, file.family);
      if (tg) exts.push(tg);
    }
  }
  const out: CompletionItem[] = [];
  if (current.startsWith('-') || endsWithSpace) {
    for (const e of exts.reverse()) {
      for (const o of e.options as readonly ExtOption[]) out.push(item(`--${o.name}`, CompletionItemKind.Property, `${e.name} ${e.kind}`, o.doc));
    }
    for (const [k, doc] of Object.entries(BASE_OPTION_DOCS)) out.push(item(`-${k}`, CompletionItemKind.Property, 'rule option', doc));
  }
  return out;
}
