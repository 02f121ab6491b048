/**
 * Files for the one-pass clean proof (server/src/lang/iptables/cleanProof.ts):
 * iptables-save-shaped IPv4 files around its grammar. Half are meant clean
 * (values, targets and jumps where they are valid); the others take a near
 * miss now and then: bad values, targets in the wrong table or hook, loops,
 * unused or undeclared chains, line damage.
 */
import { Rng } from './restoreGenerator';

/** Choices with a near miss now and then (pBad per choice). */
class Gen {
  constructor(readonly r: Rng, readonly pBad: number) {}
  pick<T>(good: readonly T[], bad: readonly T[]): T {
    return bad.length && this.r.chance(this.pBad) ? this.r.pick(bad) : this.r.pick(good);
  }
  bad(): boolean {
    return this.r.chance(this.pBad);
  }
}

const ADDR = ['10.0.0.0/8', '192.168.1.1/32', '192.168.1.7', '0.0.0.0/0', '172.16.0.0/12', '10.244.3.0/24'];
const BAD_ADDR = ['10.0.0.1/8', '256.1.1.1', '10.0.0.0/33', '1.2.3', '01.2.3.4', 'example.com', '10.0.0.0/08', '10.0.0.0/255.0.0.0', '1.2.3.4/', '2001:db8::1'];
const IFACE = ['eth0', 'docker0', 'br-4f2a', 'veth+', 'lo', 'wg0.5'];
const BAD_IFACE = ['eth0:1', 'a/b', 'averyveryverylongname', '+', '-x'];
const PROTO = ['tcp', 'udp', 'icmp', 'sctp'];
const BAD_PROTO = ['TCP', 'all', '6', 'gre', 'ipv6-icmp', 'tcpx'];

function matchText(g: Gen, proto: string | undefined, protoInvert: boolean): string {
  const r = g.r;
  const port = (): string => g.pick(['80', '443', '1024:65535', '0', '53', '8080:8090'], ['70000', '10:5', 'ssh', '-1', '080', '1:1', ':80']);
  const portProto = (proto === 'tcp' || proto === 'udp') && !protoInvert;
  const kinds = ['comment', 'comment', 'statistic', 'mark', 'conntrack', 'state', 'addrtype', ...(portProto || g.bad() ? ['tcp', 'udp', 'multiport', 'multiport'] : [])];
  const kind = g.bad() ? 'other' : r.pick(kinds);
  const neg = (): string => (r.chance(0.2) ? '! ' : '');
  switch (kind) {
    case 'comment':
      return `-m comment --comment ${g.pick(['"ns/svc:http cluster IP"', 'plain', '"a, b; c"', "\"it's\"", '"x"'], ['""', '"a"b"', `"${'c'.repeat(256)}"`, '"é"', '-dash', '"unclosed', 'two words', '"x" --comment again'])}`;
    case 'tcp':
    case 'udp': {
      const m = portProto && !g.bad() ? proto! : kind;
      const opts = [`${neg()}--dport ${port()}`, `${neg()}--sport ${port()}`, ...(g.bad() ? [r.pick(['--tcp-flags SYN,ACK SYN', '--dport 1', '--syn'])] : [])];
      return `-m ${m} ${r.sample(opts, r.int(0, opts.length)).join(' ')}`.trimEnd();
    }
    case 'multiport':
      return `-m multiport ${neg()}${g.pick(['--dports', '--sports', '--ports'], ['--dport'])} ${g.pick(['80,443', '22', '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15'], ['1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16', '80:90', '80,,443', '0,1'])}`;
    case 'statistic':
      return `-m statistic --mode ${g.pick(['random --probability 0.50000000000', 'random --probability 0.2', 'random --probability 0.33333333349'], ['random --probability 1.5', 'nth --every 2 --packet 0', 'random', 'random --probability 0.123456789012'])}`;
    case 'mark':
      return `-m mark ${neg()}--mark ${g.pick(['0x1', '0x4000/0x4000', '123', '0xffffffff', '0xAB'], ['0x123456789', '-1', '4294967296', '0x', '1/2/3'])}`;
    case 'conntrack':
      return `-m conntrack ${neg()}--ctstate ${g.pick(['NEW', 'RELATED,ESTABLISHED', 'INVALID', 'DNAT', 'UNTRACKED,SNAT'], ['BOGUS', 'new', 'NEW,', ''])}`;
    case 'state':
      return `-m state ${neg()}--state ${g.pick(['NEW,ESTABLISHED', 'RELATED'], ['DNAT', 'NEW ESTABLISHED'])}`;
    case 'addrtype': {
      const opts = [`${neg()}--src-type ${g.pick(['LOCAL', 'UNICAST'], ['LOCALX'])}`, `${neg()}--dst-type ${g.pick(['LOCAL', 'BROADCAST,MULTICAST'], ['local'])}`];
      return `-m addrtype ${r.sample(opts, g.bad() ? 0 : r.int(1, 2)).join(' ')}${g.bad() ? ' --limit-iface-in' : ''}`.trimEnd();
    }
    default:
      return r.pick(['-m limit --limit 5/min', '-m iprange --src-range 10.0.0.1-10.0.0.9', '-m tcp', '-m pkttype --pkt-type broadcast', '-m comment --comment x -m comment --comment y']);
  }
}

