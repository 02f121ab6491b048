/**
 * LOG, NFLOG, ULOG and TRACE: they never decide the packet's fate; each
 * notes what would be logged and the walk goes on.
 *
 * LOG (net/netfilter/xt_LOG.c → nf_log_syslog.c, nf_log_ip_packet): the
 * kernel line is the prefix, "IN=… OUT=… ", PHYSIN/PHYSOUT for bridged
 * frames, the MAC header when there is an input device, then the IPv4
 * header (dump_ipv4_packet) and the transport header, "UID= GID=" with
 * --log-uid, and "MARK=0x…" when the mark is not 0. An ICMP error also
 * shows the packet it quotes in brackets (one level deep). Fields the
 * packet model does not carry (IP ID, TCP window and sequence numbers,
 * ICMP echo sequence) are written as "?"; the kernel's trailing space is
 * left out.
 *
 * NFLOG (xt_NFLOG.c) hands a copy to nfnetlink_log: whatever listens on the
 * group (ulogd, tcpdump -i nflog:N) prints it, so we note the same fields
 * with the group. ULOG (ipt_ULOG) left the kernel in 3.17: such a rule does
 * not load, so we only get here for a table that loaded anyway.
 *
 * TRACE (xt_TRACE.c) sets skb->nf_trace; iptables-legacy then logs
 * "TRACE: table:chain:rule|return|policy:N" with the packet for every rule
 * the packet meets afterwards (not for the TRACE rule itself), and
 * iptables-nft reports the same through `xtables-monitor --trace`.
 */
