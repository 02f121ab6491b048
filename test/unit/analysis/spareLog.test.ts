/**
 * The slots of the next analysis's walk log, made while the server is idle after a large file's first
 * reachability (WalkMemo.spareLog, server.ts analyseLarge): the first edit's analysis writes its log into
 * them, and its result is a fresh analysis's. An analysis that was handed slots keeps those.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability, type Reachability } from '../../../server/src/analysis/reachability';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { reachView } from '../../helpers/reachEdits';

/** The memo's private slots: those it hands down, and those its own log is in. */
const handDown = (r: Reachability): unknown[] | undefined => (r.memo as unknown as { handDown?: { ops?: unknown[] } }).handDown?.ops;
const logOf = (r: Reachability): unknown[] => (r.memo as unknown as { ops: unknown[] }).ops;

describe('spare walk-log slots', () => {
  it('the first edit writes its log into the slots made for it, and finds what a fresh analysis finds', () => {
    const lines = kubeProxyDump({ services: 30, endpoints: 3 }).split('\n');
    const first = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    const a0 = analyzeReachability(first.ruleset);
    assert.equal(handDown(a0), undefined, 'a fresh analysis has no slots to hand down');
    a0.memo.spareLog();
    const spare = handDown(a0);
    assert.ok(spare && spare.length > logOf(a0).length, 'made as long as its own log and more');
    const at = lines.findIndex((l) => l.includes('--to-destination'));
    lines[at] = lines[at]!.replace(/:(\d+)$/, ':9090');
    const text = lines.join('\n');
    const edited = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: first });
    const a1 = analyzeReachability(edited.ruleset, { previous: a0 });
    assert.ok(a1.memo.replayed > 0, 'the edit replayed walks');
    assert.equal(logOf(a1), spare, 'its log is in the spare slots');
    assert.equal(logOf(a1).length, logOf(a0).length, 'cut to what it wrote');
    const fresh = analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset);
    assert.deepStrictEqual(reachView(edited.ruleset, a1, text, 5), reachView(edited.ruleset, fresh, text, 5));
    // a1 was handed a0's own slots: spareLog leaves them.
    const handed = handDown(a1);
    assert.ok(handed);
    a1.memo.spareLog();
    assert.equal(handDown(a1), handed);
  });
});
