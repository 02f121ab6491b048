/**
 * What is wrong with a daemon's options, whichever file they came from:
 * bad values (addresses, CIDRs, MTU), options that contradict each other,
 * options the targeted Docker version no longer has, and a remote API
 * socket without TLS client authentication (root on the host for anyone
 * who can reach it).
 */
import type { Diagnostic } from '../diagnostic';
import { parseCidr4Strict, parseIpv4Strict } from '../iptables/inet';
import { versionBefore } from './flags';
import type { FlagSetting } from './daemonArgs';

const ip4 = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const inNet = (a: number, net: number, prefix: number): boolean => prefix === 0 || ((a ^ net) >>> (32 - prefix)) === 0;

export interface CheckOptions {
  /** The Docker version the options are for, if known ("1.9", "24.0"). */
  readonly version?: string;
}

export function checkDaemonSettings(settings: readonly FlagSetting[], opts: CheckOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const last = new Map<string, FlagSetting>();
  for (const s of settings) {
    const prev = last.get(s.flag.name);
    if (prev && s.flag.kind !== 'list' && s.flag.kind !== 'map' && s.source === prev.source) {
      out.push({ code: 'repeated-daemon-flag', severity: 'warning', message: `--${s.flag.name} is given again: dockerd keeps only the last one (${s.value}).`, span: prev.span, related: [{ span: s.span, message: 'this one wins' }] });
    }
    if (prev && s.source !== prev.source) {
      const [flagSide, fileSide] = s.source === 'json' ? [prev, s] : [s, prev];
      out.push({ code: 'flag-and-config-file', severity: 'error', message: `"${s.flag.json ?? s.flag.name}" is set both as a flag and in daemon.json: dockerd refuses to start ("the following directives are specified both as a flag and in the configuration file").`, span: fileSide.span, related: [{ span: flagSide.span, message: 'the flag' }] });
    }
    last.set(s.flag.name, s);
    out.push(...checkValue(s));
    if (opts.version && s.flag.removedIn && !versionBefore(opts.version, s.flag.removedIn)) {
      out.push({ code: 'removed-daemon-flag', severity: 'error', message: `--${s.flag.name} was removed in Docker ${s.flag.removedIn}; Docker ${opts.version} refuses to start with it.`, span: s.span });
    } else if (opts.version && s.flag.since && versionBefore(opts.version, s.flag.since)) {
      out.push({ code: 'removed-daemon-flag', severity: 'error', message: `--${s.flag.name} only exists since Docker ${s.flag.since}; Docker ${opts.version} refuses to start with it.`, span: s.span });
    }
  }
  const get = (name: string): FlagSetting | undefined => last.get(name);
  const isFalse = (name: string): boolean => get(name)?.value === 'false';
  const isTrue = (name: string): boolean => get(name)?.value === 'true';

  const bridge = get('bridge');
  const bip = get('bip');
  if (bridge && bip && bridge.value !== 'none') {
    out.push({ code: 'daemon-conflict', severity: 'error', message: 'You specified --bridge and --bip, which exclude each other: dockerd refuses to start ("You specified -b & --bip, mutually exclusive options"). --bip sets the address of the bridge Docker creates; an existing bridge keeps its own.', span: bip.span, related: [{ span: bridge.span, message: '--bridge' }] });
  }
  const bipNet = bip && !bip.unknown ? parseCidr4Strict(bip.value) : undefined;
  const bipAddr = bip && !bip.unknown ? parseIpv4Strict(bip.value.split('/')[0] ?? '') : undefined;
  const fixed = get('fixed-cidr');
  const fixedNet = fixed && !fixed.unknown ? parseCidr4Strict(fixed.value) : undefined;
  if (bipNet && bipAddr !== undefined && fixed && fixedNet) {
    const inside = fixedNet.prefix >= bipNet.prefix && inNet(fixedNet.addr, bipAddr, bipNet.prefix);
    if (!inside) out.push({ code: 'daemon-conflict', severity: 'error', message: `--fixed-cidr ${fixed.value} is not inside the bridge network ${ip4(((bipAddr >>> (32 - bipNet.prefix)) << (32 - bipNet.prefix)) >>> 0)}/${bipNet.prefix} of --bip: containers would get addresses the bridge cannot reach, and dockerd refuses to start.`, span: fixed.valueSpan, related: [{ span: bip!.span, message: '--bip' }] });
  }
  const gw = get('default-gateway');
  if (gw && !gw.unknown && bipNet && bipAddr !== undefined) {
    const g = parseIpv4Strict(gw.value);
    if (g !== undefined && !inNet(g, bipAddr, bipNet.prefix)) out.push({ code: 'daemon-conflict', severity: 'error', message: `--default-gateway ${gw.value} is outside the bridge network of --bip ${bip!.value}: containers could not reach it.`, span: gw.valueSpan, related: [{ span: bip!.span, message: '--bip' }] });
  }
  const ipt = get('iptables');
  if (ipt && isFalse('iptables')) {
    if (isFalse('icc')) out.push({ code: 'daemon-conflict', severity: 'error', message: 'You specified --iptables=false with --icc=false: ICC uses iptables to work, so dockerd refuses to start. Set --icc or --iptables to true.', span: get('icc')!.span, related: [{ span: ipt.span, message: '--iptables=false' }] });
    if (isTrue('ip-masq')) out.push({ code: 'daemon-conflict', severity: 'warning', message: '--ip-masq has no effect with --iptables=false: Docker writes no MASQUERADE rule, so containers reach outside networks with their bridge addresses.', span: get('ip-masq')!.span, related: [{ span: ipt.span, message: '--iptables=false' }] });
  }
  const store = get('cluster-store');
  if (store && !get('cluster-advertise')) out.push({ code: 'daemon-conflict', severity: 'warning', message: '--cluster-store without --cluster-advertise: this daemon does not tell the other hosts where it is, so overlay networks do not reach its containers.', span: store.span });
  const adv = get('cluster-advertise');
  if (adv && !store) out.push({ code: 'daemon-conflict', severity: 'error', message: '--cluster-advertise needs --cluster-store: dockerd refuses to start ("--cluster-advertise must be accompanied by --cluster-store configuration").', span: adv.span });
  out.push(...checkSockets(settings, isTrue('tlsverify'), isTrue('tls')));
  return out;
}