/** What a chain may do: DNAT (reached from PREROUTING/OUTPUT only), SNAT/MASQUERADE (POSTROUTING only), or neither. */
type Role = 'pre' | 'post' | 'any';
const ROLE_OF_HOOK: Record<string, Role> = { PREROUTING: 'pre', OUTPUT: 'pre', POSTROUTING: 'post', INPUT: 'any', FORWARD: 'any' };
const canJump = (from: Role, to: Role): boolean => to === 'any' || to === from;

interface ChainGen {
  readonly name: string;
  readonly role: Role;
  readonly builtin: boolean;
}

function targetText(g: Gen, table: string, chain: ChainGen, later: readonly ChainGen[], all: readonly ChainGen[], proto: string | undefined, protoInvert: boolean): string {
  const r = g.r;
  const natOk = table === 'nat' || g.bad();
  const portProto = (proto === 'tcp' || proto === 'udp') && !protoInvert;
  const kinds = ['verdict', 'jump', 'jump', 'none', 'MARK',
    ...(natOk && (chain.role === 'pre' || g.bad()) ? ['DNAT', 'DNAT'] : []),
    ...(natOk && (chain.role === 'post' || g.bad()) ? ['SNAT', 'MASQUERADE'] : []),
    ...(table === 'filter' && chain.name !== 'PREROUTING' && chain.name !== 'POSTROUTING' ? ['REJECT'] : g.bad() ? ['REJECT'] : [])];
  const kind = g.bad() ? 'other' : r.pick(kinds);
  switch (kind) {
    case 'verdict':
      return `-j ${g.pick(table === 'nat' ? ['ACCEPT', 'RETURN'] : ['ACCEPT', 'DROP', 'RETURN'], ['QUEUE', 'accept', 'DROP'])}`;
    case 'jump': {
      // Down the list to a chain of a fitting role; now and then back up (a loop), to an undeclared or built-in chain.
      const fit = later.filter((c) => canJump(chain.role, c.role));
      if (fit.length && !g.bad()) return `-j ${r.pick(fit).name}`;
      if (!g.bad()) return '-j ACCEPT';
      return `${r.chance(0.3) ? '-g' : '-j'} ${r.chance(0.5) && all.length ? r.pick(all).name : r.pick(['NOPE', 'INPUT', 'POSTROUTING'])}`;
    }
    case 'DNAT':
      return `-j DNAT --to-destination ${portProto ? g.pick(['10.244.1.5:8080', '10.0.0.1', '10.0.0.1:80-90'], ['10.0.0.1:90-80', '10.0.0.1:0', '10.0.0.1-10.0.0.5', '10.0.0.1:', 'x']) : g.pick(['10.0.0.1'], ['10.0.0.1:80'])}${g.bad() ? ' --random' : ''}`;
    case 'SNAT':
      return `-j SNAT --to-source ${portProto ? g.pick(['192.0.2.1', '192.0.2.1:1024-2000'], ['192.0.2.300']) : '192.0.2.1'}`;
    case 'MASQUERADE':
      return `-j MASQUERADE${g.pick(['', ' --random-fully'], [' --to-ports 1000', ' --random'])}`;
    case 'MARK':
      return `-j MARK ${g.pick(['--set-xmark 0x4000/0x4000', '--set-mark 0x1', '--set-mark 5/0xff', '--or-mark 0x4000', '--xor-mark 0x4000', '--and-mark 0xffff'], ['--set-xmark', '--or-mark 0x1/0x1', '--set-mark 0x1ffffffff', '--xor-mark', '--and-mark 1 --or-mark 2'])}`;
    case 'REJECT':
      return `-j REJECT${g.pick(['', ' --reject-with icmp-port-unreachable', ' --reject-with icmp-host-prohibited'], [' --reject-with tcp-reset', ' --reject-with icmp-bogus'])}`;
    case 'none':
      return '';
    default:
      return r.pick(['-j LOG --log-prefix "x: "', '-j CONNMARK --restore-mark', '-j NOTRACK', '-j TPROXY --on-port 1']);
  }
}

