/**
 * Seeded random rulesets and traffic for the kernel trace differential
 * test. The lab host has two outside links, a bridge with two containers,
 * and listeners everywhere; rules use every match and target the emulator
 * models that the lab can load, NAT in every hook it is allowed in, user
 * chains reached by -j and -g (each from one base chain, so targets stay
 * valid for its hook), and RETURN. Traffic is local, forwarded, bridged
 * and looped back: TCP, UDP and ping, then hand-made TCP segments (generateSegments).
 */
import type { TrafficStep } from '../../../server/src/verify/traceCase';
import type { Segment } from '../craftedSegment';

export const LAB_HOST_JSON = JSON.stringify({
  name: 'lab',
  interfaces: [
    { name: 'eth0', addresses: ['10.0.1.1/24'] },
    { name: 'eth1', addresses: ['10.0.2.1/24'] },
    { name: 'docker0', kind: 'bridge', addresses: ['172.17.0.1/16'] },
    { name: 'vetha', kind: 'veth', master: 'docker0' },
    { name: 'vethb', kind: 'veth', master: 'docker0' },
  ],
  routes: [{ to: 'default', via: '10.0.1.2', dev: 'eth0' }],
  sysctl: { 'net.ipv4.ip_forward': 1, 'net.bridge.bridge-nf-call-iptables': 1, 'net.netfilter.nf_conntrack_tcp_loose': 1 },
  listeners: [
    { proto: 'tcp', port: 22 },
    { proto: 'tcp', port: 80 },
    { proto: 'udp', port: 53 },
  ],
  peers: [
    { name: 'x1', address: '10.0.1.2', via: 'eth0', listens: [{ proto: 'tcp', port: 80 }, { proto: 'tcp', port: 8080 }, { proto: 'udp', port: 53 }] },
    { name: 'x2', address: '10.0.2.2', via: 'eth1', listens: [{ proto: 'tcp', port: 80 }, { proto: 'tcp', port: 8080 }, { proto: 'udp', port: 53 }] },
    { name: 'ca', address: '172.17.0.2', via: 'docker0', port: 'vetha', kind: 'container', listens: [{ proto: 'tcp', port: 80 }, { proto: 'tcp', port: 8080 }, { proto: 'udp', port: 53 }] },
    { name: 'cb', address: '172.17.0.3', via: 'docker0', port: 'vethb', kind: 'container', listens: [{ proto: 'tcp', port: 80 }, { proto: 'tcp', port: 8080 }, { proto: 'udp', port: 53 }] },
  ],
});

const NODES: Readonly<Record<string, string>> = { x1: '10.0.1.2', x2: '10.0.2.2', ca: '172.17.0.2', cb: '172.17.0.3' };
const HOST_ADDRS = ['10.0.1.1', '10.0.2.1', '172.17.0.1'];
const ALL_ADDRS = [...HOST_ADDRS, ...Object.values(NODES)];
const NETS = ['10.0.1.0/24', '10.0.2.0/24', '172.17.0.0/16', '10.0.0.0/8', '127.0.0.0/8'];

export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

