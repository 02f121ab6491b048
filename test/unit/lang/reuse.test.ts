/**
 * A parse given the previous parse of the same document (ParseOptions.previous)
 * reuses the shapes of the lines that did not change; its result must be
 * exactly a fresh parse's. Random edits (lines changed, inserted, deleted,
 * among them table headers, COMMIT, chain lines, broken and other-table lines,
 * a final newline removed) on generated files and a kube-proxy-style dump,
 * each reparse chained on the one before; compared deeply with a fresh parse:
 * diagnostics, the file model (every command's line, spans, jump), every
 * loaded rule (line, chain, facts, full model).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeIptables } from '../../../server/src/lang/iptables/analyze';
import type { Backend } from '../../../server/src/lang/iptables/extension';
import type { Family } from '../../../server/src/lang/iptables/inet';
import { lintIptables, tablesLintedWhole } from '../../../server/src/lang/iptables/lints';
import { validTableChainsRead } from '../../../server/src/lang/iptables/validTable';
import { parseIptables, type ParsedIptables } from '../../../server/src/lang/iptables/restoreParser';
import { cacheOf } from '../../../server/src/lang/iptables/lineCache';
import { SPLICE_MAX_LINES } from '../../../server/src/lang/iptables/tableSplice';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateFile, Rng } from '../../helpers/restoreGenerator';
import { PieceText } from '../../../server/src/lang/pieceText';
import { commonPrefix, commonSuffix } from '../../../server/src/lang/iptables/lineCache';

/** Plain data: extensions by name, bigints and sets spelled out, spans as {start, end}. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Set || x instanceof Map) return [...x];
    if (x && typeof x === 'object' && typeof (x as { init?: unknown }).init === 'function') return `ext:${(x as { name: string }).name}`;
    return x;
  }));
}

function view(p: ParsedIptables): unknown {
  const file = p.file;
  return plain({
    diagnostics: p.diagnostics,
    family: file.family,
    lineCount: file.lineCount,
    comments: file.comments,
    tables: file.tables.map((b) => ({
      name: b.name,
      line: b.line,
      commitLine: b.commitLine,
      span: b.span,
      chains: b.chains,
      commands: b.commands.map((c) => ({ kind: c.kind, line: c.line, restoreLine: c.restoreLine, chain: c.chain, ruleNum: c.ruleNum, policy: c.policy, newName: c.newName, hasRule: c.hasRule, jump: c.jump, span: c.span, targetSpan: c.targetSpan })),
    })),
    ruleset: [...p.ruleset.tables.values()].map((t) => ({
      name: t.name,
      committed: t.committed,
      builtins: t.builtins,
      blockLine: t.block.line,
      chains: [...t.chains.values()].map((c) => ({
        name: c.name, builtin: c.builtin, policy: c.policy, policySpan: c.policySpan, declSpan: c.declSpan, declLine: c.declLine, absent: c.absent,
        rules: c.rules.map((r) => ({ line: r.command.line, restoreLine: r.command.restoreLine, span: r.command.span, chain: r.chain, src: r.srcIndex, dst: r.dstIndex, facts: r.facts, spec: r.spec })),
      })),
    })),
  });
}

const EXTRA_LINES = [
  '*filter', '*nat', '*mangle', '*raw', 'COMMIT', 'COMMIT ', ':INPUT DROP [0:0]', ':USER - [0:0]', ':KUBE-MARK-MASQ - [0:0]', ':FORWARD ACCEPT',
  '-A INPUT -j ACCEPT', '-A USER -j RETURN', '-A INPUT -j USER', '-A INPUT -j NOSUCH', '-A PREROUTING -j DROP', '-A OUTPUT -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1',
  '-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -p tcp --dport 22 -j ACCEPT', '-A INPUT -m nosuch -j ACCEPT', '-X USER', '-F', '-N NEW', '-I INPUT 1 -j DROP', '-D INPUT 1',
  '# a comment', '', '  ', 'garbage', '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000', '-A POSTROUTING -j MASQUERADE',
  // Lines read in pieces (over 10,239 bytes), Windows line ends, NUL, and -h (nothing after it is read).
  `-A INPUT -m comment --comment "${'x'.repeat(12_000)}" -j ACCEPT`, '-A INPUT -j ACCEPT\r', 'COMMIT\r', '-A INPUT -j DROP\0 tail', '-A INPUT -h',
];

/** One random edit of the lines. */
function edit(lines: string[], rng: Rng): string {
  const i = rng.int(0, lines.length);
  const other = (): string => (rng.chance(0.5) && lines.length ? rng.pick(lines) : rng.pick(EXTRA_LINES));
  switch (rng.int(0, 4)) {
    case 0:
      lines.splice(i, 0, other());
      return `insert at ${i}`;
    case 1:
      if (i < lines.length) lines.splice(i, 1);
      return `delete ${i}`;
    case 2:
      if (i < lines.length) lines[i] = other();
      return `replace ${i}`;
    case 3: {
      if (i >= lines.length) return 'nothing';
      // A small change inside the line: a character dropped or doubled.
      const l = lines[i]!;
      const k = rng.int(0, Math.max(0, l.length - 1));
      lines[i] = rng.chance(0.5) ? l.slice(0, k) + l.slice(k + 1) : l.slice(0, k) + l.slice(k, k + 1) + l.slice(k);
      return `alter ${i}`;
    }
    default: {
      const j = rng.int(0, lines.length);
      const [moved] = lines.splice(i, 1);
      if (moved !== undefined) lines.splice(Math.min(j, lines.length), 0, moved);
      return `move ${i} to ${j}`;
    }
  }
}

