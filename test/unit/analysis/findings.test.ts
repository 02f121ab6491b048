/** Reachability findings on curated rulesets: each diagnostic of issue 5, with its blocking rules, reasons and fixes. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { reachFindings } from '../../../server/src/analysis/findings';
import { analyzeReachability } from '../../../server/src/analysis/reachability';
import type { Diagnostic } from '../../../server/src/lang/diagnostic';
import { parseIptables } from '../../../server/src/lang/iptables/restoreParser';

function findings(body: string, table = 'filter'): { list: Diagnostic[]; lines: string[] } {
  const head = table === 'filter' ? ['*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]']
    : table === 'raw' ? ['*raw', ':PREROUTING DROP [0:0]', ':OUTPUT ACCEPT [0:0]']
    : table === 'mangle' ? ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]']
    : ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'];
  const text = [...head, ...body.trim().split('\n').map((l) => l.trim()), 'COMMIT', ''].join('\n');
  const parsed = parseIptables(text, { backend: 'nft', family: 'ipv4' });
  const lines = text.split('\n');
  const rs = parsed.ruleset;
  return { list: reachFindings(rs, analyzeReachability(rs), { lineText: (l) => lines[l] }), lines };
}

const at = (f: { list: Diagnostic[]; lines: string[] }, needle: string): Diagnostic[] => f.list.filter((d) => f.lines[d.span.start.line]!.includes(needle));
const lineOf = (f: { lines: string[] }, needle: string): number => f.lines.findIndex((l) => l.includes(needle));
/** The lines of the blocking rules the first finding on the line holding `needle` names. */
const blockers = (f: { list: Diagnostic[]; lines: string[] }, needle: string): string[] => at(f, needle)[0]!.related!.map((r) => f.lines[r.span.start.line]!);

