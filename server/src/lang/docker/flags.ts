/**
 * The dockerd options Netfilter Lens knows: every flag that touches
 * networking with its value type, plus the common rest so that "unknown
 * flag" is only said of flags dockerd really does not have. Sources:
 * moby's daemon/config and cmd/dockerd flag definitions (1.9 pkg/mflag,
 * 1.13+ pflag) as summarised in ../shared/semantics.md §5a.
 */

/** bool: takes no separate value (`--icc`, `--icc=false`); value: one; list: repeatable; map: key=value, repeatable. */
export type FlagKind = 'bool' | 'value' | 'list' | 'map';

/** How a value is checked. */
export type ValueType = 'text' | 'cidr-addr' | 'cidr-net' | 'ip' | 'host' | 'mtu' | 'int' | 'kv-url' | 'advertise' | 'pool' | 'path' | 'bool-text';

export interface DaemonFlag {
  /** Long name, without dashes. */
  readonly name: string;
  readonly short?: string;
  readonly kind: FlagKind;
  readonly value?: ValueType;
  /** daemon.json key (default: the long name). */
  readonly json?: string;
  readonly network?: boolean;
  /** 1.9–1.12 (mflag) also took the single-dash long form, with a deprecation warning. */
  readonly dashAlias?: boolean;
  /** First and last Docker versions that know it (last: removed in the next one). */
  readonly since?: string;
  readonly removedIn?: string;
  readonly doc: string;
}

const F = (name: string, kind: FlagKind, doc: string, more: Partial<DaemonFlag> = {}): DaemonFlag => ({ name, kind, doc, ...more });

