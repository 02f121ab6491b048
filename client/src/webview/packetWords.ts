/** Packets and conntrack tuples of the JSON trace in the words the story uses: "tcp 10.0.0.2:4242 → 10.0.0.1:80 [SYN]". */
import { flagsText, protoName } from '../../../server/src/emulator/packet';
import type { JsonPacket, JsonTuple } from '../../../server/src/trace/jsonEvent';

const hasPorts = (proto: number): boolean => proto === 6 || proto === 17;

function end(addr: string, port: number, proto: number): string {
  return hasPorts(proto) ? `${addr}:${port}` : addr;
}

export function packetWords(p: JsonPacket): string {
  const extra = p.proto === 6 ? ` [${flagsText(p.tcpFlags ?? 0)}]` : p.proto === 1 ? ` [type ${p.icmpType ?? 0} code ${p.icmpCode ?? 0}]` : '';
  return `${protoName(p.proto)} ${end(p.src, p.sport, p.proto)} → ${end(p.dst, p.dport, p.proto)}${extra}`;
}

export function tupleWords(t: JsonTuple): string {
  return `${end(t.src, t.sport, t.proto)} → ${end(t.dst, t.dport, t.proto)}`;
}

/** What a rewrite changed: "destination 10.10.126.101:12580 → 172.17.0.4:12580". */
export function changeWords(a: JsonPacket, b: JsonPacket): string {
  const parts: string[] = [];
  if (a.src !== b.src || a.sport !== b.sport) parts.push(`source ${end(a.src, a.sport, a.proto)} → ${end(b.src, b.sport, b.proto)}`);
  if (a.dst !== b.dst || a.dport !== b.dport) parts.push(`destination ${end(a.dst, a.dport, a.proto)} → ${end(b.dst, b.dport, b.proto)}`);
  if (a.mark !== b.mark) parts.push(`mark 0x${a.mark.toString(16)} → 0x${b.mark.toString(16)}`);
  return parts.join(', ') || 'no address or port changes';
}
