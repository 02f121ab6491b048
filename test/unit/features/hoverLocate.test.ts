/**
 * What hover finds under the cursor, by bisection on the line (navigation.ts
 * locate()), against the plain scan of every chain mention it replaced, and
 * the chain hover's list of jump sites, cut after 20.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeIptables } from '../../../server/src/lang/iptables/analyze';
import { chainReferences, contains, locate, referencesTo, type Located } from '../../../server/src/lang/iptables/navigation';
import { hover } from '../../../server/src/features/hover';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

/** The previous locate(): every chain mention of the block, then the first command on the line. */
function scanLocate(file: ReturnType<typeof analyzeIptables>['parsed']['file'], pos: { line: number; col: number }): string {
  const block = file.tables.find((b) => pos.line >= b.span.start.line && pos.line <= b.span.end.line);
  if (!block) return 'none';
  if (contains(block.name.span, pos)) return `table ${block.name.text}`;
  for (const ref of chainReferences({ ...file, tables: [block] })) if (contains(ref.span, pos)) return `chain ${ref.kind} ${ref.name} ${JSON.stringify(ref.span)}`;
  return block.commands.some((c) => c.line === pos.line) ? 'command' : 'none';
}

function summary(l: Located | undefined): string {
  if (!l) return 'none';
  if (l.kind === 'table') return `table ${l.block.name.text}`;
  if (l.kind === 'chain') return `chain ${l.ref.kind} ${l.ref.name} ${JSON.stringify(l.ref.span)}`;
  return 'command';
}

describe('hover: what is under the cursor', () => {
  it('finds the same chain mention, table or command as scanning the whole block, at every column of many lines', () => {
    const text = [
      '*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':U - [0:0]', '-N V',
      '-A INPUT -j U', '-A U -g V', '-E V W', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-P INPUT DROP', 'COMMIT',
      kubeProxyDump({ services: 20, endpoints: 2 }),
    ].join('\n');
    const a = analyzeIptables(text, { backend: 'nft', family: 'ipv4' });
    const lines = text.split('\n');
    let compared = 0;
    for (let line = 0; line < lines.length; line++) {
      for (let col = 0; col <= lines[line]!.length; col++) {
        assert.equal(summary(locate(a.parsed.file, { line, col })), scanLocate(a.parsed.file, { line, col }), `line ${line + 1} column ${col + 1}`);
        compared++;
      }
    }
    assert.ok(compared > 10000);
  });

  it('finds the mentions of a chain as filtering every mention of the file does (definition, references, rename)', () => {
    const text = [
      '*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':U - [0:0]', '-N V',
      '-A INPUT -j U', '-A U -g V', '-A FORWARD -j V', '-E V W', '-A INPUT -j W', '-P INPUT DROP', '-F U', 'COMMIT',
      kubeProxyDump({ services: 30, endpoints: 3 }),
    ].join('\n');
    const a = analyzeIptables(text, { backend: 'legacy', family: 'ipv4' });
    const all = chainReferences(a.parsed.file);
    const key = (r: { kind: string; name: string; span: unknown }) => `${r.kind} ${r.name} ${JSON.stringify(r.span)}`;
    let names = 0;
    for (const block of a.parsed.file.tables) {
      for (const name of new Set(all.filter((r) => r.block === block).map((r) => r.name).concat(['NONE', 'KUBE-MARK-MASQ']))) {
        assert.deepEqual(referencesTo(block, name).map(key), all.filter((r) => r.block === block && r.name === name).map(key), `${block.name.text} ${name}`);
        names++;
      }
    }
    assert.ok(names > 100);
  });

  it('lists 20 jump sites of a chain, then how many more', () => {
    const rules = Array.from({ length: 25 }, (_, i) => `-A INPUT -s 10.0.0.${i + 1}/32 -j U`);
    const text = ['*filter', ':INPUT ACCEPT [0:0]', ':U - [0:0]', ...rules, 'COMMIT', ''].join('\n');
    const a = analyzeIptables(text, { backend: 'nft', family: 'ipv4' });
    const h = hover(a, { line: 2, character: 1 });
    const md = JSON.stringify(h?.contents);
    assert.match(md, /Jumped to from INPUT \(line 4\), .*INPUT \(line 23\) and 5 more rules\./);
    assert.doesNotMatch(md, /line 24\)/);
  });
});