export const DAEMON_FLAGS: readonly DaemonFlag[] = [
  // Networking.
  F('bridge', 'value', 'Attach containers to this existing bridge ("none" disables the default bridge network).', { short: 'b', network: true }),
  F('bip', 'value', 'Address and prefix of the default bridge (its gateway address), e.g. 192.168.5.1/24.', { value: 'cidr-addr', network: true, dashAlias: true }),
  F('fixed-cidr', 'value', 'Subnet of the bridge network that container addresses are taken from.', { value: 'cidr-net', network: true }),
  F('fixed-cidr-v6', 'value', 'IPv6 subnet for container addresses.', { network: true }),
  F('default-gateway', 'value', 'Default gateway of containers on the default bridge.', { value: 'ip', network: true }),
  F('default-gateway-v6', 'value', 'IPv6 default gateway of containers on the default bridge.', { network: true }),
  F('ip', 'value', 'Default host address that published ports bind to.', { value: 'ip', network: true, dashAlias: true }),
  F('ip-forward', 'bool', 'Set net.ipv4.ip_forward=1 (since 1.13 Docker then sets the filter FORWARD policy to DROP if it had to turn forwarding on).', { network: true, dashAlias: true }),
  F('ip-forward-no-drop', 'bool', 'Do not set the FORWARD policy to DROP when enabling forwarding.', { network: true, since: '28.0' }),
  F('ip-masq', 'bool', 'Masquerade traffic from the bridge subnet leaving through other interfaces.', { network: true }),
  F('iptables', 'bool', 'Let Docker write its iptables rules (false: none, and ip-masq is forced off).', { network: true, dashAlias: true }),
  F('ip6tables', 'bool', 'Let Docker write ip6tables rules.', { network: true }),
  F('icc', 'bool', 'Inter-container communication on the default bridge (false: a DROP rule, needs br_netfilter).', { network: true, dashAlias: true }),
  F('userland-proxy', 'bool', 'Use docker-proxy for published ports (false: hairpin NAT instead).', { network: true }),
  F('userland-proxy-path', 'value', 'Path of the docker-proxy binary.', { value: 'path', network: true, since: '1.13' }),
  F('mtu', 'value', 'MTU of the default bridge network\'s interfaces (0: 1500).', { value: 'mtu', network: true, dashAlias: true }),
  F('dns', 'list', 'DNS server for containers (repeatable).', { value: 'ip', network: true, dashAlias: true }),
  F('dns-opt', 'list', 'DNS options for containers.', { json: 'dns-opts', network: true }),
  F('dns-search', 'list', 'DNS search domain for containers.', { network: true }),
  F('host', 'list', 'Socket the daemon listens on: unix:///path, tcp://host:port, fd://, or host:port (TCP).', { short: 'H', json: 'hosts', value: 'host', network: true }),
  F('tls', 'bool', 'Use TLS on TCP sockets (implied by --tlsverify); without --tlsverify clients are not authenticated.', { network: true }),
  F('tlsverify', 'bool', 'Use TLS and require clients to present a certificate signed by --tlscacert.', { network: true }),
  F('tlscacert', 'value', 'CA certificate that client certificates must be signed by.', { value: 'path', network: true }),
  F('tlscert', 'value', 'Server certificate.', { value: 'path', network: true }),
  F('tlskey', 'value', 'Server key.', { value: 'path', network: true }),
  F('cluster-store', 'value', 'Key-value store for multi-host (overlay) networking: consul://, etcd:// or zk://.', { value: 'kv-url', network: true, removedIn: '24.0' }),
  F('cluster-advertise', 'value', 'Address (ip:port or interface:port) this daemon advertises to the cluster store.', { value: 'advertise', network: true, removedIn: '24.0' }),
  F('cluster-store-opt', 'map', 'Options of the cluster store (kv.cacertfile=…).', { json: 'cluster-store-opts', network: true, removedIn: '24.0' }),
  F('default-address-pool', 'list', 'Pool user-defined networks take subnets from: base=CIDR,size=N.', { json: 'default-address-pools', value: 'pool', network: true, since: '18.09' }),
  F('allow-direct-routing', 'bool', 'Allow direct routing to container addresses.', { network: true, since: '28.0' }),
  F('ipv6', 'bool', 'Enable IPv6 on the default bridge.', { network: true }),
  F('live-restore', 'bool', 'Keep containers running while the daemon is down.', { since: '1.12' }),
  F('api-enable-cors', 'bool', 'Old name of --api-cors-header.', { dashAlias: true, removedIn: '1.13' }),
  F('api-cors-header', 'value', 'CORS headers of the remote API.'),
  F('daemon', 'bool', 'Run as a daemon (docker -d, before "docker daemon" and dockerd).', { short: 'd', removedIn: '1.10' }),
  // The rest.
  F('add-runtime', 'map', 'Register an OCI runtime.', { json: 'runtimes' }),
  F('authorization-plugin', 'list', 'Authorization plugin.', { json: 'authorization-plugins' }),
  F('cgroup-parent', 'value', 'Parent cgroup of containers.'),
  F('config-file', 'value', 'daemon.json path.', { value: 'path' }),
  F('containerd', 'value', 'containerd socket.', { value: 'path' }),
  F('data-root', 'value', 'Root of persistent Docker state.', { value: 'path', since: '17.05' }),
  F('debug', 'bool', 'Debug logging.', { short: 'D' }),
  F('default-runtime', 'value', 'Default OCI runtime.'),
  F('default-shm-size', 'value', 'Default /dev/shm size.'),
  F('default-ulimit', 'map', 'Default ulimits.', { json: 'default-ulimits' }),
  F('exec-opt', 'list', 'Runtime execution options.', { json: 'exec-opts' }),
  F('exec-root', 'value', 'Root of execution state.', { value: 'path' }),
  F('experimental', 'bool', 'Enable experimental features.'),
  F('graph', 'value', 'Root of the Docker runtime (old name of --data-root).', { short: 'g', value: 'path', removedIn: '23.0' }),
  F('group', 'value', 'Group owning the unix socket.', { short: 'G' }),
  F('icc-v6', 'bool', 'Unused compatibility flag.', { removedIn: '1.10' }),
  F('init', 'bool', 'Run an init in containers.'),
  F('insecure-registry', 'list', 'Registry allowed without TLS.', { json: 'insecure-registries' }),
  F('label', 'list', 'Daemon label key=value.', { json: 'labels' }),
  F('log-driver', 'value', 'Default logging driver.'),
  F('log-level', 'value', 'Log level.', { short: 'l' }),
  F('log-opt', 'map', 'Logging driver options.', { json: 'log-opts' }),
  F('max-concurrent-downloads', 'value', 'Parallel pulls.', { value: 'int' }),
  F('max-concurrent-uploads', 'value', 'Parallel pushes.', { value: 'int' }),
  F('metrics-addr', 'value', 'Prometheus metrics address.'),
  F('pidfile', 'value', 'Daemon PID file.', { short: 'p', value: 'path' }),
  F('raw-logs', 'bool', 'Logs without colours.'),
  F('registry-mirror', 'list', 'Registry mirror.', { json: 'registry-mirrors' }),
  F('seccomp-profile', 'value', 'Default seccomp profile.', { value: 'path' }),
  F('selinux-enabled', 'bool', 'SELinux support.'),
  F('storage-driver', 'value', 'Storage driver.', { short: 's' }),
  F('storage-opt', 'list', 'Storage driver options.', { json: 'storage-opts' }),
  F('swarm-default-advertise-addr', 'value', 'Default swarm advertise address.'),
  F('userns-remap', 'value', 'User namespace remapping.'),
  F('allow-nondistributable-artifacts', 'list', 'Registries allowed to receive foreign layers.'),
  F('builder', 'map', 'BuildKit settings (daemon.json only).'),
  F('cdi-spec-dir', 'list', 'CDI specification directories.', { json: 'cdi-spec-dirs' }),
  F('containerd-namespace', 'value', 'containerd namespace.'),
  F('containerd-plugins-namespace', 'value', 'containerd plugins namespace.'),
  F('cpu-rt-period', 'value', 'Realtime CPU period.', { value: 'int' }),
  F('cpu-rt-runtime', 'value', 'Realtime CPU runtime.', { value: 'int' }),
  F('default-cgroupns-mode', 'value', 'Default cgroup namespace mode.'),
  F('default-ipc-mode', 'value', 'Default IPC mode.'),
  F('default-network-opt', 'map', 'Default driver options of new networks.', { json: 'default-network-opts' }),
  F('features', 'map', 'Feature switches (daemon.json only).'),
  F('host-gateway-ip', 'value', 'Address of host.docker.internal\'s "host-gateway".', { value: 'ip', network: true }),
  F('init-path', 'value', 'Path of the init binary.', { value: 'path' }),
  F('log-format', 'value', 'Log format (text, json).'),
  F('max-download-attempts', 'value', 'Download retries.', { value: 'int' }),
  F('no-new-privileges', 'bool', 'Set no-new-privileges on new containers.'),
  F('node-generic-resource', 'list', 'Swarm generic resources.', { json: 'node-generic-resources' }),
  F('oom-score-adjust', 'value', 'OOM score of the daemon.'),
  F('proxies', 'map', 'Proxy settings (daemon.json only).'),
  F('shutdown-timeout', 'value', 'Seconds to wait for containers at shutdown.', { value: 'int' }),
  F('validate', 'bool', 'Check the configuration and exit.'),
  // Red Hat's docker fork (RHEL/CentOS 7 /etc/sysconfig/docker).
  F('signature-verification', 'bool', 'Red Hat fork: verify image signatures.'),
  F('add-registry', 'list', 'Red Hat fork: registry searched for short names.'),
  F('block-registry', 'list', 'Red Hat fork: registry never contacted.'),
];

const byLong = new Map<string, DaemonFlag>();
const byShort = new Map<string, DaemonFlag>();
const byJson = new Map<string, DaemonFlag>();
for (const f of DAEMON_FLAGS) {
  if (byLong.has(f.name)) continue;
  byLong.set(f.name, f);
  if (f.short) byShort.set(f.short, f);
  byJson.set(f.json ?? f.name, f);
}

export const flagByLong = (name: string): DaemonFlag | undefined => byLong.get(name);
export const flagByShort = (c: string): DaemonFlag | undefined => byShort.get(c);
export const flagByJsonKey = (key: string): DaemonFlag | undefined => byJson.get(key);

/** "1.9" < "1.13" < "24.0". */
export function versionBefore(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}
