/**
 * Hover's index of kernel rules by line (lineIndex.ts): a version's index made from an earlier
 * version's (the chains made anew since unlinked and added again) holds, line by line, the same
 * rules as one read afresh from its compile and parse; versions nobody hovered in between hand the
 * earlier index on with the chains made anew in each step; an edit that moves lines reads every
 * line again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability, type Reachability } from '../../../server/src/analysis/reachability';
import { buildLineIndex, lineIndexesDerived, rulesAtLine, type LineIndex } from '../../../server/src/analysis/lineIndex';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateRules, rng } from '../../helpers/netlab/traceGenerator';
import { ruleEdit } from '../../helpers/reachEdits';

/** Every line's rules in the version's index, against an index read afresh from the same compile and parse. */
function sameAsFresh(reach: Reachability, lineCount: number, label: string): void {
  sameLines(reach.lineIndex(), buildLineIndex(reach.emu, reach.rs), lineCount, label);
}

function sameLines(ix: LineIndex, fresh: LineIndex, lineCount: number, label: string): void {
  for (let line = 0; line <= lineCount; line++) {
    const a = rulesAtLine(ix, line);
    const b = rulesAtLine(fresh, line);
    assert.equal(a.length, b.length, `${label}: line ${line}`);
    for (let i = 0; i < a.length; i++) {
      assert.equal(a[i]!.rule, b[i]!.rule, `${label}: line ${line}, rule ${i}`);
      assert.equal(a[i]!.table, b[i]!.table);
      assert.equal(a[i]!.chain, b[i]!.chain);
    }
  }
}

/** Random edits, each version analysed with the one before; `hovered(k)`: whether version k's index is made (before the next edit). */
function edits(first: string, seed: number, count: number, label: string, hovered: (k: number) => boolean): void {
  const r = rng(seed);
  const lines = first.split('\n');
  let parsed = parseIptables(first, { family: 'ipv4', backend: 'nft' });
  let reach = analyzeReachability(parsed.ruleset);
  for (let k = 0; k < count; k++) {
    if (hovered(k)) reach.lineIndex();
    const what = ruleEdit(lines, r);
    const text = lines.join('\n');
    parsed = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
    reach = analyzeReachability(parsed.ruleset, { previous: reach });
    sameAsFresh(reach, lines.length, `${label}, edit ${k} (${what})`);
  }
}

describe('hover\'s index of rules by line, made from an earlier version\'s', () => {
  it('read from the rules\' own lines when the compile was made from the parse alone: as read through the parse', () => {
    const dumps = [kubeProxyDump({ services: 30, endpoints: 3 }), ...Array.from({ length: 80 }, (_, i) => generateRules(rng(i + 500)))];
    for (const [i, text] of dumps.entries()) {
      const reach = analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset);
      sameLines(buildLineIndex(reach.emu, reach.rs, true), buildLineIndex(reach.emu, reach.rs), text.split('\n').length, `ruleset ${i}`);
      // (And a version's own index is read that way.)
      sameLines(reach.lineIndex(), buildLineIndex(reach.emu, reach.rs), text.split('\n').length, `ruleset ${i}, its index`);
    }
  });

  it('holds every line\'s rules as a fresh one, after random edits to random rulesets (every version hovered, or every third)', () => {
    const before = lineIndexesDerived();
    for (let seed = 1; seed <= 60; seed++) {
      edits(generateRules(rng(seed)), seed * 5 + 2, 6, `ruleset ${seed}`, () => true);
      edits(generateRules(rng(seed + 1000)), seed * 3 + 1, 6, `ruleset ${seed + 1000}`, (k) => k % 3 === 0);
    }
    assert.ok(lineIndexesDerived() - before > 100, `${lineIndexesDerived() - before} indexes made from an earlier one`);
  });

  it('a kube dump: a port changed is one chain read again; a line added reads every line', () => {
    const dump = kubeProxyDump({ services: 30, endpoints: 3 });
    const lines = dump.split('\n');
    let parsed = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    reach.lineIndex();
    const at = lines.findIndex((l) => l.includes('--to-destination'));
    const step = (text: string): void => {
      parsed = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
      reach = analyzeReachability(parsed.ruleset, { previous: reach });
    };
    let before = lineIndexesDerived();
    lines[at] = lines[at]!.replace(/:(\d+)$/, ':9999');
    step(lines.join('\n'));
    sameAsFresh(reach, lines.length, 'port');
    assert.equal(lineIndexesDerived() - before, 1, 'made from the earlier index');
    assert.equal(rulesAtLine(reach.lineIndex(), at)[0]!.rule.ref.line, at, 'the edited line\'s rule is the new compile\'s');
    // Two versions nobody hovered, then one that is.
    for (const port of ['9998', '9997']) {
      lines[at] = lines[at]!.replace(/:(\d+)$/, `:${port}`);
      step(lines.join('\n'));
    }
    before = lineIndexesDerived();
    sameAsFresh(reach, lines.length, 'two versions later');
    assert.equal(lineIndexesDerived() - before, 1, 'made from the index two versions back');
    // A line added: every line below moves, and the index is read afresh.
    lines.splice(at + 1, 0, lines[at]!);
    step(lines.join('\n'));
    before = lineIndexesDerived();
    sameAsFresh(reach, lines.length, 'line added');
    assert.equal(lineIndexesDerived() - before, 0, 'lines moved: read afresh');
  });
});
