/**
 * Pinned cases for the reachability engine, one per disagreement the
 * soundness test (reachSoundness.test.ts) found with the emulator: each
 * runs a conversation through the emulator on the kernel lab's host, sees
 * which rules it matches at which hook, and checks that the analysis has
 * packets there (and, for address types, that both name the same type).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reachFindings } from '../../../server/src/analysis/findings';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import { ruleFlows } from '../../../server/src/analysis/ruleFlows';
import { Field } from '../../../server/src/analysis/space/fields';
import { single } from '../../../server/src/analysis/space/intSet';
import { intersectSets, where } from '../../../server/src/analysis/space/packetSet';
import { witnessOf } from '../../../server/src/analysis/space/witness';
import type { AddrTypeName } from '../../../server/src/emulator/context';
import type { HostModel } from '../../../server/src/emulator/host/model';
import { Router } from '../../../server/src/emulator/host/routing';
import { Emulator, parseHostFile, type ConversationSpec, type TraceEvent } from '../../../server/src/emulator/index';
import type { Hook } from '../../../server/src/lang/iptables/extension';
import { parseIpv4Strict } from '../../../server/src/lang/iptables/inet';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';
import { LAB_HOST_JSON } from '../../helpers/netlab/traceGenerator';
import { kubeProxyDump } from '../../helpers/kubeProxyDump';

const host: HostModel = parseHostFile(LAB_HOST_JSON).value!.host;
const ip = (s: string): number => parseIpv4Strict(s)!;
const peer = (name: string) => host.peers.find((p) => p.name === name)!;
const parse = (text: string) => parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;

/** "HOOK table chain #n" for every rule the emulator matched in the conversation (n counts from 1). */
function emulatorHits(rules: string, spec: ConversationSpec): Set<string> {
  const emu = new Emulator(parse(rules), host);
  const out = new Set<string>();
  let hook: Hook = 'PREROUTING';
  emu.trace(spec, (e: TraceEvent) => {
    if (e.type === 'hook') hook = e.hook;
    if (e.type === 'rule' && e.matched) out.add(`${hook} ${e.rule.table} ${e.rule.chain} #${e.rule.index + 1}`);
  });
  return out;
}

/** Whether the analysis has packets for rule #n of table/chain at the hook. */
function analysisReaches(rules: string, table: string, chain: string, n: number, hook: Hook): boolean {
  const an = analyzeReachability(parse(rules), { host });
  for (const x of an.rules()) {
    if (x.table !== table || x.chain !== chain || x.rule.ref.index !== n - 1) continue;
    return (an.reach(x.rule, x.table, x.chain).hits.get(hook)?.may.length ?? 0) > 0;
  }
  throw new Error(`no rule ${table} ${chain} #${n}`);
}

/** The emulator matches the rule at the hook, and the analysis has packets there. */
function agree(rules: string, spec: ConversationSpec, table: string, chain: string, n: number, hook: Hook): void {
  const hits = emulatorHits(rules, spec);
  assert.ok(hits.has(`${hook} ${table} ${chain} #${n}`), `the emulator should match ${hook} ${table} ${chain} #${n}; it matched: ${[...hits].join(', ')}`);
  assert.ok(analysisReaches(rules, table, chain, n, hook), `the analysis has no packet for ${table} ${chain} #${n} at ${hook}`);
}