import type { LogTarget } from '../../lang/iptables/extensions/targets/LOG';
import type { NflogTarget } from '../../lang/iptables/extensions/targets/NFLOG';
import type { TraceTarget } from '../../lang/iptables/extensions/targets/TRACE';
import type { UlogTarget } from '../../lang/iptables/extensions/targets/ULOG';
import type { HostView } from '../context';
import { ip4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../packet';
import type { TargetEntry } from '../registry';
import { extras } from './extras';

const PROTO_UDPLITE = 136;
const PROTO_AH = 51;
const PROTO_ESP = 50;
/** Bits above the six the packet model names (ECE, CWR, AE). */
const TCP_ECE = 0x40;
const TCP_CWR = 0x80;
const TCP_AE = 0x100;

/** The kernel's NF_LOG_* flags as LOG's options set them. */
export interface LogFlags {
  readonly tcpSequence: boolean;
  readonly tcpOptions: boolean;
  readonly ipOptions: boolean;
  readonly uid: boolean;
  readonly macDecode: boolean;
}

const NO_FLAGS: LogFlags = { tcpSequence: false, tcpOptions: false, ipOptions: false, uid: false, macDecode: false };

const UNKNOWN_MAC = '??:??:??:??:??:??';
const hex2 = (n: number): string => (n & 0xff).toString(16).toUpperCase().padStart(2, '0');

/** The destination MAC of an IPv4 multicast group (01:00:5e + low 23 bits). */
function multicastMac(addr: number): string {
  const b = [0x01, 0x00, 0x5e, (addr >>> 16) & 0x7f, (addr >>> 8) & 0xff, addr & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** dump_mac_header(): only when the packet has an input device. */
function macPart(p: Packet, flags: LogFlags, host: HostView): string {
  const dev = host.iface(p.iif);
  // tun devices have no link-layer header (hard_header_len 0).
  if (dev?.kind === 'tun') return 'MAC= ';
  // lo is not ARPHRD_ETHER: even with --log-macdecode the raw (all-zero) header is printed.
  if (dev?.kind === 'loopback' || p.iif === 'lo') return 'MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 ';
  const src = p.srcMac?.toLowerCase() ?? UNKNOWN_MAC;
  const dst =
    p.pktType === 'broadcast' ? 'ff:ff:ff:ff:ff:ff' : p.pktType === 'multicast' ? multicastMac(p.dst) : p.pktType === 'host' ? dev?.mac?.toLowerCase() ?? UNKNOWN_MAC : UNKNOWN_MAC;
  if (flags.macDecode) return `MACSRC=${src} MACDST=${dst} MACPROTO=0800 `;
  return `MAC=${dst}:${src}:08:00 `;
}

/** TCP options as the kernel prints them with --log-tcp-options (values we do not model are "?"). */
function tcpOptionBytes(p: Packet): string {
  const mss = extras(p).tcpMss;
  return p.tcpOptions
    .map((k) => {
      switch (k) {
        case 0:
          return '00';
        case 1:
          return '01';
        case 2:
          return `0204${mss !== undefined ? hex2(mss >>> 8) + hex2(mss) : '????'}`;
        case 3:
          return '0303??';
        case 4:
          return '0402';
        case 8:
          return `080A${'?'.repeat(16)}`;
        default:
          return `${hex2(k)}??`;
      }
    })
    .join('');
}

function tcpPart(p: Packet, flags: LogFlags, frag: boolean): string {
  let s = 'PROTO=TCP ';
  if (frag) return s;
  s += `SPT=${p.sport} DPT=${p.dport} `;
  if (flags.tcpSequence) s += 'SEQ=? ACK=? ';
  s += 'WINDOW=? RES=0x00 ';
  const f = p.tcpFlags;
  const names: Array<[number, string]> = [
    [TCP_AE, 'AE'], [TCP_CWR, 'CWR'], [TCP_ECE, 'ECE'], [TCP_URG, 'URG'], [TCP_ACK, 'ACK'],
    [TCP_PSH, 'PSH'], [TCP_RST, 'RST'], [TCP_SYN, 'SYN'], [TCP_FIN, 'FIN'],
  ];
  for (const [bit, name] of names) if (f & bit) s += `${name} `;
  s += 'URGP=0 ';
  if (flags.tcpOptions && p.tcpOptions.length > 0) s += `OPT (${tcpOptionBytes(p)}) `;
  return s;
}

/** dump_ipv4_packet(): `inner` for the packet an ICMP error quotes (no recursion, no UID/MARK). */
function ipv4Part(p: Packet, flags: LogFlags, inner: boolean): string {
  let s = `SRC=${ip4(p.src)} DST=${ip4(p.dst)} `;
  s += `LEN=${p.length} TOS=0x${hex2(p.tos & 0x1e)} PREC=0x${hex2(p.tos & 0xe0)} TTL=${p.ttl} ID=? `;
  const frag = p.fragOffset !== 0;
  if (frag) s += `FRAG:${p.fragOffset} `;
  switch (p.proto) {
    case PROTO_TCP:
      s += tcpPart(p, flags, frag);
      break;
    case PROTO_UDP:
    case PROTO_UDPLITE:
      s += p.proto === PROTO_UDP ? 'PROTO=UDP ' : 'PROTO=UDPLITE ';
      if (!frag) s += `SPT=${p.sport} DPT=${p.dport} LEN=${Math.max(0, p.length - 20)} `;
      break;
    case PROTO_ICMP:
      s += 'PROTO=ICMP ';
      if (frag) break;
      s += `TYPE=${p.icmpType} CODE=${p.icmpCode} `;
      switch (p.icmpType) {
        case 0:
        case 8:
          s += `ID=${p.icmpId} SEQ=? `;
          break;
        case 12:
          s += 'PARAMETER=? ';
          break;
        case 5:
        case 3:
        case 4:
        case 11:
          if (p.icmpType === 5) s += 'GATEWAY=? ';
          if (!inner && p.inner) s += `[${ipv4Part(p.inner, flags, true)}] `;
          if (p.icmpType === 3 && p.icmpCode === 4) s += 'MTU=? ';
          break;
      }
      break;
    case PROTO_AH:
      if (!frag) s += 'PROTO=AH SPI=0x? ';
      break;
    case PROTO_ESP:
      s += 'PROTO=ESP ';
      if (!frag) s += 'SPI=0x? ';
      break;
    default:
      s += `PROTO=${p.proto} `;
  }
  if (!inner) {
    if (flags.uid && p.owner) s += `UID=${p.owner.uid} GID=${p.owner.gid} `;
    if (p.mark) s += `MARK=0x${(p.mark >>> 0).toString(16)} `;
  }
  return s;
}

/** The line nf_log_ip_packet() writes for this packet (without the syslog level and trailing space). */
export function logLine(prefix: string, p: Packet, host: HostView, flags: LogFlags = NO_FLAGS): string {
  let s = `${prefix}IN=${p.iif} OUT=${p.oif} `;
  if (p.physIn && p.physIn !== p.iif) s += `PHYSIN=${p.physIn} `;
  if (p.physOut && p.physOut !== p.oif) s += `PHYSOUT=${p.physOut} `;
  if (p.iif) s += macPart(p, flags, host);
  s += ipv4Part(p, flags, false);
  return s.trimEnd();
}

export const LOG: TargetEntry = {
  name: 'LOG',
  fn: (d: LogTarget, ctx) => {
    ctx.note(logLine(d.prefix, ctx.packet, ctx.host, d));
    return { kind: 'continue' };
  },
};

export const NFLOG: TargetEntry = {
  name: 'NFLOG',
  fn: (d: NflogTarget, ctx) => {
    const copy = d.copyLen !== undefined ? `, first ${d.copyLen} bytes` : '';
    ctx.note(`[NFLOG group ${d.group}${copy}] ${logLine(d.prefix, ctx.packet, ctx.host)}`);
    return { kind: 'continue' };
  },
};

export const ULOG: TargetEntry = {
  name: 'ULOG',
  fn: (d: UlogTarget, ctx) => {
    ctx.note(`[ULOG group ${d.nlGroup}: no kernel since 3.17 has this target, so the rule would not load] ${logLine(d.prefix, ctx.packet, ctx.host)}`);
    return { kind: 'continue' };
  },
};

export const TRACE: TargetEntry = {
  name: 'TRACE',
  fn: (_d: TraceTarget, ctx) => {
    extras(ctx.packet).nfTrace = true;
    ctx.note(
      `TRACE: tracing on for this packet — from the next rule on, iptables-legacy logs "TRACE: ${ctx.table}:<chain>:rule|return|policy:<n> IN=… OUT=…" for every rule it meets (iptables-nft: xtables-monitor --trace)`,
    );
    return { kind: 'continue' };
  },
};
