/**
 * Reachability given the previous version's (ReachOptions.previous, as the
 * editor re-analyses after an edit) takes over the chains the reparse left
 * alone and replays their walks (walkMemo.ts); its result must be exactly a
 * fresh analysis's: every rule's hits per hook box for box, every chain's
 * entries per site, the policies' flows, the findings, the chain summaries
 * and the hover of every rule. Chains of edits on random rulesets and on a
 * kube-proxy-style dump, each analysis handed the one before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { ruleFlows } from '../../../server/src/analysis/ruleFlows';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { cacheOf } from '../../../server/src/lang/iptables/lineCache';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateRules, rng } from '../../helpers/netlab/traceGenerator';
import { reachView, recordedChains, ruleEdit } from '../../helpers/reachEdits';
import { deepEdit, deepRuleset } from '../../helpers/deepChains';
import { handBack, indexKey, Walks, type RememberedWalk } from '../../../server/src/analysis/reach/walkMemo';
import { regroupCount } from '../../../server/src/analysis/space/packetSet';
import { jumpTargetLookups } from '../../../server/src/analysis/reach/walk';
import { explanationsReused } from '../../../server/src/analysis/explainMemo';
import { reachFindings } from '../../../server/src/analysis/findings';
import type { Reachability } from '../../../server/src/analysis/reachability';
import type { Ruleset } from '../../../server/src/lang/iptables/ruleset';
import type { Flow } from '../../../server/src/analysis/reach/flow';

/** Chained edits, each analysis handed the previous one and compared with a fresh one; returns the walks replayed, and those made. */
function chainOfEdits(first: string, seed: number, edits: number, label: string, hoverEvery = 1): { replayed: number; walked: number; fresh: number; keptMoved: number; patched: number } {
  const r = rng(seed);
  let text = first;
  const lines = text.split('\n');
  let parsed = parseIptables(text, { family: 'ipv4', backend: 'nft' });
  let reach = analyzeReachability(parsed.ruleset);
  let replayed = 0;
  let walked = 0;
  let freshWalked = 0;
  let keptMoved = 0;
  let patched = 0;
  const done: string[] = [];
  for (let k = 0; k < edits; k++) {
    done.push(ruleEdit(lines, r));
    const next = lines.join('\n');
    const again = parseIptables(next, { family: 'ipv4', backend: 'nft', previous: parsed });
    const before = JSON.stringify(reachView(parsed.ruleset, reach, text, hoverEvery));
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    assert.equal(JSON.stringify(reachView(parsed.ruleset, reach, text, hoverEvery)), before, `${label}: the previous analysis changed by ${done.join(', ')}`);
    const fresh = analyzeReachability(parseIptables(next, { family: 'ipv4', backend: 'nft' }).ruleset);
    assert.deepStrictEqual(recordedChains(reused), recordedChains(fresh), `${label}: chain records after ${done.join(', ')}`);
    assert.deepStrictEqual(reachView(again.ruleset, reused, next, hoverEvery), reachView(again.ruleset, fresh, next, hoverEvery), `${label}: after ${done.join(', ')}`);
    replayed += reused.memo.replayed;
    walked += reused.memo.walked;
    freshWalked += fresh.memo.walked;
    keptMoved += keptAtOtherLines(parsed.ruleset, reach, again.ruleset, reused);
    patched += reused.memo.patched;
    parsed = again;
    reach = reused;
    text = next;
  }
  return { replayed, walked, fresh: freshWalked, keptMoved, patched };
}

/** The chains the re-analysis's compile kept (the previous compile's objects) whose rules the reparse has at other lines. */
function keptAtOtherLines(rsBefore: Ruleset, before: Reachability, rsNow: Ruleset, now: Reachability): number {
  let n = 0;
  for (const t of now.emu.tables.values()) {
    for (const c of t.chains.values()) {
      if (before.emu.tables.get(t.name)?.chains.get(c.name) !== c || !c.rules.length) continue;
      const was = rsBefore.tables.get(t.name)!.chains.get(c.name)!.rules;
      const is = rsNow.tables.get(t.name)!.chains.get(c.name)!.rules;
      if (is.some((r, i) => r.command.line !== was[i]!.command.line)) n++;
    }
  }
  return n;
}

/** A chain X entered from two chains, and chains that may come to jump to it; each scenario edits lines in place. */
const SHARED = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':P1 - [0:0]',
  ':P2 - [0:0]',
  ':P3 - [0:0]',
  ':X - [0:0]',
  ':Y - [0:0]',
  '-A INPUT -p tcp -j P1',
  '-A INPUT -p udp -j P2',
  '-A INPUT -p icmp -j P3',
  '-A P1 -s 10.0.0.0/8 -j X',
  '-A P2 -s 10.0.0.0/8 -j X',
  '-A P3 -s 10.0.0.0/8 -j ACCEPT',
  '-A X -d 192.168.0.0/16 -j DROP',
  '-A X -j RETURN',
  '-A Y -j RETURN',
  'COMMIT',
  '',
];

/** X's record of the previous analysis must be made anew in each of these (a walk into it replayed, another not). */
const SCENARIOS: ReadonlyArray<readonly [string, (l: string[]) => void]> = [
  // P1 no longer enters X; P2's walk (and X's inside it) is replayed: X lost an entry.
  ['an entry gone', (l) => void (l[12] = '-A P1 -s 10.0.0.0/8 -j Y')],
  // P2's walk is replayed before P1's: X's entries replayed, in another order.
  ['entries in another order', (l) => void ([l[9], l[10]] = [l[10]!, l[9]!])],
  // Every entry of X replayed in order, and P3 enters it too (a fresh walk).
  ['a new entry besides the replayed ones', (l) => void (l[14] = '-A P3 -s 10.0.0.0/8 -j X')],
];

