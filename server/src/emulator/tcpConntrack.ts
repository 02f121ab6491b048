/**
 * TCP connection tracking's state machine (net/netfilter/nf_conntrack_proto_tcp.c: tcp_error,
 * tcp_conntracks, nf_conntrack_tcp_packet). Per packet, from the entry's state, the packet's
 * direction and flags: the next state, or "ignored" (the packet keeps its entry and nothing
 * changes), "invalid" (it loses the entry: INVALID) or "reopen" (a SYN on a closed entry: the entry
 * goes and the SYN starts a new one). Sequence numbers and windows (tcp_in_window) are not modelled:
 * every segment counts as in window (emulator README, "Deliberate differences").
 */
import type { CtDir } from './ct';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG } from './packet';

export type TcpState = 'NONE' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK' | 'TIME_WAIT' | 'CLOSE' | 'SYN_SENT2';
/** Which of SYN, SYN-ACK, FIN, ACK, RST (or none) the packet is, in the kernel's order of precedence (get_conntrack_index). */
export type TcpIndex = 'SYN' | 'SYNACK' | 'FIN' | 'ACK' | 'RST' | 'NONE';

/** What an entry remembers of its TCP connection (struct ip_ct_tcp, without the window data). */
export interface TcpTrack {
  state: TcpState;
  /** The last packet that changed the state or was ignored: its index and direction. */
  lastIndex: TcpIndex;
  lastDir: CtDir;
  /** Either side sent a FIN that started the close (IP_CT_TCP_FLAG_CLOSE_INIT): a new SYN reopens. */
  closeInit: boolean;
  /** Both sides sent a SYN (IP_CT_TCP_SIMULTANEOUS_OPEN). */
  simultaneousOpen: boolean;
  /** A SYN was ignored in LAST_ACK: the other side's next ACK may be a challenge ACK, not the last ACK (IP_CT_EXP_CHALLENGE_ACK). */
  challengeAck: boolean;
}

export type TcpStep =
  | { readonly kind: 'accept'; readonly from: TcpState; readonly to: TcpState; readonly index: TcpIndex }
  | { readonly kind: 'ignore'; readonly why: string }
  | { readonly kind: 'invalid'; readonly why: string }
  | { readonly kind: 'reopen' };

const ORDER: readonly TcpState[] = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];
type Cell = TcpState | 'IV' | 'IG';
const NO = 'NONE', SS = 'SYN_SENT', SR = 'SYN_RECV', ES = 'ESTABLISHED', FW = 'FIN_WAIT', CW = 'CLOSE_WAIT';
const LA = 'LAST_ACK', TW = 'TIME_WAIT', CL = 'CLOSE', S2 = 'SYN_SENT2', IV = 'IV', IG = 'IG';

