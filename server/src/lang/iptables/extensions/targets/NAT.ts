/**
 * DNAT, SNAT, MASQUERADE and REDIRECT (extensions/libxt_NAT.c, which serves
 * all four for IPv4 and IPv6; kernel net/netfilter/xt_nat.c,
 * xt_MASQUERADE.c, xt_REDIRECT.c). All live in the nat table:
 *
 *   DNAT       PREROUTING, OUTPUT        --to-destination, --random, --persistent
 *   SNAT       POSTROUTING, INPUT        --to-source, --random, --random-fully, --persistent
 *   MASQUERADE POSTROUTING               --to-ports, --random, --random-fully
 *   REDIRECT   PREROUTING, OUTPUT        --to-ports, --random
 *
 * Address ranges are `[ip[-ip]][:port[-port[/base]]]`, IPv6 addresses in
 * brackets when a port follows. A port needs the rule's `-p` (as parsed so
 * far) to be tcp, udp, sctp, dccp — or icmp, which iptables also lets through.
 * iptables picks DNAT revision 2 (shifted port maps allowed); SNAT,
 * MASQUERADE and REDIRECT use older revisions: SNAT and MASQUERADE drop the
 * `/base` port, REDIRECT refuses it.
 */
import { xtStrtoul } from '../../cnum';
import { defineExtension, type AnyExtension, type Hook } from '../../extension';
import { ipv4ToString, ipv6ToString, parseIpv6, type Family } from '../../inet';
import { serviceToPort } from '../../netdb';
import type { OptionCall } from '../../xtoptions';

export type NatAddress = { readonly family: 'ipv4'; readonly v4: number } | { readonly family: 'ipv6'; readonly v6: readonly number[] };

export interface NatPorts {
  /** First and last port (inclusive). */
  min: number;
  max: number;
  /**
   * Shifted port map (`a-b/base`, NF_NAT_RANGE_PROTO_OFFSET): the new port is
   * min + (original port - base). Targets whose revision has no room for the
   * base keep the flag with base 0.
   */
  base?: number;
}

export interface NatTarget {
  /** Address range to map to (NF_NAT_RANGE_MAP_IPS); iptables does not check min ≤ max. */
  addrs?: { min: NatAddress; max: NatAddress };
  /** Port range (NF_NAT_RANGE_PROTO_SPECIFIED). */
  ports?: NatPorts;
  /** --random: pick the port from a hash with random input. */
  random: boolean;
  /** --random-fully: fully random port choice. */
  randomFully: boolean;
  /** --persistent: same address for a client across connections. */
  persistent: boolean;
}

/** Protocols with ports (`portok` in libxt_NAT.c, which also lets icmp through). */
const PORT_PROTOS = new Set([6, 17, 132, 33, 1]);

/** glibc inet_pton(AF_INET): exactly four decimal parts, no leading zeros. */
export function inetPton4(text: string): number | undefined {
  let v = 0;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (text.charCodeAt(i) !== 46) return undefined;
      i++;
    }
    const start = i;
    let n = 0;
    while (i < text.length && i - start < 4) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || (len > 1 && text.charCodeAt(start) === 48) || n > 255) return undefined;
    v = v * 256 + n;
  }
  return i === text.length ? v >>> 0 : undefined;
}

function pton(text: string, family: Family): NatAddress | undefined {
  if (family === 'ipv4') {
    const v4 = inetPton4(text);
    return v4 === undefined ? undefined : { family, v4 };
  }
  const v6 = parseIpv6(text);
  return v6 ? { family, v6 } : undefined;
}

export function natAddressText(a: NatAddress): string {
  return a.family === 'ipv4' ? ipv4ToString(a.v4) : ipv6ToString(a.v6);
}

/** `parse_ports`: "p", "p-q", "p-q/base"; a single port may be a service name. */
function parsePorts(arg: string, portok: boolean, fail: (m: string) => never): NatPorts {
  if (!portok) {
    fail('Need TCP, UDP, SCTP or DCCP with port specification — a port needs the rule to say "-p tcp" (or udp, sctp, dccp) before this option.');
  }
  let port: number;
  let rest: string;
  const first = xtStrtoul(arg, 0, 0xffff, false);
  if (first) {
    port = Number(first.value);
    rest = arg.slice(first.end);
  } else {
    const s = serviceToPort(arg, null);
    if (s === undefined) fail(`Port \`${arg}' not valid`);
    port = s;
    rest = '';
  }
  if (rest === '') return { min: port, max: port };
  if (rest[0] === ':') fail('Invalid port:port syntax - use dash — write a port range as "1000-2000".');
  if (rest[0] !== '-') fail(`Garbage after port value: \`${rest}'`);
  const maxText = rest.slice(1);
  const second = xtStrtoul(maxText, 0, 0xffff, false);
  if (!second) fail(`Port \`${maxText}' not valid`);
  const max = Number(second.value);
  if (max < port) fail(`Port range \`${maxText}' funky — the first port must not be above the last.`);
  const after = maxText.slice(second.end);
  if (after === '') return { min: port, max };
  if (after[0] !== '/') fail(`Garbage after port range: \`${after}'`);
  const baseText = after.slice(1);
  const b = xtStrtoul(baseText, 1, 0xffff, false);
  let base: number;
  if (b) base = Number(b.value);
  else {
    const s = serviceToPort(baseText, null);
    if (s === undefined) fail(`Port \`${baseText}' not valid`);
    base = s;
  }
  return { min: port, max, base };
}