function ruleText(g: Gen, table: string, chain: ChainGen, later: readonly ChainGen[], all: readonly ChainGen[], counters: boolean): string {
  const r = g.r;
  // iptables-save -c writes each rule's counters before it.
  const parts = [`${counters ? `${g.pick(['[0:0]', '[17:2048]', '[18446744073709551615:1]'], ['[x:1]', '[1:2', '[1 :2]', '[-1:0]'])} ` : ''}-A ${chain.name}`];
  let proto: string | undefined;
  let protoInvert = false;
  const noIn = chain.name === 'OUTPUT' || chain.name === 'POSTROUTING';
  const noOut = chain.name === 'PREROUTING' || chain.name === 'INPUT';
  if (r.chance(0.3)) parts.push(`${r.chance(0.15) ? '! ' : ''}-s ${g.pick(ADDR.filter((a) => !a.endsWith('/0')), BAD_ADDR)}`);
  if (r.chance(0.3)) parts.push(`${r.chance(0.15) && !g.bad() ? '' : r.chance(0.15) ? '! ' : ''}-d ${g.pick(ADDR, BAD_ADDR)}`.replace(/^! -d 0\.0\.0\.0\/0$/, '-d 0.0.0.0/0'));
  if (r.chance(0.2) && (!noIn || g.bad())) parts.push(`${r.chance(0.1) ? '! ' : ''}-i ${g.pick(IFACE, BAD_IFACE)}`);
  if (r.chance(0.2) && (!noOut || g.bad())) parts.push(`${r.chance(0.1) ? '! ' : ''}-o ${g.pick(IFACE, BAD_IFACE)}`);
  if (r.chance(0.5)) {
    proto = g.pick(PROTO, BAD_PROTO);
    protoInvert = r.chance(0.07);
    parts.push(`${protoInvert ? '! ' : ''}-p ${proto}`);
  }
  if (g.bad()) r.shuffle(parts);
  const used = new Set<string>();
  for (let k = r.int(0, 3); k > 0; k--) {
    const m = matchText(g, proto, protoInvert);
    const name = m.split(' ')[1]!;
    if (used.has(name) && !g.bad()) continue;
    used.add(name);
    parts.push(m);
  }
  const t = targetText(g, table, chain, later, all, proto, protoInvert);
  if (t) parts.push(t);
  return parts.join(' ');
}

