/**
 * Catalogued matches on IP header fields, interfaces, sockets and the like:
 * dscp, tos, ecn, realm, devgroup, cpu, helper, quota, tcpmss, cgroup,
 * socket, rpfilter, osf, nfacct, cluster (iptables 1.8.9 extensions/libxt_*.c,
 * libipt_realm.c; the revision the 6.x kernel offers).
 */
import { defineExtension, type AnyExtension } from '../../extension';
import type { ExtOption } from '../../xtoptions';
import { anyOf, DEVGROUP_NAMES, F, IPPROTO, parseValMaskNamed, REALM_NAMES } from './util';

/** dscp_helper.c: class names, matched as case-insensitive prefixes of the argument. */
const DS_CLASSES: ReadonlyArray<[string, number]> = [
  ['CS0', 0x00], ['CS1', 0x08], ['CS2', 0x10], ['CS3', 0x18], ['CS4', 0x20], ['CS5', 0x28], ['CS6', 0x30], ['CS7', 0x38],
  ['BE', 0x00], ['AF11', 0x0a], ['AF12', 0x0c], ['AF13', 0x0e], ['AF21', 0x12], ['AF22', 0x14], ['AF23', 0x16],
  ['AF31', 0x1a], ['AF32', 0x1c], ['AF33', 0x1e], ['AF41', 0x22], ['AF42', 0x24], ['AF43', 0x26], ['EF', 0x2e],
];

/** class_to_dscp(): "af11", "EF", even "cs1-anything" (only the class name's length is compared). */
export function classToDscp(name: string, fail: (m: string) => never): number {
  const lower = name.toLowerCase();
  for (const [cls, v] of DS_CLASSES) if (lower.startsWith(cls.toLowerCase())) return v;
  return fail(`Invalid DSCP value \`${name}'`);
}

interface Dscp {
  dscp: number;
  invert: boolean;
}

const dscp = defineExtension<Dscp>({
  kind: 'match',
  name: 'dscp',
  summary: 'Matches the 6-bit DSCP field of the IPv4 TOS / IPv6 traffic class byte.',
  options: [
    { name: 'dscp', id: 0, type: 'uint8', min: 0, max: 0x3f, invert: true, excl: [1], doc: 'DSCP value 0-63' },
    { name: 'dscp-class', id: 1, type: 'string', invert: true, excl: [0], doc: 'class name: CS0-CS7, BE, AF11-AF43, EF' },
  ],
  init: () => ({ dscp: 0, invert: false }),
  parse(c) {
    c.data.dscp = c.option.id === 0 ? Number(c.val.u ?? 0n) : classToDscp(c.arg ?? '', (m) => c.fail(m));
    if (c.invert) c.data.invert = true;
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('DSCP match: Parameter --dscp is required');
  },
  describe: (d) => `DSCP ${d.invert ? '≠' : '='} ${d.dscp} (0x${d.dscp.toString(16).padStart(2, '0')})`,
});

interface Tos {
  value: number;
  mask: number;
  invert: boolean;
}

const tos = defineExtension<Tos>({
  kind: 'match',
  name: 'tos',
  summary: 'Matches the IPv4 TOS / IPv6 traffic class byte under a mask (revision 1).',
  options: [
    { name: 'tos', id: 1, type: 'tosmask', max: 0x3f, invert: true, mand: true, doc: 'value[/mask] or a symbolic name (Minimize-Delay, …)' },
  ],
  init: () => ({ value: 0, mask: 0, invert: false }),
  parse(c) {
    c.data.value = c.val.tos?.value ?? 0;
    c.data.mask = c.val.tos?.mask ?? 0xff;
    c.data.invert = c.invert;
  },
  describe: (d) => `TOS & 0x${d.mask.toString(16)} ${d.invert ? '≠' : '='} 0x${d.value.toString(16)}`,
});

interface Ecn {
  tcpBits: boolean;
}

const ecn = defineExtension<Ecn>({
  kind: 'match',
  name: 'ecn',
  summary: 'Matches ECN bits: the IP ECT codepoint and the TCP CWR/ECE flags.',
  options: [
    { name: 'ecn-tcp-cwr', id: 0, type: 'none', invert: true, doc: 'TCP CWR flag set' },
    { name: 'ecn-tcp-ece', id: 1, type: 'none', invert: true, doc: 'TCP ECE flag set' },
    { name: 'ecn-ip-ect', id: 2, type: 'uint8', min: 0, max: 3, invert: true, doc: 'IP ECN codepoint 0-3' },
  ],
  init: () => ({ tcpBits: false }),
  parse(c) {
    if (c.option.id !== 2) c.data.tcpBits = true;
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('ECN match: some option required');
  },
  kernel: {
    check: (ctx) =>
      ctx.data.tcpBits && (ctx.protoNum !== IPPROTO.TCP || ctx.protoInvert)
        ? 'cannot match TCP bits for non-tcp packets (add "-p tcp")'
        : undefined,
  },
});

interface ValMask {
  value: number;
  mask: number;
  invert: boolean;
}