/**
 * The unused-chain warnings, worked out here from the loaded rules (the lint
 * may take the names jumped to from the validation a parse kept, which a
 * fresh parse keeps too).
 */
function unusedChains(p: ParsedIptables): string[] {
  const errorLines = new Set(p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.start.line));
  const out: string[] = [];
  for (const block of p.file.tables) {
    const t = p.ruleset.tables.get(block.name.text);
    const end = block.commitLine ?? block.span.end.line;
    if (!t || t.block !== block || [...errorLines].some((l) => l >= block.line && l <= end)) continue;
    const jumped = new Set([...t.chains.values()].flatMap((c) => c.rules.map((r) => r.facts.jumpTo)));
    for (const c of t.chains.values()) if (!c.builtin && c.declSpan && !jumped.has(c.name)) out.push(`${t.name} ${c.name}`);
  }
  return out.sort();
}

function unusedWarned(p: ParsedIptables): string[] {
  return lintIptables(p).filter((d) => d.code === 'unused-chain').map((d) => `${p.file.tables.find((b) => b.line <= d.span.start.line && d.span.start.line <= (b.commitLine ?? b.span.end.line))?.name.text} ${/"([^"]+)"/.exec(d.message)![1]}`).sort();
}

/**
 * One edit of rule lines only, as many lines after as before (what a reparse
 * may splice, tableSplice.ts): a rule line replaced by another of the file or
 * of EXTRA_LINES, altered, given a bad option, or a few consecutive ones
 * replaced at once.
 */
function ruleEdit(lines: string[], rng: Rng): string {
  const rules = lines.flatMap((l, i) => (l.startsWith('-') ? [i] : []));
  if (!rules.length) return edit(lines, rng);
  const i = rng.pick(rules);
  // Mostly -A lines: a command of another kind (-I, -D, -X, -h …) stops later edits from splicing that table.
  const ruleLike = EXTRA_LINES.filter((l) => l.startsWith('-') && l.length < 200);
  const appends = ruleLike.filter((l) => l.startsWith('-A ') && !l.includes('-h'));
  const other = (): string => (rng.chance(0.5) ? lines[rng.pick(rules)]! : rng.pick(rng.chance(0.9) ? appends : ruleLike));
  switch (rng.int(0, 6)) {
    case 0:
      lines[i] = other();
      return `rule ${i} replaced`;
    case 4:
      lines.splice(i + rng.int(0, 2), 0, ...Array.from({ length: rng.int(1, 3) }, other));
      return `rules inserted at ${i}`;
    case 5:
      lines.splice(i, rng.int(1, 3));
      return `rules deleted at ${i}`;
    case 1: {
      const l = lines[i]!;
      const k = rng.int(1, Math.max(1, l.length - 1));
      lines[i] = rng.chance(0.5) ? l.slice(0, k) + l.slice(k + 1) : l.slice(0, k) + l.slice(k, k + 1) + l.slice(k);
      return `rule ${i} altered`;
    }
    case 2:
      lines[i] = lines[i]!.endsWith(' --bogus') ? lines[i]!.slice(0, -8) : `${lines[i]} --bogus`;
      return `rule ${i} --bogus toggled`;
    default: {
      const n = rng.int(2, 5);
      for (let k = i; k < Math.min(lines.length, i + n); k++) if (lines[k]!.startsWith('-')) lines[k] = other();
      return `rules ${i}+${n} replaced`;
    }
  }
}

/**
 * Two to four edits in one version, anywhere in the file (multi-cursor, "replace all"): mostly of rule
 * lines, sometimes of any line (a table header, COMMIT, a chain line: a step that cannot be spliced).
 */
function multiEdit(lines: string[], rng: Rng): string {
  const n = rng.int(2, 5);
  return Array.from({ length: n }, () => (rng.chance(0.15) ? edit(lines, rng) : ruleEdit(lines, rng))).join(' + ');
}

/** Reparses that spliced a table, those of them after lines were added or removed, and those made of one-place steps (editSteps.ts). */
const splices = { all: 0, moved: 0, stepped: 0 };

/**
 * The editor's document after an edit that made `next` of `was`'s text: the changed stretch put in, in
 * one edit or (sometimes) two, a removal then an insertion, as the editor's pieces would hold them.
 */
function piecesAfter(was: PieceText, wasText: string, next: string, rng: Rng): PieceText {
  const max = Math.min(wasText.length, next.length);
  const p = commonPrefix(wasText, next, max);
  const s = commonSuffix(wasText, next, max - p);
  const put = next.slice(p, next.length - s);
  return rng.chance(0.3) ? was.edit(p, wasText.length - s, '').edit(p, p, put) : was.edit(p, wasText.length - s, put);
}