/** `parse_to`: `[ip[-ip]][:ports]`, IPv6 as `[ip[-ip]]:ports`. */
function parseTo(arg: string, portok: boolean, family: Family, d: NatTarget, fail: (m: string) => never): void {
  const lb = arg.indexOf('[');
  let addrText: string;
  let colon: number;
  if (lb < 0) {
    colon = arg.indexOf(':');
    // More than one colon: an IPv6 address, not a port.
    if (colon >= 0 && arg.indexOf(':', colon + 1) >= 0) colon = -1;
    addrText = colon >= 0 ? arg.slice(0, colon) : arg;
  } else {
    const rb = arg.indexOf(']', lb + 1);
    if (rb < 0 || family === 'ipv4') fail('Invalid address format — brackets are only for IPv6 addresses, and must be closed: "[2001:db8::1]:80".');
    addrText = arg.slice(lb + 1, rb);
    colon = arg.indexOf(':', rb + 1);
  }
  if (colon >= 0) {
    d.ports = parsePorts(arg.slice(colon + 1), portok, fail);
    // ":80" or "[]:80": ports only.
    if (colon === 0 || colon === 2) return;
  }
  const dash = addrText.indexOf('-');
  const minText = dash >= 0 ? addrText.slice(0, dash) : addrText;
  const min = pton(minText, family);
  if (!min) fail(`Bad IP address "${minText}"`);
  let max = min;
  if (dash >= 0) {
    const maxText = addrText.slice(dash + 1);
    const m = pton(maxText, family);
    if (!m) fail(`Bad IP address "${maxText}"`);
    max = m;
  }
  d.addrs = { min, max };
}

type NatName = 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT';

const O_TO_DEST = 0;
const O_TO_SRC = 1;
const O_TO_PORTS = 2;
const O_RANDOM = 3;
const O_RANDOM_FULLY = 4;
const O_PERSISTENT = 5;

const OPTION_DOCS: Record<number, string> = {
  [O_TO_DEST]: '[ip[-ip]][:port[-port[/base]]]: new destination (IPv6: [addr]:port)',
  [O_TO_SRC]: '[ip[-ip]][:port[-port]]: new source (IPv6: [addr]:port)',
  [O_TO_PORTS]: 'port[-port]: port range to map to (needs -p tcp/udp/sctp/dccp)',
  [O_RANDOM]: 'randomize the port choice',
  [O_RANDOM_FULLY]: 'fully randomize the port choice',
  [O_PERSISTENT]: 'give a client the same address on every connection',
};

function natParse(name: NatName, c: OptionCall<NatTarget>): void {
  const d = c.data;
  const fail = (m: string): never => c.fail(m);
  const portok = PORT_PROTOS.has(c.rule.protoNum ?? 0);
  switch (c.option.id) {
    case O_TO_DEST:
    case O_TO_SRC:
      parseTo(c.arg ?? '', portok, c.rule.family, d, fail);
      break;
    case O_TO_PORTS:
      d.ports = parsePorts(c.arg ?? '', portok, fail);
      break;
    case O_RANDOM:
      d.random = true;
      break;
    case O_RANDOM_FULLY:
      d.randomFully = true;
      break;
    case O_PERSISTENT:
      d.persistent = true;
      break;
  }
  // Older revisions keep the offset flag but have no field for the base port.
  if (name !== 'DNAT' && name !== 'REDIRECT' && d.ports?.base !== undefined) d.ports.base = 0;
}

function rangeText(d: NatTarget, family: Family, skipColon: boolean): string {
  let s = '';
  const brackets = family === 'ipv6' && d.ports !== undefined;
  if (d.addrs) {
    const min = natAddressText(d.addrs.min);
    const max = natAddressText(d.addrs.max);
    s += `${brackets ? '[' : ''}${min}${min !== max ? `-${max}` : ''}${brackets ? ']' : ''}`;
  }
  if (d.ports) {
    s += `:${d.ports.min}${d.ports.max !== d.ports.min ? `-${d.ports.max}` : ''}${d.ports.base !== undefined ? `/${d.ports.base}` : ''}`;
  }
  return skipColon && s.startsWith(':') ? s.slice(1) : s;
}

