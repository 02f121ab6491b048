/**
 * A host's daemon options against its iptables rules: what one says that
 * the other contradicts. Docker writes its rules from its options, so a
 * mismatch means stale rules, hand edits, or options that never took
 * effect. Findings go on the rules file (with the daemon option as related
 * information) or on the daemon option, wherever the fix belongs.
 */
import type { Diagnostic, Span } from '../diagnostic';
import { parseCidr4Strict } from '../iptables/inet';
import type { LoadedRule, Ruleset } from '../iptables/ruleset';
import type { DaemonOptions } from './daemonFile';
import type { FlagSetting } from './daemonArgs';
import type { ProxySetting } from '../../analysis/publishedPorts';

export interface CrossFindings {
  readonly onRules: Diagnostic[];
  readonly onDaemon: Diagnostic[];
}

/** The chains Docker makes: without one, the daemon's options have nothing in the rules to contradict. */
const DOCKER_CHAINS = /^DOCKER(-USER|-ISOLATION(-STAGE-[12])?|-FORWARD|-CT|-BRIDGE|-INGRESS)?$/;

/** Whether some table has a chain Docker makes: only then do the cross-checks and Docker's published ports have anything to say. */
export function anyDockerChain(tables: Iterable<{ readonly chains: Iterable<string> }>): boolean {
  for (const t of tables) for (const c of t.chains) if (DOCKER_CHAINS.test(c)) return true;
  return false;
}

function rulesOf(rs: Ruleset, table: string, chain?: string): LoadedRule[] {
  const t = rs.tables.get(table);
  if (!t) return [];
  return chain ? (t.chains.get(chain)?.rules ?? []) : [...t.chains.values()].flatMap((c) => c.rules);
}

