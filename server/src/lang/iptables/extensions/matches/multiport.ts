/**
 * multiport match, revision 1 (extensions/libxt_multiport.c; kernel
 * net/netfilter/xt_multiport.c). Up to 15 ports in one rule, where a range
 * a:b takes two of the 15 slots. The "-p tcp/udp/udplite/sctp/dccp" demand
 * is checked by iptables itself while it parses the option, so "-p" must come
 * before "--dports" on the line.
 */
import { defineExtension } from '../../extension';
import { portByName } from '../../xtoptions';

/** Which header field the list is compared with. */
export type MultiportField = 'source' | 'destination' | 'either';

export interface MultiportMatch {
  /** --sports (source), --dports (destination) or --ports (either); unset until an option is seen. */
  field?: MultiportField;
  /** The list in order: a single port is [p, p], a range a:b is [a, b] with a < b. */
  ports: Array<[number, number]>;
  /** Kernel slots used (ranges take two): 1..15. */
  slots: number;
  /** `! --dports …`: matches when no entry does. */
  invert: boolean;
}

const O_SOURCE = 0;
const O_DEST = 1;
const O_EITHER = 2;
const ALL = [O_SOURCE, O_DEST, O_EITHER];
/** XT_MULTI_PORTS */
export const MULTIPORT_SLOTS = 15;

const PROTO_NAMES: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 136: 'udplite', 132: 'sctp', 33: 'dccp' };

const FIELD_OF: Readonly<Record<number, MultiportField>> = { [O_SOURCE]: 'source', [O_DEST]: 'destination', [O_EITHER]: 'either' };
const OPTION_OF: Readonly<Record<MultiportField, string>> = { source: '--sports', destination: '--dports', either: '--ports' };

/** parse_multi_ports_v1: "p,a:b,…" into at most 15 slots. */
function parsePortList(text: string, proto: string, fail: (m: string) => never): { ports: Array<[number, number]>; slots: number } {
  const one = (s: string): number => {
    const p = portByName(s, proto);
    if (p === undefined) fail(`invalid port/service \`${s}' specified`);
    return p;
  };
  const ports: Array<[number, number]> = [];
  const items = text.split(',');
  let slots = 0;
  for (let i = 0; i < items.length; i++) {
    if (slots >= MULTIPORT_SLOTS) fail(`too many ports specified — at most ${MULTIPORT_SLOTS} ports fit in one multiport match (a range counts as two).`);
    const item = items[i]!;
    const colon = item.indexOf(':');
    if (colon < 0) {
      const p = one(item);
      ports.push([p, p]);
      slots++;
      continue;
    }
    if (slots === MULTIPORT_SLOTS - 1) fail(`too many ports specified — a range needs two of the ${MULTIPORT_SLOTS} slots and only one is left.`);
    const lo = one(item.slice(0, colon));
    const hi = one(item.slice(colon + 1));
    if (lo >= hi) fail('invalid portrange specified — the first port of a range must be lower than the second.');
    ports.push([lo, hi]);
    slots += 2;
  }
  return { ports, slots };
}

export const multiport = defineExtension<MultiportMatch>({
  kind: 'match',
  name: 'multiport',
  summary: 'Matches a list of up to 15 ports or port ranges (needs -p tcp, udp, udplite, sctp or dccp before it).',
  options: [
    { name: 'source-ports', id: O_SOURCE, type: 'string', invert: true, excl: ALL, doc: 'source port list: port[,port:port,…]' },
    { name: 'sports', id: O_SOURCE, type: 'string', invert: true, excl: ALL, doc: 'source port list: port[,port:port,…]' },
    { name: 'destination-ports', id: O_DEST, type: 'string', invert: true, excl: ALL, doc: 'destination port list: port[,port:port,…]' },
    { name: 'dports', id: O_DEST, type: 'string', invert: true, excl: ALL, doc: 'destination port list: port[,port:port,…]' },
    { name: 'ports', id: O_EITHER, type: 'string', invert: true, excl: ALL, doc: 'port list matched against source or destination port' },
  ],
  init: () => ({ ports: [], slots: 0, invert: false }),
  parse(c) {
    // check_proto(): reads the "-p" given so far on the line.
    if (c.rule.protoInvert) {
      c.fail('multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP — "! -p" does not pin the protocol.');
    }
    const num = c.rule.protoNum ?? 0;
    const proto = PROTO_NAMES[num];
    if (proto === undefined) {
      return num === 0
        ? c.fail("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp' — and the -p must come before the multiport options.")
        : c.fail(`multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP — not with protocol ${c.rule.protocol ?? num}.`);
    }
    const r = parsePortList(c.arg ?? '', proto, (m) => c.fail(m));
    c.data.ports = r.ports;
    c.data.slots = r.slots;
    c.data.field = FIELD_OF[c.option.id];
    if (c.invert) c.data.invert = true;
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('multiport expection an option — give --sports, --dports or --ports.');
  },
  save(d) {
    if (!d.field) return '';
    const list = d.ports.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}:${hi}`)).join(',');
    return `${d.invert ? '! ' : ''}${OPTION_OF[d.field]} ${list}`;
  },
  describe(d) {
    const list = d.ports.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}–${hi}`)).join(', ');
    const where = d.field === 'source' ? 'source port' : d.field === 'destination' ? 'destination port' : 'source or destination port';
    return `${where} ${d.invert ? 'not ' : ''}in {${list}}`;
  },
});