describe('reachability findings', () => {
  it('a /24 hidden by its two /25 halves (union shadowing), naming both and a packet', () => {
    const f = findings(`
      -A INPUT -s 10.0.0.0/25 -j ACCEPT
      -A INPUT -s 10.0.0.128/25 -j DROP
      -A INPUT -s 10.0.0.0/24 -j LOG`);
    const [d, ...rest] = at(f, '-s 10.0.0.0/24');
    assert.equal(rest.length, 0);
    assert.equal(d!.code, 'unreachable-rule');
    assert.deepEqual(d!.related!.map((r) => r.span.start.line), [lineOf(f, '10.0.0.0/25'), lineOf(f, '10.0.0.128/25')]);
    assert.match(d!.message, /together take every packet/);
    assert.ok(d!.example, 'an example packet');
    // The /25 DROP meets the DROP policy's verdict, but without it its packets would be logged: not redundant.
    assert.equal(f.list.length, 1, JSON.stringify(f.list.map((x) => x.message)));
  });

  it('ICMP errors and replies are never NEW (conntrack: only requests start a connection): ufw\'s error ACCEPTs after RELATED,ESTABLISHED and INVALID are dead, its echo-request ACCEPT is not', () => {
    // (test/kernel/icmpStates.kernel.test.ts: the kernel counts an echo reply, a timestamp reply, an
    // unreachable and a router advertisement INVALID, the requests NEW.)
    const f = findings(`
      -A INPUT -i lo -j ACCEPT
      -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
      -A INPUT -m state --state INVALID -j DROP
      -A INPUT -p icmp -m icmp --icmp-type 3 -j ACCEPT
      -A INPUT -p icmp -m icmp --icmp-type 11 -j ACCEPT
      -A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
      -A INPUT -p icmp -m icmp --icmp-type 0 -m state --state NEW -j LOG`);
    for (const needle of ['--icmp-type 3 ', '--icmp-type 11 ']) {
      const [d] = at(f, needle);
      assert.equal(d?.code, 'unreachable-rule', needle);
      assert.match(d!.message, /together take every packet it would match \(none of them is NEW: conntrack calls an ICMP packet NEW only when it is a request/);
    }
    assert.deepEqual(at(f, '--icmp-type 8 ').filter((d) => d.code === 'unreachable-rule'), []);
    const [reply] = at(f, '--icmp-type 0 ');
    assert.equal(reply?.code, 'unreachable-rule');
    assert.match(reply!.message, /conditions never hold for packets in filter INPUT \(conntrack gives the state NEW only to ICMP requests \(echo, timestamp, information, address mask\), ESTABLISHED only to requests and their replies, RELATED only to errors/);
    // In raw PREROUTING only packets looped back through lo have a state (OUTPUT's conntrack gave it):
    // never NEW for an echo reply either. Where `--state NEW` alone never holds (raw OUTPUT), that is the reason given.
    const text = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A PREROUTING -p icmp -m icmp --icmp-type 0 -m state --state NEW -j DROP', '-A OUTPUT -p icmp -m icmp --icmp-type 0 -m state --state NEW -j DROP', 'COMMIT', ''].join('\n');
    const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
    const raw = reachFindings(rs, analyzeReachability(rs)).filter((d) => d.code === 'unreachable-rule');
    assert.deepEqual(raw.map((d) => d.span.start.line), [3, 4]);
    assert.match(raw[0]!.message, /conditions never hold for packets in raw PREROUTING \(conntrack gives the state NEW only to ICMP requests \(echo, timestamp, information, address mask\), ESTABLISHED only to requests and their replies, RELATED only to errors/);
    assert.match(raw[1]!.message, /`-m state --state NEW` never holds for packets in raw OUTPUT/);
    assert.doesNotMatch(raw[1]!.message, /ICMP requests/);
  });

  it('ICMP states by type: ESTABLISHED only requests and replies, RELATED only errors (the others never hold)', () => {
    const f = findings(`
      -A INPUT -p icmp -m icmp --icmp-type 0 -m state --state RELATED -j LOG
      -A INPUT -p icmp -m icmp --icmp-type 3 -m state --state ESTABLISHED -j LOG
      -A INPUT -p icmp -m icmp --icmp-type 9 -m state --state ESTABLISHED,RELATED -j LOG
      -A INPUT -p icmp -m icmp --icmp-type 3 -m state --state RELATED -j LOG
      -A INPUT -p icmp -m icmp --icmp-type 0 -m state --state ESTABLISHED -j LOG
      -A INPUT -p icmp -m icmp --icmp-type 8 -m state --state ESTABLISHED -j LOG
      -A INPUT -p icmp -m icmp --icmp-type 9 -m state --state INVALID -j LOG`);
    for (const needle of ['--icmp-type 0 -m state --state RELATED ', '--icmp-type 3 -m state --state ESTABLISHED ', '--icmp-type 9 -m state --state ESTABLISHED,RELATED ']) {
      const [d] = at(f, needle);
      assert.equal(d?.code, 'unreachable-rule', needle);
      assert.match(d!.message, /conditions never hold for packets in filter INPUT \(conntrack gives the state NEW only to ICMP requests/, needle);
    }
    for (const needle of ['--icmp-type 3 -m state --state RELATED ', '--icmp-type 0 -m state --state ESTABLISHED ', '--icmp-type 8 -m state --state ESTABLISHED ', '--icmp-type 9 -m state --state INVALID ']) {
      assert.deepEqual(at(f, needle).map((d) => d.code), [], needle);
    }
  });

  // tcp_error (test/kernel/tcpStates.kernel.test.ts: the kernel counts SYN+FIN, flagless and FIN+PSH+URG segments INVALID, mid-connection too).
  it("a NULL or XMAS scan DROP after an INVALID DROP is dead: conntrack calls such TCP packets INVALID, whatever their connection", () => {
    const f = findings(`
      -A INPUT -m conntrack --ctstate INVALID -j DROP
      -A INPUT -p tcp --tcp-flags ALL NONE -j DROP
      -A INPUT -p tcp --tcp-flags ALL FIN,PSH,URG -j DROP
      -A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP
      -A INPUT -p tcp --tcp-flags SYN,RST SYN,RST -j DROP
      -A INPUT -p tcp --tcp-flags ALL SYN,URG -j ACCEPT
      -A INPUT -p tcp --tcp-flags ALL ACK,PSH -j ACCEPT`);
    for (const needle of ['ALL NONE', 'ALL FIN,PSH,URG', 'SYN,FIN SYN,FIN', 'SYN,RST SYN,RST']) {
      const [d] = at(f, needle);
      assert.equal(d?.code, 'unreachable-rule', needle);
      assert.match(d!.message, /--ctstate INVALID -j DROP` \(line \d+\) already takes every packet it would match \(conntrack calls a TCP packet INVALID, whatever its connection, unless its flags/, needle);
    }
    for (const needle of ['ALL SYN,URG', 'ALL ACK,PSH']) assert.deepEqual(at(f, needle).filter((d) => d.code === 'unreachable-rule'), [], needle);
  });
  // The tutorial rule "SYN-ACK as NEW: reset" (old kernels tracked a lone SYN-ACK as NEW): tcp_new opens no connection
  // for a SYN-ACK, and in the original direction before any answer it is invalid in every state (tcpStates.kernel.test.ts).
  it('a SYN-ACK is never NEW or RELATED: the tutorial rule can never match, and a chain entered only for NEW,RELATED never meets one', () => {
    const f = findings(`
      :bad-tcp - [0:0]
      -A INPUT -p tcp --tcp-flags SYN,ACK SYN,ACK -m state --state NEW -j REJECT --reject-with tcp-reset
      -A INPUT -m conntrack --ctstate NEW,RELATED --ctproto 6 -j bad-tcp
      -A bad-tcp -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j REJECT --reject-with tcp-reset
      -A bad-tcp -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP`);
    const [tutorial] = at(f, 'INPUT -p tcp --tcp-flags SYN,ACK SYN,ACK');
    assert.equal(tutorial?.code, 'impossible-match');
    assert.match(tutorial!.message, /cannot hold for the same packet \(conntrack never calls a SYN-ACK NEW or RELATED/);
    const [inChain] = at(f, 'bad-tcp -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK');
    assert.equal(inChain?.code, 'unreachable-rule');
    assert.match(inChain!.message, /never holds for packets in filter bad-tcp.*\(conntrack never calls a SYN-ACK NEW or RELATED/);
    assert.deepEqual(at(f, '! --tcp-flags FIN,SYN,RST,ACK SYN').filter((d) => d.code === 'unreachable-rule'), [], 'a NEW ACK (picked up) or RST still gets there');
  });
  it('a NULL scan DROP stays reachable without conntrack, and for packets NOTRACK leaves untracked', () => {
    const plain = findings(`
      -A INPUT -p tcp --tcp-flags ALL NONE -j DROP
      -A INPUT -p tcp --dport 22 -j ACCEPT`);
    assert.deepEqual(at(plain, 'ALL NONE'), []);
    const text = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A PREROUTING -p tcp --dport 80 -j NOTRACK', 'COMMIT',
      '*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -m conntrack --ctstate INVALID -j DROP', '-A INPUT -p tcp --tcp-flags ALL NONE -j DROP', 'COMMIT', ''].join('\n');
    const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
    const list = reachFindings(rs, analyzeReachability(rs), {});
    assert.deepEqual(list.filter((d) => d.span.start.line === 10).map((d) => d.code), [], 'untracked NULL packets to port 80 reach it');
  });
  it('TCP packets with flags conntrack refuses are never ESTABLISHED: the rule can never match, and says why', () => {
    const f = findings('-A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -m conntrack --ctstate ESTABLISHED,RELATED -j DROP');
    const [d] = at(f, 'SYN,FIN SYN,FIN');
    assert.equal(d!.code, 'impossible-match');
    assert.match(d!.message, /`--tcp-flags SYN,FIN SYN,FIN` and `-m conntrack --ctstate ESTABLISHED,RELATED` cannot hold for the same packet \(conntrack calls a TCP packet INVALID, whatever its connection, unless its flags/);
  });

  // Found by the kernel trace test (seed 1190: a --ctreplsrc RETURN in raw PREROUTING left nat nothing).
  for (const test of ['--ctdir REPLY', '--ctstatus SEEN_REPLY', '--ctorigsrc 10.0.0.0/8', '--ctproto tcp']) {
    it(`conntrack ${test} without a state test never matches a packet without an entry: the INVALID DROP after its ACCEPT stays reachable`, () => {
      const f = findings(`
        -A INPUT -m conntrack ${test} -j ACCEPT
        -A INPUT -m conntrack --ctstate INVALID -j DROP
        -A INPUT -p tcp --dport 22 -j ACCEPT`);
      assert.deepEqual(f.list.filter((d) => d.code === 'unreachable-rule').map((d) => f.lines[d.span.start.line]), []);
    });
  }
  it('conntrack --ctstate INVALID with a tuple test matches packets without an entry: the state test alone decides them', () => {
    const f = findings(`
      -A INPUT -m conntrack --ctstate INVALID --ctorigsrc 10.0.0.0/8 -j DROP
      -A INPUT -m conntrack --ctstate INVALID -j DROP`);
    assert.deepEqual(at(f, '--ctstate INVALID -j DROP').map((d) => d.code), ['unreachable-rule']);
  });

  it('one /25 is not enough: the /24 stays reachable', () => {
    const f = findings(`
      -A INPUT -s 10.0.0.0/25 -j ACCEPT
      -A INPUT -s 10.0.0.0/24 -j LOG`);
    assert.deepEqual(at(f, '-s 10.0.0.0/24'), []);
  });

  it('a line of several kernel rules (-s a,b) is unreachable only when each of them is, and then said once', () => {
    const part = findings(`
      -A INPUT -s 10.0.0.1 -j ACCEPT
      -A INPUT -s 10.0.0.1,10.0.0.2 -j DROP`);
    const unreached = (f: ReturnType<typeof findings>) => at(f, '10.0.0.1,10.0.0.2').filter((d) => d.code === 'unreachable-rule' || d.code === 'rule-after-terminal');
    assert.deepEqual(unreached(part), []);
    const whole = findings(`
      -A INPUT -s 10.0.0.0/24 -j ACCEPT
      -A INPUT -s 10.0.0.1,10.0.0.2 -j DROP`);
    assert.equal(unreached(whole).length, 1);
  });

  it('always names a blocking rule with a different action when there is one, the one that takes the most', () => {
    // By volume the /8 alone covers the /24: the ACCEPTs, which really take parts of it first, are named too.
    const f = findings(`
      -A INPUT -s 10.0.5.0/26 -j ACCEPT
      -A INPUT -s 10.0.5.128/25 -j ACCEPT
      -A INPUT -s 10.0.0.0/8 -j DROP
      -A INPUT -s 10.0.5.0/24 -j DROP`);
    const [d] = at(f, '-s 10.0.5.0/24');
    assert.deepEqual(blockers(f, '-s 10.0.5.0/24'), ['-A INPUT -s 10.0.5.128/25 -j ACCEPT', '-A INPUT -s 10.0.0.0/8 -j DROP']);
    // What each takes is what really gets to it: the /8 only the part the ACCEPTs leave.
    assert.match(d!.related![1]!.message, /^takes from 10\.0\.5\.64\/26 /);
  });

  it('a duplicate REJECT behind `-i lo -j ACCEPT`: named REJECT, its example from the duplicate, not from lo', () => {
    // ../shared/corpus veroneau-net-server: the example was "udp 14.203.15.117 → 10.0.0.1:80, in lo", taken by the ACCEPT
    // named only for its other action, and the REJECT was called DROP.
    const f = findings(`
      -A INPUT -i lo -j ACCEPT
      -A INPUT -s 14.203.15.117/32 -j REJECT --reject-with icmp-net-unreachable
      -A INPUT -s 10.9.9.9/32 -j ACCEPT
      -A INPUT -s 14.203.15.117/32 -j REJECT --reject-with icmp-net-unreachable`);
    const first = lineOf(f, '14.203.15.117');
    const dup = f.lines.length - 1 - [...f.lines].reverse().findIndex((l) => l.includes('14.203.15.117'));
    assert.deepEqual(f.list.filter((x) => x.span.start.line === first), [], 'the first REJECT is reached');
    const [d, ...rest] = f.list.filter((x) => x.span.start.line === dup && x.code === 'unreachable-rule');
    assert.equal(rest.length, 0);
    assert.match(d!.message, /line 5 \(ACCEPT\), line 6 \(REJECT\) together take/);
    assert.match(d!.related![1]!.message, /\(REJECT\)$/);
    assert.match(d!.example!.text, /^tcp 14\.203\.15\.117:40000 → .*, in ifx0, conntrack INVALID would match it, but line 6 takes it first/);
    assert.equal(d!.example!.packet.iif, 'ifx0');
  });

  it('names no rule that gets none of the packets, whatever its conditions (Batfish: "it cannot deny a single packet")', () => {
    const f = findings(`
      -A INPUT -s 10.0.0.0/8 -j DROP
      -A INPUT -s 10.0.0.0/16 -j ACCEPT
      -A INPUT -s 10.0.5.0/24 -j DROP`);
    const [d] = at(f, '-s 10.0.5.0/24');
    assert.equal(d!.code, 'unreachable-rule');
    assert.deepEqual(blockers(f, '-s 10.0.5.0/24'), ['-A INPUT -s 10.0.0.0/8 -j DROP']);
    assert.doesNotMatch(d!.message, /line 7/);
    const e = findings(`
      -A INPUT -d 1.2.3.4/32 -j ACCEPT
      -A INPUT -p tcp -j DROP
      -A INPUT -p tcp -d 1.2.3.4/32 -j ACCEPT`);
    const [g] = at(e, '-p tcp -d 1.2.3.4/32');
    assert.deepEqual(blockers(e, '-p tcp -d 1.2.3.4/32'), ['-A INPUT -d 1.2.3.4/32 -j ACCEPT']);
    assert.match(g!.message, /\(line 5\) already takes every packet it would match/);
  });

  it('a broad rule after a union that takes everything is not the cover, however much its conditions overlap', () => {
    const f = findings(`
      -A INPUT -s 10.0.0.0/25 -j ACCEPT
      -A INPUT -s 10.0.0.128/25 -j ACCEPT
      -A INPUT -s 10.0.0.0/8 -j DROP
      -A INPUT -s 10.0.0.0/24 -j LOG`);
    assert.deepEqual(blockers(f, '-s 10.0.0.0/24'), ['-A INPUT -s 10.0.0.0/25 -j ACCEPT', '-A INPUT -s 10.0.0.128/25 -j ACCEPT']);
  });

  it('a rule whose packets earlier rules rewrite on the way names the rewrite, not an empty list', () => {
    const f = findings(`
      -A PREROUTING -j MARK --set-xmark 0x2/0x3
      -A PREROUTING -m mark --mark 0x2/0x3 -j DROP
      -A PREROUTING -m mark --mark 0x1/0x3 -j ACCEPT`, 'mangle');
    const [d, ...rest] = at(f, '--mark 0x1/0x3');
    assert.equal(rest.length, 0);
    assert.equal(d!.code, 'unreachable-rule');
    assert.ok(d!.message.includes(`rewritten on the way (line ${lineOf(f, 'MARK --set-xmark') + 1} (MARK)), and none that gets this far still matches it`), d!.message);
    assert.doesNotMatch(d!.message, /rules at {2}|rules at  together/);
    assert.deepEqual(d!.related!.map((r) => r.span.start.line), [lineOf(f, 'MARK --set-xmark')]);
    assert.match(d!.related![0]!.message, /^changes .*mark 0x1\/0x3 \(MARK\)$/);
    assert.ok(d!.example, 'an example packet');
    assert.equal(Number(d!.example!.packet.mark) & 3, 1, 'the example carries the mark the rule tests');
  });

  it('shadowing through a jump into a user chain', () => {
    const f = findings(`
      :T - [0:0]
      -A INPUT -p tcp -j T
      -A INPUT -p tcp --dport 22 -j ACCEPT
      -A T -j DROP`);
    const [d] = at(f, '--dport 22');
    assert.equal(d!.code, 'unreachable-rule');
    assert.equal(d!.related![0]!.span.start.line, lineOf(f, '-j T'));
  });

  it("inside the called chain, names only the rules the jump's packets really get to", () => {
    // T's DROP of port 22 matches the dead rule's packets by its conditions, but T's first rule takes them all.
    const f = findings(`
      :T - [0:0]
      -A INPUT -p tcp -j T
      -A INPUT -p tcp --dport 22 -j ACCEPT
      -A T -p tcp -s 10.0.0.0/8 -j ACCEPT
      -A T -p tcp -j REJECT
      -A T -p tcp --dport 22 -j DROP`);
    const [d] = at(f, '--dport 22 -j ACCEPT');
    const msg = d!.related![0]!.message;
    assert.match(msg, new RegExp(`in T, line ${lineOf(f, '-s 10.0.0.0/8') + 1} \\(ACCEPT\\), line ${lineOf(f, '-j REJECT') + 1} \\(REJECT\\) decides them`), msg);
    assert.doesNotMatch(msg, new RegExp(`line ${lineOf(f, '--dport 22 -j DROP') + 1}`), msg);
  });

  it('a jump whose chain returns some packets shadows nothing', () => {
    const f = findings(`
      :T - [0:0]
      -A INPUT -p tcp -j T
      -A INPUT -p tcp --dport 22 -j ACCEPT
      -A T -s 10.0.0.0/8 -j RETURN
      -A T -j DROP`);
    assert.deepEqual(at(f, '--dport 22'), []);
  });

  it('a jump to a chain that sends every packet back takes none: the rule after it that decides them is named', () => {
    // ufw's INPUT: a jump to an empty logging chain, then one to a chain that always decides.
    const f = findings(`
      :LOGGING - [0:0]
      :DECIDE - [0:0]
      -A INPUT -j LOGGING
      -A INPUT -j DECIDE
      -A INPUT -p tcp -j ACCEPT
      -A DECIDE -s 10.0.0.0/8 -j ACCEPT
      -A DECIDE -j DROP`);
    const [d] = at(f, '-p tcp -j ACCEPT');
    assert.equal(d!.code, 'rule-after-terminal');
    assert.match(d!.message, new RegExp(`\\(line ${lineOf(f, '-j DECIDE') + 1}\\) takes every packet`), d!.message);
    assert.deepEqual(blockers(f, '-p tcp -j ACCEPT'), ['-A INPUT -j DECIDE']);
    assert.equal(d!.fixes![1]!.title, `Move this rule above line ${lineOf(f, '-j DECIDE') + 1}`);
  });

  it('an unconditional jump whose chain sends some packets back does not take "every packet that gets this far"', () => {
    const f = findings(`
      :T - [0:0]
      -A INPUT -j T
      -A INPUT -p udp -j ACCEPT
      -A T -p tcp -j RETURN
      -A T -j DROP`);
    const [d] = at(f, '-p udp -j ACCEPT');
    assert.equal(d!.code, 'unreachable-rule');
    assert.match(d!.message, /already takes every packet it would match/);
    assert.deepEqual(blockers(f, '-p udp -j ACCEPT'), ['-A INPUT -j T']);
  });

  it('a rule after an unconditional DROP, with delete and move fixes', () => {
    const f = findings(`
      -A OUTPUT -j DROP
      -A OUTPUT -p tcp -j ACCEPT`);
    const [d] = at(f, '-p tcp -j ACCEPT');
    assert.equal(d!.code, 'rule-after-terminal');
    assert.deepEqual(d!.fixes!.map((x) => x.title), ['Delete this rule', `Move this rule above line ${lineOf(f, '-j DROP') + 1}`]);
    const move = d!.fixes![1]!.edits;
    assert.equal(move[0]!.newText, '-A OUTPUT -p tcp -j ACCEPT\n');
  });

  it('conditions that exclude each other, naming the pair', () => {
    const f = findings('-A INPUT -s 10.0.0.0/8 -m iprange --src-range 192.168.0.1-192.168.0.9 -j ACCEPT');
    const [d] = f.list;
    assert.equal(d!.code, 'impossible-match');
    assert.match(d!.message, /`-s 10\.0\.0\.0\/8` and `-m iprange --src-range 192\.168\.0\.1-192\.168\.0\.9`/);
  });

  it('an -i match in a user chain reached only from OUTPUT', () => {
    const f = findings(`
      :LOCAL - [0:0]
      -A OUTPUT -j LOCAL
      -A LOCAL -i eth0 -j ACCEPT
      -A LOCAL -o eth0 -j ACCEPT`);
    const [d, ...rest] = f.list;
    assert.equal(rest.length, 0, JSON.stringify(f.list.map((x) => x.message)));
    assert.equal(d!.span.start.line, lineOf(f, '-i eth0'));
    assert.match(d!.message, /`-i eth0` never holds for packets in filter LOCAL, which packets reach only from OUTPUT/);
  });

  it('-f (later fragments): never in INPUT; nowhere once conntrack runs (checked in the kernel: fragments.kernel.test.ts)', () => {
    const plain = findings(`
      -A INPUT -f -j DROP
      -A FORWARD -f -j DROP`);
    assert.match(at(plain, 'INPUT -f')[0]!.message, /`-f` never holds for packets in filter INPUT \(fragments are reassembled before local delivery: INPUT sees whole datagrams\)/);
    assert.deepEqual(at(plain, 'FORWARD -f'), []);
    const tracked = findings(`
      -A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT
      -A FORWARD -f -j DROP`);
    assert.match(at(tracked, 'FORWARD -f')[0]!.message, /`-f` never holds for packets in filter FORWARD \(conntrack runs, so the kernel reassembles fragments before any table sees them\)/);
  });

  it('conditions that never hold because an earlier table drops those packets: the DROP is named', () => {
    const text = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':SPOOF50 - [0:0]', '-A PREROUTING -i eth0.50 -j SPOOF50', '-A SPOOF50 -j DROP', 'COMMIT',
      '*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':OUT - [0:0]', '-A INPUT -i eth0.10 -j ACCEPT', '-A INPUT -i eth0.50 -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT',
      '-A OUTPUT -j OUT', '-A OUT -i eth0 -j ACCEPT', 'COMMIT', ''].join('\n');
    const lines = text.split('\n');
    const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
    const list = reachFindings(rs, analyzeReachability(rs), { lineText: (l) => lines[l] });
    const f = { list, lines };
    const [d] = at(f, '-i eth0.50 -p tcp');
    const drop = lineOf(f, '-A SPOOF50 -j DROP');
    assert.equal(d!.code, 'unreachable-rule');
    assert.match(d!.message, /`-i eth0\.50` never holds for packets in filter INPUT/);
    assert.match(d!.message, new RegExp(`Earlier, line ${drop + 1} \\(raw SPOOF50: DROP\\) drops packets it would match`), d!.message);
    assert.deepEqual(d!.related!.map((r) => [r.span.start.line, r.role]), [[drop, 'takes']]);
    assert.equal(d!.related![0]!.message, 'drops tcp to port 22 arriving on eth0.50 at PREROUTING (DROP)');
    // No input interface from OUTPUT: nothing earlier drops such packets, and none is named.
    const [o] = at(f, '-A OUT -i eth0');
    assert.match(o!.message, /never holds/);
    assert.doesNotMatch(o!.message, /Earlier/);
    assert.equal(o!.related, undefined);
  });

  it('a FORWARD rule with an output interface behind a raw PREROUTING DROP: the DROP is named (routing picks the interface after it), and of a block list only the DROP that takes them nearly all', () => {
    const text = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':BOGONS - [0:0]', '-A PREROUTING -i eth1 -j BOGONS',
      '-A BOGONS -s 0.0.0.0/8 -j DROP', '-A BOGONS -s 10.0.0.0/8 -j DROP', '-A BOGONS -s 100.64.0.0/10 -j DROP', '-A BOGONS -d 192.168.0.0/16 -j DROP', 'COMMIT',
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A FORWARD -d 192.168.10.32/32 -i eth1 -o eth0.10 -p tcp --dport 22 -j ACCEPT', '-A FORWARD -i eth0.10 -o eth1 -j ACCEPT', 'COMMIT', ''].join('\n');
    const lines = text.split('\n');
    const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
    const f = { list: reachFindings(rs, analyzeReachability(rs), { lineText: (l) => lines[l] }), lines };
    const [d] = at(f, '-d 192.168.10.32/32');
    const drop = lineOf(f, '-d 192.168.0.0/16 -j DROP');
    assert.equal(d!.code, 'unreachable-rule');
    // The three source ranges drop a sliver each (0.4 % and less of what it drops): not named.
    assert.match(d!.message, new RegExp(`Earlier, line ${drop + 1} \\(raw BOGONS: DROP\\) drops packets it would match\\.`), d!.message);
    assert.deepEqual(d!.related!.map((r) => r.span.start.line), [drop]);
    assert.match(d!.related![0]!.message, /to 192\.168\.10\.32 tcp to port 22 arriving on eth1 at PREROUTING \(DROP\)$/);
  });

  it('a nat rule for packets that are never NEW there', () => {
    const f = findings('-A PREROUTING -m conntrack --ctstate ESTABLISHED -j DNAT --to-destination 10.0.0.1', 'nat');
    const [d] = f.list;
    assert.equal(d!.code, 'unreachable-rule');
    assert.match(d!.message, /nat chains see only the first packet of each connection/);
  });

  it('a chain whose every jump is unreachable: one finding on the chain, none on its rules', () => {
    const f = findings(`
      :SUB - [0:0]
      -A INPUT -j DROP
      -A INPUT -p tcp -j SUB
      -A SUB -p tcp --dport 80 -j ACCEPT`);
    assert.ok(f.list.some((d) => d.code === 'unreached-chain' && f.lines[d.span.start.line] === ':SUB - [0:0]'));
    assert.deepEqual(at(f, '--dport 80'), []);
  });

  it('a redundant rule: the policy would give the same verdict; quick fix deletes it', () => {
    const f = findings(`
      -A FORWARD -s 10.0.0.0/8 -j ACCEPT`);
    const [d] = f.list;
    assert.equal(d!.code, 'redundant-rule');
    assert.equal(d!.severity, 'hint');
    assert.equal(d!.fixes![0]!.title, 'Delete this rule');
  });

  it('not redundant when a later rule would decide otherwise', () => {
    const f = findings(`
      -A FORWARD -s 10.0.0.0/8 -j ACCEPT
      -A FORWARD -s 10.1.0.0/16 -j DROP`);
    assert.ok(!f.list.some((d) => d.code === 'redundant-rule' && f.lines[d.span.start.line]!.includes('10.0.0.0/8')));
  });

  it('not redundant when its packets would then be logged, traced, put in a set or counted by a limit: only a plain counting rule is passed', () => {
    // INPUT's policy is DROP: each DROP below meets DROP anyway, but not silently.
    const redundantOnes = (later: string): string[] => at(findings(`
      -A INPUT -s 203.0.113.7 -j DROP
      ${later}`), '203.0.113.7').filter((d) => d.code === 'redundant-rule').map((d) => d.message);
    assert.deepEqual(redundantOnes('-A INPUT -j LOG --log-prefix "dropped: "'), []);
    assert.deepEqual(redundantOnes('-A INPUT -j NFLOG --nflog-group 2'), []);
    assert.deepEqual(redundantOnes('-A INPUT -p tcp -m limit --limit 1/s -j DROP'), []);
    assert.deepEqual(redundantOnes('-A INPUT -m recent --name seen --set'), []);
    assert.deepEqual(redundantOnes('-A INPUT -j SET --add-set seen src'), []);
    // A rule its packets never meet, or one that only counts them, changes nothing.
    assert.equal(redundantOnes('-A INPUT -s 198.51.100.0/24 -j LOG').length, 1);
    assert.equal(redundantOnes('-A INPUT -p udp').length, 1);
    const raw = findings(`
      -A PREROUTING -i eth1 -j DROP
      -A PREROUTING -p udp -j TRACE`, 'raw');
    assert.deepEqual(at(raw, '-i eth1').filter((d) => d.code === 'redundant-rule'), []);
  });

  it('not redundant when it is the one line that turns connection tracking on: without it the nat chains stop and fragments are no longer reassembled (soundness seeds 280186, 390485)', () => {
    const redundantOnes = (more: string): string[] => at(findings(`
      -A INPUT -p udp -m state --state INVALID -j DROP
      ${more}`), '--state INVALID').filter((d) => d.code === 'redundant-rule').map((d) => d.message);
    assert.deepEqual(redundantOnes(''), []);
    // Another line tracks connections too: then it only meets the DROP policy sooner.
    assert.equal(redundantOnes('-A OUTPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT').length, 1);
  });

  it('undecidable matches never make a rule unreachable, nor hide later ones', () => {
    const f = findings(`
      -A INPUT -m limit --limit 1/s -j DROP
      -A INPUT -m set --match-set blocked src -j DROP
      -A INPUT -p tcp -j ACCEPT`);
    assert.deepEqual(f.list.filter((d) => d.code !== 'redundant-rule'), []);
  });

  it('marks: a MARK earlier makes a mark match reachable, a DROP of that mark hides the next', () => {
    const f = findings(`
      -A PREROUTING -p tcp -j MARK --set-mark 0x1
      -A PREROUTING -m mark --mark 0x1 -j ACCEPT
      -A PREROUTING -m mark --mark 0x2 -j ACCEPT`.replace(/PREROUTING/g, 'INPUT'));
    assert.deepEqual(at(f, '--mark 0x1 -j'), []);
    assert.deepEqual(at(f, '--mark 0x2'), [], 'packets other than tcp keep any mark');
  });

  it("Docker's own rules are hints, not warnings", () => {
    const text = readFileSync(join(__dirname, '..', '..', '..', '..', 'examples', 'overlay', 'hostA.rules'), 'utf8');
    const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
    const list = reachFindings(rs, analyzeReachability(rs));
    assert.ok(list.length > 0);
    assert.ok(list.every((d) => d.severity === 'hint'), JSON.stringify(list.map((d) => [d.severity, d.message])));
  });
});

describe('Docker: a user rule after Docker\'s own ACCEPTs', () => {
  it('is a warning naming the jump to DOCKER and the rule inside that accepts the packets', () => {
    const rules = readFileSync(join(__dirname, '..', '..', '..', '..', 'examples', 'docker-host', 'rules.v4'), 'utf8');
    const text = rules.replace('-A DOCKER -d 172.17.0.4/32', '-A FORWARD -i eth0 -o docker0 -d 172.17.0.4/32 -p tcp -m tcp --dport 12580 -j DROP\n-A DOCKER -d 172.17.0.4/32');
    const lines = text.split('\n');
    const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
    const list = reachFindings(rs, analyzeReachability(rs), { lineText: (l) => lines[l] });
    const mine = lines.findIndex((l) => l.includes('--dport 12580 -j DROP'));
    const [d] = list.filter((x) => x.span.start.line === mine);
    assert.equal(d?.code, 'unreachable-rule', JSON.stringify(list.map((x) => [x.span.start.line, x.message])));
    assert.equal(d!.severity, 'warning', "the user's own rule, though it names docker0");
    const jump = lines.findIndex((l) => l === '-A FORWARD -o docker0 -j DOCKER');
    const accept = lines.findIndex((l) => l.startsWith('-A DOCKER -d 172.17.0.4/32'));
    assert.ok(d!.related!.some((r) => r.span.start.line === jump && r.message.includes(`in DOCKER, line ${accept + 1} (ACCEPT) decides them`)), JSON.stringify(d!.related));
  });
});