/** Chained reparses, each compared with a fresh parse; returns how many reparses spliced a table. `pieces`: each version handed over as the editor's document holds it. */
function chainOfEdits(text: string, family: Family, backend: Backend, seed: number, edits: number, label: string, change = edit, checkPrevious = false, pieces = false): number {
  const rng = new Rng(seed);
  const trailing = text.endsWith('\n');
  const lines = (trailing ? text.slice(0, -1) : text).split('\n');
  let previous = parseIptables(pieces ? PieceText.of(text) : text, { family, backend });
  let doc = PieceText.of(text);
  let docText = text;
  let spliced = 0;
  const done: string[] = [];
  for (let k = 0; k < edits; k++) {
    done.push(change(lines, rng));
    const next = lines.join('\n') + (change === edit && rng.chance(0.1) ? '' : '\n');
    // A splice shares the previous parse's objects: it must leave that parse as it was.
    const before = checkPrevious ? view(previous) : undefined;
    if (pieces) {
      doc = piecesAfter(doc, docText, next, rng);
      docText = next;
    }
    const again = parseIptables(pieces ? doc : next, { family, backend, previous });
    if (before) assert.deepStrictEqual(view(previous), before, `${label}: the previous parse changed by ${done.join(', ')}`);
    const fresh = parseIptables(next, { family, backend });
    assert.deepStrictEqual(view(again), view(fresh), `${label}: after ${done.join(', ')}`);
    assert.deepStrictEqual(plain(lintIptables(again, previous)), plain(lintIptables(fresh)), `${label} lints: after ${done.join(', ')}`);
    assert.deepStrictEqual(unusedWarned(again), unusedChains(again), `${label} unused chains: after ${done.join(', ')}`);
    previous = again;
    if (cacheOf(again)?.spliced) {
      spliced++;
      splices.all++;
      if (cacheOf(again)?.movedBy) splices.moved++;
      if (cacheOf(again)?.steps) splices.stepped++;
    }
  }
  return spliced;
}

