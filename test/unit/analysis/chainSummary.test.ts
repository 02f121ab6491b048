/**
 * The chain summaries (code lenses, `nflens analyze`) read which rules some
 * packet reaches and which sites packets enter from without joining any
 * flow; they must say what the joined flows say: a line is unreachable when
 * every kernel rule on it has no packet at any hook, and a chain is entered
 * from the sites whose joined entry flow is not empty, in their order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chainSummaries, summaryText } from '../../../server/src/analysis/chainSummary';
import { analyzeReachability, type Reachability } from '../../../server/src/analysis/reachability';
import { isEmpty } from '../../../server/src/analysis/space/packetSet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';
import { generateRules, rng } from '../../helpers/netlab/traceGenerator';

const root = join(__dirname, '..', '..', '..', '..');

/** The summaries from the joined flows (reach() and entries()), as they were first written. */
function joinedSummaries(reach: Reachability): unknown[] {
  const out: unknown[] = [];
  for (const t of reach.emu.tables.values()) {
    for (const c of t.chains.values()) {
      const lines = new Map<number, boolean>();
      for (const r of c.rules) {
        const dead = [...reach.reach(r, t.name, c.name).hits.values()].every((f) => isEmpty(f.may));
        lines.set(r.ref.line, (lines.get(r.ref.line) ?? true) && dead);
      }
      const from = [...reach.entries(t.name, c.name)].filter(([, f]) => !isEmpty(f.may)).map(([id]) => (id.startsWith('hook ') ? id.slice(5) : `${id.split('/')[1]} (line ${Number(id.split('/')[3]) + 1})`));
      out.push({ table: t.name, chain: c.name, builtin: c.builtin, rules: lines.size, unreachable: [...lines.values()].filter(Boolean).length, from });
    }
  }
  return out;
}

function same(text: string, what: string): ReturnType<typeof chainSummaries> {
  const reach = analyzeReachability(parseIptables(text, { family: 'ipv4', backend: 'nft' }).ruleset);
  const summaries = chainSummaries(reach);
  assert.deepEqual(summaries, joinedSummaries(reach), what);
  return summaries;
}

describe('chain summaries read without joining flows say what the joined flows say', () => {
  it('200 random rulesets of the kernel lab\'s generator', () => {
    let unreachable = 0;
    let entered = 0;
    for (let seed = 1; seed <= 200; seed++) {
      for (const s of same(generateRules(rng(seed)), `ruleset ${seed}`)) {
        unreachable += s.unreachable;
        entered += s.from.length;
      }
    }
    // Not vacuous: there were unreachable lines and jump sites to count.
    assert.ok(unreachable > 50 && entered > 200, `${unreachable} unreachable, ${entered} sites`);
  });

  it('a kube-proxy-style dump and the examples', () => {
    const kube = same(kubeProxyDump({ services: 30, endpoints: 3 }), 'kube dump');
    const svc = kube.find((s) => s.chain.startsWith('KUBE-SVC-'))!;
    assert.match(summaryText(svc), /^\d+ rules · entered from KUBE-SERVICES \(line \d+\)$/);
    for (const f of ['docker-host/rules.v4', 'docker-no-proxy/rules.v4', 'web-server/rules.v4', 'mistakes/rules.v4', 'overlay/hostA.rules']) {
      same(readFileSync(join(root, 'examples', f), 'utf8'), f);
    }
  });

  it('a line with two kernel rules (-s a,b) is unreachable only when both are', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -s 10.0.0.1 -j ACCEPT', '-A INPUT -s 10.0.0.1,10.0.0.2 -j DROP', '-A INPUT -s 10.0.0.1 -j DROP', 'COMMIT', ''].join('\n');
    const input = same(text, 'two kernel rules on a line').find((s) => s.chain === 'INPUT')!;
    assert.deepEqual({ rules: input.rules, unreachable: input.unreachable }, { rules: 3, unreachable: 1 });
  });
});
