/**
 * Hand-made TCP segments written from a raw socket inside a namespace (python3): flags, sequence
 * numbers and payload a real stack would never send on its own (a lone ACK, a SYN-FIN, an XMAS scan),
 * so that conntrack's state machine and tcp_error meet them. A segment with SYN carries an MSS
 * option, as every real SYN does (TCPMSS would otherwise add one, and the emulator takes a SYN to
 * have it). Window 65535; checksummed, so conntrack's checksum test passes.
 */
import { spawnSync } from 'node:child_process';

/** argv: src dst sport dport flags seq ack bytes mark (mark 0: none). */
const SEND = `
import socket, struct, sys
src, dst = sys.argv[1], sys.argv[2]
sport, dport, flags, seq, ack, n, mark = map(int, sys.argv[3:])
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
opts = b'\\x02\\x04\\x05\\xb4' if flags & 2 else b''
data = b'x' * n
hdr = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, (5 + len(opts) // 4) << 4, flags, 65535, 0, 0) + opts
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(hdr) + n)
hdr = hdr[:16] + struct.pack('!H', csum(pseudo + hdr + data)) + hdr[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
if mark: s.setsockopt(socket.SOL_SOCKET, 36, mark)
s.bind((src, 0))
try:
    s.sendto(hdr + data, (dst, 0))
except OSError as e:
    # A rule of the sender's dropped it on the way out (EPERM), or no route: what the trace shows is the answer.
    print(e, file=sys.stderr)
`;

export interface Segment {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  /** Payload bytes. */
  readonly bytes: number;
  /** SO_MARK (0: none). */
  readonly mark?: number;
}

/** Writes the segment from namespace `ns`; throws when python fails. */
export function sendSegment(ns: string, s: Segment): void {
  const args = [s.src, s.dst, s.sport, s.dport, s.flags, s.seq, s.ack, s.bytes, s.mark ?? 0].map(String);
  const r = spawnSync('ip', ['netns', 'exec', ns, 'python3', '-c', SEND, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`segment ${JSON.stringify(s)} from ${ns}: ${r.stderr || r.error?.message}`);
}