describe('a reparse given the previous parse gives a fresh parse\'s result', () => {
  it('generated files, valid and mutated, both backends, 8 chained edits each', () => {
    for (let i = 0; i < 120; i++) {
      const f = generateFile(5150, i);
      for (const backend of ['nft', 'legacy'] as const) chainOfEdits(f.text, f.family, backend, i * 31 + (backend === 'nft' ? 1 : 2), 8, `file ${i} ${backend}`);
    }
  });

  it('generated files, both backends, 8 chained edits of rule lines each (a table spliced where it can be: most generated tables are not append-only)', () => {
    let spliced = 0;
    for (let i = 0; i < 60; i++) {
      const f = generateFile(6260, i);
      for (const backend of ['nft', 'legacy'] as const) spliced += chainOfEdits(f.text, f.family, backend, i * 37 + (backend === 'nft' ? 3 : 4), 8, `file ${i} ${backend} (rule edits)`, ruleEdit);
    }
    assert.ok(spliced >= 40, `${spliced} of 960 reparses spliced`);
  });

  it('a kube-proxy-style dump, 40 chained edits, and 60 edits of rule lines (most spliced; the previous parse left as it was)', () => {
    const dump = kubeProxyDump({ services: 40, endpoints: 3 });
    chainOfEdits(dump, 'ipv4', 'nft', 99, 40, 'kube nft');
    chainOfEdits(dump, 'ipv4', 'legacy', 98, 20, 'kube legacy');
    const movedBefore = splices.moved;
    const spliced = chainOfEdits(dump, 'ipv4', 'nft', 97, 40, 'kube nft (rule edits)', ruleEdit, true) + chainOfEdits(dump, 'ipv4', 'legacy', 96, 20, 'kube legacy (rule edits)', ruleEdit, true);
    assert.ok(spliced >= 30, `${spliced} of 60 reparses spliced`);
    assert.ok(splices.moved - movedBefore >= 5, `${splices.moved - movedBefore} spliced after lines were added or removed`);
  });

  it('the same, each version handed over in pieces as the editor\'s document holds it (pieceText.ts)', () => {
    const before = splices.all;
    for (let i = 0; i < 40; i++) {
      const f = generateFile(8480, i);
      chainOfEdits(f.text, f.family, 'nft', i * 43 + 7, 8, `file ${i} (pieces)`, i % 2 ? ruleEdit : edit, false, true);
    }
    const dump = kubeProxyDump({ services: 40, endpoints: 3 });
    chainOfEdits(dump, 'ipv4', 'nft', 93, 40, 'kube nft (pieces, rule edits)', ruleEdit, true, true);
    chainOfEdits(dump, 'ipv4', 'legacy', 92, 15, 'kube legacy (pieces)', edit, false, true);
    chainOfEdits(dump, 'ipv4', 'nft', 91, 10, 'kube nft (pieces, edits in several places)', multiEdit, false, true);
    assert.ok(splices.all - before >= 25, `${splices.all - before} reparses through pieces spliced`);
  });

  it('edits in several places of one version (each place spliced in turn where it can be): generated files, both backends, and a kube-proxy-style dump', () => {
    const before = splices.stepped;
    for (let i = 0; i < 40; i++) {
      const f = generateFile(7370, i);
      for (const backend of ['nft', 'legacy'] as const) chainOfEdits(f.text, f.family, backend, i * 41 + (backend === 'nft' ? 5 : 6), 6, `file ${i} ${backend} (edits in several places)`, multiEdit);
    }
    const dump = kubeProxyDump({ services: 60, endpoints: 3 });
    chainOfEdits(dump, 'ipv4', 'nft', 95, 30, 'kube nft (edits in several places)', multiEdit, true);
    chainOfEdits(dump, 'ipv4', 'legacy', 94, 15, 'kube legacy (edits in several places)', multiEdit, true);
    // Most of these edits fall within one spliceable stretch (256 lines) or hit a line a splice declines.
    assert.ok(splices.stepped - before >= 5, `${splices.stepped - before} reparses made of one-place steps`);
  });

  it('two one-line edits far apart (a kube-proxy-style dump): two splices, and the rule lines between them keep their commands', () => {
    const dump = kubeProxyDump({ services: 300, endpoints: 3 });
    const lines = dump.split('\n');
    const dnat = lines.flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    const [a, b] = [dnat[3]!, dnat.at(-3)!];
    assert.ok(b - a > 3 * SPLICE_MAX_LINES);
    const first = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    lines[a] = lines[a]!.replace(/:(\d+)$/, ':9999');
    lines[b] = `${lines[b]} --bogus`;
    const text = lines.join('\n');
    const again = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: first });
    assert.equal(cacheOf(again)?.steps, 2);
    assert.deepStrictEqual(view(again), view(parseIptables(text, { family: 'ipv4', backend: 'nft' })));
    assert.equal(again.diagnostics.filter((d) => d.severity === 'error').length, 1);
    const commands = (p: ParsedIptables): Map<number, unknown> => new Map(p.file.tables.flatMap((t) => t.commands.map((c) => [c.line, c] as const)));
    const before = commands(first);
    const after = commands(again);
    const between = [...after.keys()].filter((l) => l > a && l < b);
    assert.ok(between.length > 1000);
    for (const l of between) assert.equal(after.get(l), before.get(l), `line ${l} read again`);
    assert.notEqual(after.get(a), before.get(a));
    // Fixed again in one version, with a third place between them: three steps.
    lines[b] = lines[b]!.slice(0, -' --bogus'.length);
    lines[a] = lines[a]!.replace(':9999', ':9998');
    const mid = dnat[Math.floor(dnat.length / 2)]!;
    lines[mid] = lines[mid]!.replace(/:(\d+)$/, ':9997');
    const third = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: again });
    assert.equal(cacheOf(third)?.steps, 3);
    assert.deepStrictEqual(view(third), view(parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' })));
  });

  it('a line edited in place keeps the previous line starts when its length is unchanged, and moves those below it when not', () => {
    const dump = kubeProxyDump({ services: 30, endpoints: 3 });
    const lines = dump.split('\n');
    const at = lines.findIndex((l) => l.includes('DNAT --to-destination'));
    const first = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    const startsOf = (p: ParsedIptables): readonly number[] => cacheOf(p)!.lineStarts;
    // A digit changed: the same array, untouched.
    lines[at] = lines[at]!.replace(/:(\d)(\d*)$/, (_m, d: string, rest: string) => `:${(Number(d) % 9) + 1}${rest}`);
    const same = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: first });
    assert.ok(cacheOf(same)?.spliced);
    assert.equal(startsOf(same), startsOf(first));
    // A digit more: a new array, the lines below one further on, the previous parse's as it was.
    const was = [...startsOf(same)];
    lines[at] = `${lines[at]!}0`;
    const longer = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: same });
    assert.ok(cacheOf(longer)?.spliced);
    assert.notEqual(startsOf(longer), startsOf(same));
    const fresh = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    assert.deepStrictEqual(startsOf(longer), startsOf(fresh));
    assert.deepStrictEqual(startsOf(same), was);
    assert.deepStrictEqual(view(longer), view(fresh));
  });

  it('a line added: the lines below get new commands at their lines, and the next parse, a full walk, takes those very commands again', () => {
    const dump = kubeProxyDump({ services: 30, endpoints: 3 });
    const lines = dump.split('\n');
    const first = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    const at = lines.findIndex((l) => l.includes('DNAT --to-destination'));
    lines.splice(at + 1, 0, lines[at]!.replace(/:(\d+)$/, ':9999'));
    const added = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: first });
    assert.equal(cacheOf(added)?.movedBy, 1);
    // A chain line edited: not a splice (rule lines only), so every line is looked up in the line cache.
    const decl = lines.findIndex((l) => l.startsWith(':KUBE-SERVICES'));
    lines[decl] = ':KUBE-SERVICES - [7:7]';
    const text = lines.join('\n');
    const full = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: added });
    assert.ok(!cacheOf(full)?.spliced);
    assert.deepStrictEqual(view(full), view(parseIptables(text, { family: 'ipv4', backend: 'nft' })));
    const commands = (p: ParsedIptables): Map<number, unknown> => new Map(p.file.tables.flatMap((t) => t.commands.map((c) => [c.line, c] as const)));
    const moved = commands(added);
    const again = commands(full);
    const below = [...again.keys()].filter((l) => l > at + 1);
    assert.ok(below.length > 100);
    for (const l of below) assert.equal(again.get(l), moved.get(l), `line ${l}: the added version's command`);
  });

  it('a line added above a chain line (declared after rules) and a later table: the next parse, a full walk, takes their moved lines again', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':X - [0:0]', '-A INPUT -p tcp --dport 1 -j ACCEPT', '-A INPUT -j X', ':Y - [0:0]', '-A X -p tcp --dport 2 -j ACCEPT', 'COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', ':Z - [0:0]', '-A PREROUTING -j Z', 'COMMIT', ''];
    const first = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    lines.splice(3, 0, '-A INPUT -p tcp --dport 3 -j ACCEPT');
    const added = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: first });
    assert.equal(cacheOf(added)?.movedBy, 1);
    lines[1] = ':INPUT ACCEPT [3:3]';
    const text = lines.join('\n');
    const full = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: added });
    assert.ok(!cacheOf(full)?.spliced);
    assert.deepStrictEqual(view(full), view(parseIptables(text, { family: 'ipv4', backend: 'nft' })));
    const declOfY = (p: ParsedIptables): unknown => p.file.tables[0]!.chains.find((c) => c.line === 6);
    assert.ok(declOfY(added));
    assert.equal(declOfY(full), declOfY(added));
    // The nat table below moved whole: its chain lines and its rule.
    const nat = (p: ParsedIptables): readonly unknown[] => { const t = p.file.tables[1]!; return [...t.chains, ...t.commands]; };
    assert.equal(nat(added).length, 3);
    nat(full).forEach((x, i) => assert.equal(x, nat(added)[i], `nat line ${i}`));
  });

  it('unchanged lines keep their shapes, wherever they moved', () => {
    const dump = kubeProxyDump({ services: 30, endpoints: 3 });
    const lines = dump.split('\n');
    const at = lines.findIndex((l) => l.startsWith('-A KUBE-SEP-'));
    lines.splice(at, 0, '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x8000/0x8000');
    const first = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    const again = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: first });
    const shapes = (p: ParsedIptables): Set<unknown> => new Set(p.file.tables.flatMap((b) => b.commands.map((c) => (c as { shape?: unknown }).shape)));
    const before = shapes(first);
    const kept = [...shapes(again)].filter((s) => before.has(s)).length;
    assert.equal(kept, before.size, 'every shape of the old file is reused');
  });

  it('the previous parse of another family or backend is not used', () => {
    const dump = kubeProxyDump({ services: 5, endpoints: 2 });
    const legacy = parseIptables(dump, { family: 'ipv4', backend: 'legacy' });
    const edited = dump.replace('-j KUBE-FIREWALL', '-j KUBE-FORWARD');
    assert.deepStrictEqual(view(parseIptables(edited, { family: 'ipv4', backend: 'nft', previous: legacy })), view(parseIptables(edited, { family: 'ipv4', backend: 'nft' })));
    const v6 = parseIptables(dump, { family: 'ipv6', backend: 'nft' });
    assert.deepStrictEqual(view(parseIptables(edited, { family: 'ipv4', backend: 'nft', previous: v6 })), view(parseIptables(edited, { family: 'ipv4', backend: 'nft' })));
  });

  it('analyzeIptables passes its previous analysis on', () => {
    const dump = kubeProxyDump({ services: 20, endpoints: 2 });
    const first = analyzeIptables(dump, { backend: 'nft', family: 'ipv4' });
    const edited = dump.replace(/--dport 80 /, '--dport 0x10000 ');
    const again = analyzeIptables(edited, { backend: 'nft', family: 'ipv4', previous: first });
    const fresh = analyzeIptables(edited, { backend: 'nft', family: 'ipv4' });
    assert.deepStrictEqual(plain(again.diagnostics), plain(fresh.diagnostics));
    assert.ok(fresh.diagnostics.some((d) => d.severity === 'error'));
  });
});

