/**
 * Packet metadata some targets need that `Packet` does not carry yet (asked
 * for in the targets report). They live as optional fields on the packet
 * object, so clonePacket() keeps them; once packet.ts declares them this
 * file only re-exports the type.
 *
 * - `tcpMss`: the value of the TCP MSS option (kind 2) when `tcpOptions`
 *   lists it. TCPMSS reads and lowers it; without it TCPMSS can only say
 *   what the kernel would do.
 * - `priority`: skb->priority, set by CLASSIFY (tc class MAJOR:MINOR).
 * - `nfTrace`: skb->nf_trace, set by TRACE.
 */
import type { Packet } from '../packet';

export interface PacketExtras {
  tcpMss?: number;
  priority?: number;
  nfTrace?: boolean;
}

export function extras(p: Packet): PacketExtras {
  return p as Packet & PacketExtras;
}

/** "0x1f" (what iptables and the kernel print for marks). */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** new = (old & ~mask) ^ value, unsigned 32-bit (MARK, CONNMARK --set-xmark, TPROXY --tproxy-mark). */
export function xmark(old: number, value: number, mask: number): number {
  return ((old & ~mask) ^ value) >>> 0;
}