const TABLES: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};
const USER_NAMES = ['KUBE-SVC-ABC', 'DOCKER', 'DOCKER-USER', 'fw_in', 'SSH.ok', 'X1', 'KUBE-SEP-Z7'];
const BAD_USER_NAMES = ['DNAT', 'INPUT', 'PREROUTING', '9abc', 'A'.repeat(29), '-X', 'MARK', 'a"b'];

export function proofFile(seed: number): string {
  const r = new Rng(seed);
  const g = new Gen(r, r.chance(0.5) ? 0 : 0.03);
  const L: string[] = [];
  if (r.chance(0.7)) L.push('# Generated by iptables-save v1.8.9 (nf_tables) on Fri Nov 27 04:00:00 2026');
  for (const table of r.sample(Object.keys(TABLES), r.int(1, 3))) {
    L.push(g.bad() ? `* ${table}` : `*${table}`);
    const builtins: ChainGen[] = r.sample(TABLES[table]!, r.int(1, TABLES[table]!.length)).map((name) => ({ name, role: ROLE_OF_HOOK[name]!, builtin: true }));
    const users: ChainGen[] = r.sample(USER_NAMES, r.int(0, 4)).map((name) => ({ name, role: table === 'nat' ? r.pick(['pre', 'post', 'any'] as const) : 'any', builtin: false }));
    if (g.bad()) users.push({ name: r.pick(BAD_USER_NAMES), role: 'any', builtin: false });
    for (const b of builtins) L.push(`:${b.name} ${g.pick(['ACCEPT', 'DROP'], ['-', 'REJECT'])} [${g.pick(['0:0', '12:3456'], ['x:0', '1:'])}]`);
    for (const u of users) L.push(`:${u.name} ${g.pick(['-'], ['ACCEPT'])} [0:0]`);
    if (g.bad() && users.length) L.push(`:${users[0]!.name} - [0:0]`);
    const chains = [...builtins, ...users];
    // Now and then a table without rules (an empty table when it has no user chains and only ACCEPT policies).
    const empty = r.chance(0.06);
    const counters = r.chance(0.15);
    for (let i = 0; i < chains.length; i++) {
      const c = chains[i]!;
      const later = c.builtin ? users : users.slice(i - builtins.length + 1);
      for (let k = r.int(c.builtin && !empty ? 1 : 0, 3); k > 0; k--) if (!empty) L.push(ruleText(g, table, c, later, chains, counters));
      // Every user chain jumped to from some chain before it that may (but now and then none: an unused chain).
      if (!empty && !c.builtin && !g.bad() && !r.chance(0.1)) {
        const from = chains.slice(0, i).filter((x) => canJump(x.role, c.role));
        if (from.length) L.push(`-A ${r.pick(from).name} -j ${c.name}`);
      }
    }
    if (g.bad()) L.push(':LATE - [0:0]');
    L.push(g.pick(['COMMIT'], ['COMMIT ', 'commit', '']));
  }
  // Line damage now and then: a blank line, trailing blanks, a doubled blank, a stray line.
  if (g.bad() || r.chance(0.05)) {
    const i = r.int(0, L.length - 1);
    const dmg = r.pick(['blank', 'trail', 'double', 'stray', 'crlf', 'tab', 'prompt']);
    if (dmg === 'blank') L.splice(i, 0, '');
    else if (dmg === 'trail') L[i] += ' ';
    else if (dmg === 'double') L[i] = L[i]!.replace(' ', '  ');
    else if (dmg === 'stray') L.splice(i, 0, '-A INPUT -j ACCEPT');
    else if (dmg === 'crlf') L[i] += '\r';
    else if (dmg === 'tab') L[i] = L[i]!.replace(' ', '\t');
    else L.splice(i, 0, '$ sudo iptables-save');
  }
  return `${L.join('\n')}${g.bad() ? '' : '\n'}`;
}
