/**
 * Martians (analysis/reach/martians.ts): packets routing drops between PREROUTING and INPUT or FORWARD
 * when they arrive on another interface than lo, among them a source that is an address of the host
 * itself and, to 255.255.255.255, a loopback source that is not. Frames are written straight onto the sender's veth
 * (an AF_PACKET socket: the sender's own stack would refuse such sources), each a UDP datagram to
 * port 9 with one martian address, to the host or to a server behind it; the host counts them in raw
 * PREROUTING and in filter INPUT or FORWARD. The kernel must see every frame at PREROUTING and none
 * after routing, but loopback addresses once the interface has route_localnet; the analysis, given
 * the same host description (no bridge: every packet at FORWARD was routed), must give packets (may)
 * and an example packet (must) exactly for what the kernel lets through, and a finding (no packet
 * reaches the rule) exactly for what it drops. The emulator (host/routing.ts martianAddress) must
 * drop what the kernel drops. A plain datagram is the control.
 * Three namespaces of our own (sender, host, server), deleted after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { reachFindings } from '../../server/src/analysis/findings';
import { analyzeReachability } from '../../server/src/analysis/reachability';
import { Emulator, parseHostFile, type TraceEvent } from '../../server/src/emulator/index';
import { parseIpv4Strict } from '../../server/src/lang/iptables/inet';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { countsByComment, kernelSkip, lab, labTag, sh } from '../helpers/kernelCounters';

const skip = kernelSkip('MARTIAN', { does: 'it writes the frames', check: 'import socket; socket.AF_PACKET', what: 'python3 with AF_PACKET sockets' });

const tag = labTag('nflm');
const [A, H, B] = [`${tag}a`, `${tag}h`, `${tag}b`];
const HOST = '10.9.0.2';
const SENDER = '10.9.0.1';
/** Behind the host, on its eth1: where the forwarded cases go. */
const SERVER = '10.9.1.2';

/**
 * Each case: a datagram's addresses, the hook it would meet after routing (INPUT, or FORWARD on its way
 * to the server), and whether routing lets it on (without route_localnet).
 */
const CASES = [
  { name: 'control', src: SENDER, dst: HOST, hook: 'INPUT', passes: true },
  { name: 'loopback-dst', src: SENDER, dst: '127.0.0.1', hook: 'INPUT', passes: false },
  { name: 'loopback-src', src: '127.0.0.5', dst: HOST, hook: 'INPUT', passes: false },
  { name: 'zero-src', src: '0.0.0.0', dst: HOST, hook: 'INPUT', passes: false },
  // Since Linux 5.3 the rest of 0.0.0.0/8 is unicast (ipv4_is_zeronet is 0.0.0.0 only).
  { name: 'zeronet-src', src: '0.0.0.7', dst: HOST, hook: 'INPUT', passes: true },
  { name: 'multicast-src', src: '224.0.0.5', dst: HOST, hook: 'INPUT', passes: false },
  { name: 'broadcast-src', src: '255.255.255.255', dst: HOST, hook: 'INPUT', passes: false },
  { name: 'zero-dst', src: SENDER, dst: '0.0.0.0', hook: 'INPUT', passes: false },
  // A source that is one of the host's own addresses (any interface's; lo's 127.0.0.1 too): fib_validate_source
  // refuses it with accept_local 0, whatever route_localnet says.
  { name: 'own-src', src: HOST, dst: HOST, hook: 'INPUT', passes: false },
  { name: 'other-own-src', src: '10.9.1.1', dst: HOST, hook: 'INPUT', passes: false },
  { name: 'lo-own-src', src: '127.0.0.1', dst: HOST, hook: 'INPUT', passes: false },
  // To 255.255.255.255 routing takes the broadcast way before its loopback test: only the own-address test is left.
  { name: 'lbcast-loopback-src', src: '127.0.0.5', dst: '255.255.255.255', hook: 'INPUT', passes: true },
  { name: 'lbcast-lo-own-src', src: '127.0.0.1', dst: '255.255.255.255', hook: 'INPUT', passes: false },
  { name: 'lbcast-own-src', src: HOST, dst: '255.255.255.255', hook: 'INPUT', passes: false },
  { name: 'lbcast-zero-src', src: '0.0.0.0', dst: '255.255.255.255', hook: 'INPUT', passes: true },
  { name: 'lbcast-multicast-src', src: '224.0.0.5', dst: '255.255.255.255', hook: 'INPUT', passes: false },
  { name: 'fwd-control', src: SENDER, dst: SERVER, hook: 'FORWARD', passes: true },
  { name: 'fwd-loopback-src', src: '127.0.0.5', dst: SERVER, hook: 'FORWARD', passes: false },
  { name: 'fwd-zero-src', src: '0.0.0.0', dst: SERVER, hook: 'FORWARD', passes: false },
  { name: 'fwd-zeronet-src', src: '0.0.0.7', dst: SERVER, hook: 'FORWARD', passes: true },
  { name: 'fwd-multicast-src', src: '224.0.0.5', dst: SERVER, hook: 'FORWARD', passes: false },
  { name: 'fwd-broadcast-src', src: '255.255.255.255', dst: SERVER, hook: 'FORWARD', passes: false },
  { name: 'fwd-own-src', src: HOST, dst: SERVER, hook: 'FORWARD', passes: false },
] as const;
type Case = (typeof CASES)[number];
/** The cases route_localnet on eth0 lets on (loopback addresses that are not the host's own). */
const LOCALNET_LETS_ON = new Set<string>(['loopback-dst', 'loopback-src', 'fwd-loopback-src']);

