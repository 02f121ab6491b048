/**
 * REJECT target, IPv4 and IPv6 (extensions/libipt_REJECT.c, libip6t_REJECT.c;
 * kernel net/ipv4/netfilter/ipt_REJECT.c, net/ipv6/netfilter/ip6t_REJECT.c).
 *
 * `--reject-with` takes any case-insensitive prefix of a type's name or alias
 * (the first table entry that fits wins, so "" and "icmp" mean
 * icmp-net-unreachable). The kernel keeps REJECT to the filter table,
 * INPUT/FORWARD/OUTPUT, and refuses tcp-reset unless the rule says `-p tcp`.
 */
import { defineExtension, type AnyExtension, type KernelRestrictions } from '../../extension';
import type { Family } from '../../inet';

export type RejectWith4 =
  | 'icmp-net-unreachable'
  | 'icmp-host-unreachable'
  | 'icmp-proto-unreachable'
  | 'icmp-port-unreachable'
  | 'icmp-net-prohibited'
  | 'icmp-host-prohibited'
  | 'tcp-reset'
  | 'icmp-admin-prohibited';

export type RejectWith6 =
  | 'icmp6-no-route'
  | 'icmp6-adm-prohibited'
  | 'icmp6-addr-unreachable'
  | 'icmp6-port-unreachable'
  | 'tcp-reset'
  | 'icmp6-policy-fail'
  | 'icmp6-reject-route';

export interface RejectTarget<W extends string = RejectWith4 | RejectWith6> {
  /** What is sent back before the packet is dropped (canonical name). */
  with: W;
}

/** ICMP destination-unreachable codes (type 3) the IPv4 kernel sends. */
export const REJECT4_ICMP_CODE: Readonly<Record<Exclude<RejectWith4, 'tcp-reset'>, number>> = {
  'icmp-net-unreachable': 0,
  'icmp-host-unreachable': 1,
  'icmp-proto-unreachable': 2,
  'icmp-port-unreachable': 3,
  'icmp-net-prohibited': 9,
  'icmp-host-prohibited': 10,
  'icmp-admin-prohibited': 13,
};

/** ICMPv6 destination-unreachable codes (type 1) the IPv6 kernel sends. */
export const REJECT6_ICMP_CODE: Readonly<Record<Exclude<RejectWith6, 'tcp-reset'>, number>> = {
  'icmp6-no-route': 0,
  'icmp6-adm-prohibited': 1,
  'icmp6-addr-unreachable': 3,
  'icmp6-port-unreachable': 4,
  'icmp6-policy-fail': 5,
  'icmp6-reject-route': 6,
};

interface RejectType<W> {
  readonly name: W;
  readonly alias: string;
  readonly words: string;
}

/** In the order of iptables' tables (the order prefixes are tried in). */
const TYPES4: readonly RejectType<RejectWith4>[] = [
  { name: 'icmp-net-unreachable', alias: 'net-unreach', words: 'an ICMP "network unreachable"' },
  { name: 'icmp-host-unreachable', alias: 'host-unreach', words: 'an ICMP "host unreachable"' },
  { name: 'icmp-proto-unreachable', alias: 'proto-unreach', words: 'an ICMP "protocol unreachable"' },
  { name: 'icmp-port-unreachable', alias: 'port-unreach', words: 'an ICMP "port unreachable"' },
  { name: 'icmp-net-prohibited', alias: 'net-prohib', words: 'an ICMP "network prohibited"' },
  { name: 'icmp-host-prohibited', alias: 'host-prohib', words: 'an ICMP "host prohibited"' },
  { name: 'tcp-reset', alias: 'tcp-rst', words: 'a TCP RST' },
  { name: 'icmp-admin-prohibited', alias: 'admin-prohib', words: 'an ICMP "administratively prohibited"' },
];

const TYPES6: readonly RejectType<RejectWith6>[] = [
  { name: 'icmp6-no-route', alias: 'no-route', words: 'an ICMPv6 "no route"' },
  { name: 'icmp6-adm-prohibited', alias: 'adm-prohibited', words: 'an ICMPv6 "administratively prohibited"' },
  { name: 'icmp6-addr-unreachable', alias: 'addr-unreach', words: 'an ICMPv6 "address unreachable"' },
  { name: 'icmp6-port-unreachable', alias: 'port-unreach', words: 'an ICMPv6 "port unreachable"' },
  { name: 'tcp-reset', alias: 'tcp-reset', words: 'a TCP RST' },
  { name: 'icmp6-policy-fail', alias: 'policy-fail', words: 'an ICMPv6 "policy failed"' },
  { name: 'icmp6-reject-route', alias: 'reject-route', words: 'an ICMPv6 "reject route"' },
];

/** strncasecmp(full, arg, strlen(arg)) == 0: arg is a case-insensitive prefix. */
const isPrefix = (arg: string, full: string): boolean => full.toLowerCase().startsWith(arg.toLowerCase());

const kernel: KernelRestrictions<RejectTarget> = {
  table: 'filter',
  hooks: ['INPUT', 'FORWARD', 'OUTPUT'],
  check: (ctx) =>
    ctx.data.with === 'tcp-reset' && (ctx.protoNum !== 6 || ctx.protoInvert)
      ? 'TCP_RESET invalid for non-tcp — "--reject-with tcp-reset" needs the rule to say "-p tcp" (not negated). The kernel refuses the rule.'
      : undefined,
};

function rejectSpec<W extends string>(family: Family, types: readonly RejectType<W>[], dflt: W): AnyExtension {
  const words = new Map(types.map((t) => [t.name, t.words]));
  return defineExtension<RejectTarget<W>>({
    kind: 'target',
    name: 'REJECT',
    family,
    summary: 'Drops the packet and answers the sender with an ICMP error (default: port unreachable) or a TCP reset.',
    options: [
      { name: 'reject-with', id: 0, type: 'string', doc: `reply type: ${types.map((t) => t.name).join(', ')} (aliases and prefixes accepted)` },
    ],
    init: () => ({ with: dflt }),
    parse(c) {
      const arg = c.arg ?? '';
      const hit = types.find((t) => isPrefix(arg, t.name) || isPrefix(arg, t.alias));
      if (hit) {
        c.data.with = hit.name;
        return;
      }
      if (family === 'ipv4' && (isPrefix(arg, 'echo-reply') || isPrefix(arg, 'echoreply'))) {
        c.fail(`unknown reject type "${arg}" — --reject-with echo-reply is no longer supported.`);
      }
      c.fail(`unknown reject type "${arg}" — valid types: ${types.map((t) => t.name).join(', ')}.`);
    },
    kernel: kernel as KernelRestrictions<RejectTarget<W>>,
    save: (d) => `--reject-with ${d.with}`,
    describe: (d) => `drop the packet and send back ${words.get(d.with) ?? d.with}`,
  });
}

export const REJECT4 = rejectSpec<RejectWith4>('ipv4', TYPES4, 'icmp-port-unreachable');
export const REJECT6 = rejectSpec<RejectWith6>('ipv6', TYPES6, 'icmp6-port-unreachable');
