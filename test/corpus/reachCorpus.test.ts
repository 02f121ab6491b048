/**
 * Reachability on every real IPv4 dump of ../shared/corpus/iptables: the
 * analysis, its findings and the hover's flows never throw, and what they
 * say holds together: every finding sits on a rule or chain line of the
 * file, and the rules a finding names as blocking ones come before it and
 * are rules of the file. And on dumps of up to 3,000 rules, chained edits of
 * rule lines re-analysed with the previous version handed over (as the
 * editor does) give exactly a fresh analysis's result. A dump with Windows
 * line ends is also read with them made LF.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { reachFindings } from '../../server/src/analysis/findings';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { ruleFlows } from '../../server/src/analysis/ruleFlows';
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { CORPUS_DIR, corpusFiles } from '../helpers/corpus';
import { rng } from '../helpers/netlab/traceGenerator';
import { reachView, ruleEdit } from '../helpers/reachEdits';

const files = corpusFiles('iptables');
/** Hover is asked for this many rules per file, spread over the file. */
const HOVERS = 40;
/** Dumps up to this many rules also get chained edits, each re-analysis compared with a fresh one. */
const EDITED_UP_TO = 3000;
const EDITS = 4;

describe('reachability on the corpus', { skip: files.length ? false : `CORPUS TESTS SKIPPED: ${CORPUS_DIR} not found` }, () => {
  // A dump with Windows line ends loads nothing (iptables-restore keeps the CR): also the same dump with
  // them made LF, as a user who fixed them would have it (openstack-neutron's had findings run for minutes).
  const variants = files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return text.includes('\r\n') ? [{ file, text, name: basename(file) }, { file, text: text.replace(/\r\n/g, '\n'), name: `${basename(file)} (line ends made LF)` }] : [{ file, text, name: basename(file) }];
  });
  for (const { file, text, name } of variants) {
    const analysis = analyzeIptables(text, { backend: 'nft', family: 'auto', fileName: file });
    if (analysis.parsed.ruleset.family !== 'ipv4') continue;
    it(name, { timeout: 120_000 }, () => {
      const lines = text.split('\n');
      const rs = analysis.parsed.ruleset;
      const reach = analyzeReachability(rs);
      const findings = reachFindings(rs, reach, { lineText: (l) => lines[l]?.replace(/\r$/, '') });
      const ruleLines = new Set<number>();
      for (const t of rs.tables.values()) for (const c of t.chains.values()) for (const r of c.rules) ruleLines.add(r.command.line);
      for (const f of findings) {
        const at = f.span.start.line;
        const where = `${basename(file)}:${at + 1} [${f.code}] ${f.message}`;
        if (f.code === 'unreached-chain') assert.match(lines[at] ?? '', /^\s*(:|-N\b)/, where);
        else assert.ok(ruleLines.has(at), `${where}: not on a rule line`);
        if (f.code === 'unreachable-rule' || f.code === 'rule-after-terminal') {
          assert.ok((f.related ?? []).length > 0 || /never hold|can never|no packet .* enters|reached only|drops such packets as martians/i.test(f.message), `${where}: names no blocking rule`);
          for (const r of f.related ?? []) assert.ok(ruleLines.has(r.span.start.line), `${where}: blocking line ${r.span.start.line + 1} is not a rule`);
        }
      }
      const sorted = [...ruleLines].sort((a, b) => a - b);
      const step = Math.max(1, Math.floor(sorted.length / HOVERS));
      for (let i = 0; i < sorted.length; i += step) ruleFlows(reach, sorted[i]!);
      if (sorted.length > EDITED_UP_TO) return;
      const r = rng([...basename(file)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7));
      const edited = [...lines];
      let before = analysis;
      let reachBefore = reach;
      const done: string[] = [];
      for (let k = 0; k < EDITS; k++) {
        done.push(ruleEdit(edited, r));
        const next = edited.join('\n');
        const again = analyzeIptables(next, { backend: 'nft', family: 'auto', fileName: file, previous: before });
        const reused = analyzeReachability(again.parsed.ruleset, { previous: reachBefore });
        const fresh = analyzeReachability(analyzeIptables(next, { backend: 'nft', family: 'auto', fileName: file }).parsed.ruleset);
        const every = Math.max(1, Math.floor(sorted.length / HOVERS));
        assert.deepStrictEqual(reachView(again.parsed.ruleset, reused, next, every), reachView(again.parsed.ruleset, fresh, next, every), `${basename(file)}: after ${done.join(', ')}`);
        before = again;
        reachBefore = reused;
      }
    });
  }
});