function checkValue(s: FlagSetting): Diagnostic[] {
  if (s.unknown) return [];
  const v = s.value;
  const bad = (message: string): Diagnostic[] => [{ code: 'bad-daemon-value', severity: 'error', message, span: s.valueSpan }];
  switch (s.flag.value) {
    case 'cidr-addr': {
      const c = parseCidr4Strict(v);
      if (!c || !v.includes('/')) return bad(`--${s.flag.name} takes the bridge's address with its prefix length, e.g. 192.168.5.1/24; "${v}" is not one.`);
      const a = parseIpv4Strict(v.split('/')[0]!)!;
      const host = c.prefix >= 31 ? 1 : (a & (0xffffffff >>> c.prefix)) >>> 0;
      if (host === 0) return [{ code: 'bad-daemon-value', severity: 'warning', message: `--${s.flag.name} ${v} is the network address: --bip is the bridge's own address (its containers' gateway), e.g. ${ip4((a | 1) >>> 0)}/${c.prefix}.`, span: s.valueSpan }];
      return [];
    }
    case 'cidr-net':
      return parseCidr4Strict(v) && v.includes('/') ? [] : bad(`--${s.flag.name} takes a network with its prefix length, e.g. 172.17.1.0/24; "${v}" is not one.`);
    case 'ip':
      return parseIpv4Strict(v) !== undefined || (s.flag.name === 'dns' && /:/.test(v)) ? [] : bad(`--${s.flag.name} takes an IP address; "${v}" is not one.`);
    case 'mtu': {
      if (!/^\d+$/.test(v)) return bad(`--mtu takes a number of bytes; "${v}" is not one.`);
      const m = Number(v);
      if (m !== 0 && (m < 68 || m > 65535)) return bad(`--mtu ${v} is out of range: an IPv4 link's MTU is 68 to 65535 (0 means the default, 1500).`);
      return [];
    }
    case 'int':
      return /^\d+$/.test(v) ? [] : bad(`--${s.flag.name} takes a whole number; "${v}" is not one.`);
    case 'host': {
      const h = v.replace(/^["']|["']$/g, '');
      if (/^(unix|fd|npipe|ssh):\/\//.test(h) || /^tcp:\/\/[^/]*$/.test(h) || /^tcp:\/\/.+/.test(h) || /^[^:/]*:\d+$/.test(h) || /^:\d+$/.test(h) || /^tcp:\/\/$/.test(h)) return [];
      return bad(`-H takes unix:///path, tcp://host:port, fd:// or host:port; "${v}" is none of those.`);
    }
    case 'kv-url':
      return /^(consul|etcd|zk):\/\/./.test(v) ? [] : bad(`--cluster-store takes consul://, etcd:// or zk:// followed by the store's address; "${v}" is not one.`);
    case 'advertise':
      return /^[^:]+:\d+$/.test(v) ? [] : bad(`--cluster-advertise takes ip:port or interface:port (e.g. eth1:2376); "${v}" is not one.`);
    case 'pool':
      return /(^|,)base=[^,]+/.test(v) ? [] : bad(`--default-address-pool takes base=CIDR,size=N; "${v}" has no base.`);
    default:
      return [];
  }
}

/** -H tcp://… without --tlsverify: anyone who reaches the port controls the daemon (root on this host). */
function checkSockets(settings: readonly FlagSetting[], tlsverify: boolean, tls: boolean): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of settings) {
    if (s.flag.name !== 'host' || s.unknown) continue;
    const h = s.value.replace(/^["']|["']$/g, '');
    const m = /^(?:tcp:\/\/)?(\[[^\]]*\]|[^:/]*)?:(\d+)$/.exec(h) ?? (/^tcp:\/\/(\[[^\]]*\]|[^:/]*)$/.exec(h) ? [h, /^tcp:\/\/(.*)$/.exec(h)![1], tls || tlsverify ? '2376' : '2375'] : null);
    if (!m || h.startsWith('unix:') || h.startsWith('fd:')) continue;
    const addr = m[1] || '0.0.0.0';
    const port = m[2];
    const where = addr === '0.0.0.0' || addr === '' || addr === '[::]' ? 'every interface of this host' : /^127\.|^\[::1\]$|^localhost$/.test(addr) ? 'the loopback address' : addr;
    if (tlsverify) continue;
    const who = where === 'the loopback address' ? 'every local user and process (and anything a container or a DNAT rule forwards there)' : `anyone who can reach ${addr || '0.0.0.0'}:${port} over the network`;
    if (tls) {
      out.push({ code: 'insecure-daemon-socket', severity: 'warning', message: `The Docker API listens on TCP port ${port} of ${where} with TLS but without --tlsverify: the traffic is encrypted, but no client certificate is required, so ${who} can run containers as root on this host. Add --tlsverify with --tlscacert.`, span: s.span });
    } else {
      out.push({ code: 'insecure-daemon-socket', severity: where === 'the loopback address' ? 'warning' : 'error', message: `The Docker API listens on plain TCP port ${port} of ${where}, with no TLS and no authentication: ${who} can start a privileged container and so become root on this host. Use the unix socket, or TLS with --tlsverify, --tlscacert, --tlscert and --tlskey (port 2376).`, span: s.span });
    }
  }
  return out;
}