/** A counting rule (no target) per case in raw PREROUTING and in filter INPUT or FORWARD, named by comments. */
function rules(): string {
  const match = (c: Case) => `-i eth0 -s ${c.src}/32 -d ${c.dst}/32 -p udp -m udp --dport 9`;
  return [
    '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    ...CASES.map((c) => `-A PREROUTING ${match(c)} -m comment --comment pre-${c.name}`),
    'COMMIT',
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    ...CASES.map((c) => `-A ${c.hook} ${match(c)} -m comment --comment in-${c.name}`),
    'COMMIT', '',
  ].join('\n');
}

/** The host as the namespace has it: forwarding on, no bridge (so every packet FORWARD sees was routed). */
function hostJson(routeLocalnet: boolean): string {
  return JSON.stringify({
    name: 'martians',
    interfaces: [{ name: 'eth0', addresses: [`${HOST}/24`], routeLocalnet }, { name: 'eth1', addresses: ['10.9.1.1/24'] }],
    routes: [],
    sysctl: { 'net.ipv4.ip_forward': 1 },
    peers: [{ name: 'a', address: SENDER, via: 'eth0' }, { name: 'server', address: SERVER, via: 'eth1' }],
  });
}

/** Whether the emulator, on the same host, hands the datagram to the case's hook. */
function emulatorPasses(routeLocalnet: boolean, c: Case): boolean {
  const host = parseHostFile(hostJson(routeLocalnet)).value!.host;
  const emu = new Emulator(parseIptables(rules(), { backend: 'nft', family: 'ipv4' }).ruleset, host);
  let met = false;
  emu.trace({ proto: 'udp', src: parseIpv4Strict(c.src)!, sport: 40000, dst: parseIpv4Strict(c.dst)!, dport: 9, origin: { kind: 'peer', peer: host.peers[0]! } }, (e: TraceEvent) => {
    if (e.type === 'hook' && e.hook === c.hook) met = true;
  });
  return met;
}

const commentOf = (line: string): string => /--comment in-(\S+)/.exec(line)?.[1] ?? '';

/** Per case: whether the analysis has packets (may) and example packets (must) for its rule at its hook, and whether a finding says no packet reaches it. */
function analysed(routeLocalnet: boolean): Map<string, { may: boolean; must: boolean; dead: boolean }> {
  const host = parseHostFile(hostJson(routeLocalnet)).value!.host;
  const text = rules();
  const lines = text.split('\n');
  const rs = parseIptables(text, { backend: 'nft', family: 'ipv4' }).ruleset;
  const an = analyzeReachability(rs, { host });
  const deadLines = new Set(reachFindings(rs, an).filter((f) => f.code === 'unreachable-rule').map((f) => f.span.start.line));
  const out = new Map<string, { may: boolean; must: boolean; dead: boolean }>();
  for (const x of an.rules()) {
    if (x.table !== 'filter') continue;
    const hit = an.reach(x.rule, x.table, x.chain).hits.get(x.chain as 'INPUT' | 'FORWARD');
    out.set(commentOf(lines[an.lineOf(x.rule)]!), { may: (hit?.may.length ?? 0) > 0, must: (hit?.must.length ?? 0) > 0, dead: deadLines.has(an.lineOf(x.rule)) });
  }
  return out;
}

