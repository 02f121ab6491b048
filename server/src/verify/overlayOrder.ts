/**
 * The order of an overlay conversation's host crossings. Each host's kernel
 * trace is in order, but the hosts are traced apart; a datagram one host
 * sends is received by another. So: a received datagram comes after the
 * crossing that sent it (same IP id and length; NAT may have changed its
 * addresses), and right after it when it can; otherwise hosts take turns in
 * workspace order. Pure.
 */
import type { KPacket } from './kernelTrace';

export interface Crossing<T> {
  readonly host: string;
  /** Absent for a packet only the emulator sent. */
  readonly kernel?: { readonly start: 'pre' | 'out'; readonly packet: KPacket };
  readonly item: T;
}

const sameDatagram = (a: KPacket, b: KPacket): boolean => a.ipId === b.ipId && a.len === b.len;

/** Every host's crossings (each list in that host's order), merged in the conversation's order. */
export function conversationOrder<T>(hosts: readonly string[], perHost: ReadonlyMap<string, readonly Crossing<T>[]>): Crossing<T>[] {
  const all = hosts.flatMap((h) => perHost.get(h) ?? []);
  // Each received datagram's sender: the first unclaimed crossing on another host that sent it.
  const senderOf = new Map<Crossing<T>, Crossing<T>>();
  const claimed = new Set<Crossing<T>>();
  for (const c of all) {
    if (c.kernel?.start !== 'pre') continue;
    const s = all.find((o) => !claimed.has(o) && o.host !== c.host && o.kernel?.start === 'out' && sameDatagram(o.kernel.packet, c.kernel!.packet));
    if (s) {
      senderOf.set(c, s);
      claimed.add(s);
    }
  }
  const receiverOf = new Map([...senderOf].map(([r, s]) => [s, r]));
  const queues = new Map(hosts.map((h) => [h, [...(perHost.get(h) ?? [])]]));
  const done = new Set<Crossing<T>>();
  const out: Crossing<T>[] = [];
  const ready = (c: Crossing<T>): boolean => !senderOf.has(c) || done.has(senderOf.get(c)!);
  const emit = (c: Crossing<T>): void => {
    queues.get(c.host)!.shift();
    done.add(c);
    out.push(c);
  };
  while (out.length < all.length) {
    const last = out[out.length - 1];
    const next = last && receiverOf.get(last);
    if (next && queues.get(next.host)![0] === next) {
      emit(next);
      continue;
    }
    const heads = hosts.map((h) => queues.get(h)![0]).filter((c): c is Crossing<T> => c !== undefined);
    emit(heads.find(ready) ?? heads[0]!);
  }
  return out;
}
