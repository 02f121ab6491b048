/**
 * recompileRuleset given the previous compile (as an analysis after an edit is): chains the reparse
 * left alone are the previous compile's objects, and so are chains whose rules only moved to other
 * lines (lines added or removed above them: `shifted`), their compiled rules keeping the lines they
 * were compiled at; an analysis reads lines from the parse (Reachability.lineOf). A chain whose rule
 * changed is made anew, keeping the compiled rules of the lines the edit left alone, moved or not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { compileTableScans, recompileRuleset, type EmuRuleset } from '../../../server/src/emulator/compile';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { parseIptables, type ParsedIptables } from '../../../server/src/lang/iptables/restoreParser';

const RULES = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':A - [0:0]',
  ':B - [0:0]',
  '-A INPUT -p tcp -j A',
  '-A INPUT -p udp -j B',
  '-A A -s 10.0.0.0/8 -j ACCEPT',
  '-A A -s 11.0.0.0/8 -j DROP',
  '-A B -d 10.1.0.0/16 -j ACCEPT',
  '-A B -d 10.2.0.0/16 -j DROP',
  'COMMIT',
  '',
];

const parse = (lines: readonly string[], previous?: ParsedIptables): ParsedIptables => parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', ...(previous ? { previous } : {}) });
const chain = (emu: EmuRuleset, name: string) => emu.tables.get('filter')!.chains.get(name)!;
const names = (chains: Iterable<{ name: string }>): string[] => [...chains].map((c) => c.name).sort();
/** The first parse and compile, B's rules compiled (a compile takes over only rules compiled already). */
const start = (lines: readonly string[]) => {
  const p0 = parse(lines);
  const c0 = recompileRuleset(p0.ruleset);
  void chain(c0.emu, 'B').rules;
  return { p0, c0 };
};