describe('a reparse reuses iptables-nft\'s validation of an unchanged jump graph only when it equals a new one', () => {
  // PREROUTING reaches DN (DNAT is allowed there), POSTROUTING reaches PLAIN; OUTPUT reaches nothing.
  const base = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DN - [0:0]',
    ':PLAIN - [0:0]',
    ':SPARE - [0:0]',
    '-A PREROUTING -j DN',
    '-A POSTROUTING -j PLAIN',
    '-A DN -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080',
    '-A PLAIN -p tcp -m tcp --dport 81 -j RETURN',
    '-A SPARE -j RETURN',
    'COMMIT',
  ];
  const steps: Array<[string, (l: string[]) => void, boolean]> = [
    // [what, edit, whether the fresh parse has an error]
    ['a DNAT port changed in a chain reached from PREROUTING', (l) => (l[10] = l[10]!.replace(':8080', ':8081')), false],
    ['PLAIN\'s rule becomes a DNAT: same jumps, but POSTROUTING may not DNAT', (l) => (l[11] = '-A PLAIN -p tcp -m tcp --dport 81 -j DNAT --to-destination 10.0.0.2'), true],
    ['back to RETURN', (l) => (l[11] = '-A PLAIN -p tcp -m tcp --dport 81 -j RETURN'), false],
    ['POSTROUTING now jumps to DN', (l) => (l[9] = '-A POSTROUTING -j DN'), true],
    ['back to PLAIN', (l) => (l[9] = '-A POSTROUTING -j PLAIN'), false],
    ['a rule inserted above everything (all lines move)', (l) => l.splice(8, 0, '-A OUTPUT -p udp -j RETURN'), false],
    ['SPARE (reached by nothing) gets a DNAT', (l) => (l[13] = '-A SPARE -p tcp -j DNAT --to-destination 10.0.0.3'), false],
    ['OUTPUT now jumps to SPARE (DNAT is allowed in OUTPUT)', (l) => (l[8] = '-A OUTPUT -j SPARE'), false],
    ['INPUT jumps to SPARE: DNAT from INPUT is refused', (l) => l.splice(9, 0, '-A INPUT -j SPARE'), true],
    ['that jump deleted again', (l) => l.splice(9, 1), false],
    ['a chain declared (one more chain)', (l) => l.splice(7, 0, ':EXTRA - [0:0]'), false],
    ['the chains declared in another order', (l) => l.splice(5, 2, l[6]!, l[5]!), false],
    ['a policy changed', (l) => (l[1] = ':PREROUTING DROP [0:0]'), false],
    ['a jump to a chain that does not exist', (l) => (l[9] = '-A POSTROUTING -j NOSUCH'), true],
    ['fixed', (l) => (l[9] = '-A POSTROUTING -j PLAIN'), false],
    ['COMMIT removed', (l) => l.pop(), true],
    ['COMMIT back', (l) => l.push('COMMIT'), false],
    ['a second nat block after it reaching SPARE from INPUT', (l) => l.push(...l.slice(0, -1).concat('-A INPUT -j SPARE', 'COMMIT')), true],
    ['the first block removed', (l) => l.splice(0, l.indexOf('COMMIT') + 1), true],
    ['the jump from INPUT gone: it loads', (l) => l.splice(l.indexOf('-A INPUT -j SPARE'), 1), false],
    // Rules added or removed: the chain's set of targets decides, and every rule of a reached chain is hook-checked.
    ['a second, same jump added to POSTROUTING', (l) => l.splice(l.indexOf('-A POSTROUTING -j PLAIN'), 0, '-A POSTROUTING -p udp -j PLAIN'), false],
    ['a rule added to PLAIN', (l) => l.splice(l.indexOf('-A PLAIN -p tcp -m tcp --dport 81 -j RETURN'), 0, '-A PLAIN -p udp -j RETURN'), false],
    ['a DNAT added to PLAIN (reached from POSTROUTING)', (l) => l.splice(l.indexOf('-A PLAIN -p udp -j RETURN'), 0, '-A PLAIN -p tcp -j DNAT --to-destination 10.0.0.4'), true],
    ['that DNAT removed', (l) => l.splice(l.indexOf('-A PLAIN -p tcp -j DNAT --to-destination 10.0.0.4'), 1), false],
    ['one of the two jumps removed', (l) => l.splice(l.indexOf('-A POSTROUTING -p udp -j PLAIN'), 1), false],
    ['POSTROUTING gets a jump to DN besides PLAIN', (l) => l.splice(l.indexOf('-A POSTROUTING -j PLAIN'), 0, '-A POSTROUTING -p udp -j DN'), true],
    ['and loses it again', (l) => l.splice(l.indexOf('-A POSTROUTING -p udp -j DN'), 1), false],
    // The unused-chain lint reads the names jumped to, kept with the validation.
    ['SPARE unused: OUTPUT jumps to PLAIN instead', (l) => (l[l.indexOf('-A OUTPUT -j SPARE')] = '-A OUTPUT -j PLAIN'), false],
    ['a second jump to PLAIN from OUTPUT', (l) => l.splice(l.indexOf('-A OUTPUT -j PLAIN'), 0, '-A OUTPUT -p udp -j PLAIN'), false],
    ['SPARE used again', (l) => (l[l.indexOf('-A OUTPUT -j PLAIN')] = '-A OUTPUT -j SPARE'), false],
    ['PLAIN jumps to itself: a loop', (l) => l.splice(l.indexOf('-A PLAIN -p udp -j RETURN'), 0, '-A PLAIN -p udp -j PLAIN'), true],
  ];

  for (const backend of ['nft', 'legacy'] as const) {
    it(`${backend}: each edit's reparse equals a fresh parse`, () => {
      const lines = base.slice();
      let previous = parseIptables(lines.join('\n') + '\n', { family: 'ipv4', backend });
      assert.ok(!previous.diagnostics.some((d) => d.severity === 'error'), 'the first version loads');
      for (const [what, change, hasError] of steps) {
        change(lines);
        const text = lines.join('\n') + '\n';
        const again = parseIptables(text, { family: 'ipv4', backend, previous });
        const fresh = parseIptables(text, { family: 'ipv4', backend });
        assert.deepStrictEqual(view(again), view(fresh), `${backend}: ${what}`);
        assert.deepStrictEqual(plain(lintIptables(again, previous)), plain(lintIptables(fresh)), `${backend} lints: ${what}`);
        assert.deepStrictEqual(unusedWarned(again), unusedChains(again), `${backend} unused chains: ${what}`);
        if (backend === 'nft') assert.equal(fresh.diagnostics.some((d) => d.severity === 'error'), hasError, `${what}: error expected: ${hasError}`);
        previous = again;
      }
    });
  }

  it('a kube-proxy-style dump: port edits keep the validation, a new jump from INPUT to a DNAT chain does not', () => {
    const dump = kubeProxyDump({ services: 60, endpoints: 3 });
    const lines = dump.split('\n');
    let previous = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    lintIptables(previous);
    const dnat = lines.map((l, i) => (l.includes('DNAT --to-destination') ? i : -1)).filter((i) => i >= 0);
    const sep = lines[dnat[7]!]!.split(' ')[1]!;
    const input = lines.findIndex((l) => l.startsWith('-A INPUT') || l.startsWith('-A KUBE-SERVICES'));
    const edits: Array<(l: string[]) => void> = [
      (l) => (l[dnat[3]!] = l[dnat[3]!]!.replace(/:(\d+)$/, ':1')),
      (l) => l.splice(dnat[5]!, 0, '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x8000/0x8000'),
      (l) => l.splice(input, 0, `-A INPUT -j ${sep}`),
      (l) => l.splice(input, 1),
      (l) => (l[dnat[9]!] = l[dnat[9]!]!.replace(/-j DNAT .*/, '-j RETURN')),
    ];
    for (const [k, change] of edits.entries()) {
      change(lines);
      const text = lines.join('\n');
      const read = validTableChainsRead();
      const again = parseIptables(text, { family: 'ipv4', backend: 'nft', previous });
      const fresh = parseIptables(text, { family: 'ipv4', backend: 'nft' });
      assert.deepStrictEqual(view(again), view(fresh), `edit ${k}`);
      // A port edit: nft's validation is carried over reading only the chains the splice changed (the
      // edited one, and the built-in ones, which a splice makes its own), not the table's 200 chains.
      if (k === 0) assert.equal(validTableChainsRead() - read, 1 + again.ruleset.tables.get('nat')!.builtins.length, 'chains the validation read after a port edit');
      const whole = tablesLintedWhole();
      const lints = lintIptables(again, previous);
      // A port edit: the lint of each table is the previous one's (the validation kept the jump targets).
      if (k === 0) assert.equal(tablesLintedWhole() - whole, 0, 'tables linted whole after a port edit');
      assert.deepStrictEqual(plain(lints), plain(lintIptables(fresh)), `edit ${k} lints`);
      assert.deepStrictEqual(unusedWarned(again), unusedChains(again), `edit ${k} unused chains`);
      previous = again;
    }
  });
});

