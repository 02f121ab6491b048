/**
 * The fast path for iptables-save's own rule lines (fastRuleLine.ts) against
 * the full getopt model: whole files parsed both ways must give the same
 * diagnostics and, for every loaded rule, the same command, jump and load
 * facts. Inputs: the restore differential's generator (valid files covering
 * every modelled module and target, and mutated ones), crafted lines at the
 * edges of the fast path's shape, a kube-proxy-style dump and the corpus.
 * NFLENS_FAST_FILES (default 600) generated files per run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { FastRuleLines, FastShape, strictCidr4 } from '../../../server/src/lang/iptables/fastRuleLine';
import { RuleCommand } from '../../../server/src/lang/iptables/ruleLine';
import { RuleModels } from '../../../server/src/lang/iptables/ruleModels';
import { ipparseMultiple4 } from '../../../server/src/lang/iptables/inet';
import type { Family } from '../../../server/src/lang/iptables/inet';
import { splitSourceLines } from '../../../server/src/lang/iptables/lines';
import { parseIptables, type ParsedIptables } from '../../../server/src/lang/iptables/restoreParser';
import { corpusFiles } from '../../helpers/corpus';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { plainFacts } from '../../helpers/facts';
import { generateFile } from '../../helpers/restoreGenerator';

const FILES = Number(process.env.NFLENS_FAST_FILES ?? 600);

/** What the load checks and the table state keep of every loaded rule. */
function loaded(p: ParsedIptables): unknown[] {
  const out: unknown[] = [];
  for (const t of p.ruleset.tables.values()) {
    out.push({ table: t.name, committed: t.committed });
    for (const c of t.chains.values()) {
      out.push({ chain: c.name, policy: c.policy, absent: c.absent });
      for (const r of c.rules) {
        const k = r.command;
        out.push({ kind: k.kind, line: k.line, restoreLine: k.restoreLine, chain: k.chain, span: k.span, jump: k.jump, targetSpan: k.targetSpan, ruleNum: k.ruleNum, src: r.srcIndex, dst: r.dstIndex, facts: plainFacts(r.facts) });
      }
    }
  }
  return out;
}

/** A rule model as the emulator reads it: spans left out, an extension named rather than compared field by field. */
function withoutSpans(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(withoutSpans);
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (k === 'span' || k.endsWith('Span')) continue;
    out[k] = k === 'spec' && v !== null && typeof v === 'object' && 'name' in v ? (v as { name: string }).name : withoutSpans(v);
  }
  return out;
}

/** Every loaded rule's model read through RuleModels (the fast reader for fast lines) equals the full parser's, spans aside. */
function sameModels(fast: ParsedIptables, full: ParsedIptables, what: string): number {
  const models = new RuleModels();
  let read = 0;
  const fullRules = [...full.ruleset.tables.values()].flatMap((t) => [...t.chains.values()].flatMap((c) => c.rules));
  const fastRules = [...fast.ruleset.tables.values()].flatMap((t) => [...t.chains.values()].flatMap((c) => c.rules));
  fastRules.forEach((r, i) => {
    const k = r.command;
    // (A full model some check already read is kept on its command, and given as it is.)
    const byReader = k instanceof RuleCommand && k.shape instanceof FastShape && k.keptRule === undefined;
    const model = r.specFrom(models);
    // A fast line's model comes from the fast reader: the reader takes the line again, and keeps nothing on the command.
    if (byReader) {
      assert.equal(k.keptRule, undefined, `${what}: line ${k.line + 1} was parsed in full`);
      read++;
    }
    assert.deepEqual(withoutSpans(model), withoutSpans(fullRules[i]!.spec), `${what}: model of line ${k.line + 1}`);
  });
  return read;
}

/** How many models the fast reader made (both backends). */
function same(text: string, family: Family, what: string): number {
  let read = 0;
  for (const backend of ['nft', 'legacy'] as const) {
    const fast = parseIptables(text, { family, backend });
    const full = parseIptables(text, { family, backend, fastRules: false });
    assert.deepEqual(fast.diagnostics, full.diagnostics, `${what} (${backend}): diagnostics`);
    assert.deepEqual(loaded(fast), loaded(full), `${what} (${backend}): loaded rules`);
    read += sameModels(fast, full, `${what} (${backend})`);
    // The rule's model, parsed again on use, is the full parser's either way.
    for (const t of fast.file.tables) for (const c of t.commands) if (c.hasRule) assert.ok(c.rule === undefined || Array.isArray(c.rule.matches));
  }
  return read;
}

