/**
 * NAT bindings (net/netfilter/nf_nat_core.c): a connection's first packet
 * at a NAT hook sets up the binding its nat chain asked for (or a null one),
 * which rewrites its reply tuple; nf_nat_packet() then rewrites every packet
 * of the connection from the two tuples, in both directions.
 */
import type { Rng } from './clock';
import type { NatRequest } from './context';
import { CT_DST_NAT, CT_DST_NAT_DONE, CT_SRC_NAT, CT_SRC_NAT_DONE, invertTuple, type Conn, type CtDir, type Tuple } from './ct';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, type Packet } from './packet';

export type Manip = 'src' | 'dst';

export function natDone(conn: Conn, manip: Manip): boolean {
  return (conn.status & (manip === 'src' ? CT_SRC_NAT_DONE : CT_DST_NAT_DONE)) !== 0;
}

export function markNatDone(conn: Conn, manip: Manip): void {
  conn.status |= manip === 'src' ? CT_SRC_NAT_DONE : CT_DST_NAT_DONE;
}

const hasPorts = (proto: number): boolean => proto === PROTO_TCP || proto === PROTO_UDP || proto === 132 || proto === 33 || proto === 136;

/** The port range the kernel searches when the original port is taken (nf_nat_l4proto_unique_tuple). */
function defaultPortRange(orig: number): [number, number] {
  if (orig < 512) return [1, 511];
  if (orig < 1024) return [600, 1023];
  return [1024, 65535];
}

export interface Binding {
  readonly addr: number;
  readonly port: number;
  /** Words for the trace ("one address of 10.0.0.5-10.0.0.9, chosen per connection"). */
  readonly notes: readonly string[];
}

/**
 * Chooses the new address and port for a NAT request. `fixedAddr` is the
 * address MASQUERADE/REDIRECT take from the interface; `taken` tells
 * whether a resulting reply tuple is already in use.
 */
export function chooseBinding(req: NatRequest, conn: Conn, manip: Manip, fixedAddr: number | undefined, rng: Rng, taken: (t: Tuple) => boolean): Binding | undefined {
  const orig = conn.orig;
  const notes: string[] = [];
  const origAddr = manip === 'src' ? orig.src : orig.dst;
  const origPort = manip === 'src' ? orig.sport : orig.dport;
  let addr: number;
  if (req.netmap) {
    const m = req.netmap.prefix === 0 ? 0 : (0xffffffff << (32 - req.netmap.prefix)) >>> 0;
    addr = ((req.netmap.addr & m) | (origAddr & ~m)) >>> 0;
  } else if (fixedAddr !== undefined) {
    addr = fixedAddr;
  } else if (req.addrMin !== undefined) {
    const lo = req.addrMin >>> 0;
    const hi = (req.addrMax ?? req.addrMin) >>> 0;
    if (hi > lo) {
      addr = lo + (rng.uint32() % (hi - lo + 1));
      notes.push('the kernel picks one address of the range per connection (by hash); this trace picked one at random');
    } else addr = lo;
  } else addr = origAddr;
  let port = origPort;
  if (hasPorts(orig.proto)) {
    const [pmin, pmax] = req.portMin !== undefined ? [req.portMin, req.portMax ?? req.portMin] : [origPort, origPort];
    const replyWith = (a: number, p: number): Tuple => {
      const t = manip === 'src' ? { ...orig, src: a, sport: p } : { ...orig, dst: a, dport: p };
      return invertTuple(t);
    };
    const inRange = origPort >= pmin && origPort <= pmax;
    if (!(inRange && !taken(replyWith(addr, origPort))) || req.random) {
      const [lo, hi] = req.portMin !== undefined ? [pmin, pmax] : defaultPortRange(origPort);
      const start = req.random ? lo + (rng.uint32() % (hi - lo + 1)) : lo;
      let found: number | undefined;
      for (let i = 0; i <= hi - lo; i++) {
        const p = lo + ((start - lo + i) % (hi - lo + 1));
        if (!taken(replyWith(addr, p))) {
          found = p;
          break;
        }
      }
      if (found === undefined) return undefined;
      if (found !== origPort) notes.push(inRange ? `port ${origPort} was taken, so ${found} was chosen` : `port ${found} chosen from ${lo}-${hi}`);
      port = found;
    }
  } else if (orig.proto === PROTO_ICMP) {
    port = origPort; // the echo identifier stays
  }
  return { addr, port, notes };
}

/** Records a binding in the connection: its reply tuple changes and the status says so. */
export function applyBinding(conn: Conn, manip: Manip, b: Binding): void {
  const r = conn.reply;
  if (manip === 'dst') {
    conn.reply = { ...r, src: b.addr, sport: hasPorts(r.proto) ? b.port : r.sport };
    if (b.addr !== conn.orig.dst || (hasPorts(r.proto) && b.port !== conn.orig.dport)) conn.status |= CT_DST_NAT;
  } else {
    conn.reply = { ...r, dst: b.addr, dport: hasPorts(r.proto) ? b.port : r.dport };
    if (b.addr !== conn.orig.src || (hasPorts(r.proto) && b.port !== conn.orig.sport)) conn.status |= CT_SRC_NAT;
  }
  markNatDone(conn, manip);
}

/**
 * nf_nat_packet(): rewrites the packet for this manip type, from the
 * connection's tuples. In the reply direction the roles swap: DST hooks undo
 * SNAT, SRC hooks undo DNAT. Returns whether anything changed.
 */
export function natPacket(p: Packet, conn: Conn, dir: CtDir, manip: Manip): boolean {
  const bit = manip === 'dst' ? (dir === 'ORIGINAL' ? CT_DST_NAT : CT_SRC_NAT) : dir === 'ORIGINAL' ? CT_SRC_NAT : CT_DST_NAT;
  if (!(conn.status & bit)) return false;
  // The packet must end up looking like the inverse of the other direction's tuple.
  const target = dir === 'ORIGINAL' ? invertTuple(conn.reply) : invertTuple(conn.orig);
  const ports = hasPorts(p.proto);
  if (manip === 'dst') {
    const changed = p.dst !== target.dst || (ports && p.dport !== target.dport);
    p.dst = target.dst;
    if (ports) p.dport = target.dport;
    return changed;
  }
  const changed = p.src !== target.src || (ports && p.sport !== target.sport);
  p.src = target.src;
  if (ports) p.sport = target.sport;
  return changed;
}