const realm = defineExtension<ValMask>({
  kind: 'match',
  name: 'realm',
  family: 'ipv4',
  summary: 'Matches the routing realm of the packet\'s route (IPv4).',
  options: [{ name: 'realm', id: 0, type: 'string', mand: true, invert: true, doc: 'value[/mask] or a name from /etc/iproute2/rt_realms' }],
  init: () => ({ value: 0, mask: 0xffffffff, invert: false }),
  parse(c) {
    Object.assign(c.data, parseValMaskNamed(c, REALM_NAMES));
    if (c.invert) c.data.invert = true;
  },
  kernel: { hooks: ['POSTROUTING', 'FORWARD', 'OUTPUT', 'INPUT'] },
});

interface Devgroup {
  src?: ValMask;
  dst?: ValMask;
}

const devgroup = defineExtension<Devgroup>({
  kind: 'match',
  name: 'devgroup',
  summary: 'Matches the device group of the input and/or output interface.',
  options: [
    { name: 'src-group', id: 0, type: 'string', invert: true, doc: 'input device group: value[/mask] or a name from /etc/iproute2/group' },
    { name: 'dst-group', id: 1, type: 'string', invert: true, doc: 'output device group: value[/mask] or a name' },
  ],
  init: () => ({}),
  parse(c) {
    const v = { ...parseValMaskNamed(c, DEVGROUP_NAMES), invert: c.invert };
    if (c.option.id === 0) c.data.src = v;
    else c.data.dst = v;
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail("devgroup match: You must specify either '--src-group' or '--dst-group'");
  },
  kernel: {
    check(ctx) {
      if (ctx.data.src && anyOf(ctx.hooks, ['OUTPUT', 'POSTROUTING'])) return '--src-group needs an input interface: only PREROUTING, INPUT and FORWARD';
      if (ctx.data.dst && anyOf(ctx.hooks, ['PREROUTING', 'INPUT'])) return '--dst-group needs an output interface: only FORWARD, OUTPUT and POSTROUTING';
      return undefined;
    },
  },
});

const simpleInvertible = (name: string, summary: string, opt: ExtOption): AnyExtension =>
  defineExtension<Record<string, never>>({ kind: 'match', name, summary, options: [opt], init: () => ({}) });

const cpu = simpleInvertible('cpu', 'Matches the CPU handling the packet.',
  { name: 'cpu', id: 0, type: 'uint32', invert: true, mand: true, doc: 'CPU number' });
const helper = simpleInvertible('helper', 'Matches connections created by a conntrack helper (e.g. "ftp", "sip-5060").',
  { name: 'helper', id: 0, type: 'string', size: 30, invert: true, mand: true, doc: 'helper name, optionally "-port"' });
const quota = simpleInvertible('quota', 'Matches until a byte quota (counted per rule) is used up.',
  { name: 'quota', id: 0, type: 'uint64', invert: true, mand: true, doc: 'quota in bytes' });

const tcpmss = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'tcpmss',
  summary: 'Matches the MSS option of TCP SYN and SYN/ACK packets (needs -p tcp).',
  options: [{ name: 'mss', id: 0, type: 'uint16rc', invert: true, mand: true, doc: 'value or range min:max' }],
  init: () => ({}),
  parse(c) {
    const r = c.val.range ?? [];
    if (c.val.nvals === 2 && (r[1] ?? 0n) < (r[0] ?? 0n)) c.fail('tcpmss: invalid range given');
  },
  kernel: { proto: IPPROTO.TCP },
});

interface Cgroup {
  path?: string;
  classid?: number;
}

const cgroup = defineExtension<Cgroup>({
  kind: 'match',
  name: 'cgroup',
  summary: 'Matches locally generated or received packets by the cgroup (v2 path or net_cls classid) of their socket.',
  options: [
    { name: 'path', id: 1, type: 'string', size: 512, invert: true, doc: 'cgroup2 path, relative to the cgroup2 root' },
    { name: 'cgroup', id: 0, type: 'uint32', invert: true, doc: 'net_cls classid' },
  ],
  init: () => ({}),
  parse(c) {
    if (c.option.id === 1) {
      c.data.path = c.val.str ?? '';
      c.warn(`cgroup path "${c.data.path}" must exist in the cgroup2 hierarchy when the rules are loaded, or the kernel refuses the rule.`, 'must-exist-at-load');
    } else c.data.classid = Number(c.val.u ?? 0n);
  },
  kernel: {
    hooks: ['OUTPUT', 'POSTROUTING', 'INPUT'],
    // The path must also exist in the cgroup2 hierarchy when the rule is loaded: not checkable here.
    check(ctx) {
      const { path, classid } = ctx.data;
      if (path === undefined && classid === undefined) return 'xt_cgroup: no path or classid specified';
      if (path !== undefined && classid !== undefined) return 'xt_cgroup: both path and classid specified';
      return undefined;
    },
  },
});

const socket = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'socket',
  summary: 'Matches packets for which a local socket exists (TPROXY setups; revision 3).',
  options: [
    { name: 'transparent', id: 0, type: 'none', doc: 'only transparent (IP_TRANSPARENT) sockets' },
    { name: 'nowildcard', id: 1, type: 'none', doc: 'also sockets bound to 0.0.0.0 / ::' },
    { name: 'restore-skmark', id: 2, type: 'none', doc: 'copy the socket mark to the packet' },
  ],
  init: () => ({}),
  kernel: { hooks: ['PREROUTING', 'INPUT'] },
});