/** How many "-A" lines of a file the fast path answers. */
function coverage(text: string, table = 'nat'): { fast: number; lines: number } {
  const f = new FastRuleLines('ipv4', 'nft');
  let fast = 0;
  let lines = 0;
  for (const l of splitSourceLines(text)) {
    if (!l.text.startsWith('-A')) continue;
    lines++;
    if (f.parse(l, l.text, table)) fast++;
  }
  return { fast, lines };
}

const wrap = (table: string, chains: string, rules: readonly string[]): string => [`*${table}`, ...chains.split(' ').map((c) => `:${c} ${/^[A-Z]+ING$|^INPUT$|^OUTPUT$|^FORWARD$/.test(c) ? 'ACCEPT' : '-'} [0:0]`), ...rules, 'COMMIT', ''].join('\n');

describe('fast rule lines give what the full parser gives', () => {
  it(`${FILES} generated files, valid and mutated, both backends`, () => {
    for (let i = 0; i < FILES; i++) {
      const f = generateFile(424242, i);
      same(f.text, f.family, `generated file #${i} (${f.mutated ? f.mutations.join('; ') : `valid, ${f.focus}`})`);
    }
  });

  it('lines at the edges of the shape', () => {
    const filter = 'INPUT FORWARD OUTPUT USER';
    const rules = [
      '-A INPUT -s 10.0.0.0/8 -d 192.168.1.1/32 -i eth0 -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A INPUT ! -s 10.0.0.0/8 ! -p udp -j DROP',
      '-A INPUT -p tcp -m tcp ! --dport 22 -m comment --comment "ssh elsewhere" -j USER',
      '-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT',
      '-A INPUT -p TCP -m tcp --dport 1:1024 -j ACCEPT',
      '-A INPUT -p 6 -m tcp --sport 80 -j ACCEPT',
      '-A INPUT -m tcp --dport 80 -j ACCEPT',
      '-A INPUT -p udp -m tcp --dport 80 -j ACCEPT',
      '-A INPUT -p tcp --dport 80 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport=80 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dp 80 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 80 -m tcp --sport 1 -j ACCEPT',
      '-A INPUT -m comment --comment "a" -m comment --comment "b" -j ACCEPT',
      `-A INPUT -m comment --comment "${'x'.repeat(300)}" -j ACCEPT`,
      `-A INPUT -m comment --comment "${'é'.repeat(130)}" -j ACCEPT`,
      '-A INPUT -m comment --comment "" -j ACCEPT',
      '-A INPUT -m comment --comment -j ACCEPT',
      '-A INPUT -s 10.0.0.1,10.0.0.2 -j ACCEPT',
      '-A INPUT -s example.invalid -j ACCEPT',
      '-A INPUT -s 10.0.0.0/33 -j ACCEPT',
      '-A INPUT ! -s 0.0.0.0/0 -j ACCEPT',
      '-A INPUT -o eth0 -j ACCEPT',
      '-A OUTPUT -i eth0 -j ACCEPT',
      '-A INPUT -i eth/0 -j ACCEPT',
      '-A INPUT -i averyveryverylongname -j ACCEPT',
      '-A INPUT -j DNAT --to-destination 10.0.0.1',
      '-A INPUT -j USER -j ACCEPT',
      '-A INPUT -g USER',
      '-A INPUT -j NOSUCH',
      '-A INPUT -j LOG --log-prefix "in: " --log-level 4',
      `-A INPUT -j LOG --log-prefix "${'p'.repeat(40)}"`,
      '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A INPUT -m state --state INVALID -j DROP',
      '-A INPUT -m mark --mark 0x1/0x1 -j ACCEPT',
      '-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT',
      '-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT',
      '-A INPUT -m limit --limit 5/min -j LOG',
      '-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT',
      '-A INPUT -p tcp -j REJECT --reject-with tcp-reset',
      '-A INPUT -j REJECT --reject-with tcp-reset',
      '-A INPUT -m set --match-set blocked src -j DROP',
      '-A INPUT -m nosuchmodule --foo 1 -j ACCEPT',
      '-A INPUT ! -j ACCEPT',
      '-A INPUT -j ACCEPT !',
      '-A INPUT -p tcp ! ! --dport 1 -j ACCEPT',
      '-A INPUT',
      '-A USER -j RETURN',
      '-A UNDECLARED -j ACCEPT',
      '-A INPUT -j UNDECLARED',
      '-A INPUT -j INPUT',
      '-A INPUT -m tcp -p tcp --dport 80 -j ACCEPT',
    ];
    same(wrap('filter', filter, rules), 'ipv4', 'filter edges');
    const nat = [
      '-A PREROUTING -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j DNAT --to-destination 10.244.0.5:6443',
      '-A PREROUTING -p tcp -j DNAT --to-destination 10.244.0.5:99999',
      '-A PREROUTING -j DROP',
      '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
      '-A POSTROUTING -j MASQUERADE --to-ports 1000-2000',
      '-A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000-2000',
      '-A POSTROUTING -j SNAT --to-source 192.0.2.1',
      '-A OUTPUT -j MASQUERADE',
      '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      '-A PREROUTING -m statistic --mode random --probability 0.25000000000 -j KUBE-MARK-MASQ',
      '-A PREROUTING -m statistic --mode nth --every 2 -j KUBE-MARK-MASQ',
      '-A PREROUTING -m statistic --mode random -j KUBE-MARK-MASQ',
    ];
    same(wrap('nat', 'PREROUTING INPUT OUTPUT POSTROUTING KUBE-MARK-MASQ', nat), 'ipv4', 'nat edges');
    same(wrap('mangle', 'PREROUTING FORWARD', ['-A PREROUTING -j MARK --set-mark 1', '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', '-A FORWARD -j CONNMARK --save-mark']), 'ipv4', 'mangle edges');
  });

  it('addresses in iptables-save\'s spelling read as ipparseMultiple4() reads them; other spellings are left to it', () => {
    let seed = 7;
    const next = (k: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    const samples = ['0.0.0.0/0', '255.255.255.255', '10.0.0.0/8', '192.168.1.1/32', '172.17.0.1/16', '1.2.3.4/0', '10.244.0.1/31'];
    for (let k = 0; k < 3000; k++) samples.push(`${next(256)}.${next(256)}.${next(256)}.${next(256)}${next(3) ? `/${next(33)}` : ''}`);
    for (const s of samples) {
      const full = ipparseMultiple4(s);
      assert.equal(full.kind, 'ok', s);
      assert.deepEqual([strictCidr4(s)], full.kind === 'ok' ? full.cidrs : [], s);
    }
    for (const s of ['010.0.0.1', '10.0.0', '10.0.0.1/033', '10.0.0.1/33', '256.1.1.1', '1.2.3.4/', '1.2.3.4/255.255.0.0', '0x0a.0.0.1', '10.0.0.1,10.0.0.2', '', '1.2.3.4 ']) assert.equal(strictCidr4(s), undefined, s);
  });

  it('a kube-proxy-style dump: the same result, nearly every rule line on the fast path', () => {
    const dump = kubeProxyDump({ services: 60, endpoints: 5 });
    const read = same(dump, 'ipv4', 'kube-proxy dump');
    const c = coverage(dump);
    assert.ok(c.fast / c.lines > 0.99, `${c.fast} of ${c.lines} lines`);
    // Both backends' models of nearly all of them came from the fast reader.
    assert.ok(read > 2 * 0.99 * c.lines, `${read} models of ${c.lines} lines read fast`);
  });

  for (const file of corpusFiles('iptables')) {
    it(`corpus: ${basename(file)}`, () => {
      const text = readFileSync(file, 'utf8');
      same(text, /ip6tables|\.v6$/.test(basename(file)) ? 'ipv6' : 'ipv4', basename(file));
    });
  }
});