function describeRange(d: NatTarget): string {
  const parts: string[] = [];
  if (d.addrs) {
    const min = natAddressText(d.addrs.min);
    const max = natAddressText(d.addrs.max);
    parts.push(min === max ? min : `one of ${min}–${max}`);
  }
  if (d.ports) {
    const p = d.ports.min === d.ports.max ? `port ${d.ports.min}` : `a port in ${d.ports.min}–${d.ports.max}`;
    parts.push(d.ports.base !== undefined && d.ports.base !== 0 ? `${p} (shifted from base ${d.ports.base})` : p);
  }
  return parts.join(', ');
}

const flagsText = (d: NatTarget): string =>
  [d.random ? '--random' : '', d.randomFully ? '--random-fully' : '', d.persistent ? '--persistent' : ''].filter(Boolean).join(' ');

interface NatDef {
  readonly name: NatName;
  readonly hooks: readonly Hook[];
  readonly options: readonly number[];
  readonly rangeOpt?: number;
  readonly summary: string;
  readonly describe: (d: NatTarget) => string;
}

const OPTION_NAMES: Record<number, string> = {
  [O_TO_DEST]: 'to-destination',
  [O_TO_SRC]: 'to-source',
  [O_TO_PORTS]: 'to-ports',
  [O_RANDOM]: 'random',
  [O_RANDOM_FULLY]: 'random-fully',
  [O_PERSISTENT]: 'persistent',
};

function natSpec(def: NatDef): AnyExtension {
  return defineExtension<NatTarget>({
    kind: 'target',
    name: def.name,
    summary: def.summary,
    options: def.options.map((id) => ({
      name: OPTION_NAMES[id]!,
      id,
      type: id === O_TO_DEST || id === O_TO_SRC || id === O_TO_PORTS ? ('string' as const) : ('none' as const),
      ...(id === O_TO_DEST || id === O_TO_SRC ? { mand: true } : {}),
      doc: OPTION_DOCS[id]!,
    })),
    init: () => ({ random: false, randomFully: false, persistent: false }),
    parse: (c) => natParse(def.name, c),
    finalCheck(c) {
      if (def.name === 'REDIRECT' && c.data.ports?.base !== undefined) {
        c.fail('Shifted portmap ranges not supported with this kernel — REDIRECT takes "--to-ports first-last" without a "/base" port.');
      }
    },
    kernel: { table: 'nat', hooks: def.hooks },
    save(d) {
      // The address family only matters for brackets, which need an IPv6 address.
      const family: Family = d.addrs?.min.family ?? 'ipv4';
      const range = rangeText(d, family, def.rangeOpt === O_TO_PORTS);
      const opt = def.rangeOpt !== undefined && range !== '' ? `--${OPTION_NAMES[def.rangeOpt]} ${range}` : '';
      return [opt, flagsText(d)].filter(Boolean).join(' ');
    },
    describe: def.describe,
  });
}

const extras = (d: NatTarget): string =>
  [d.random ? 'random port choice' : '', d.randomFully ? 'fully random port choice' : '', d.persistent ? 'same address per client' : '']
    .filter(Boolean)
    .map((s) => `; ${s}`)
    .join('');

export const DNAT = natSpec({
  name: 'DNAT',
  hooks: ['PREROUTING', 'OUTPUT'],
  options: [O_TO_DEST, O_RANDOM, O_PERSISTENT],
  rangeOpt: O_TO_DEST,
  summary: 'Rewrites the destination address/port of a new connection (nat table, PREROUTING and OUTPUT).',
  describe: (d) => `rewrite the destination to ${describeRange(d) || 'the same address'}${extras(d)}`,
});

export const SNAT = natSpec({
  name: 'SNAT',
  hooks: ['POSTROUTING', 'INPUT'],
  options: [O_TO_SRC, O_RANDOM, O_RANDOM_FULLY, O_PERSISTENT],
  rangeOpt: O_TO_SRC,
  summary: 'Rewrites the source address/port of a new connection (nat table, POSTROUTING and INPUT).',
  describe: (d) => `rewrite the source to ${describeRange(d) || 'the same address'}${extras(d)}`,
});

export const MASQUERADE = natSpec({
  name: 'MASQUERADE',
  hooks: ['POSTROUTING'],
  options: [O_TO_PORTS, O_RANDOM, O_RANDOM_FULLY],
  rangeOpt: O_TO_PORTS,
  summary: "Rewrites the source to the outgoing interface's address (nat table, POSTROUTING); forgotten when the interface goes down.",
  describe: (d) => `rewrite the source to the outgoing interface's address${d.ports ? `, ${describeRange(d)}` : ''}${extras(d)}`,
});

export const REDIRECT = natSpec({
  name: 'REDIRECT',
  hooks: ['PREROUTING', 'OUTPUT'],
  options: [O_TO_PORTS, O_RANDOM],
  rangeOpt: O_TO_PORTS,
  summary: "Sends the connection to this host: destination becomes the incoming interface's address (127.0.0.1 / ::1 in OUTPUT).",
  describe: (d) => `deliver to this host${d.ports ? ` on ${describeRange(d)}` : ''}${extras(d)}`,
});