/** `daemonUri`: where the daemon options are, for related information pointing there. */
export function crossCheck(daemon: DaemonOptions, rs: Ruleset, daemonFile = 'the daemon options', daemonUri?: string): CrossFindings {
  const onRules: Diagnostic[] = [];
  const onDaemon: Diagnostic[] = [];
  const last = new Map<string, FlagSetting>();
  for (const s of daemon.settings) last.set(s.flag.name, s);
  const get = (n: string): FlagSetting | undefined => last.get(n);
  const related = (s: FlagSetting | undefined, message: string): { related?: { span: Span; message: string; uri?: string }[] } => (s ? { related: [{ span: s.span, message: `${daemonFile}: ${message}`, ...(daemonUri ? { uri: daemonUri } : {}) }] } : {});

  const dockerChains = [...rs.tables.values()].flatMap((t) => [...t.chains.values()].filter((c) => !c.builtin && DOCKER_CHAINS.test(c.name)).map((c) => ({ table: t.name, chain: c })));
  const iptables = get('iptables');
  if (iptables?.value === 'false') {
    if (dockerChains.length) onDaemon.push({ code: 'daemon-vs-rules', severity: 'warning', message: `--iptables=false, yet the rules have Docker's chains (${[...new Set(dockerChains.map((c) => `${c.table} ${c.chain.name}`))].slice(0, 4).join(', ')}): Docker no longer keeps them up to date, so they describe containers and ports that may be gone.`, span: iptables.span });
    return { onRules, onDaemon };
  }
  if (!dockerChains.length) return { onRules, onDaemon };

  // The bridge and its subnet.
  const bridge = get('bridge')?.value ?? 'docker0';
  const bip = get('bip');
  const bipNet = bip && !bip.unknown ? parseCidr4Strict(bip.value) : undefined;
  for (const t of ['nat', 'filter']) {
    for (const r of rulesOf(rs, t)) {
      const spec = r.spec;
      for (const i of [spec.inIface, spec.outIface]) {
        if (i && !i.wildcard && /^docker\d+$/.test(i.name) && i.name !== bridge && bridge !== 'none') {
          onRules.push({ code: 'daemon-vs-rules', severity: 'warning', message: `This rule names ${i.name}, but the daemon's bridge is ${bridge} (--bridge): it matches no container traffic.`, span: i.span, ...related(get('bridge'), `--bridge=${bridge}`) });
          break; // once per rule
        }
      }
      if (t === 'nat' && bipNet && spec.target?.kind === 'extension' && spec.target.use.name === 'MASQUERADE' && spec.src && !spec.src.invert && spec.outIface?.invert && spec.outIface.name === bridge) {
        const net = spec.src.v4[0];
        if (net && (net.addr !== bipNet.addr || net.prefix !== bipNet.prefix)) {
          onRules.push({ code: 'daemon-vs-rules', severity: 'warning', message: `Docker's MASQUERADE rule is for ${spec.src.text}, but --bip puts the bridge network at ${bip!.value.replace(/\.\d+\//, '.0/')}: containers' traffic to the outside is not masqueraded.`, span: spec.src.span, ...related(bip, `--bip=${bip!.value}`) });
        }
      }
    }
  }

  // userland-proxy off: every client must be DNATed in PREROUTING.
  const proxy = get('userland-proxy');
  const pre = rulesOf(rs, 'nat', 'PREROUTING');
  if (proxy?.value === 'false' && rs.tables.get('nat')?.chains.has('DOCKER') && !pre.some((r) => r.facts.jumpTo === 'DOCKER')) {
    onDaemon.push({ code: 'daemon-vs-rules', severity: 'warning', message: '--userland-proxy=false, but nat PREROUTING never jumps to DOCKER: clients from other hosts and containers are not DNATed to published ports, and with no docker-proxy listening nothing answers them.', span: proxy.span });
  }

  // icc=false needs the DROP between containers of the bridge.
  const icc = get('icc');
  if (icc?.value === 'false') {
    const drops = rulesOf(rs, 'filter', 'FORWARD').some((r) => r.spec.inIface?.name === bridge && r.spec.outIface?.name === bridge && !r.spec.inIface.invert && !r.spec.outIface.invert && r.facts.verdict === 'DROP');
    if (!drops) onDaemon.push({ code: 'daemon-vs-rules', severity: 'warning', message: `--icc=false, but filter FORWARD has no "-i ${bridge} -o ${bridge} -j DROP": containers on ${bridge} can still reach each other.`, span: icc.span });
  }

  // Overlay networks need VXLAN (udp/4789) and gossip (tcp+udp/7946) between hosts.
  const store = get('cluster-store');
  const input = rs.tables.get('filter')?.chains.get('INPUT');
  if (store && input?.policy === 'DROP') {
    const opens = (port: number): boolean => input.rules.some((r) => r.facts.verdict === 'ACCEPT' && mentionsPort(r, port));
    const closed = [4789, 7946].filter((p) => !opens(p));
    if (closed.length) {
      onRules.push({ code: 'daemon-vs-rules', severity: 'warning', message: `filter INPUT drops by policy and no INPUT rule accepts ${closed.map((p) => (p === 4789 ? 'udp/4789 (VXLAN)' : 'tcp+udp/7946 (gossip)')).join(' or ')}: with --cluster-store this host's overlay networks cannot reach the other hosts' containers (unless an earlier rule accepts them by address).`, span: input.policySpan ?? input.declSpan ?? store.span, ...related(store, '--cluster-store') });
    }
  }
  return { onRules, onDaemon };
}

function mentionsPort(r: LoadedRule, port: number): boolean {
  for (const m of r.spec.matches) {
    for (const o of m.options) {
      if (!/^(dport|dports|destination-ports?|ports)$/.test(o.name) || o.invert || !o.arg) continue;
      for (const part of o.arg.split(',')) {
        const [a, b] = part.split(':').map(Number);
        if (a === port || (b !== undefined && a! <= port && port <= b)) return true;
      }
    }
  }
  return false;
}

/** What the daemon options say about docker-proxy (Docker's default: on), for the published-port check on the rules. */
export function userlandProxyOf(daemon: DaemonOptions, daemonFile = 'the daemon options', daemonUri?: string): ProxySetting {
  const s = [...daemon.settings].reverse().find((x) => x.flag.name === 'userland-proxy');
  if (!s || s.unknown) return { on: true };
  const on = s.value !== 'false';
  return { on, source: { span: s.span, message: `${daemonFile}: --userland-proxy=${on}`, ...(daemonUri ? { uri: daemonUri } : {}) } };
}