describe('recompileRuleset after an edit', () => {
  it('keeps chains whose rules only moved (shifted), their rules compiled at the old lines; the next edit lists them no more', () => {
    const lines = [...RULES];
    const p0 = parse(lines);
    const c0 = recompileRuleset(p0.ruleset);
    for (const n of ['INPUT', 'A', 'B']) void chain(c0.emu, n).rules;
    // A rule added at the end of A: B's two lines move down by one.
    lines.splice(10, 0, '-A A -s 12.0.0.0/8 -j DROP');
    const p1 = parse(lines, p0);
    const c1 = recompileRuleset(p1.ruleset, c0.emu);
    assert.deepEqual(names(c1.made), ['A']);
    assert.deepEqual(names(c1.shifted), ['B']);
    const b = chain(c1.emu, 'B');
    assert.equal(b, chain(c0.emu, 'B'));
    assert.deepEqual(b.rules.map((r) => r.ref.line), [10, 11]);
    assert.deepEqual(p1.ruleset.tables.get('filter')!.chains.get('B')!.rules.map((r) => r.command.line), [11, 12]);
    // The edited chain keeps the compiled rules of the lines the edit left alone.
    assert.equal(chain(c1.emu, 'A').rules[0], chain(c0.emu, 'A').rules[0]);
    assert.equal(chain(c1.emu, 'A').rules[1], chain(c0.emu, 'A').rules[1]);
    // An edit elsewhere: B's rules are where the previous parse had them, so it is not listed again.
    lines[8] = '-A A -s 10.0.0.0/9 -j ACCEPT';
    const p2 = parse(lines, p1);
    const c2 = recompileRuleset(p2.ruleset, c1.emu);
    assert.deepEqual(names(c2.made), ['A']);
    assert.deepEqual(names(c2.shifted), []);
    assert.equal(chain(c2.emu, 'B'), b);
    // Compiled anew without a previous compile: the lines of the parse.
    assert.deepEqual(chain(recompileRuleset(p2.ruleset).emu, 'B').rules.map((r) => r.ref.line), [11, 12]);
  });

  it('an edit in a chain whose lines moved keeps its other rules (the same kernel rules at other lines)', () => {
    const lines = [...RULES];
    const { p0, c0 } = start(lines);
    // A line added above B's rules, then one of B's rules changed.
    lines.splice(10, 0, '-A A -s 12.0.0.0/8 -j DROP');
    const p1 = parse(lines, p0);
    const c1 = recompileRuleset(p1.ruleset, c0.emu);
    lines[12] = '-A B -d 10.3.0.0/16 -j DROP';
    const p2 = parse(lines, p1);
    const c2 = recompileRuleset(p2.ruleset, c1.emu);
    assert.deepEqual(names(c2.made), ['B']);
    const [kept, changed] = chain(c2.emu, 'B').rules;
    assert.equal(kept, chain(c0.emu, 'B').rules[0]);
    assert.equal(kept!.ref.line, 10);
    assert.notEqual(changed, chain(c0.emu, 'B').rules[1]);
    assert.equal(changed!.ref.line, 12);
  });

  it('a rule whose text changed is not a moved rule, even at the same place', () => {
    const lines = [...RULES];
    const { p0, c0 } = start(lines);
    lines.splice(10, 0, '-A A -s 12.0.0.0/8 -j DROP');
    lines[11] = '-A B -d 10.1.0.0/16 -j DROP';
    const p1 = parse(lines, p0);
    const c1 = recompileRuleset(p1.ruleset, c0.emu);
    assert.deepEqual(names(c1.shifted), []);
    assert.notEqual(chain(c1.emu, 'B'), chain(c0.emu, 'B'));
    assert.equal(chain(c1.emu, 'B').rules[0]!.target.kind === 'verdict' && (chain(c1.emu, 'B').rules[0]!.target as { verdict: string }).verdict, 'DROP');
  });

  it('an analysis of the kept chains names their rules at the parse\'s lines', () => {
    const lines = [...RULES];
    const p0 = parse(lines);
    const r0 = analyzeReachability(p0.ruleset);
    lines.splice(10, 0, '-A A -s 12.0.0.0/8 -j DROP');
    const p1 = parse(lines, p0);
    const r1 = analyzeReachability(p1.ruleset, { previous: r0 });
    const b = chain(r1.emu, 'B');
    assert.equal(b, chain(r0.emu, 'B'));
    assert.deepEqual(b.rules.map((r) => [r1.lineOf(r), r1.idOf(r)]), [[11, 'filter/B/0/11'], [12, 'filter/B/1/12']]);
    assert.deepEqual(b.rules.map((r) => r0.lineOf(r)), [10, 11]);
    assert.deepEqual([...r1.entries('filter', 'B').keys()], ['filter/INPUT/1/7']);
    // A copy of B's rules compiled at the new lines (another compile of the same parse) gets the same answers.
    const copy = recompileRuleset(p1.ruleset).emu;
    chain(copy, 'B').rules.forEach((twin, i) => {
      const own = b.rules[i]!;
      assert.notEqual(twin.ref.line, own.ref.line);
      assert.equal(r1.reached(twin), r1.reached(own));
      assert.equal(r1.facts(twin, 'filter', 'B'), r1.facts(own, 'filter', 'B'));
      assert.deepEqual([...r1.reach(twin, 'filter', 'B').hits], [...r1.reach(own, 'filter', 'B').hits]);
    });
    assert.deepEqual(b.rules.map((r) => r1.reached(r)), [true, true]);
    // A rule at B's first place in another parse (other text, at another line) is not taken for B's.
    const other = [...lines];
    other.splice(10, 0, '-A A -s 13.0.0.0/8 -j DROP');
    other[12] = '-A B -d 10.9.0.0/16 -j DROP';
    const stranger = chain(recompileRuleset(parse(other).ruleset).emu, 'B').rules[0]!;
    assert.equal(stranger.ref.line, 12);
    assert.notEqual(r1.facts(stranger, 'filter', 'B'), r1.facts(b.rules[0]!, 'filter', 'B'));
  });

  it('after a reparse that edited the previous parse\'s chains in place, reads only the changed chains and compiles as reading every chain does', () => {
    // The same edits compiled twice, from two compiles of the first parse: one told the parse it came
    // from (keptExcept reads the chains the parse changed), one not (every chain read, compileTable's loop).
    const blind = (emu: EmuRuleset): EmuRuleset => ({ ...emu, tables: new Map([...emu.tables].map(([n, t]) => [n, { name: t.name, chains: t.chains, compile: t.compile }])) });
    const dump = kubeProxyDump({ services: 30, endpoints: 2 }).split('\n');
    const dnat = dump.flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    const edits: Array<{ what: string; edit: (lines: string[]) => void; quick?: boolean }> = [
      { what: 'a port changed', edit: (l) => void (l[dnat[3]!] = l[dnat[3]!]!.replace(/:(\d+)$/, ':9999')), quick: true },
      { what: 'a line added (every chain below moves)', edit: (l) => void l.splice(dnat[10]! + 1, 0, l[dnat[10]!]!.replace(/:(\d+)$/, ':9998')), quick: true },
      { what: 'a line removed', edit: (l) => void l.splice(dnat[20]!, 1), quick: true },
      // (Text equal to the previous: parsed afresh, its maps not made from the previous ones.)
      { what: 'nothing', edit: () => undefined },
      { what: 'a chain declared', edit: (l) => void l.splice(l.indexOf('*nat') + 1, 0, ':ZZ-NEW - [0:0]'), quick: false },
    ];
    for (const { what, edit, quick } of edits) {
      const p0 = parse(dump);
      const told = recompileRuleset(p0.ruleset);
      const other = recompileRuleset(p0.ruleset);
      for (const c of [told, other]) for (const t of c.emu.tables.values()) for (const ch of t.chains.values()) void ch.rules;
      const lines = [...dump];
      edit(lines);
      const p1 = parse(lines, p0);
      const scans = compileTableScans();
      const a = recompileRuleset(p1.ruleset, told.emu);
      const quickly = compileTableScans() === scans;
      const b = recompileRuleset(p1.ruleset, blind(other.emu));
      if (quick !== undefined) assert.equal(quickly, quick, `${what}: read off the parse's changes`);
      assert.deepEqual(names(a.made), names(b.made), what);
      assert.deepEqual(names(a.shifted), names(b.shifted), what);
      assert.deepEqual(a.replaced && [...a.replaced].map(([t, n]) => [t, [...n].sort()]), b.replaced && [...b.replaced].map(([t, n]) => [t, [...n].sort()]), what);
      for (const [tn, t] of a.emu.tables) {
        const tb = b.emu.tables.get(tn)!;
        assert.deepEqual([...t.chains.keys()], [...tb.chains.keys()], `${what}: ${tn}'s chains`);
        for (const [n, c] of t.chains) {
          // Kept by one exactly when kept by the other, and compiled alike at the same lines.
          assert.equal(c === told.emu.tables.get(tn)?.chains.get(n), tb.chains.get(n) === other.emu.tables.get(tn)?.chains.get(n), `${what}: ${tn}/${n} kept`);
          assert.deepEqual(c.rules.map((r) => [r.ref.line, r.ref.index, r.target.kind]), tb.chains.get(n)!.rules.map((r) => [r.ref.line, r.ref.index, r.target.kind]), `${what}: ${tn}/${n}`);
        }
      }
    }
  });
});