const rpfilter = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'rpfilter',
  summary: 'Reverse-path filter: matches when a reply would be routed out the interface the packet came in.',
  options: [
    { name: 'loose', id: 0, type: 'none', doc: 'any route back is enough' },
    { name: 'validmark', id: 1, type: 'none', doc: 'use the packet mark for the lookup' },
    { name: 'accept-local', id: 2, type: 'none', doc: 'accept packets from local addresses' },
    { name: 'invert', id: 3, type: 'none', doc: 'match packets that fail the check' },
  ],
  init: () => ({}),
  kernel: {
    hooks: ['PREROUTING'],
    check: (ctx) => (ctx.table === 'raw' || ctx.table === 'mangle' ? undefined : `only valid in 'raw' or 'mangle' table, not '${ctx.table}'`),
  },
});

const osf = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'osf',
  family: 'ipv4',
  summary: 'Passive OS fingerprinting of TCP SYN packets (needs -p tcp and loaded fingerprints).',
  options: [
    { name: 'genre', id: 0, type: 'string', size: 32, mand: true, invert: true, doc: 'OS genre, e.g. Linux' },
    { name: 'ttl', id: 1, type: 'uint32', min: 0, max: 2, doc: '0: TTL must match, 1: may be lower, 2: ignore' },
    { name: 'log', id: 2, type: 'uint32', min: 0, max: 2, doc: '0: log all matches, 1: first only, 2: log unknown' },
  ],
  init: () => ({}),
  kernel: { proto: IPPROTO.TCP, hooks: ['PREROUTING', 'INPUT', 'FORWARD'] },
});

const nfacct = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'nfacct',
  summary: 'Counts packets in an extended accounting object (created with nfacct); always matches.',
  options: [{ name: 'nfacct-name', id: 0, type: 'string', min: 1, size: 32, mand: true, doc: 'accounting object name (must exist, see nfacct(8))' }],
  init: () => ({}),
  parse(c) {
    if ((c.arg ?? '').includes('\n')) c.fail('Newlines not allowed in --nfacct-name');
    // The kernel refuses the rule when the object does not exist; that depends on the host.
    c.warn(`The accounting object "${c.arg}" must exist (nfacct add ${c.arg}) when the rules are loaded, or the kernel refuses the rule.`, 'must-exist-at-load');
  },
});

interface Cluster {
  total: number;
  mask: number;
}

const O_CL_TOTAL = 0;
const O_CL_NODE = 1;
const O_CL_MASK = 2;
const O_CL_SEED = 3;

const cluster = defineExtension<Cluster>({
  kind: 'match',
  name: 'cluster',
  summary: 'Splits connections between cluster nodes by hash; matches this node\'s share.',
  options: [
    { name: 'cluster-total-nodes', id: O_CL_TOTAL, type: 'uint32', min: 1, max: 32, mand: true, doc: 'number of nodes (1-32)' },
    { name: 'cluster-local-node', id: O_CL_NODE, type: 'uint32', min: 1, max: 32, invert: true, excl: [O_CL_MASK], doc: 'this node\'s number' },
    { name: 'cluster-local-nodemask', id: O_CL_MASK, type: 'uint32', min: 1, max: 32, invert: true, excl: [O_CL_NODE], doc: 'bitmask of local nodes' },
    { name: 'cluster-hash-seed', id: O_CL_SEED, type: 'uint32', mand: true, doc: 'hash seed, the same on every node' },
  ],
  init: () => ({ total: 0, mask: 0 }),
  parse(c) {
    const v = Number(c.val.u ?? 0n);
    if (c.option.id === O_CL_TOTAL) c.data.total = v;
    else if (c.option.id === O_CL_NODE) c.data.mask = 2 ** (v - 1);
    else if (c.option.id === O_CL_MASK) c.data.mask = v;
  },
  finalCheck(c) {
    const d = c.data;
    const withNode = F(O_CL_TOTAL) | F(O_CL_NODE) | F(O_CL_SEED);
    const withMask = F(O_CL_TOTAL) | F(O_CL_MASK) | F(O_CL_SEED);
    if ((c.xflags & withNode) === withNode) {
      if (d.mask >= 2 ** d.total) c.fail("cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'");
      return;
    }
    if ((c.xflags & withMask) === withMask) {
      if (d.mask >= 2 ** d.total) c.fail("cluster match: `--cluster-local-nodemask' too big for `--cluster-total-nodes'");
      return;
    }
    if (!(c.xflags & (F(O_CL_NODE) | F(O_CL_MASK)))) {
      c.fail("cluster match: `--cluster-local-node' or`--cluster-local-nodemask' is missing");
    }
  },
});

export const MATCHES_IP: readonly AnyExtension[] = [
  dscp, tos, ecn, realm, devgroup, cpu, helper, quota, tcpmss, cgroup, socket, rpfilter, osf, nfacct, cluster,
];

