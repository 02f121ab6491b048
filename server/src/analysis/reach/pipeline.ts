/**
 * The hooks in the order packets meet them, and the tables at each hook in
 * priority order, with conntrack between raw and mangle: the flows entering
 * the host (PREROUTING) and leaving its processes (OUTPUT) pushed through
 * every table, routed to INPUT or FORWARD, and out through POSTROUTING.
 * Routing is free unless a host model says which addresses are local: a
 * packet may then be delivered or forwarded, whichever its rules allow.
 */
import type { EmuRuleset } from '../../emulator/compile';
import type { Hook } from '../../lang/iptables/extension';
import { CT_STATES, Field, NO_IFACE, type Space } from '../space/fields';
import { fromRanges, range, single, subtract, type IntSet } from '../space/intSet';
import { all, assign, intersectSets, mapField, subtractSets, where, type PacketSet } from '../space/packetSet';
import { flowOf, join, restrict, type Flow } from './flow';
import { Recorder, Walker } from './walk';

const ORDER: Readonly<Record<Hook, readonly string[]>> = {
  PREROUTING: ['raw', 'conntrack', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'conntrack', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

const ct = (names: readonly string[]): IntSet => fromRanges(names.map((n) => CT_STATES.indexOf(n as never)).map((i) => [i, i] as [number, number]));

export interface PipelineOptions {
  /** The host's own addresses: packets to them go to INPUT, the rest to FORWARD. */
  readonly local?: IntSet;
}

export class Pipeline {
  constructor(
    private readonly rs: EmuRuleset,
    private readonly space: Space,
    readonly rec: Recorder,
  ) {}

  private anyIface(): IntSet {
    return range(1, this.space.max[Field.Iif]!);
  }

  /** Packets arriving on an interface, before conntrack has seen them. */
  arriving(): PacketSet {
    let s = where(this.space, Field.Iif, this.anyIface());
    s = intersectSets(s, where(this.space, Field.Oif, single(NO_IFACE)));
    return intersectSets(s, where(this.space, Field.Ct, ct(['INVALID'])));
  }

  /** Packets local processes send, routed (they have an output interface at OUTPUT). */
  leaving(): PacketSet {
    let s = where(this.space, Field.Iif, single(NO_IFACE));
    s = intersectSets(s, where(this.space, Field.Oif, this.anyIface()));
    return intersectSets(s, where(this.space, Field.Ct, ct(['INVALID'])));
  }

  /** Every table at a hook, in order: what comes out. */
  hook(hook: Hook, entry: Flow): Flow {
    let f = entry;
    for (const name of ORDER[hook]) {
      if (name === 'conntrack') {
        f = this.conntrack(f);
        continue;
      }
      const table = this.rs.tables.get(name);
      if (!table || !table.chains.get(hook)) continue;
      if (name === 'nat') {
        // nat chains see only a connection's first packet, and only when conntrack runs.
        if (!this.rs.conntrackActive) continue;
        const fresh = where(this.space, Field.Ct, ct(['NEW']));
        const first = restrict(f, fresh);
        const others = { may: subtractSets(f.may, fresh), must: subtractSets(f.must, fresh) };
        f = join(others, new Walker(table, hook, this.rec).run(first));
        continue;
      }
      f = new Walker(table, hook, this.rec).run(f);
    }
    return f;
  }

  /** Conntrack looks the packet up: untracked ones stay so; the others become NEW, ESTABLISHED, RELATED or INVALID. */
  private conntrack(f: Flow): Flow {
    if (!this.rs.conntrackActive) return f;
    const none = where(this.space, Field.Ct, ct(['INVALID']));
    const states = ct(['INVALID', 'NEW', 'ESTABLISHED', 'RELATED']);
    const step = (s: PacketSet): PacketSet => {
      const looked = assign(intersectSets(s, none), Field.Ct, states);
      return [...subtractSets(s, none), ...looked];
    };
    // A TCP packet surely starts a connection only when it is a bare SYN.
    const oddNew = intersectSets(intersectSets(where(this.space, Field.Ct, ct(['NEW'])), where(this.space, Field.Proto, single(6))), where(this.space, Field.TcpFlags, subtract(range(0, 255), single(2))));
    return { may: step(f.may), must: subtractSets(step(f.must), oddNew) };
  }

  /** The whole host: returns nothing, fills the recorder. */
  runAll(opts: PipelineOptions = {}): void {
    const pre = this.hook('PREROUTING', flowOf(this.arriving()));
    const toLocal = opts.local ? where(this.space, Field.Dst, opts.local) : all(this.space);
    const toOthers = opts.local ? where(this.space, Field.Dst, subtract(range(0, 0xffffffff), opts.local)) : all(this.space);
    this.hook('INPUT', restrict(pre, toLocal));
    // Forwarded: routed to some interface, TTL decremented (a packet with TTL 1 is answered with time exceeded instead).
    const routed = restrict(pre, intersectSets(toOthers, where(this.space, Field.Ttl, range(2, 255))));
    const fwdIn: Flow = {
      may: mapField(assign(routed.may, Field.Oif, this.anyIface()), Field.Ttl, (v) => v - 1),
      must: mapField(assign(routed.must, Field.Oif, this.anyIface()), Field.Ttl, (v) => v - 1),
    };
    const fwd = this.hook('FORWARD', fwdIn);
    const out = this.hook('OUTPUT', flowOf(this.leaving()));
    this.hook('POSTROUTING', join(fwd, out));
  }
}