const macOf = (ns: string): string => /link\/ether ([0-9a-f:]+)/.exec(sh(['ip', '-n', ns, 'link', 'show', 'eth0']))![1]!;

/** Python writing one Ethernet frame per case onto A's eth0: IPv4 (checksummed) + UDP to port 9 (no checksum). */
const SEND = `
import socket, struct, sys
dst_mac, src_mac = (bytes.fromhex(m.replace(':', '')) for m in sys.argv[1:3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
def csum(b):
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
for pair in sys.argv[3:]:
    src, dst = pair.split('>')
    udp = struct.pack('!HHHH', 40000, 9, 8 + 4, 0) + b'ping'
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    s.send(dst_mac + src_mac + b'\\x08\\x00' + hdr + udp)
`;

function sendFrames(): void {
  sh(['ip', 'netns', 'exec', A, 'python3', '-c', SEND, macOf(H), macOf(A), ...CASES.map((c) => `${c.src}>${c.dst}`)]);
  // (The frames are handled in softirq as they arrive; the counters are read after a short wait.)
  spawnSync('sleep', ['0.3']);
}

describe('kernel: martians reach PREROUTING but neither INPUT nor FORWARD, as the analysis says', { skip }, () => {
  let remove = (): void => {};
  before(() => {
    remove = lab({
      namespaces: [A, H, B],
      links: [[A, 'eth0', H, 'eth0'], [B, 'eth0', H, 'eth1']],
      addresses: [[A, 'eth0', `${SENDER}/24`], [H, 'eth0', `${HOST}/24`], [H, 'eth1', '10.9.1.1/24'], [B, 'eth0', `${SERVER}/24`]],
      forwarding: [H],
    });
    // Reverse-path filtering would drop some of them for another reason: off, as the host description has it.
    for (const k of ['all', 'default', 'eth0']) sh(['ip', 'netns', 'exec', H, 'sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=0`]);
  });
  after(() => remove());

  for (const routeLocalnet of [false, true]) {
    it(`route_localnet ${routeLocalnet ? 'on' : 'off'} on eth0`, () => {
      sh(['ip', 'netns', 'exec', H, 'sysctl', '-qw', `net.ipv4.conf.eth0.route_localnet=${routeLocalnet ? 1 : 0}`]);
      sh(['ip', 'netns', 'exec', H, 'iptables-nft-restore'], rules());
      sendFrames();
      const counts = countsByComment(H);
      const an = analysed(routeLocalnet);
      for (const c of CASES) {
        const delivered = c.passes || (routeLocalnet && LOCALNET_LETS_ON.has(c.name));
        const seen = { pre: counts.get(`pre-${c.name}`), input: counts.get(`in-${c.name}`) };
        assert.equal(seen.pre, 1, `${c.name}: the frame should reach raw PREROUTING (${JSON.stringify(seen)})`);
        assert.equal(seen.input, delivered ? 1 : 0, `${c.name}: the kernel ${delivered ? 'should let it on to' : 'should drop it before'} ${c.hook} (${JSON.stringify(seen)})`);
        const a = an.get(c.name)!;
        assert.equal(emulatorPasses(routeLocalnet, c), delivered, `${c.name}: the emulator ${delivered ? 'should let it on to' : 'should drop it before'} ${c.hook}`);
        // An example packet exactly for what the kernel delivers; packets at all (may) exactly for it too, and a
        // finding (no packet reaches the rule) exactly for what it drops.
        assert.equal(a.must, delivered, `${c.name}: analysis must ${a.must}`);
        assert.equal(a.may, delivered, `${c.name}: analysis may ${a.may}`);
        assert.equal(a.dead, !delivered, `${c.name}: finding ${a.dead}`);
      }
    });
  }
});