describe('a reparse that splices a table (tableSplice.ts) walks the edited lines as a full walk would', () => {
  // LATE is declared below the rules: an edited rule above it must not see it yet.
  const base = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':EARLY - [0:0]',
    '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
    '-A INPUT -j EARLY',
    '-A EARLY -p udp -j RETURN',
    ':LATE - [0:0]',
    '-A LATE -j RETURN',
    '-A FORWARD -j LATE',
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    '-A POSTROUTING -o eth0 -j MASQUERADE',
    ':NATLATE - [0:0]',
    '-A NATLATE -j RETURN',
    'COMMIT',
    '# the end',
  ];
  const at = (l: string[], text: string): number => {
    const i = l.indexOf(text);
    assert.ok(i >= 0, text);
    return i;
  };
  // [what, edit, whether the reparse splices]
  const steps: Array<[string, (l: string[]) => void, boolean?]> = [
    ['a rule above LATE jumps to it', (l) => (l[4] = '-A INPUT -j LATE')],
    ['a rule above LATE adds to it', (l) => (l[5] = '-A LATE -p tcp -j ACCEPT')],
    ['both fixed', (l) => ((l[4] = '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'), (l[5] = '-A INPUT -j EARLY'))],
    ['a rule below LATE adds to it', (l) => (l[9] = '-A LATE -p tcp -j ACCEPT')],
    ['OUTPUT used first above (iptables-nft makes it then)', (l) => (l[6] = '-A OUTPUT -j EARLY')],
    ['and no longer', (l) => (l[6] = '-A EARLY -p udp -j RETURN')],
    ['a DNAT in filter', (l) => (l[8] = '-A LATE -p tcp -j DNAT --to-destination 10.0.0.1')],
    ['the nat table\'s rule broken', (l) => (l[14] = '-A POSTROUTING -o eth0 -j MASQUERAD')],
    ['filter fixed while nat is broken', (l) => (l[8] = '-A LATE -j RETURN')],
    ['nat fixed', (l) => (l[14] = '-A POSTROUTING -o eth0 -j MASQUERADE')],
    // Lines added and removed: everything below moves (LATE's declaration, the nat table, the comment).
    ['a rule inserted above LATE', (l) => l.splice(at(l, '-A INPUT -j EARLY') + 1, 0, '-A INPUT -p udp -j ACCEPT')],
    ['a jump to LATE inserted above its declaration', (l) => l.splice(at(l, ':LATE - [0:0]'), 0, '-A INPUT -j LATE')],
    ['that jump removed', (l) => l.splice(at(l, '-A INPUT -j LATE'), 1)],
    ['two rules inserted in nat', (l) => l.splice(at(l, '-A POSTROUTING -o eth0 -j MASQUERADE'), 0, '-A POSTROUTING -o eth1 -j MASQUERADE', '-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.1')],
    ['a filter rule deleted (nat moves up)', (l) => l.splice(at(l, '-A INPUT -p udp -j ACCEPT'), 1)],
    ['nat broken', (l) => (l[at(l, '-A POSTROUTING -o eth1 -j MASQUERADE')] = '-A POSTROUTING -o eth1 -j MASQUERAD')],
    ['a filter rule inserted above nat\'s error: its message names a line, so the file is parsed whole', (l) => l.splice(at(l, '-A LATE -j RETURN'), 0, '-A LATE -p icmp -j ACCEPT'), false],
    ['nat fixed again', (l) => (l[at(l, '-A POSTROUTING -o eth1 -j MASQUERAD')] = '-A POSTROUTING -o eth1 -j MASQUERADE')],
    ['three rules replaced by one', (l) => l.splice(at(l, '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'), 3, '-A INPUT -j ACCEPT')],
    // The nat table, moved by an edit above it, keeps track of the chain declared below its rules.
    ['rules inserted in filter (nat moves down)', (l) => l.splice(at(l, '-A LATE -j RETURN'), 0, '-A LATE -p tcp -j RETURN', '-A LATE -p udp -j RETURN', '-A LATE -p icmp -j RETURN')],
    ['in nat, a rule above NATLATE\'s declaration adds to it', (l) => l.splice(at(l, ':NATLATE - [0:0]'), 0, '-A NATLATE -p udp -j RETURN')],
    ['that rule removed', (l) => l.splice(at(l, '-A NATLATE -p udp -j RETURN'), 1)],
  ];
  for (const backend of ['nft', 'legacy'] as const) {
    it(`${backend}: each step spliced and equal to a fresh parse`, () => {
      const lines = base.slice();
      let previous = parseIptables(lines.join('\n') + '\n', { family: 'ipv4', backend });
      for (const [what, change, splices = true] of steps) {
        change(lines);
        const text = lines.join('\n') + '\n';
        const before = view(previous);
        const again = parseIptables(text, { family: 'ipv4', backend, previous });
        assert.equal(cacheOf(again)?.spliced, splices, `${backend}: ${what}: spliced`);
        assert.deepStrictEqual(view(previous), before, `${backend}: ${what}: the previous parse is left as it was`);
        assert.deepStrictEqual(view(again), view(parseIptables(text, { family: 'ipv4', backend })), `${backend}: ${what}`);
        previous = again;
      }
    });
  }
});

