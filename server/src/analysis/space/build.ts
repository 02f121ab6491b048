/**
 * The Space of one ruleset: the interface names its rules and the host
 * mention (with an "other" entry per wildcard prefix), and the mark and
 * connection-mark bits some rule tests.
 */
import type { EmuRuleset } from '../../emulator/compile';
import type { HostModel } from '../../emulator/host/model';
import type { ConnmarkMatch } from '../../lang/iptables/extensions/matches/connmark';
import type { MarkMatch } from '../../lang/iptables/extensions/matches/mark';
import { IfaceTable, makeSpace, MarkBits, type Space } from './fields';
import { fromRanges, type IntSet } from './intSet';
import type { AddressFacts } from './ruleMatch';

export function buildSpace(rs: EmuRuleset, host?: HostModel): Space {
  const names = new Set<string>(host ? [...host.ifaces.keys()] : []);
  const prefixes = new Set<string>();
  let mark = 0;
  let connmark = 0;
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        for (const i of [r.iif, r.oif]) {
          if (!i) continue;
          if (i.prefix) prefixes.add(i.name);
          else names.add(i.name);
        }
        for (const m of r.matches) {
          if (m.name === 'mark') mark |= (m.use.data as MarkMatch).mask;
          if (m.name === 'connmark') connmark |= (m.use.data as ConnmarkMatch).mask;
        }
      }
    }
  }
  prefixes.delete('');
  return makeSpace(new IfaceTable(names, prefixes), new MarkBits(mark >>> 0), new MarkBits(connmark >>> 0));
}

/** The host's own and broadcast addresses, for addrtype. */
export function addressFacts(host: HostModel): AddressFacts {
  const local: Array<[number, number]> = [[0x7f000000, 0x7fffffff]];
  const broadcast: Array<[number, number]> = [];
  for (const i of host.ifaces.values()) {
    for (const a of i.addrs) {
      local.push([a.addr, a.addr]);
      if (a.prefix < 31) {
        const bc = (a.addr | ((2 ** (32 - a.prefix)) - 1)) >>> 0;
        broadcast.push([bc, bc]);
      }
    }
  }
  const l: IntSet = fromRanges(local);
  return { local: l, broadcast: fromRanges(broadcast) };
}