describe('reachability engine: cases the emulator comparison found', () => {
  it('broadcasts are delivered locally: a directed broadcast reaches INPUT', () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -d 10.0.1.255 -j ACCEPT\nCOMMIT\n';
    agree(rules, { proto: 'udp', src: ip('10.0.1.2'), sport: 40000, dst: ip('10.0.1.255'), dport: 53, origin: { kind: 'peer', peer: peer('x1') } }, 'filter', 'INPUT', 1, 'INPUT');
  });

  it('address types are the emulator\'s: 0.0.0.0/8 and 255.255.255.255 BROADCAST, all of 127/8 LOCAL', () => {
    const router = new Router(host);
    const types: AddrTypeName[] = ['LOCAL', 'BROADCAST', 'UNICAST', 'MULTICAST'];
    const addrs = ['0.0.0.0', '0.1.2.3', '255.255.255.255', '127.0.0.1', '127.255.255.255', '10.0.1.1', '10.0.1.255', '172.17.255.255', '10.0.1.2', '8.8.8.8', '224.0.0.1'];
    for (const type of types) {
      const an = analyzeReachability(parse(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m addrtype --dst-type ${type}\nCOMMIT\n`), { host });
      const x = [...an.rules()][0]!;
      const upper = an.reach(x.rule, x.table, x.chain).facts.match.upper;
      for (const a of addrs) {
        const inSet = intersectSets(upper, where(an.space, Field.Dst, single(ip(a)))).length > 0;
        assert.equal(inSet, router.addrType(ip(a)) === type, `${a}: the emulator says ${router.addrType(ip(a))}, the analysis ${inSet ? 'has' : 'lacks'} it in ${type}`);
      }
      // The example packet is one the emulator gives that type.
      const w = witnessOf(an.space, an.reach(x.rule, x.table, x.chain).hits.get('INPUT')?.must ?? [])!;
      if (type !== 'MULTICAST' && type !== 'UNICAST') assert.equal(router.addrType(w.dst), type, `witness ${w.dst} for ${type}`);
    }
  });

  it('a REJECT\'s reset is RELATED and meets the nat POSTROUTING chain (its connection has no source binding yet)', () => {
    const rules = [
      '*nat', ':POSTROUTING ACCEPT [0:0]', '-A POSTROUTING -m state --state RELATED -j LOG', 'COMMIT',
      '*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset', 'COMMIT', '',
    ].join('\n');
    agree(rules, { proto: 'tcp', src: ip('10.0.1.2'), sport: 40000, dst: ip('10.0.1.1'), dport: 22, origin: { kind: 'peer', peer: peer('x1') } }, 'nat', 'POSTROUTING', 1, 'POSTROUTING');
  });

  // test/kernel/rejectReplyCt.kernel.test.ts: the reply carries the rejected connection's entry before raw OUTPUT.
  for (const [what, reject, spec] of [
    ['reset', '-p tcp --dport 22 -j REJECT --reject-with tcp-reset', { proto: 'tcp', dport: 22 }],
    ['ICMP error', '-p udp --dport 53 -j REJECT', { proto: 'udp', dport: 53 }],
  ] as const) {
    it(`a REJECT's ${what} meets raw OUTPUT RELATED, with the rejected connection's connmark, and NOTRACK leaves it so`, () => {
      const rules = (withReject: boolean) => [
        '*raw', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -j NOTRACK', '-A OUTPUT -m conntrack --ctstate RELATED -m connmark --mark 0x5 -j LOG', 'COMMIT',
        '*mangle', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -j CONNMARK --set-mark 0x5', 'COMMIT',
        '*filter', ':INPUT ACCEPT [0:0]', ...(withReject ? [`-A INPUT ${reject}`] : []), 'COMMIT', '',
      ].join('\n');
      agree(rules(true), { ...spec, src: ip('10.0.1.2'), sport: 40000, dst: ip('10.0.1.1'), origin: { kind: 'peer', peer: peer('x1') } }, 'raw', 'OUTPUT', 2, 'OUTPUT');
      // Without a REJECT, nothing the host sends carries an entry at raw OUTPUT.
      assert.equal(analysisReaches(rules(false), 'raw', 'OUTPUT', 2, 'OUTPUT'), false);
    });
  }

  it("a REJECT's reply to an untracked packet carries a bare conntrack word: INVALID at raw OUTPUT, and NOTRACK leaves it so", () => {
    const rules = [
      '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A PREROUTING -p tcp --dport 22 -j NOTRACK', '-A OUTPUT -j NOTRACK', '-A OUTPUT -m conntrack --ctstate INVALID -j LOG', 'COMMIT',
      '*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset', 'COMMIT', '',
    ].join('\n');
    agree(rules, { proto: 'tcp', src: ip('10.0.1.2'), sport: 40000, dst: ip('10.0.1.1'), dport: 22, origin: { kind: 'peer', peer: peer('x1') } }, 'raw', 'OUTPUT', 2, 'OUTPUT');
  });

  it('after NOTRACK, the later rules of raw see the packet UNTRACKED (a closed port\'s reset carries no entry)', () => {
    const rules = [
      '*raw', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -j NOTRACK', '-A OUTPUT -m conntrack --ctstate UNTRACKED -j LOG', 'COMMIT',
      '*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -m conntrack --ctstate INVALID -j DROP', 'COMMIT', '',
    ].join('\n');
    agree(rules, { proto: 'tcp', src: ip('10.0.1.2'), sport: 40000, dst: ip('10.0.1.1'), dport: 9, origin: { kind: 'peer', peer: peer('x1') } }, 'raw', 'OUTPUT', 2, 'OUTPUT');
  });

  it('later packets are rewritten from the binding: the reply to a masqueraded container leaves nat PREROUTING to the container', () => {
    // mangle drops whatever arrives addressed to the container; the reply arrives addressed to the host.
    const rules = [
      '*mangle', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -d 172.17.0.2 -j DROP', 'COMMIT',
      '*nat', ':POSTROUTING ACCEPT [0:0]', '-A POSTROUTING -s 172.17.0.0/16 -o eth0 -j MASQUERADE', 'COMMIT',
      '*filter', ':FORWARD ACCEPT [0:0]', '-A FORWARD -d 172.17.0.2 -m state --state ESTABLISHED -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    agree(rules, { proto: 'tcp', src: ip('172.17.0.2'), sport: 40000, dst: ip('10.0.1.2'), dport: 80, origin: { kind: 'peer', peer: peer('ca') } }, 'filter', 'FORWARD', 1, 'FORWARD');
  });

  it('a packet looped back through lo keeps its entry: NOTRACK in raw PREROUTING leaves it NEW', () => {
    const rules = [
      '*raw', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -j NOTRACK', 'COMMIT',
      '*mangle', ':INPUT ACCEPT [0:0]', '-A INPUT -m state --state NEW -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    agree(rules, { proto: 'tcp', src: 0, sport: 40000, dst: ip('127.0.0.1'), dport: 22, origin: { kind: 'local' } }, 'mangle', 'INPUT', 1, 'INPUT');
  });

  it('a packet looped back through lo passes the nat PREROUTING chain by (its binding was made in OUTPUT)', () => {
    const rules = [
      '*nat', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -j DNAT --to-destination 10.0.1.2', 'COMMIT',
      '*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -i lo -m state --state NEW -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    agree(rules, { proto: 'tcp', src: 0, sport: 40000, dst: ip('127.0.0.1'), dport: 22, origin: { kind: 'local' } }, 'filter', 'INPUT', 1, 'INPUT');
    // It still has an example packet.
    const an = analyzeReachability(parse(rules), { host });
    const x = [...an.rules()].find((r) => r.table === 'filter')!;
    assert.ok(an.reach(x.rule, x.table, x.chain).hits.get('INPUT')!.must.length > 0);
  });

  it('frames bridged between two containers pass FORWARD (in = out = the bridge) with their TTL unchanged', () => {
    const rules = [
      '*mangle', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -m ttl --ttl-gt 64 -j DROP', 'COMMIT',
      '*filter', ':FORWARD ACCEPT [0:0]', '-A FORWARD -m ttl --ttl-eq 64 -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    agree(rules, { proto: 'tcp', src: ip('172.17.0.2'), sport: 40000, dst: ip('172.17.0.3'), dport: 80, origin: { kind: 'peer', peer: peer('ca') } }, 'filter', 'FORWARD', 1, 'FORWARD');
    // Routed packets still lose one: without bridges the rule is out of reach.
    const noBridge: HostModel = { ...host, sysctls: { ...host.sysctls, bridgeNfCallIptables: false } };
    const an = analyzeReachability(parse(rules), { host: noBridge });
    const x = [...an.rules()].find((r) => r.table === 'filter')!;
    assert.equal(an.reach(x.rule, x.table, x.chain).hits.get('FORWARD')?.may.length ?? 0, 0);
  });

  it('DNAT in OUTPUT routes the packet again: it may leave through another interface', () => {
    const rules = [
      '*mangle', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -o docker0 -j DROP', 'COMMIT',
      '*nat', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -p tcp -d 10.0.2.2 -j DNAT --to-destination 172.17.0.2', 'COMMIT',
      '*filter', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -o docker0 -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    agree(rules, { proto: 'tcp', src: 0, sport: 40000, dst: ip('10.0.2.2'), dport: 80, origin: { kind: 'local' } }, 'filter', 'OUTPUT', 1, 'OUTPUT');
  });

  it('with a host description, the host\'s own addresses leave by lo (the local table), and no loopback source leaves by another interface', () => {
    // The kernel witness test found "udp 10.0.1.1 → 10.0.1.1, out eth0" as an example packet: the main
    // table routes 10.0.1.0/24 out eth0, but the local table, read first, sends the host's addresses out lo.
    const rules = ['*filter', ':OUTPUT ACCEPT [0:0]',
      '-A OUTPUT -d 10.0.1.1', '-A OUTPUT -d 10.0.1.1 -o eth0', '-A OUTPUT -s 127.0.0.1 -o eth0', '-A OUTPUT -d 10.0.1.2 -j ACCEPT', 'COMMIT', ''].join('\n');
    const an = analyzeReachability(parse(rules), { host });
    const at = (n: number) => {
      const x = [...an.rules()].find((r) => r.rule.ref.index === n - 1)!;
      return an.reach(x.rule, x.table, x.chain).hits.get('OUTPUT')!;
    };
    const lo = an.space.ifaces.indexOf('lo');
    const toSelf = at(1);
    assert.deepEqual(intersectSets(toSelf.must, where(an.space, Field.Oif, single(lo))), toSelf.must);
    assert.ok(toSelf.must.length > 0);
    assert.equal(witnessOf(an.space, toSelf.must)!.oif, 'lo');
    // Only may (a description does not hold every routing rule); no example packet there.
    for (const n of [2, 3]) assert.deepEqual([at(n).may.length > 0, at(n).must.length], [true, 0], `rule ${n}`);
    // The neighbour is routed out eth0 as before.
    assert.equal(witnessOf(an.space, at(4).must)!.oif, 'eth0');
    // The emulator's router agrees: the host sending to its own address matches the first rule, not the second.
    const hits = emulatorHits(rules, { proto: 'udp', src: 0, sport: 40000, dst: ip('10.0.1.1'), dport: 53, origin: { kind: 'local' } });
    assert.ok(hits.has('OUTPUT filter OUTPUT #1'));
    assert.ok(!hits.has('OUTPUT filter OUTPUT #2'));
  });
});

describe('routing: martians (ip_route_input_slow) reach neither INPUT nor FORWARD', () => {
  const rules = (...lines: string[]) => ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...lines, 'COMMIT', ''].join('\n');
  const hitsOf = (text: string, n: number, withHost: boolean) => {
    const an = analyzeReachability(parse(text), withHost ? { host: { ...host, ifaces: new Map([...host.ifaces].map(([k, v]) => [k, k === 'docker0' ? { ...v, routeLocalnet: true } : v])) } } : {});
    const x = [...an.rules()].find((r) => r.chain === 'INPUT' && r.rule.ref.index === n - 1)!;
    return { an, hit: an.reach(x.rule, x.table, x.chain).hits.get('INPUT') };
  };
  const text = rules(
    '-A INPUT -i eth0 -d 127.0.0.1/32 -p tcp --dport 80 -j DROP',
    '-A INPUT -i docker0 -d 127.0.0.1/32 -p tcp --dport 80 -j DROP',
    '-A INPUT -i lo -d 127.0.0.1/32 -p tcp --dport 80 -j DROP',
    '-A INPUT -i eth0 -s 127.0.0.1/32 -j DROP',
    '-A INPUT -i eth0 -s 0.0.0.0/32 -d 255.255.255.255/32 -p udp --dport 67 -j ACCEPT',
    '-A INPUT -i eth0 -s 224.0.0.0/4 -j DROP');

  it('without a host description: a loopback address from outside may get there (route_localnet is unknown) but surely does not, so no example comes from it; a multicast source never does', () => {
    for (const n of [1, 2]) {
      const { hit } = hitsOf(text, n, false);
      assert.ok(hit && hit.may.length > 0, `rule ${n} may be reached`);
      assert.deepEqual(hit!.must, [], `rule ${n}: no packet surely reaches it`);
    }
    assert.equal(hitsOf(text, 6, false).hit?.may.length ?? 0, 0, 'rule 6 (a multicast source) is reached by no packet');
    // 127.0.0.1 is lo's own address on every host: from outside a martian whatever route_localnet says, to 255.255.255.255 too.
    assert.equal(hitsOf(text, 4, false).hit?.may.length ?? 0, 0, 'rule 4 (the source 127.0.0.1 from eth0) is reached by no packet');
    // lo carries loopback addresses, and DHCP's 0.0.0.0 → 255.255.255.255 is no martian.
    for (const n of [3, 5]) assert.ok(hitsOf(text, n, false).hit!.must.length > 0, `rule ${n} surely reached`);
    const { an, hit } = hitsOf(text, 3, false);
    assert.equal(witnessOf(an.space, hit!.must)!.iif, 'lo');
  });

  it('with one: a loopback destination from an interface without route_localnet reaches nothing, as in the emulator; with it (docker0), it does', () => {
    assert.equal(hitsOf(text, 1, true).hit?.may.length ?? 0, 0);
    assert.ok(hitsOf(text, 2, true).hit!.may.length > 0);
    assert.ok(!analysisReaches(text, 'filter', 'INPUT', 1, 'INPUT'));
    // The emulator's router: the same packet from x1 on eth0 meets no INPUT rule (a martian, dropped after PREROUTING).
    assert.deepEqual([...emulatorHits(text, { proto: 'tcp', src: ip('10.0.1.2'), sport: 40000, dst: ip('127.0.0.1'), dport: 80, origin: { kind: 'peer', peer: peer('x1') } })].filter((h) => h.startsWith('INPUT')), []);
    // The finding says why.
    const { an } = hitsOf(text, 1, true);
    const [d] = reachFindings(an.rs, an).filter((f) => f.span.start.line === text.split('\n').findIndex((l) => l.includes('-i eth0 -d 127.0.0.1')));
    assert.match(d!.message, /never hold for packets in filter INPUT \(routing drops such packets as martians: a multicast or broadcast source, the address 0\.0\.0\.0, a loopback address from another interface than lo without route_localnet\)/);
  });

  it("with one: a source that is one of the host's own addresses, from outside, reaches nothing (accept_local 0), to 255.255.255.255 too; a loopback source to 255.255.255.255 does (test/kernel/martians.kernel.test.ts)", () => {
    const own = rules(
      '-A INPUT -i eth0 -s 10.0.2.1/32 -p udp -j DROP',
      '-A INPUT -i eth0 -s 10.0.1.1/32 -d 255.255.255.255/32 -p udp -j DROP',
      '-A INPUT -i eth0 -s 127.0.0.5/32 -d 255.255.255.255/32 -p udp -j ACCEPT',
      '-A INPUT -i eth0 -s 127.0.0.1/32 -d 255.255.255.255/32 -p udp -j ACCEPT',
      '-A INPUT -i lo -s 10.0.2.1/32 -p udp -j ACCEPT');
    const an = analyzeReachability(parse(own), { host });
    const hit = (n: number) => an.reach([...an.rules()].find((r) => r.chain === 'INPUT' && r.rule.ref.index === n - 1)!.rule, 'filter', 'INPUT').hits.get('INPUT');
    for (const n of [1, 2, 4]) assert.equal(hit(n)?.may.length ?? 0, 0, `rule ${n}: routing drops its packets`);
    for (const n of [3, 5]) assert.ok((hit(n)?.must.length ?? 0) > 0, `rule ${n}: surely reached`);
    const lines = own.split('\n');
    const [d] = reachFindings(an.rs, an).filter((f) => f.span.start.line === lines.indexOf('-A INPUT -i eth0 -s 10.0.2.1/32 -p udp -j DROP'));
    assert.match(d!.message, /one of this host's own addresses as the source, from another interface than lo, and routing drops such packets as martians/);
    // Without a description the host's addresses are guessed: a guess keeps no packet from a rule.
    const guessed = analyzeReachability(parse(own));
    assert.ok(guessed.reach([...guessed.rules()].find((r) => r.chain === 'INPUT' && r.rule.ref.index === 0)!.rule, 'filter', 'INPUT').hits.get('INPUT')!.may.length > 0);
  });

  it('hover: a rule only loopback addresses from outside reach, without a host description, is there only if route_localnet is on, with no example', () => {
    const lined = rules('-A INPUT -i eth0 -d 127.0.0.1/32 -p tcp --dport 80 -j DROP', '-A INPUT -i eth0 -p tcp --dport 80 -j DROP');
    const an = analyzeReachability(parse(lined));
    const flows = ruleFlows(an, 4)!;
    assert.deepEqual(flows.rows.map((r) => [r.hook, r.onlyIf]), [['INPUT', ['route_localnet is on for the input interface (else routing drops a loopback address from outside as a martian)']]]);
    assert.equal(flows.example, undefined);
    // Any other packet from eth0 surely gets to the next rule: no "only if" there, and an example.
    const next = ruleFlows(an, 5)!;
    assert.deepEqual(next.rows.map((r) => r.onlyIf), [undefined]);
    assert.equal(next.example?.witness.iif, 'eth0');
  });

  describe('a rule only martians other than loopback addresses would reach is dead, with or without a host description', () => {
    const lined = [
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':BOGON - [0:0]', ':SHARED - [0:0]',
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -s 231.244.62.81/32 -j REJECT',
      // (From 0.0.0.0 it would be a broadcast, which routing lets through: the source is unicast here.)
      '-A INPUT -s 10.0.0.0/8 -d 0.0.0.0/32 -j DROP',
      '-A INPUT -s 224.0.0.0/3 -j DROP',
      '-A INPUT -s 224.0.0.0/4 -j BOGON',
      '-A INPUT -j SHARED',
      '-A FORWARD -s 224.0.0.0/4 -j DROP',
      '-A OUTPUT -j SHARED',
      '-A OUTPUT -s 224.0.0.0/4 -j DROP',
      '-A BOGON -j DROP',
      '-A SHARED -s 224.0.0.0/4 -j RETURN',
      'COMMIT', '',
    ].join('\n');
    const lineOf = (needle: string) => lined.split('\n').indexOf(needle);
    for (const withHost of [false, true]) {
      it(withHost ? 'with the lab host' : 'without a host description', () => {
        const an = analyzeReachability(parse(lined), withHost ? { host } : {});
        const findings = reachFindings(an.rs, an);
        const at = (needle: string) => findings.filter((f) => f.span.start.line === lineOf(needle));
        // REJECT of a multicast source; DROP of the destination 0.0.0.0: each says which martian it is, and names no earlier rule.
        // (With the host described, 0.0.0.0 is none of its addresses: the finding says so, before any martian.)
        for (const [needle, kind] of [['-A INPUT -s 231.244.62.81/32 -j REJECT', 'a multicast source'], ['-A INPUT -s 10.0.0.0/8 -d 0.0.0.0/32 -j DROP', 'the destination 0.0.0.0']] as const) {
          const [d, ...more] = at(needle);
          assert.equal(more.length, 0);
          assert.equal(d?.code, 'unreachable-rule', needle);
          if (withHost && kind === 'the destination 0.0.0.0') {
            assert.match(d!.message, /^No packet reaches this rule: `-d 0\.0\.0\.0\/32` never holds for packets in filter INPUT \(routing drops such packets as martians: /);
            continue;
          }
          assert.equal(d!.message, `No packet reaches this rule: the packets its conditions accept at INPUT have ${kind}, and routing drops such packets as martians before INPUT.`);
          assert.equal(d!.related, undefined);
          const flows = ruleFlows(an, lineOf(needle))!;
          assert.equal(flows.unreachable, true);
          assert.equal(flows.neverHere, undefined, 'no earlier rule takes them: routing does');
          assert.deepEqual(flows.martians?.kinds, [kind]);
        }
        // 224.0.0.0/3 holds 240.0.0.0/4, which routing lets through: reached, and hover tells the two parts apart.
        assert.deepEqual(at('-A INPUT -s 224.0.0.0/3 -j DROP').map((f) => f.code), []);
        const wide = ruleFlows(an, lineOf('-A INPUT -s 224.0.0.0/3 -j DROP'))!;
        assert.equal(wide.unreachable, false);
        assert.deepEqual(wide.martians!.kinds, ['a multicast source']);
        // (What comes in on lo is one box, 240.0.0.0/4 with the martians: line 6 takes it.)
        assert.match(wide.neverHere!.packets, /^from 224\.0\.0\.0\/3 except 231\.244\.62\.81 .*arriving on lo/);
        assert.deepEqual(wide.neverHere!.takenBy, [lineOf('-A INPUT -i lo -j ACCEPT') + 1]);
        // The jump is dead, and the chain it alone jumps to is never entered.
        assert.deepEqual(at('-A INPUT -s 224.0.0.0/4 -j BOGON').map((f) => f.code), ['unreachable-rule']);
        assert.ok(!an.entered('filter', 'BOGON'));
        // Packets that pass no input routing: a multicast source in FORWARD (a bridge's frames with
        // br_netfilter), in OUTPUT, and in a chain OUTPUT jumps to as well as INPUT.
        for (const needle of ['-A FORWARD -s 224.0.0.0/4 -j DROP', '-A OUTPUT -s 224.0.0.0/4 -j DROP', '-A SHARED -s 224.0.0.0/4 -j RETURN']) {
          const x = [...an.rules()].find((r) => an.lineOf(r.rule) === lineOf(needle))!;
          assert.ok(an.reached(x.rule), needle);
        }
      });
    }

    it('a router whose description has no bridge frames pass FORWARD: every packet there was routed, so a FORWARD rule only martians would reach is dead too', () => {
      const router = parseHostFile(JSON.stringify({
        name: 'router',
        interfaces: [{ name: 'eth0', addresses: ['10.0.1.1/24'] }, { name: 'eth1', addresses: ['10.0.2.1/24'] }],
        routes: [{ to: 'default', via: '10.0.1.2', dev: 'eth0' }],
        sysctl: { 'net.ipv4.ip_forward': 1 },
        peers: [{ name: 'x1', address: '10.0.1.2', via: 'eth0' }],
      })).value!.host;
      const text = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':BOTH - [0:0]',
        '-A INPUT -j BOTH', '-A FORWARD -j BOTH', '-A FORWARD -s 224.0.0.0/4 -j DROP', '-A FORWARD -s 224.0.0.0/3 -j DROP', '-A BOTH -s 231.0.0.0/8 -j DROP', 'COMMIT', ''].join('\n');
      const lineOf = (needle: string) => text.split('\n').indexOf(needle);
      const messages = (an: ReturnType<typeof analyzeReachability>) => new Map(reachFindings(an.rs, an).filter((f) => f.code === 'unreachable-rule').map((f) => [f.span.start.line, f.message]));
      const routed = analyzeReachability(parse(text), { host: router });
      const dead = messages(routed);
      assert.equal(dead.get(lineOf('-A FORWARD -s 224.0.0.0/4 -j DROP')), 'No packet reaches this rule: the packets its conditions accept at FORWARD have a multicast source, and routing drops such packets as martians before FORWARD.');
      assert.equal(dead.get(lineOf('-A BOTH -s 231.0.0.0/8 -j DROP')), 'No packet reaches this rule: the packets its conditions accept at INPUT and FORWARD have a multicast source, and routing drops such packets as martians before INPUT and FORWARD.');
      assert.equal(dead.has(lineOf('-A FORWARD -s 224.0.0.0/3 -j DROP')), false);
      assert.equal(ruleFlows(routed, lineOf('-A FORWARD -s 224.0.0.0/4 -j DROP'))!.martians?.before, 'FORWARD');
      // The lab host's bridge hands its frames to FORWARD unrouted (br_netfilter): there the rules stay reached.
      const bridged = messages(analyzeReachability(parse(text), { host }));
      assert.equal(bridged.has(lineOf('-A FORWARD -s 224.0.0.0/4 -j DROP')), false);
      assert.equal(bridged.has(lineOf('-A BOTH -s 231.0.0.0/8 -j DROP')), false);
      // The emulator's router: a datagram from a multicast source on eth0 to x2's network meets no FORWARD rule.
      // (A unicast source is the control: it is forwarded.)
      const emu = new Emulator(parse(text), router);
      const forwarded = (src: string): boolean => {
        let seen = false;
        emu.trace({ proto: 'udp', src: ip(src), sport: 40000, dst: ip('10.0.2.2'), dport: 53, origin: { kind: 'peer', peer: router.peers[0]! } }, (e: TraceEvent) => {
          if (e.type === 'hook' && e.hook === 'FORWARD') seen = true;
        });
        return seen;
      };
      assert.deepEqual([forwarded('231.1.2.3'), forwarded('10.0.1.5')], [false, true]);
    });

    it('earlier rules that take all but the martians: the finding says routing drops the rest, not that earlier jumps or rewrites do', () => {
      const text = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
        '-A INPUT -s 128.0.0.0/2 -j DROP', '-A INPUT -s 192.0.0.0/3 -j DROP', '-A INPUT -s 240.0.0.0/4 -j DROP', '-A INPUT ! -s 0.0.0.0/1 -j ACCEPT', 'COMMIT', ''].join('\n');
      const an = analyzeReachability(parse(text));
      const [d, ...more] = reachFindings(an.rs, an).filter((f) => f.code === 'unreachable-rule');
      assert.equal(more.length, 0);
      assert.equal(d!.span.start.line, text.split('\n').indexOf('-A INPUT ! -s 0.0.0.0/1 -j ACCEPT'));
      assert.match(d!.message, /^No packet reaches this rule: the earlier rules at line 5 \(DROP\), line 6 \(DROP\), line 7 \(DROP\) together take every packet it would match that routing lets through \(it drops the others as martians: a multicast source\)\. For example/);
    });

    it('the emulator agrees: a datagram from a multicast source on eth0 meets no INPUT rule, one from 240.0.0.1 meets the DROP of 224.0.0.0/3', () => {
      const from = (src: string) => [...emulatorHits(lined, { proto: 'udp', src: ip(src), sport: 40000, dst: ip('10.0.1.1'), dport: 53, origin: { kind: 'peer', peer: peer('x1') } })].filter((h) => h.startsWith('INPUT'));
      assert.deepEqual(from('231.244.62.81'), []);
      assert.ok(from('240.0.0.1').length > 0);
    });
  });

  it('a rule that may get martians and surely gets the rest is still redundant when the policy would do the same', () => {
    const { an } = hitsOf(rules('-A INPUT -p tcp -j ACCEPT'), 1, false);
    assert.deepEqual(reachFindings(an.rs, an).map((f) => f.code), ['redundant-rule']);
  });
});

describe('routing: multicast destinations with a host description (test/kernel/multicast.kernel.test.ts)', () => {
  const text = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -i eth0 -d 224.0.0.251/32 -p udp --dport 5353 -j ACCEPT', '-A INPUT -i eth0 -d 224.0.0.1/32 -j ACCEPT', '-A FORWARD -i eth0 -d 239.1.2.3/32 -j ACCEPT', 'COMMIT', ''].join('\n');
  const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle));
  // (From eth0: a bridge's frames, docker0's on the lab host, are switched to its ports, multicast too.)
  it('a group is delivered to members only, which the description does not say: packets may get to its INPUT rule, surely only all-hosts; none is surely routed on', () => {
    const an = analyzeReachability(parse(text), { host });
    const hit = (needle: string, hook: Hook) => {
      const x = [...an.rules()].find((r) => an.lineOf(r.rule) === lineOf(needle))!;
      const h = an.reach(x.rule, x.table, x.chain).hits.get(hook);
      return { may: (h?.may.length ?? 0) > 0, must: (h?.must.length ?? 0) > 0 };
    };
    assert.deepEqual(hit('224.0.0.251', 'INPUT'), { may: true, must: false });
    assert.deepEqual(hit('224.0.0.1', 'INPUT'), { may: true, must: true });
    assert.deepEqual(hit('239.1.2.3', 'FORWARD'), { may: true, must: false });
    // No finding calls the mDNS rule unreachable (until the twenty-sixth session one did); hover says what it takes.
    assert.deepEqual(reachFindings(an.rs, an).filter((f) => f.code === 'unreachable-rule').map((f) => f.span.start.line), []);
    assert.deepEqual(ruleFlows(an, lineOf('224.0.0.251'))!.rows.map((r) => r.onlyIf), [['the host is a member of the multicast group (a process joined it; else routing drops the packet)']]);
    assert.deepEqual(ruleFlows(an, lineOf('224.0.0.1'))!.rows.map((r) => r.onlyIf), [undefined]);
  });

  it('without one, routing is open: a group is surely delivered and no "only if" is said', () => {
    const an = analyzeReachability(parse(text));
    assert.deepEqual(ruleFlows(an, lineOf('224.0.0.251'))!.rows.map((r) => r.onlyIf), [undefined]);
  });
});

describe('reachability engine: the sets it hands on', () => {
  const dnat = ['*nat', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.0.1:8080', 'COMMIT'];
  for (const [label, extra] of [['no rule names lo (it has an entry of its own all the same)', []], ['a rule names lo', ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -i lo -j ACCEPT', 'COMMIT']]] as const) {
    it(`after conntrack, the looped-back packets and those it looked up are one set, no box twice: ${label}`, () => {
      const rules = [...dnat, ...extra, ''].join('\n');
      const an = analyzeReachability(parse(rules));
      const x = [...an.rules()].find((r) => r.table === 'nat')!;
      const hits = an.reach(x.rule, x.table, x.chain).hits.get('PREROUTING')!;
      for (const s of [hits.may, hits.must]) {
        const boxes = s.map((b) => JSON.stringify(b));
        assert.equal(new Set(boxes).size, boxes.length, boxes.join('\n'));
      }
      // NEW, and RELATED ones (not ICMP errors) with no binding yet: two flows, alike but for the state, said as one.
      const row = ruleFlows(an, 2)!.rows.find((r) => r.hook === 'PREROUTING')!;
      // nat PREROUTING leaves out what is looped back through lo (those got their binding in OUTPUT). Until the
      // twenty-fifth session lo had an entry of its own only when a rule named it: "arriving on any interface" here.
      assert.equal(row.packets, 'to 10.96.0.10 tcp to port 80 arriving on any interface except lo conntrack NEW,RELATED');
    });
  }
});

describe('hover: the way into a chain at each hook', () => {
  const rules = [
    '*nat', // line 1
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':SVC - [0:0]',
    ':MID - [0:0]',
    '-A PREROUTING -p tcp -j SVC', // line 6
    '-A PREROUTING -p udp -j SVC', // line 7
    '-A OUTPUT -j SVC', // line 8
    '-A OUTPUT -i eth0 -j SVC', // line 9: no packet has an input interface at OUTPUT
    '-A PREROUTING -j MID', // line 10
    '-A OUTPUT -j MID', // line 11
    '-A MID -i eth0 -j SVC', // line 12: walked at both hooks, sends packets in at PREROUTING only
    '-A SVC -d 10.96.0.10/32 -j DNAT --to-destination 10.244.0.1', // line 13
    'COMMIT',
    '',
  ].join('\n');
  it('names only the sites that send packets in at that hook', () => {
    const rows = ruleFlows(analyzeReachability(parse(rules)), 12)!.rows;
    const path = (hook: Hook) => rows.filter((r) => r.hook === hook).map((r) => r.path);
    assert.deepEqual(path('PREROUTING'), ['PREROUTING → line 6 or line 7 or line 12']);
    assert.deepEqual(path('OUTPUT'), ['OUTPUT → line 8']);
  });
  it('past four sites, the rest are counted', () => {
    const many = ['*filter', ':INPUT ACCEPT [0:0]', ':X - [0:0]', ...[7, 6, 5, 4, 3, 2].map((p) => `-A INPUT -p tcp --dport ${p} -j X`), '-A X -j ACCEPT', 'COMMIT', ''].join('\n');
    const rows = ruleFlows(analyzeReachability(parse(many)), 9)!.rows;
    assert.deepEqual(rows.map((r) => r.path), ['INPUT → line 4 or line 5 or line 6 or line 7 or 2 more']);
  });
  it('names the lowest lines, whatever order the walk meets the sites in', () => {
    // INPUT's first rule enters B, whose jumps (lines 10-12) reach X before INPUT's own (lines 6-9).
    const many = [
      '*filter', ':INPUT ACCEPT [0:0]', ':B - [0:0]', ':X - [0:0]', '-A INPUT -p udp -j B',
      ...[8, 7, 6, 5].map((p) => `-A INPUT -p tcp --dport ${p} -j X`),
      ...[3, 2, 1].map((p) => `-A B -p udp --dport ${p} -j X`),
      '-A X -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    const rows = ruleFlows(analyzeReachability(parse(many)), 12)!.rows;
    assert.deepEqual(rows.map((r) => r.path), ['INPUT → line 6 or line 7 or line 8 or line 9 or 3 more']);
  });
  it('a built-in chain is its hook', () => {
    const rows = ruleFlows(analyzeReachability(parse(rules)), 5)!.rows;
    assert.deepEqual(rows.map((r) => r.path), ['PREROUTING']);
  });
  it('asked again on the same analysis, the same answer; the next version of the file gets its own', () => {
    const first = analyzeReachability(parse(rules));
    const f = ruleFlows(first, 12)!;
    assert.equal(ruleFlows(first, 12), f);
    assert.equal(ruleFlows(first, 0), undefined);
    // Line 7's jump taken out: SVC is entered at PREROUTING from lines 6 and 12 only.
    const edited = rules.replace('-A PREROUTING -p udp -j SVC', '-A PREROUTING -p udp -j RETURN');
    const next = analyzeReachability(parse(edited), { previous: first });
    const g = ruleFlows(next, 12)!;
    assert.notEqual(g, f);
    assert.deepEqual(g, ruleFlows(analyzeReachability(parse(edited)), 12));
    assert.deepEqual(g.rows.filter((r) => r.hook === 'PREROUTING').map((r) => r.path), ['PREROUTING → line 6 or line 12']);
    assert.deepEqual(ruleFlows(first, 12), f, 'the earlier analysis still says what it said');
  });
});

describe('hover: packets a rule\'s conditions accept that never get to it', () => {
  const rules = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':SSH - [0:0]',
    '-A INPUT -p tcp -m tcp --dport 22 -j SSH', // line 4
    '-A INPUT -p udp -j SSH', // line 5
    '-A SSH -s 10.0.0.0/8 -j DROP', // line 6
    '-A SSH -p tcp -j ACCEPT', // line 7
    '-A SSH -j ACCEPT', // line 8
    'COMMIT',
    '',
  ].join('\n');
  const an = analyzeReachability(parse(rules));
  it('those an earlier rule takes, and which rule', () => {
    const f = ruleFlows(an, 6)!;
    assert.ok(f.neverHere, JSON.stringify(f));
    assert.match(f.neverHere.packets, /^from 10\.0\.0\.0\/8 tcp to port 22/);
    assert.deepEqual(f.neverHere.takenBy, [6]);
    // What does get there: the rest of the TCP packets the jump sends in.
    assert.match(f.rows[0]!.packets, /except 10\.0\.0\.0\/8/);
  });
  it('after two rules, from both entries: what each took', () => {
    const f = ruleFlows(an, 7)!;
    assert.deepEqual(f.neverHere?.takenBy, [6, 7]);
    assert.match(f.neverHere!.packets, /10\.0\.0\.0\/8/);
  });
  it('names only earlier rules the lost packets really get to, not those whose conditions merely meet them', () => {
    const shadowed = ['*filter', ':INPUT ACCEPT [0:0]',
      '-A INPUT -s 10.0.0.0/8 -j DROP', // line 3: takes them all
      '-A INPUT -s 10.0.0.0/16 -j ACCEPT', // line 4: its conditions meet them, but none get there
      '-A INPUT -p tcp -j ACCEPT', // line 5
      'COMMIT', ''].join('\n');
    const f = ruleFlows(analyzeReachability(parse(shadowed)), 4)!;
    assert.match(f.neverHere!.packets, /^from 10\.0\.0\.0\/8 tcp/);
    assert.deepEqual(f.neverHere!.takenBy, [3]);
  });
  it('none for a chain\'s first rule, whose hits are what enters', () => {
    assert.equal(ruleFlows(an, 5)!.neverHere, undefined);
    const dump = kubeProxyDump({ services: 20, endpoints: 3 });
    const kube = analyzeReachability(parse(dump));
    const masq = ruleFlows(kube, dump.split('\n').findIndex((l) => l.startsWith('-A KUBE-MARK-MASQ -j')))!;
    assert.equal(masq.neverHere, undefined);
    assert.match(masq.rows[0]!.path, /^PREROUTING → line \d+ or line \d+ or line \d+ or line \d+ or 76 more$/);
  });
  it('a chain\'s first rule that a walk cut short never got to: what that walk brought in', () => {
    // INPUT → C0 → … → C70 (iptables-legacy loads it; nftables refuses chains nested past 16): the walks stop
    // past 64 chains deep (walk.ts MAX_DEPTH), so packets enter C64 but its rule is never hit. Its hover
    // says so, instead of taking its hits for all that entered.
    const depth = 70;
    const deep = ['*filter', ':INPUT ACCEPT [0:0]', ...Array.from({ length: depth + 1 }, (_, i) => `:C${i} - [0:0]`), '-A INPUT -p tcp -j C0', ...Array.from({ length: depth }, (_, i) => `-A C${i} -j C${i + 1}`), `-A C${depth} -j DROP`, 'COMMIT', ''].join('\n');
    const an = analyzeReachability(parseIptables(deep, { backend: 'legacy', family: 'ipv4' }).ruleset);
    const hover = (k: number) => ruleFlows(an, deep.split('\n').findIndex((l) => l === `-A C${k} -j C${k + 1}`))!;
    const cut = hover(64);
    assert.equal(cut.unreachable, true);
    assert.deepEqual(cut.neverHere, { packets: 'tcp arriving on any interface', takenBy: [] });
    // One chain up, within the depth the walks go: every walk got to it.
    assert.equal(hover(63).unreachable, false);
    assert.equal(hover(63).neverHere, undefined);
    // One further down, nothing entered.
    assert.equal(hover(65).neverHere, undefined);
  });
  it('a rule jumped to from hundreds of sites names their lowest lines at each hook (read from the map of rules\' lines)', () => {
    const dump = kubeProxyDump({ services: 70, endpoints: 3 });
    const lines = dump.split('\n');
    // The oracle, from the text alone: the lines that jump to KUBE-MARK-MASQ (the service's own and one per endpoint: 280).
    const jumps = lines.map((l, i) => (l.endsWith('-j KUBE-MARK-MASQ') ? i + 1 : -1)).filter((l) => l > 0);
    assert.ok(jumps.length >= 256, `${jumps.length} sites: the many-sites path`);
    const expected = `${jumps.slice(0, 4).map((l) => `line ${l}`).join(' or ')} or ${jumps.length - 4} more`;
    const masq = ruleFlows(analyzeReachability(parse(dump)), lines.findIndex((l) => l.startsWith('-A KUBE-MARK-MASQ -j')))!;
    assert.deepEqual(masq.rows.map((r) => r.path), [`PREROUTING → ${expected}`, `OUTPUT → ${expected}`]);
    assert.equal(masq.neverHere, undefined);
  });
});


describe('TCPMSS: a TCP segment without an MSS option and without data leaves 4 bytes longer (xt_TCPMSS.c)', () => {
  const text = (mss: boolean) => ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    mss ? '-A FORWARD -p tcp -j TCPMSS --set-mss 1400' : '-A FORWARD -p tcp',
    '-A FORWARD -p tcp -m length --length 44',
    '-A FORWARD -p tcp -m length --length 100',
    'COMMIT', ''].join('\n');
  /** A rule's hits at FORWARD: packets at all, and sure ones that are whole datagrams or first fragments (TCPMSS leaves later ones alone). */
  const hit = (mss: boolean, n: number) => {
    const an = analyzeReachability(parse(text(mss)), { host });
    const x = [...an.rules()].find((r) => r.chain === 'FORWARD' && r.rule.ref.index === n - 1)!;
    const h = an.reach(x.rule, x.table, x.chain).hits.get('FORWARD')!;
    return { may: h.may.length > 0, sureFirst: intersectSets(h.must, where(an.space, Field.Frag, single(0))).length > 0 };
  };
  it('after it, a 44-byte segment may be one of 40 that got the option (no sure packet: options are not modelled); one of 100 bytes has data and is sure', () => {
    assert.deepEqual(hit(true, 2), { may: true, sureFirst: false });
    assert.deepEqual(hit(true, 3), { may: true, sureFirst: true });
    // Without it, 44 bytes are surely 44 bytes.
    assert.deepEqual(hit(false, 2), { may: true, sureFirst: true });
  });
});