/**
 * Chains nested deeper than the walk follows (64): D1 → … → D64 → Z, so Z is
 * cut there, and Z entered from INPUT too (depth 1) with the same packets.
 * iptables-legacy loads it (nftables refuses chains nested over 15 deep).
 */
function deepChains(): string[] {
  const l = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':Z - [0:0]'];
  for (let i = 1; i <= 64; i++) l.push(`:D${i} - [0:0]`);
  l.push('-A INPUT -j Z', '-A INPUT -j D1');
  for (let i = 1; i < 64; i++) l.push(`-A D${i} -j D${i + 1}`);
  l.push('-A D64 -j Z', 'COMMIT', '');
  return l;
}

describe('reachability given the previous version gives a fresh analysis\'s result', () => {
  it('scripted: a chain entered from replayed and fresh walks is made anew when it must be', () => {
    for (const [what, change] of SCENARIOS) {
      const lines = [...SHARED];
      const first = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
      const reach = analyzeReachability(first.ruleset);
      change(lines);
      const next = lines.join('\n');
      const again = parseIptables(next, { family: 'ipv4', backend: 'nft', previous: first });
      const reused = analyzeReachability(again.ruleset, { previous: reach });
      const fresh = analyzeReachability(parseIptables(next, { family: 'ipv4', backend: 'nft' }).ruleset);
      assert.ok(reused.memo.replayed >= 1, `${what}: nothing replayed`);
      assert.deepStrictEqual(reachView(again.ruleset, reused, next, 1), reachView(again.ruleset, fresh, next, 1), what);
    }
  });

  it('scripted: every chain whose walk entered an edited chain is walked again, also when one that entered it first was edited too', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':P1 - [0:0]', ':P2 - [0:0]', ':X - [0:0]',
      '-A INPUT -p tcp -j P1', '-A INPUT -p udp -j P2', '-A P2 -s 10.0.0.0/8 -j X', '-A P1 -s 10.0.0.0/8 -j X', '-A P1 -j RETURN', '-A X -d 192.168.0.0/16 -j DROP', '-A X -j RETURN', 'COMMIT', ''];
    const first = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    const reach = analyzeReachability(first.ruleset);
    // X (entered from P1, then P2) and P1 change; P2 does not, but what its walk met in X does.
    lines[11] = '-A P1 -p tcp -j RETURN';
    lines[12] = '-A X -d 192.168.0.0/24 -j DROP';
    const next = lines.join('\n');
    const again = parseIptables(next, { family: 'ipv4', backend: 'nft', previous: first });
    assert.ok(cacheOf(again)?.spliced);
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    const fresh = analyzeReachability(parseIptables(next, { family: 'ipv4', backend: 'nft' }).ruleset);
    // P2 is the previous compile's chain, yet walked again: X, P1, P2, X from each.
    assert.equal(reused.emu.tables.get('filter')!.chains.get('P2'), reach.emu.tables.get('filter')!.chains.get('P2'));
    assert.equal(reused.memo.walked, 4);
    assert.deepStrictEqual(reachView(again.ruleset, reused, next, 1), reachView(again.ruleset, fresh, next, 1));
  });

  it('scripted: a walk remembered at one depth is not replayed at another', () => {
    const lines = deepChains();
    const opts = { family: 'ipv4', backend: 'legacy' } as const;
    const first = parseIptables(lines.join('\n'), opts);
    assert.deepEqual(first.diagnostics, []);
    const reach = analyzeReachability(first.ruleset);
    // INPUT now sends Z only tcp (so the walk remembered from there stays unused) and D64 changes:
    // the D chains are walked again, and reach Z at depth 65 with the packets Z got at depth 1 before.
    lines[lines.indexOf('-A INPUT -j Z')] = '-A INPUT -p tcp -j Z';
    lines[lines.indexOf('-A D64 -j Z')] = '-A D64 -s 0.0.0.0/0 -j Z';
    const next = lines.join('\n');
    const again = parseIptables(next, { ...opts, previous: first });
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    const fresh = analyzeReachability(parseIptables(next, opts).ruleset);
    assert.ok(reused.memo.walked >= 64, `${reused.memo.walked} walked`);
    assert.deepStrictEqual(reachView(again.ruleset, reused, next, 1), reachView(again.ruleset, fresh, next, 1));
  });

  it('scripted: the host the rules imply changes (an address of it): conditions on address types are made again', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':L - [0:0]', '-A INPUT -i eth0 -d 10.0.0.5/32 -j L', '-A L -m addrtype --dst-type LOCAL -j ACCEPT', '-A L -j DROP', 'COMMIT', ''];
    const first = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    const reach = analyzeReachability(first.ruleset);
    lines[5] = '-A INPUT -i eth0 -d 10.0.0.6/32 -j L';
    const next = lines.join('\n');
    const again = parseIptables(next, { family: 'ipv4', backend: 'nft', previous: first });
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    const fresh = analyzeReachability(parseIptables(next, { family: 'ipv4', backend: 'nft' }).ruleset);
    assert.notDeepEqual(reused.rec.addrs, reach.rec.addrs);
    assert.deepStrictEqual(reachView(again.ruleset, reused, next, 1), reachView(again.ruleset, fresh, next, 1));
  });

  it('a replayed walk that returned its entry hands back the new entry\'s sets', () => {
    const lines = [...SHARED];
    const first = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    const reach = analyzeReachability(first.ruleset);
    const y = reach.emu.tables.get('filter')!.chains.get('X')!;
    const old = { may: [[]], must: [[]] } as unknown as Flow;
    const entry = { may: [[]], must: [[]] } as unknown as Flow;
    const other = { may: [[]], must: [] } as unknown as Flow;
    const w = { chain: y, depth: 1, key: 0, entry: old, out: { ret: old, accepted: { may: other.may, must: old.must } }, rest: old, from: 0, to: 0, inner: [], shifts: [] };
    const out = handBack(w, entry);
    assert.equal(out.ret.may, entry.may);
    assert.equal(out.ret.must, entry.must);
    assert.equal(out.accepted.may, other.may);
    assert.equal(out.accepted.must, entry.must);
  });

  it('remembered walks are found by chain and entry key, also when two chains\' keys collide in the index', () => {
    const reach = analyzeReachability(parseIptables(SHARED.join('\n'), { family: 'ipv4', backend: 'nft' }).ruleset);
    const chains = reach.emu.tables.get('filter')!.chains;
    const a = chains.get('X')!;
    const b = [...chains.values()].find((c) => c !== a)!;
    const flow = { may: [], must: [] } as unknown as Flow;
    const walk = (chain: typeof a, key: number): RememberedWalk => ({ chain, depth: 1, key, entry: flow, out: { ret: flow, accepted: flow }, rest: flow, from: 0, to: 0, inner: [] as RememberedWalk[], shifts: [] as number[] });
    // b's key chosen so that both land on the same number in the index.
    const collide = indexKey(a.uid, 5) ^ indexKey(b.uid, 0);
    assert.equal(indexKey(b.uid, collide), indexKey(a.uid, 5));
    const walks = new Walks();
    const wa = walk(a, 5);
    const wb = walk(b, collide);
    const wa2 = walk(a, 5);
    const wa3 = walk(a, 5);
    for (const w of [wa, wa2, wb, walk(a, 6), wa3]) walks.add(w);
    // In the order remembered (equal walks, told apart by identity).
    const found = [...walks.of(a, 5)];
    assert.equal(found.length, 3);
    assert.ok(found[0] === wa && found[1] === wa2 && found[2] === wa3);
    assert.deepEqual([...walks.of(b, collide)], [wb]);
    assert.deepEqual([...walks.of(b, 5)], []);
    assert.deepEqual([...walks.of(a, 7)], []);
    // a's one walk with key 6, asked for as b's.
    assert.equal([...walks.of(a, 6)].length, 1);
    assert.deepEqual([...walks.of(b, indexKey(a.uid, 6) ^ indexKey(b.uid, 0))], []);
    assert.ok(walks.indexed);
    // A replayed walk remembered with the walks inside it (addTree): found as if each were remembered, in that order,
    // each with its shift: the tree's, plus those the walks it is inside noted for it (RememberedWalk.shifts).
    const tree = new Walks();
    const inner = walk(a, 5);
    const deeper = walk(a, 5);
    const mid = { ...walk(b, 1), inner: [deeper], shifts: [40] };
    tree.add(wa);
    tree.addTree({ ...walk(b, 2), inner: [mid, inner], shifts: [0, 8] }, 100);
    tree.add(wa2);
    const inTree: Array<[RememberedWalk, number]> = [];
    for (const w of tree.of(a, 5)) inTree.push([w, tree.shift]);
    assert.equal(inTree.length, 4);
    assert.deepEqual(inTree.map(([w, shift]) => [[wa, deeper, inner, wa2].indexOf(w), shift]), [[0, 0], [1, 140], [2, 108], [3, 0]]);
    const mids: Array<[RememberedWalk, number]> = [];
    for (const w of tree.of(b, 1)) mids.push([w, tree.shift]);
    assert.deepEqual(mids, [[mid, 100]]);
  });

  it('random rulesets (the kernel lab\'s generator), 6 chained edits of rule lines each', () => {
    let replayed = 0;
    for (let seed = 1; seed <= 120; seed++) replayed += chainOfEdits(generateRules(rng(seed)), seed * 7 + 1, 6, `ruleset ${seed}`).replayed;
    assert.ok(replayed >= 50, `${replayed} walks replayed`);
  });

  it('chains jumping into one another nine levels deep, edits in the deeper ones: the chains above read their rules\' hits from their previous walks, or go on as fresh walks', () => {
    let patched = 0;
    let resumed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const d = deepRuleset(r);
      let text = d.lines.join('\n');
      let parsed = parseIptables(text, { family: 'ipv4', backend: 'nft' });
      assert.ok(parsed.ruleset.tables.get('mangle')?.committed && parsed.ruleset.tables.get('filter')?.committed, `seed ${seed}: loads`);
      let reach = analyzeReachability(parsed.ruleset);
      const done: string[] = [];
      for (let k = 0; k < 8; k++) {
        done.push(deepEdit(d, r));
        text = d.lines.join('\n');
        const again = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
        const reused = analyzeReachability(again.ruleset, { previous: reach });
        const fresh = analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset);
        assert.deepStrictEqual(reachView(again.ruleset, reused, text, 1), reachView(again.ruleset, fresh, text, 1), `seed ${seed}: after ${done.join(' | ')}`);
        patched += reused.memo.patched;
        resumed += reused.memo.resumed;
        parsed = again;
        reach = reused;
      }
    }
    // Both ways taken, many times (these seeds: 1,166 walks read, 202 of them resumed).
    assert.ok(patched >= 500 && resumed >= 50, `${patched} walks read from the previous ones, ${resumed} of them resumed`);
  });

  it('a kube-proxy-style dump, 30 chained edits (lines changed, deleted, added), most walks replayed', () => {
    const dump = kubeProxyDump({ services: 40, endpoints: 3 });
    const { replayed, walked, fresh, keptMoved, patched } = chainOfEdits(dump, 11, 30, 'kube', 13);
    // A fresh analysis walks into ~660 chains; the edits walk a few of them again (lines that moved included).
    assert.ok(replayed >= 30 * 40 && walked * 10 <= fresh, `${replayed} walks replayed, ${walked} made (a fresh analysis each time: ${fresh})`);
    // Chains whose lines moved were kept as they were compiled (their walks and records with them), their lines read from the parse.
    assert.ok(keptMoved >= 100, `${keptMoved} chains kept at other lines`);
    // The walks made again over kept chains (KUBE-SERVICES's, when an edit below it changed what it enters) read
    // their rules' hits from the previous walks, the very same rules (98 here; 60 when moved chains' rules were new objects).
    assert.ok(patched >= 90, `${patched} walks read from the previous ones`);
  });

  it('an edit in one service re-walks that service only, and the result names the edited rule\'s new packets', () => {
    const dump = kubeProxyDump({ services: 50, endpoints: 2 });
    const first = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    const reach = analyzeReachability(first.ruleset);
    // The walks are indexed (and their entries hashed) by the analysis that looks them up, not before.
    assert.equal(reach.memo.indexedWalkLists.length, 0);
    const lines = dump.split('\n');
    const at = lines.findIndex((l) => l.includes('DNAT --to-destination'));
    lines[at] = lines[at]!.replace(/:(\d+)$/, ':9999');
    const again = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: first });
    const lookups = jumpTargetLookups();
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    // The jumps walked again (KUBE-SERVICES's 50 at each hook, the edited service's) enter the chains they
    // entered before, handed on with their rules' records: only the jump to the edited chain looks it up again.
    assert.ok(jumpTargetLookups() - lookups <= 2, `${jumpTargetLookups() - lookups} jump targets looked up`);
    // 50 services at PREROUTING and OUTPUT: every walk into a service's chain but the edited one's is
    // replayed; walked again: the edited endpoint's chain, its service's chain, KUBE-SERVICES, and
    // KUBE-MARK-MASQ from the edited service (the rest of it is replayed), at each of the two hooks.
    assert.ok(reused.memo.replayed >= 2 * 49, `${reused.memo.replayed} replayed`);
    assert.ok(reused.memo.walked <= 2 * 5, `${reused.memo.walked} walked`);
    // The walk down to the edited chain met the walks to replay at their places in the previous walks
    // (Walker.placed): nat's 300 walks at PREROUTING and OUTPUT were not indexed. Nor were the filter table's:
    // the edited port is in the flows nat hands on, so its chains are entered with other packets than before,
    // where the previous walks went into the same chains (Walker.near): they are walked anew, not looked up.
    assert.deepEqual(reach.memo.indexedWalkLists, []);
    assert.deepEqual(reused.memo.indexedWalkLists, []);
    // At the same places in the log (the edited walks log as many entries as before): the walks themselves, not copies.
    assert.equal(reused.memo.replayedInPlace, reused.memo.replayed);
    // The splice copied the nat table's built-in chains (their rules unchanged): their compile is kept, so that
    // the walks' replay need not look for rules that moved (every chain but the edited one is the previous compile's).
    const natBefore = reach.emu.tables.get('nat')!.chains;
    const natNow = reused.emu.tables.get('nat')!.chains;
    const edited = lines[at]!.split(' ')[1]!;
    assert.deepEqual([...natNow].filter(([name, c]) => natBefore.get(name) !== c).map(([name]) => name), [edited]);
    // In the edited chain, the line the edit left alone (its jump to KUBE-MARK-MASQ) is the previous compile's rule,
    // the edited one new; so KUBE-MARK-MASQ, entered from every endpoint, keeps its record (every entry replayed in order).
    const [jumpBefore, dnatBefore] = natBefore.get(edited)!.rules;
    const [jumpNow, dnatNow] = natNow.get(edited)!.rules;
    assert.equal(jumpNow, jumpBefore);
    assert.notEqual(dnatNow, dnatBefore);
    assert.equal(reused.rec.existing('nat', 'KUBE-MARK-MASQ'), reach.rec.existing('nat', 'KUBE-MARK-MASQ'));
    assert.notEqual(reused.rec.existing('nat', edited), reach.rec.existing('nat', edited));
    // KUBE-SERVICES and the edited service's chain were walked again, but every walk inside them returned what
    // it returned before: their entries were logged as the previous log had them, and their records taken over.
    const service = lines.find((l) => l.endsWith(`-j ${edited}`))!.split(' ')[1]!;
    assert.match(service, /^KUBE-SVC-/);
    for (const name of ['KUBE-SERVICES', service]) assert.equal(reused.rec.existing('nat', name), reach.rec.existing('nat', name), `${name}'s record`);
    assert.ok(!reused.rec.made.some((c) => c.name === 'KUBE-SERVICES' || c.name === service));
    // KUBE-SERVICES and the edited service's chain, at each hook, walked again with what their rules took read
    // from the previous walks (Walker.walk's \`was\`): the flow left at KUBE-SERVICES's end is the previous one,
    // not worked out from its 50 holes again (nor looked up in the remainders remembered).
    assert.equal(reused.memo.patched, 4);
    assert.equal(reused.memo.remainders.reused, 0);
    assert.equal(reach.memo.patched, 0);
    assert.match(JSON.stringify(ruleFlows(reused, at)), /9999/);
    assert.doesNotMatch(JSON.stringify(ruleFlows(reach, at)), /9999/);
    // Then an edit in another service: its endpoints' walks, inside a walk the edit before kept as it was, are replayed.
    const other = lines.map((l, i) => (l.includes('DNAT --to-destination') ? i : -1)).filter((i) => i >= 0).at(-1)!;
    lines[other] = lines[other]!.replace(/:(\d+)$/, ':9998');
    const third = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: again });
    const lookupsBefore = jumpTargetLookups();
    const next = analyzeReachability(third.ruleset, { previous: reused });
    // (The chains handed on were handed on before: the one before marked them as its compile's too.)
    assert.ok(jumpTargetLookups() - lookupsBefore <= 2, `${jumpTargetLookups() - lookupsBefore} jump targets looked up after the second edit`);
    assert.ok(next.memo.walked <= 2 * 5, `${next.memo.walked} walked`);
    assert.equal(next.memo.replayedInPlace, next.memo.replayed);
    // Taken over again (the entry into KUBE-SERVICES the edit before logged is the one before it, equal box for
    // box to the walk's own), and the service the first edit walked again, now replayed, keeps its record too.
    for (const name of ['KUBE-SERVICES', service]) assert.equal(next.rec.existing('nat', name), reach.rec.existing('nat', name), `${name}'s record after the second edit`);
    assert.ok(!next.rec.made.some((c) => c.name === 'KUBE-SERVICES' || c.name === service));
  });

  it('edits in two services far apart in one version (two spliced steps, editSteps.ts) re-walk those two services only', () => {
    const dump = kubeProxyDump({ services: 300, endpoints: 2 });
    const first = parseIptables(dump, { family: 'ipv4', backend: 'nft' });
    const reach = analyzeReachability(first.ruleset);
    const lines = dump.split('\n');
    const dnat = lines.flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    for (const at of [dnat[2]!, dnat.at(-2)!]) lines[at] = lines[at]!.replace(/:(\d+)$/, ':9999');
    const next = lines.join('\n');
    const again = parseIptables(next, { family: 'ipv4', backend: 'nft', previous: first });
    assert.equal(cacheOf(again)?.steps, 2);
    const reused = analyzeReachability(again.ruleset, { previous: reach });
    // As for one edit (the test above), twice: 5 walks per service at each of the two hooks.
    assert.ok(reused.memo.walked <= 2 * 2 * 5, `${reused.memo.walked} walked`);
    assert.ok(reused.memo.replayed >= 2 * 298, `${reused.memo.replayed} replayed`);
    const fresh = analyzeReachability(parseIptables(next, { family: 'ipv4', backend: 'nft' }).ruleset);
    assert.deepStrictEqual(reachView(again.ruleset, reused, next, 25), reachView(again.ruleset, fresh, next, 25));
  });

  it('explanations of rules no packet reaches are read back from a record taken over, when nothing else they read changed (explainMemo.ts)', () => {
    // A shadowed copy (another port) below 20 endpoints' DNAT rules: 20 findings, each explained.
    const lines = kubeProxyDump({ services: 60, endpoints: 2 }).split('\n');
    const dnat = lines.flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    for (let k = 19; k >= 0; k--) lines.splice(dnat[k * 6]! + 1, 0, lines[dnat[k * 6]!]!.replace(/:(\d+)$/, ':9999'));
    const lineText = (text: string) => { const ls = text.split('\n'); return (l: number) => ls[l]; };
    const findings = (rs: Ruleset, reach: Reachability, text: string, withLines = true) => JSON.parse(JSON.stringify(reachFindings(rs, reach, withLines ? { lineText: lineText(text) } : {})));
    let text = lines.join('\n');
    let parsed = parseIptables(text, { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    // (Each copy comes after its endpoint's DNAT, which takes every packet that gets that far: the jump to KUBE-MARK-MASQ before it sends every packet back.)
    assert.equal(findings(parsed.ruleset, reach, text).filter((d: { code: string }) => d.code === 'rule-after-terminal').length, 20);
    assert.equal(explanationsReused(reach), 0);
    const step = (edit: (l: string[]) => void, withLines = true) => {
      edit(lines);
      text = lines.join('\n');
      const again = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
      const reused = analyzeReachability(again.ruleset, { previous: reach });
      const got = findings(again.ruleset, reused, text, withLines);
      assert.deepStrictEqual(got, findings(again.ruleset, analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset), text, withLines));
      parsed = again;
      reach = reused;
      return explanationsReused(reused);
    };
    // A port edited in an endpoint without a shadowed copy: every explanation read back.
    const plain = lines.findIndex((l, i) => l.includes('DNAT --to-destination') && !lines[i + 1]!.endsWith(':9999') && !l.endsWith(':9999'));
    assert.equal(step((l) => (l[plain] = l[plain]!.replace(/:(\d+)$/, ':7777'))), 20);
    // One blocking rule edited (its chain walked again, its record made anew): its copy explained again, the other 19 read back.
    const blocker = lines.findIndex((l, i) => lines[i + 1]?.endsWith(':9999') && l.includes('DNAT'));
    assert.equal(step((l) => (l[blocker] = l[blocker]!.replace(/:(\d+)$/, ':7778'))), 19);
    // Without the document's lines (no quick fix that moves a rule): made again.
    assert.equal(step((l) => (l[plain] = l[plain]!.replace(':7777', ':7779')), false), 0);
    // With the lines again: made again (kept without them), then read back.
    assert.equal(step((l) => (l[plain] = l[plain]!.replace(':7779', ':7780'))), 0);
    assert.equal(step((l) => (l[plain] = l[plain]!.replace(':7780', ':7781'))), 20);
  });

  it('an explanation naming a rule whose line moved (its chain kept) is made again; one whose named lines stayed is read back', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':X - [0:0]', ':Y - [0:0]', ':Z - [0:0]',
      '-A INPUT -p tcp -j X', '-A X -p tcp -j Y', '-A X -p tcp --dport 80 -j DROP', '-A Z -j ACCEPT', '-A Y -p tcp -j ACCEPT', 'COMMIT', ''];
    const lineText = (l: number) => lines[l];
    let parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    const dead = () => reachFindings(parsed.ruleset, reach, { lineText }).find((d) => d.span.start.line === 9)!;
    assert.match(JSON.stringify(dead().related), /in Y, line 12 \(ACCEPT\)/);
    const step = (edit: () => void): number => {
      edit();
      const text = lines.join('\n');
      parsed = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
      reach = analyzeReachability(parsed.ruleset, { previous: reach });
      const fresh = parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset;
      assert.deepStrictEqual(JSON.parse(JSON.stringify(reachFindings(parsed.ruleset, reach, { lineText }))), JSON.parse(JSON.stringify(reachFindings(fresh, analyzeReachability(fresh), { lineText }))));
      return explanationsReused(reach);
    };
    // Z's rule changed in place: X's record taken over, Y kept where it was: read back.
    assert.equal(step(() => (lines[10] = '-A Z -j DROP')), 1);
    // A rule added to Z: Y's line moves (Y kept, X's rules where they were): made again, naming Y's rule at its new line.
    assert.equal(step(() => lines.splice(11, 0, '-A Z -j RETURN')), 0);
    assert.match(JSON.stringify(dead().related), /in Y, line 13 \(ACCEPT\)/);
    assert.equal(reach.emu.tables.get('filter')!.chains.get('Y')!.rules[0]!.ref.line, 11);
  });

  it('a walk whose chain stayed but a chain inside it moved is replayed as it was (the moved chain kept), where the next analysis finds it', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':S - [0:0]', ':A - [0:0]', ':B - [0:0]', ':C - [0:0]',
      '-A INPUT -j S', '-A S -s 10.0.0.0/8 -j A', '-A S -s 11.0.0.0/8 -j C', '-A A -j B', '-A A -d 10.9.9.9/32 -j DROP',
      '-A C -d 11.1.0.0/16 -j DROP', '-A B -d 10.1.0.0/16 -j DROP', '-A B -j RETURN', 'COMMIT', ''];
    const first = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    const r0 = analyzeReachability(first.ruleset);
    // C changes and gets a rule, B's lines move (one edited region, spliced: the other chains stay): S is walked again (it reaches C); A's walk, at
    // the same place in the log, is replayed, B's walk inside it as it was: B is the previous compile's chain, its rules read at their new lines.
    lines.splice(13, 1, '-A C -d 11.2.0.0/16 -j DROP', '-A C -d 11.3.0.0/16 -j DROP');
    const second = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: first });
    const r1 = analyzeReachability(second.ruleset, { previous: r0 });
    assert.deepEqual([r1.memo.walked, r1.memo.replayed, r1.memo.replayedInPlace], [2, 1, 1]);
    const b0 = r0.emu.tables.get('filter')!.chains.get('B')!;
    assert.equal(r1.emu.tables.get('filter')!.chains.get('B'), b0);
    assert.deepEqual(b0.rules.map((r) => [r.ref.line, r1.lineOf(r)]), [[14, 15], [15, 16]]);
    // A changes after its jump: S and A are walked again, and B's walk (same entry) is found and replayed.
    lines[12] = '-A A -d 10.9.9.8/32 -j DROP';
    const third = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: second });
    const r2 = analyzeReachability(third.ruleset, { previous: r1 });
    assert.deepEqual([r2.memo.walked, r2.memo.replayed], [2, 2]);
    const fresh = analyzeReachability(parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' }).ruleset);
    assert.deepStrictEqual(reachView(third.ruleset, r2, lines.join('\n'), 1), reachView(third.ruleset, fresh, lines.join('\n'), 1));
  });

  it('a walk made again follows the previous one\'s walks at their places past a jump taken out; a jump put in is looked up in the index', () => {
    const lines = kubeProxyDump({ services: 40, endpoints: 2 }).split('\n');
    let parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    const jumps = () => lines.flatMap((l, i) => (l.startsWith('-A KUBE-SERVICES ') && l.includes('-j KUBE-SVC-') ? [i] : []));
    const step = (label: string): void => {
      const text = lines.join('\n');
      const again = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
      const reused = analyzeReachability(again.ruleset, { previous: reach });
      const fresh = analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset);
      assert.deepStrictEqual(reachView(again.ruleset, reused, text, 1), reachView(again.ruleset, fresh, text, 1), label);
      assert.ok(reused.memo.replayed >= 2 * 38, `${label}: ${reused.memo.replayed} replayed`);
      parsed = again;
      reach = reused;
    };
    const before = reach;
    // The 20th service's jump taken out: KUBE-SERVICES is walked again, and meets the 21st service's walk one further on.
    lines.splice(jumps()[19]!, 1);
    step('jump taken out');
    assert.deepEqual(before.memo.indexedWalkLists.filter((k) => k === 'nat/PREROUTING' || k === 'nat/OUTPUT'), []);
    // A jump put in, to a service chain with packets it was not entered with before: that walk is not among the
    // previous ones; take() looks for it in the index (and finds none), then the walks after it are met at their places.
    const at = jumps()[10]!;
    const svc = / -j (KUBE-SVC-\S+)/.exec(lines[at]!)![1]!;
    const middle = reach;
    lines.splice(at, 0, `-A KUBE-SERVICES -d 10.96.250.250/32 -p tcp -m tcp --dport 81 -j ${svc}`);
    step('jump put in');
    assert.deepEqual(middle.memo.indexedWalkLists.filter((k) => k === 'nat/PREROUTING' || k === 'nat/OUTPUT'), ['nat/PREROUTING', 'nat/OUTPUT']);
  });

  it('a DNAT rule refused (an unknown option typed into it) and fixed again: the chains after it are walked anew where their entries changed, not looked up in an index of every previous walk', () => {
    const lines = kubeProxyDump({ services: 40, endpoints: 3 }).split('\n');
    let parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    const dnat = lines.flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    // The first endpoint of a service: its chain then returns what it took, and the service's next endpoints are entered with more.
    const at = dnat[30]!;
    for (const [label, text] of [['refused', `${lines[at]} --bogus`], ['fixed', lines[at]!]] as const) {
      lines[at] = text;
      const next = lines.join('\n');
      const again = parseIptables(next, { family: 'ipv4', backend: 'nft', previous: parsed });
      assert.equal(again.diagnostics.some((d) => d.severity === 'error'), label === 'refused', label);
      const reused = analyzeReachability(again.ruleset, { previous: reach });
      const fresh = analyzeReachability(parseIptables(next, { family: 'ipv4', backend: 'nft' }).ruleset);
      assert.deepStrictEqual(recordedChains(reused), recordedChains(fresh), `${label}: chain records`);
      assert.deepStrictEqual(reachView(again.ruleset, reused, next, 1), reachView(again.ruleset, fresh, next, 1), label);
      // KUBE-SERVICES met a walk returning other packets, and went on as a fresh walk; the rest was replayed.
      assert.ok(reused.memo.resumed > 0, `${label}: resumed`);
      assert.ok(reused.memo.replayed >= 2 * 38, `${label}: ${reused.memo.replayed} replayed`);
      assert.deepEqual(reach.memo.indexedWalkLists, [], `${label}: walk lists indexed`);
      parsed = again;
      reach = reused;
    }
  });

  it('a chain walked again because a chain it jumps to changed reads its rules\' hits from its previous walk until that chain returns other packets', () => {
    // P is walked from INPUT (depth 1) and from FORWARD through Q (depth 2): the same chain with
    // other entries. After its jump to Y, its rules read the flow Y left them: Y's edits change it.
    const lines = [
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':P - [0:0]', ':Q - [0:0]', ':Y - [0:0]', ':Z - [0:0]',
      '-A INPUT -p tcp -j P', '-A FORWARD -s 10.0.0.0/8 -j Q', '-A Q -j P',
      '-A P -d 10.9.0.0/16 -j Z', '-A P -j Y', '-A P -d 10.0.0.0/8 -j ACCEPT', '-A P -p tcp --dport 22 -j DROP', '-A P -s 172.16.0.0/12 -j RETURN',
      '-A Y -d 10.1.0.0/16 -j DROP', '-A Z -p udp -j ACCEPT', 'COMMIT', '',
    ];
    const y = lines.indexOf('-A Y -d 10.1.0.0/16 -j DROP');
    const z = lines.indexOf('-A Z -p udp -j ACCEPT');
    let parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    const edits: ReadonlyArray<readonly [string, number, string, boolean]> = [
      // [what, line, new text, whether P goes on from the previous walk's hits to its end]
      ['Z changed, returning what it did', z, '-A Z -p udp -j DROP', true],
      ['Y returns other packets', y, '-A Y -d 10.2.0.0/16 -j DROP', false],
      ['Y returns nothing', y, '-A Y -j DROP', false],
      ['Y returns nothing again (a line changed, to the same rule)', y, '-A Y -d 0.0.0.0/0 -j DROP', true],
      ['Y returns packets again', y, '-A Y -d 10.3.0.0/16 -j DROP', false],
    ];
    for (const [what, at, text, through] of edits) {
      lines[at] = text;
      const next = lines.join('\n');
      const again = parseIptables(next, { family: 'ipv4', backend: 'nft', previous: parsed });
      const reused = analyzeReachability(again.ruleset, { previous: reach });
      const fresh = analyzeReachability(parseIptables(next, { family: 'ipv4', backend: 'nft' }).ruleset);
      assert.deepStrictEqual(reachView(again.ruleset, reused, next, 1), reachView(again.ruleset, fresh, next, 1), what);
      // P at each of its two entries (and Q above it for the second) read its hits from its previous walks.
      assert.equal(reused.memo.patched, 3, `${what}: ${reused.memo.patched} read from the previous walks`);
      // Both of P's walks see what Y returns: when that changed, both go on as fresh walks from the jump on.
      if (through) assert.equal(reused.memo.resumed, 0, what);
      else assert.ok(reused.memo.resumed >= 2, `${what}: ${reused.memo.resumed} resumed`);
      parsed = again;
      reach = reused;
    }
  });

  it('walks replayed further down the log (a rule added above them) are found there by the next analysis, not copied', () => {
    const lines = kubeProxyDump({ services: 40, endpoints: 2 }).split('\n');
    const parse = (previous?: ReturnType<typeof parseIptables>) => parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', ...(previous ? { previous } : {}) });
    const same = (parsed: ReturnType<typeof parseIptables>, reach: Reachability, label: string) => {
      const text = lines.join('\n');
      assert.deepStrictEqual(reachView(parsed.ruleset, reach, text, 1), reachView(parsed.ruleset, analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset), text, 1), label);
    };
    const p0 = parse();
    const r0 = analyzeReachability(p0.ruleset);
    // A rule that takes nothing (the endpoint sees tcp only) added to the first service's first endpoint: one more log entry per
    // hook there, so every walk after it is replayed one entry further down.
    const at = lines.findIndex((l) => l.startsWith('-A KUBE-SEP-') && l.includes('KUBE-MARK-MASQ'));
    lines.splice(at + 1, 0, `${lines[at]!.split(' -s ')[0]} -p udp -j ACCEPT`);
    const p1 = parse(p0);
    const r1 = analyzeReachability(p1.ruleset, { previous: r0 });
    assert.ok(r1.memo.replayed >= 2 * 39, `${r1.memo.replayed} replayed`);
    // (In place: only the walk into KUBE-MARK-MASQ from the edited endpoint, before the added rule, at each hook.)
    assert.equal(r1.memo.replayedInPlace, 2);
    same(p1, r1, 'rule added');
    // A port edited in a later service: the walks to replay are met at their places in r1's walks, at r1's shifts,
    // and read from r1's log there (KUBE-SERVICES's hits too: patched); nat's walks at PREROUTING and OUTPUT are not indexed.
    const dnat = lines.flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    lines[dnat[60]!] = lines[dnat[60]!]!.replace(/:(\d+)$/, ':9999');
    const p2 = parse(p1);
    const r2 = analyzeReachability(p2.ruleset, { previous: r1 });
    assert.ok(r2.memo.replayed >= 2 * 39 && r2.memo.walked <= 2 * 5, `${r2.memo.replayed} replayed, ${r2.memo.walked} walked`);
    assert.equal(r2.memo.replayedInPlace, r2.memo.replayed);
    assert.equal(r2.memo.patched, 4);
    assert.deepEqual(r1.memo.indexedWalkLists.filter((k) => k === 'nat/PREROUTING' || k === 'nat/OUTPUT'), []);
    same(p2, r2, 'port edited after');
  });

  it('lines that only move chains (comments put in): nothing is walked again, twice in a row', () => {
    const lines = kubeProxyDump({ services: 30, endpoints: 2 }).split('\n');
    let parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    for (const fraction of [0.5, 0.75]) {
      lines.splice(Math.floor(lines.length * fraction), 0, '# a note');
      const before = reach;
      parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft', previous: parsed });
      reach = analyzeReachability(parsed.ruleset, { previous: reach });
      assert.equal(reach.memo.walked, 0, `at ${fraction}`);
      // KUBE-SERVICES's walks (all the services' inside) at each hook, replayed whole and kept as they were: every
      // chain is the previous compile's (those below the note read at their new lines), every record taken over.
      assert.ok(reach.memo.replayed >= 2, `${reach.memo.replayed} replayed`);
      assert.equal(reach.memo.replayedInPlace, reach.memo.replayed);
      for (const [name, t] of reach.emu.tables) assert.deepEqual([...t.chains].filter(([n, c]) => before.emu.tables.get(name)!.chains.get(n) !== c).map(([n]) => n), [], name);
      // (The built-in chains' walks are made again by every analysis, which then records them.)
      assert.deepEqual(reach.changes?.recordsMade.filter((r) => !reach.emu.tables.get(r.table)!.chains.get(r.name)!.builtin).map((r) => r.key), []);
      const text = lines.join('\n');
      const fresh = analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset);
      assert.deepStrictEqual(reachView(parsed.ruleset, reach, text, 1), reachView(parsed.ruleset, fresh, text, 1), `at ${fraction}`);
    }
  });

  it('an analysis writes its log over the one two versions back: that one then hands on nothing, and one handed it walks everything (results as fresh)', () => {
    const lines = kubeProxyDump({ services: 30, endpoints: 2 }).split('\n');
    // A chain nothing jumps to: asked about, it gets a record no walk made.
    lines.splice(lines.indexOf('*filter') + 1, 0, ':LONELY - [0:0]', '-A LONELY -j ACCEPT');
    const dnat = lines.flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    const version = (k: number): string => lines.map((l, i) => (i === dnat[k] ? l.replace(/:(\d+)$/, ':9999') : l)).join('\n');
    const parse = (text: string, previous?: ReturnType<typeof parseIptables>) => parseIptables(text, { family: 'ipv4', backend: 'nft', ...(previous ? { previous } : {}) });
    const p0 = parse(version(0));
    const r0 = analyzeReachability(p0.ruleset);
    const p1 = parse(version(1), p0);
    const r1 = analyzeReachability(p1.ruleset, { previous: r0 });
    const p2 = parse(version(2), p1);
    const r2 = analyzeReachability(p2.ruleset, { previous: r1 });
    assert.ok(r1.memo.replayed > 0 && r2.memo.replayed > 0);
    const check = (text: string, parsed: ReturnType<typeof parseIptables>, reach: Reachability, label: string) => {
      const fresh = analyzeReachability(parse(text).ruleset);
      assert.deepStrictEqual(recordedChains(reach), recordedChains(fresh), `${label}: chain records`);
      assert.deepStrictEqual(reachView(parsed.ruleset, reach, text, 3), reachView(parsed.ruleset, fresh, text, 3), label);
    };
    // r2 wrote its log over r0's: an analysis handed r0 walks every chain (and keeps none of r0's chain
    // records, such as those asking about every rule of r0 made for chains no packet enters).
    reachView(p0.ruleset, r0, version(0), 3);
    const b0 = analyzeReachability(parse(version(3), p0).ruleset, { previous: r0 });
    assert.equal(b0.memo.replayed, 0);
    check(version(3), parse(version(3), p0), b0, 'handed r0');
    // r1's log is whole (r2 is the newest): another version from r1 replays as the first did.
    const p1b = parse(version(4), p1);
    const b1 = analyzeReachability(p1b.ruleset, { previous: r1 });
    assert.ok(b1.memo.replayed > 0);
    check(version(4), p1b, b1, 'handed r1 again');
    // And the chain goes on from r2 (r1's slots taken), then from that one.
    const p3 = parse(version(5), p2);
    const r3 = analyzeReachability(p3.ruleset, { previous: r2 });
    const p4 = parse(version(6), p3);
    const r4 = analyzeReachability(p4.ruleset, { previous: r3 });
    assert.ok(r3.memo.replayed > 0 && r4.memo.replayed > 0);
    check(version(6), p4, r4, 'r4');
    assert.equal(analyzeReachability(parse(version(7), p1).ruleset, { previous: r1 }).memo.replayed, 0, 'r1 after r3 took its slots');
  });

  it('the nat table\'s hand-off after an endpoint\'s edit is regrouped from the previous one (coarsen), as a fresh analysis groups it', () => {
    const lines = kubeProxyDump({ services: 300, endpoints: 2 }).split('\n');
    const dnat = lines.flatMap((l, i) => (l.includes('DNAT --to-destination') ? [i] : []));
    let parsed = parseIptables(lines.join('\n'), { family: 'ipv4', backend: 'nft' });
    let reach = analyzeReachability(parsed.ruleset);
    for (const at of [dnat[400]!, dnat[401]!, dnat[550]!]) {
      lines[at] = lines[at]!.replace(/:(\d+)$/, (_m, d: string) => `:${Number(d) + 1}`);
      const text = lines.join('\n');
      const again = parseIptables(text, { family: 'ipv4', backend: 'nft', previous: parsed });
      const regrouped = regroupCount();
      const reused = analyzeReachability(again.ruleset, { previous: reach });
      // (600 DNAT'd flows handed off at each of the nat table's hooks: coarsened, the edited ones far past where its first stage gives up.)
      assert.ok(regroupCount() > regrouped, `line ${at + 1}: not regrouped`);
      const fresh = analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset);
      assert.deepStrictEqual(reachView(again.ruleset, reused, text, 13), reachView(again.ruleset, fresh, text, 13), `line ${at + 1}`);
      parsed = again;
      reach = reused;
    }
  });
});