describe('the lint of a reparse, from the previous lint of each table', () => {
  const base = [
    '*raw',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A PREROUTING -p tcp -j ACCEPT',
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':USED - [0:0]',
    ':LONELY - [0:0]',
    '-A INPUT -p tcp -j USED',
    '-A USED -p tcp --dport 22 -j ACCEPT',
    '-A LONELY -p tcp --dport 80 -j ACCEPT',
    '-A LONELY -p tcp --dport 443 -j ACCEPT',
    'COMMIT',
    '',
  ];
  // Each keeps every chain's jump targets (so the validation, and the lint, are carried over), is spliced (rule
  // lines only) and changes what the lint says.
  const drop = (l: string[], line: string): void => void l.splice(l.indexOf(line), 1);
  const edits: ReadonlyArray<readonly [string, (l: string[]) => void, RegExp, number]> = [
    ['the only rule of raw removed: the table is empty', (l) => drop(l, '-A PREROUTING -p tcp -j ACCEPT'), /Table "raw" has no rules/, 0],
    ['a rule of the unused chain removed: its warning counts one rule', (l) => drop(l, '-A LONELY -p tcp --dport 443 -j ACCEPT'), /"LONELY" is declared and has 1 rule,/, 0],
    ['a rule put back in raw: not empty any more', (l) => l.splice(l.indexOf(':OUTPUT ACCEPT [0:0]') + 1, 0, '-A PREROUTING -p udp -j ACCEPT'), /^(?![\s\S]*Table "raw")/, 0],
    // As many names jumped to, other names: filter is linted chain by chain again.
    ['the jump goes to LONELY instead of USED', (l) => void (l[l.indexOf('-A INPUT -p tcp -j USED')] = '-A INPUT -p tcp -j LONELY'), /"USED" is declared and has 1 rule,/, 1],
  ];
  it('each edit: the lint equals a fresh one, and only a table whose jump targets changed is linted chain by chain', () => {
    const lines = base.slice();
    let previous = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    assert.ok(!previous.diagnostics.some((d) => d.severity === 'error'));
    lintIptables(previous);
    for (const [what, change, says, linted] of edits) {
      change(lines);
      const text = lines.join('\n');
      const again = parseIptables(text, { family: 'ipv4', backend: 'nft', previous });
      assert.ok(cacheOf(again)?.spliced, `${what}: spliced`);
      const whole = tablesLintedWhole();
      const lints = lintIptables(again, previous);
      assert.equal(tablesLintedWhole() - whole, linted, `${what}: tables linted whole`);
      assert.deepStrictEqual(plain(lints), plain(lintIptables(parseIptables(text, { family: 'ipv4', backend: 'nft' }))), what);
      assert.match(lints.map((d) => d.message).join('\n'), says, what);
      previous = again;
    }
  });
});