export function rng(seed: number): Rng {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
const TABLE_HOOKS: Readonly<Record<string, readonly Hook[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

const hasIn = (h: Hook): boolean => h === 'PREROUTING' || h === 'INPUT' || h === 'FORWARD';
const hasOut = (h: Hook): boolean => h === 'FORWARD' || h === 'OUTPUT' || h === 'POSTROUTING';

function addr(r: Rng): string {
  return r.chance(0.7) ? r.pick(ALL_ADDRS) : r.pick(NETS);
}

/** Match options for one rule: a protocol part and up to two others. */
function matches(r: Rng, table: string, hook: Hook): { text: string; proto?: string } {
  const parts: string[] = [];
  let proto: string | undefined;
  if (r.chance(0.6)) {
    proto = r.pick(['tcp', 'tcp', 'udp', 'icmp']);
    parts.push(`${r.chance(0.1) ? '! ' : ''}-p ${proto}`);
    if (parts[0]!.startsWith('!')) proto = undefined;
  }
  const n = r.int(3);
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    const kind = r.pick(['src', 'dst', 'in', 'out', 'l4', 'ct', 'ctx', 'state', 'addrtype', 'iprange', 'mark', 'connmark', 'comment', 'length', 'multiport', 'icmp', 'pkttype', 'ttl', 'statistic', 'limit', 'hashlimit', 'recent', 'physdev', 'owner']);
    if (used.has(kind)) continue;
    used.add(kind);
    const neg = r.chance(0.15) ? '! ' : '';
    switch (kind) {
      case 'src':
        parts.push(`${neg}-s ${addr(r)}`);
        break;
      case 'dst':
        parts.push(`${neg}-d ${addr(r)}`);
        break;
      case 'in':
        if (hasIn(hook)) parts.push(`${neg}-i ${r.pick(['eth0', 'eth1', 'docker0', 'lo', 'eth+'])}`);
        break;
      case 'out':
        if (hasOut(hook)) parts.push(`${neg}-o ${r.pick(['eth0', 'eth1', 'docker0', 'lo', 'eth+'])}`);
        break;
      case 'l4':
        if (proto === 'tcp' || proto === 'udp') {
          const opt = r.pick(proto === 'tcp' ? ['--dport', '--sport', '--syn', '--tcp-flags'] : ['--dport', '--sport']);
          if (opt === '--syn') parts.push(`-m tcp ${neg}--syn`);
          else if (opt === '--tcp-flags') parts.push(`-m tcp --tcp-flags ${r.pick(['SYN,ACK SYN', 'FIN,RST NONE', 'ACK ACK', 'SYN,ACK,FIN,RST SYN'])}`);
          else parts.push(`-m ${proto} ${neg}${opt} ${r.pick(['22', '53', '80', '8080', '1024:65535', '80:81'])}`);
        }
        break;
      case 'multiport':
        if (proto === 'tcp' || proto === 'udp') parts.push(`-m multiport ${neg}--${r.pick(['dports', 'sports', 'ports'])} ${r.pick(['80,8080', '22,53', '53,80:90'])}`);
        break;
      case 'icmp':
        if (proto === 'icmp') parts.push(`-m icmp ${neg}--icmp-type ${r.pick(['echo-request', 'echo-reply', 'destination-unreachable', 'port-unreachable'])}`);
        break;
      case 'ct':
        // In raw a packet has no entry yet (INVALID), is UNTRACKED after NOTRACK, or loops back with OUTPUT's.
        if (table === 'raw') parts.push(`-m conntrack ${neg}--ctstate ${r.pick(['INVALID', 'UNTRACKED', 'NEW', 'ESTABLISHED', 'INVALID,UNTRACKED'])}`);
        else parts.push(`-m conntrack ${neg}--ctstate ${r.pick(['NEW', 'ESTABLISHED', 'RELATED,ESTABLISHED', 'INVALID', 'DNAT', 'SNAT', 'NEW,UNTRACKED', 'UNTRACKED'])}`);
        break;
      case 'ctx':
        // The connection's own facts: status bits, direction, tuple (a packet without an entry matches none of them).
        {
          const test = r.pick(['--ctstatus ASSURED', '--ctstatus SEEN_REPLY', '--ctstatus CONFIRMED', '--ctstatus NONE', '--ctdir ORIGINAL', '--ctdir REPLY', '--ctorigdst 10.0.1.1', '--ctorigsrc 10.0.0.0/16', '--ctreplsrc 172.17.0.2', '--ctrepldst 10.0.1.1', '--ctproto tcp', '--ctorigdstport 80', '--ctreplsrcport 53']);
          parts.push(`-m conntrack ${test.startsWith('--ctdir') ? '' : neg}${test}`); // (--ctdir cannot be inverted)
        }
        break;
      case 'state':
        parts.push(`-m state ${neg}--state ${r.pick(table === 'raw' ? ['INVALID', 'UNTRACKED', 'NEW,ESTABLISHED'] : ['NEW', 'ESTABLISHED,RELATED', 'INVALID'])}`);
        break;
      case 'addrtype':
        parts.push(`-m addrtype ${neg}${r.chance(0.5) ? '--dst-type' : '--src-type'} ${r.pick(['LOCAL', 'UNICAST', 'LOCAL', 'BROADCAST'])}`);
        break;
      case 'iprange':
        parts.push(`-m iprange ${neg}--${r.pick(['src', 'dst'])}-range ${r.pick(['10.0.1.1-10.0.1.9', '172.17.0.2-172.17.0.2', '10.0.0.0-10.0.2.255'])}`);
        break;
      case 'mark':
        parts.push(`-m mark ${neg}--mark ${r.pick(['0x1', '0x1/0x1', '0x2/0x3', '0x0'])}`);
        break;
      case 'connmark':
        // (In raw only looped-back packets have an entry whose mark it reads: without one it never matches, negated or not.)
        parts.push(`-m connmark ${neg}--mark ${r.pick(['0x1', '0x1/0x1', '0x0'])}`);
        break;
      case 'comment':
        parts.push(`-m comment --comment "case ${r.int(100)}"`);
        break;
      case 'length':
        parts.push(`-m length ${neg}--length ${r.pick(['0:60', '61:1500', '84'])}`);
        break;
      case 'ttl':
        parts.push(`-m ttl ${r.pick(['--ttl-eq 64', '--ttl-eq 63', '--ttl-gt 63', '--ttl-lt 64'])}`);
        break;
      case 'statistic':
        // nth counts the packets the rule sees: deterministic, unlike --mode random.
        parts.push(`-m statistic --mode nth --every ${r.pick(['2', '3'])} --packet ${r.pick(['0', '1'])}`);
        break;
      case 'limit':
        parts.push(`-m limit --limit ${r.pick(['1/hour', '2/minute'])} --limit-burst ${r.pick(['1', '3'])}`);
        break;
      case 'hashlimit':
        parts.push(`-m hashlimit --hashlimit-upto 1/hour --hashlimit-burst ${r.pick(['1', '2'])} --hashlimit-mode srcip --hashlimit-name h${r.int(1000)}`);
        break;
      case 'recent':
        parts.push(`-m recent --name r${r.int(2)} ${r.pick(['--set', '--rcheck', '--update', '--rcheck --seconds 60'])}`);
        break;
      case 'physdev':
        if (hasIn(hook)) parts.push(`-m physdev ${r.pick(['--physdev-in vetha', '--physdev-in vethb', '--physdev-is-in', '! --physdev-is-in'])}`);
        else parts.push(`-m physdev ${neg}--physdev-is-bridged`);
        break;
      case 'owner':
        if (hook === 'OUTPUT' || hook === 'POSTROUTING') parts.push(`-m owner ${neg}--uid-owner 0`);
        break;
      case 'pkttype':
        if (hasIn(hook)) parts.push(`-m pkttype ${neg}--pkt-type ${r.pick(['unicast', 'broadcast'])}`);
        break;
    }
  }
  return { text: parts.join(' '), ...(proto ? { proto } : {}) };
}

function target(r: Rng, table: string, hook: Hook, proto: string | undefined, userChains: readonly string[]): string {
  const opts: string[] = ['ACCEPT', 'DROP', 'RETURN', 'LOG', 'none'];
  if (userChains.length) opts.push('jump', 'jump', 'goto');
  if (table === 'filter') opts.push('REJECT', 'REJECT', 'DROP');
  if (table === 'mangle') opts.push('MARK', 'MARK', 'CONNMARK', 'CHECKSUM');
  if (table === 'mangle' && (hook === 'FORWARD' || hook === 'OUTPUT' || hook === 'POSTROUTING')) opts.push('CLASSIFY', 'TCPMSS');
  if (table === 'raw') opts.push('NOTRACK', 'CT', 'TRACE');
  opts.push('NFLOG');
  if (table === 'nat') {
    opts.splice(opts.indexOf('DROP'), 1); // DROP in nat is refused by iptables-nft? keep it simple: nat rules rewrite or pass
    if (hook === 'PREROUTING' || hook === 'OUTPUT') opts.push('DNAT', 'DNAT', 'REDIRECT');
    else opts.push('SNAT', 'SNAT');
    if (hook === 'POSTROUTING') opts.push('MASQUERADE', 'MASQUERADE');
    // NETMAP maps destinations in PREROUTING and OUTPUT, sources in INPUT and POSTROUTING.
    opts.push('NETMAP');
  }
  const t = r.pick(opts);
  const ports = proto === 'tcp' || proto === 'udp';
  switch (t) {
    case 'none':
      return '';
    case 'jump':
      return `-j ${r.pick(userChains)}`;
    case 'goto':
      return `-g ${r.pick(userChains)}`;
    case 'LOG':
      return `-j LOG --log-prefix "t${r.int(10)} "`;
    case 'REJECT': {
      const w = proto === 'tcp' && r.chance(0.6) ? 'tcp-reset' : r.pick(['icmp-port-unreachable', 'icmp-host-prohibited', 'icmp-admin-prohibited']);
      return `-j REJECT --reject-with ${w}`;
    }
    case 'NFLOG':
      return `-j NFLOG --nflog-group ${r.int(4)}`;
    case 'TRACE':
      return '-j TRACE';
    case 'CHECKSUM':
      return '-j CHECKSUM --checksum-fill';
    case 'CLASSIFY':
      return '-j CLASSIFY --set-class 1:1';
    case 'TCPMSS':
      return proto === 'tcp' ? '-m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu' : '-j LOG';
    case 'MARK':
      return `-j MARK ${r.pick(['--set-mark 0x1', '--set-xmark 0x2/0x3', '--or-mark 0x1', '--and-mark 0x2'])}`;
    case 'CONNMARK':
      return `-j CONNMARK ${r.pick(['--save-mark', '--restore-mark', '--set-mark 0x1', '--set-xmark 0x1/0x3', '--save-mark --nfmask 0x1 --ctmask 0x3', '--restore-mark --mask 0x2', '--or-mark 0x2', '--and-mark 0x1'])}`;
    // A destination's prefix onto another of the lab's; a source onto one of the host's own addresses
    // (a whole /32: another prefix's host part could make a peer's own address, a martian at that peer).
    case 'NETMAP':
      return hook === 'PREROUTING' || hook === 'OUTPUT' ? `-j NETMAP --to ${r.pick(['10.0.2.0/24', '10.0.1.0/24', '172.17.0.0/16'])}` : `-j NETMAP --to ${r.pick(HOST_ADDRS)}/32`;
    case 'NOTRACK':
      return '-j NOTRACK';
    case 'CT':
      // A template: its zone keeps the connection apart (the answer in another zone finds nothing).
      return r.pick(['-j CT --notrack', '-j CT --notrack', '-j CT --zone 5', '-j CT --zone-orig 6', '-j CT --zone-reply 6', '-j CT --zone mark', '-j CT']);
    case 'DNAT': {
      const to = r.pick(ALL_ADDRS);
      return `-j DNAT --to-destination ${to}${ports && r.chance(0.5) ? `:${r.pick(['80', '8080', '53'])}` : ''}`;
    }
    case 'REDIRECT':
      return ports && r.chance(0.6) ? `-j REDIRECT --to-ports ${r.pick(['80', '53', '22'])}` : '-j REDIRECT';
    // NAT port ranges include the ephemeral ports clients use, so the original port is kept
    // (outside the range the kernel picks a random one, which the emulator cannot repeat).
    case 'SNAT': {
      const to = r.pick(HOST_ADDRS);
      return `-j SNAT --to-source ${to}${ports && r.chance(0.3) ? ':1024-65535' : ''}`;
    }
    case 'MASQUERADE':
      return ports && r.chance(0.3) ? '-j MASQUERADE --to-ports 1024-65535' : '-j MASQUERADE';
    default:
      return `-j ${t}`;
  }
}

/** A random restore file for the lab host. */
export function generateRules(r: Rng): string {
  const out: string[] = [];
  for (const table of ['raw', 'mangle', 'nat', 'filter']) {
    if (r.chance(0.25)) continue;
    const hooks = TABLE_HOOKS[table]!;
    const declared = hooks.filter(() => r.chance(0.8));
    if (declared.length === 0) continue;
    out.push(`*${table}`);
    const user: { name: string; owner: Hook }[] = [];
    for (let i = 0; i < r.int(3); i++) user.push({ name: `U${i}`, owner: r.pick(declared) });
    for (const h of declared) out.push(`:${h} ${table !== 'nat' && r.chance(0.15) ? 'DROP' : 'ACCEPT'} [0:0]`);
    for (const u of user) out.push(`:${u.name} - [0:0]`);
    const rule = (chain: string, hook: Hook, later: readonly string[]): string => {
      const m = matches(r, table, hook);
      const t = target(r, table, hook, m.proto, later);
      return `-A ${chain}${m.text ? ` ${m.text}` : ''}${t ? ` ${t}` : ''}`;
    };
    for (const h of declared) {
      const reach = user.filter((u) => u.owner === h).map((u) => u.name);
      for (let i = 0; i < r.int(5); i++) out.push(rule(h, h, reach));
    }
    user.forEach((u, i) => {
      // Jumps only go to later chains of the same owner: no loops, targets valid for the hook.
      const later = user.slice(i + 1).filter((v) => v.owner === u.owner).map((v) => v.name);
      for (let k = 0; k < r.int(4); k++) out.push(rule(u.name, u.owner, later));
    });
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/** One to three conversations from random places to random destinations. */
export function generateTraffic(r: Rng): TrafficStep[] {
  const steps: TrafficStep[] = [];
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const from = r.pick(['x1', 'x2', 'ca', 'cb', 'host', 'host']);
    const own = from === 'host' ? HOST_ADDRS : [NODES[from]!];
    const dsts = [...ALL_ADDRS, ...(from === 'host' ? ['127.0.0.1'] : [])].filter((a) => !own.includes(a) || from === 'host');
    const dst = r.pick(dsts);
    const op = r.pick(['tcp', 'tcp', 'udp', 'ping'] as const);
    if (op === 'ping') steps.push({ from, op, dst });
    else steps.push({ from, op, dst, dport: op === 'tcp' ? r.pick([80, 80, 8080, 22, 81]) : r.pick([53, 53, 54]) });
  }
  return steps;
}

/** A hand-made TCP segment (craftedSegment.ts) from a node of the lab: 'host' or a peer's name. */
export interface CraftedStep extends Segment {
  readonly from: string;
}

/**
 * Flags no socket sends on its own, or not out of the blue: a lone ACK, FIN, RST or data (conntrack
 * picks up a connection from the middle with tcp_loose, or calls it INVALID), a SYN-ACK nobody asked
 * for, and combinations tcp_error refuses (SYN+FIN, FIN alone, an XMAS scan, URG alone). Never one
 * without any flag the kernel's trace prints (no flags, or ECE and CWR alone): the trace does not say
 * the protocol, and the replay takes a packet with ports and no flags for UDP.
 */
const CRAFTED_FLAGS = [0x10, 0x10, 0x18, 0x11, 0x04, 0x14, 0x12, 0x01, 0x03, 0x29, 0x20, 0x30, 0x02];

/** Up to two hand-made segments after a case's traffic (their own stream of draws: the rules and traffic of a seed stay as they were). */
export function generateSegments(r: Rng): CraftedStep[] {
  const steps: CraftedStep[] = [];
  const n = r.int(3);
  for (let i = 0; i < n; i++) {
    const from = r.pick(['x1', 'x2', 'ca', 'cb', 'host']);
    const src = from === 'host' ? r.pick(HOST_ADDRS) : NODES[from]!;
    const dst = r.pick(ALL_ADDRS.filter((a) => a !== src));
    // (A reset the host sends is taken by the replay for the kernel's own, socketless: none from a process there.)
    const drawn = r.pick(CRAFTED_FLAGS);
    const flags = from === 'host' && drawn & 0x04 ? 0x10 : drawn;
    steps.push({ from, src, dst, sport: 30000 + r.int(30000), dport: r.pick([80, 80, 8080, 22, 81]), flags, seq: 1 + r.int(1 << 30), ack: flags & 0x10 ? 1 + r.int(1 << 30) : 0, bytes: r.pick([0, 0, 10]) });
  }
  return steps;
}