/** tcp_conntracks[dir][index][state]; columns in ORDER (NONE … SYN_SENT2); IV invalid, IG ignored. */
const TABLE: Readonly<Record<CtDir, Readonly<Record<TcpIndex, readonly Cell[]>>>> = {
  ORIGINAL: {
    SYN: [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
    SYNACK: [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR],
    FIN: [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
    ACK: [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
    RST: [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    NONE: [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
  },
  REPLY: {
    SYN: [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
    SYNACK: [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
    FIN: [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
    ACK: [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
    RST: [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    NONE: [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
  },
};

/** Default timeouts in ms (nf_conntrack_proto_tcp.c tcp_timeouts); UNACK caps an entry that has seen no reply. */
export const TCP_TIMEOUT: Readonly<Record<TcpState | 'UNACK', number>> = {
  NONE: 0,
  SYN_SENT: 120_000,
  SYN_RECV: 60_000,
  ESTABLISHED: 432_000_000,
  FIN_WAIT: 120_000,
  CLOSE_WAIT: 60_000,
  LAST_ACK: 30_000,
  TIME_WAIT: 120_000,
  CLOSE: 10_000,
  SYN_SENT2: 120_000,
  UNACK: 300_000,
};

export function tcpIndex(flags: number): TcpIndex {
  if (flags & TCP_RST) return 'RST';
  if (flags & TCP_SYN) return flags & TCP_ACK ? 'SYNACK' : 'SYN';
  if (flags & TCP_FIN) return 'FIN';
  return flags & TCP_ACK ? 'ACK' : 'NONE';
}

/** The flag combinations tcp_error lets through, PSH, ECE and CWR aside (tcp_valid_flags). */
const VALID = new Set([TCP_SYN, TCP_SYN | TCP_URG, TCP_SYN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK, TCP_FIN | TCP_ACK, TCP_FIN | TCP_ACK | TCP_URG, TCP_ACK, TCP_ACK | TCP_URG]);
const CHECKED = TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK | TCP_URG;

/** Whether conntrack accepts the flags at all: any other combination makes the packet INVALID, with or without an entry. */
export function tcpFlagsValid(flags: number): boolean {
  return VALID.has(flags & CHECKED);
}

/** tcp_new: the state a packet of no known connection would open, or undefined when it opens none. */
export function tcpOpens(flags: number, loose: boolean): TcpState | undefined {
  const to = TABLE.ORIGINAL[tcpIndex(flags)][0]!;
  if (to === SS || (to === ES && loose)) return to;
  return undefined;
}

export function newTcpTrack(): TcpTrack {
  return { state: NO, lastIndex: 'NONE', lastDir: 'ORIGINAL', closeInit: false, simultaneousOpen: false, challengeAck: false };
}

/**
 * nf_conntrack_tcp_packet, for a packet whose flags tcpFlagsValid accepts: updates `t` and says what
 * the packet is. A SYN-ACK answering an ignored SYN is taken to acknowledge it (the kernel compares
 * sequence numbers, which the emulator does not keep).
 */
export function tcpStep(t: TcpTrack, dir: CtDir, flags: number): TcpStep {
  const index = tcpIndex(flags);
  let from = t.state;
  let to: Cell = TABLE[dir][index][ORDER.indexOf(from)]!;
  if (to === SS && (from === TW || from === CL)) {
    // A SYN on a closed connection reopens it when the close was a FIN exchange or this side's RST.
    if (t.closeInit || (t.lastDir === dir && t.lastIndex === 'RST')) return { kind: 'reopen' };
    to = IG;
  }
  if (to === IG) {
    if (index === 'SYNACK' && t.lastIndex === 'SYN' && t.lastDir !== dir) {
      from = SS;
      to = SR;
      t.challengeAck = false;
    } else {
      if (index === 'SYN' && dir === 'ORIGINAL') t.challengeAck = from === LA;
      t.lastIndex = index;
      t.lastDir = dir;
      return { kind: 'ignore', why: `a TCP ${index} packet conntrack ignores in state ${from}` };
    }
  }
  if (to === IV) {
    // The common case gets its likely cause: the answers never passed this host's conntrack.
    const why = from === SS && dir === 'ORIGINAL'
      ? `a TCP ${index} packet from the side that sent the SYN, before conntrack saw an answer (SYN-ACK): invalid in state SYN_SENT (are the answers NOTRACKed, or routed past this host?)`
      : `a TCP ${index} packet in the ${dir === 'ORIGINAL' ? 'original' : 'reply'} direction is invalid in state ${from}`;
    return { kind: 'invalid', why };
  }
  if (to === TW && from === LA && index === 'ACK' && t.lastDir !== dir && t.lastIndex === 'SYN' && t.challengeAck) {
    t.challengeAck = false;
    return { kind: 'ignore', why: 'a challenge ACK to a SYN in LAST_ACK, not the last ACK' };
  }
  if (to === S2) t.simultaneousOpen = true;
  if (to === SR && dir === 'REPLY' && index === 'ACK' && t.simultaneousOpen) to = ES;
  t.lastIndex = index;
  t.lastDir = dir;
  if (to === FW && from !== FW) t.closeInit = true;
  t.state = to;
  return { kind: 'accept', from, to, index };
}
