/**
 * Catalogued matches on connections, policies and rates: connbytes,
 * connlabel, connlimit, ipvs, policy, rateest (iptables 1.8.9
 * extensions/libxt_*.c; kernel net/netfilter/xt_*.c).
 */
import { defineExtension, type AnyExtension } from '../../extension';
import { strtod, xtStrtoul } from '../../cnum';
import { anyOf, cStrtoul, F, low32 } from './util';

const U64_MAX = 0xffffffffffffffffn;

const connbytes = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'connbytes',
  summary: 'Matches on how many packets or bytes a connection has carried so far.',
  options: [
    { name: 'connbytes', id: 0, type: 'uint64rc', invert: true, mand: true, doc: 'from[:to] packets/bytes' },
    { name: 'connbytes-dir', id: 1, type: 'string', mand: true, doc: 'original, reply or both' },
    { name: 'connbytes-mode', id: 2, type: 'string', mand: true, doc: 'packets, bytes or avgpkt' },
  ],
  init: () => ({}),
  parse(c) {
    const arg = c.arg ?? '';
    if (c.option.id === 0) {
      const r = c.val.range ?? [0n];
      const from = r[0] ?? 0n;
      const to = c.val.nvals === 2 ? r[1] ?? U64_MAX : U64_MAX;
      if (to < from) c.fail(`${from} should be less than ${to}`);
    } else if (c.option.id === 1) {
      if (!['original', 'reply', 'both'].includes(arg)) c.fail(`Unknown --connbytes-dir \`${arg}'`);
    } else if (!['packets', 'bytes', 'avgpkt'].includes(arg)) {
      c.fail(`Unknown --connbytes-mode \`${arg}'`);
    }
  },
});

interface Connlabel {
  bit: number;
}

const connlabel = defineExtension<Connlabel>({
  kind: 'match',
  name: 'connlabel',
  summary: 'Matches (and with --set, sets) a connection tracking label bit.',
  options: [
    { name: 'label', id: 0, type: 'string', min: 1, mand: true, invert: true, doc: 'label bit 0-127, or a name from /etc/xtables/connlabel.conf' },
    { name: 'set', id: 1, type: 'none', doc: 'set the label if it is not set yet' },
  ],
  init: () => ({ bit: 0 }),
  parse(c) {
    if (c.option.id !== 0) return;
    const arg = c.arg ?? '';
    const r = cStrtoul(arg, 0, 0);
    // connlabel_value_parse() returns the value as an int: big values turn negative.
    const asInt = low32(r.value) | 0;
    if (arg === '' || r.end !== arg.length || asInt < 0) {
      // Names need /etc/xtables/connlabel.conf, which Debian does not ship.
      c.fail(`label '${arg}' not found or invalid value`, 'Give the label as a bit number (0-127), or define the name in /etc/xtables/connlabel.conf.');
    }
    c.data.bit = asInt & 0xffff;
  },
  kernel: { check: (ctx) => (ctx.data.bit > 127 ? `label bit ${ctx.data.bit} is out of range (0-127)` : undefined) },
});

const O_UPTO = 0;
const O_ABOVE = 1;

const connlimit = defineExtension<Record<string, never>>({
  kind: 'match',
  name: 'connlimit',
  summary: 'Matches when the number of connections per address (or network) is above / up to a limit.',
  options: [
    { name: 'connlimit-upto', id: O_UPTO, type: 'uint32', invert: true, excl: [O_ABOVE], doc: 'match while connections ≤ n' },
    { name: 'connlimit-above', id: O_ABOVE, type: 'uint32', invert: true, excl: [O_UPTO], doc: 'match when connections > n' },
    { name: 'connlimit-mask', id: 2, type: 'plenmask', doc: 'group addresses by this prefix length' },
    { name: 'connlimit-saddr', id: 3, type: 'none', excl: [4], doc: 'count per source address (default)' },
    { name: 'connlimit-daddr', id: 4, type: 'none', excl: [3], doc: 'count per destination address' },
  ],
  init: () => ({}),
  finalCheck(c) {
    if (!(c.xflags & (F(O_UPTO) | F(O_ABOVE)))) c.fail('You must specify "--connlimit-above" or "--connlimit-upto".');
  },
});

interface Ipvs {
  bitmask: number;
  invert: number;
}

const ipvs = defineExtension<Ipvs>({
  kind: 'match',
  name: 'ipvs',
  summary: 'Matches IPVS (LVS) properties of a connection (needs the xt_ipvs kernel module).',
  options: [
    { name: 'ipvs', id: 0, type: 'none', invert: true, doc: 'packet belongs to an IPVS connection' },
    { name: 'vproto', id: 1, type: 'protocol', invert: true, doc: 'virtual service protocol' },
    { name: 'vaddr', id: 2, type: 'hostmask', invert: true, doc: 'virtual address[/mask]' },
    { name: 'vport', id: 3, type: 'port', invert: true, doc: 'virtual port' },
    { name: 'vdir', id: 4, type: 'string', doc: 'ORIGINAL or REPLY' },
    { name: 'vmethod', id: 5, type: 'string', invert: true, doc: 'GATE, IPIP or MASQ' },
    { name: 'vportctl', id: 6, type: 'port', invert: true, doc: 'port of the controlling connection' },
  ],
  init: () => ({ bitmask: 0, invert: 0 }),
  parse(c) {
    const arg = (c.arg ?? '').toUpperCase();
    if (c.option.id === 4 && arg !== 'ORIGINAL' && arg !== 'REPLY') c.fail(`ipvs: Bad value for "--vdir" option: "${c.arg}"`);
    if (c.option.id === 5 && !['GATE', 'IPIP', 'MASQ'].includes(arg)) c.fail(`ipvs: Bad value for "--vmethod" option: "${c.arg}"`);
    c.data.bitmask |= F(c.option.id);
    if (c.invert) c.data.invert |= F(c.option.id);
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('IPVS: At least one option is required');
    if (c.data.bitmask & ~1 && c.data.invert & 1) c.fail('! --ipvs cannot be together with other options');
  },
});

interface PolicyElem {
  reqid?: boolean;
  spi?: boolean;
  saddr?: boolean;
  daddr?: boolean;
  proto?: boolean;
  mode?: { tunnel: boolean; invert: boolean };
}

interface Policy {
  dir?: 'in' | 'out';
  none: boolean;
  strict: boolean;
  elems: PolicyElem[];
}

const P_DIR = 0;
const P_POL = 1;
const P_STRICT = 2;

const policy = defineExtension<Policy>({
  kind: 'match',
  name: 'policy',
  summary: 'Matches the IPsec policy used (or to be used) for the packet.',
  options: [
    { name: 'dir', id: P_DIR, type: 'string', doc: 'in (decapsulation) or out (encapsulation)' },
    { name: 'pol', id: P_POL, type: 'string', doc: 'none or ipsec' },
    { name: 'strict', id: P_STRICT, type: 'none', doc: 'the policy must match exactly, element by element' },
    { name: 'reqid', id: 3, type: 'uint32', multi: true, invert: true, doc: 'reqid of the SA' },
    { name: 'spi', id: 4, type: 'uint32', multi: true, invert: true, doc: 'SPI of the SA' },
    { name: 'tunnel-src', id: 7, type: 'hostmask', multi: true, invert: true, doc: 'tunnel source address[/mask] (tunnel mode)' },
    { name: 'tunnel-dst', id: 8, type: 'hostmask', multi: true, invert: true, doc: 'tunnel destination address[/mask] (tunnel mode)' },
    { name: 'proto', id: 5, type: 'protocol', multi: true, invert: true, doc: 'ah, esp or ipcomp' },
    { name: 'mode', id: 6, type: 'string', multi: true, invert: true, doc: 'transport or tunnel' },
    { name: 'next', id: 9, type: 'none', multi: true, also: [P_STRICT], doc: 'start the next policy element (needs --strict)' },
  ],
  init: () => ({ none: false, strict: false, elems: [{}] }),
  parse(c) {
    const d = c.data;
    const e = d.elems[d.elems.length - 1]!;
    const arg = c.arg ?? '';
    const once = (k: keyof PolicyElem, what: string): void => {
      if (e[k]) c.fail(`policy match: double --${what} option`);
    };
    switch (c.option.id) {
      case P_DIR:
        if (arg !== 'in' && arg !== 'out') return c.fail(`policy_match: invalid dir "${arg}"`);
        d.dir ??= arg;
        break;
      case P_POL:
        if (arg === 'none') d.none = true;
        else if (arg !== 'ipsec') c.fail(`policy match: invalid policy "${arg}"`);
        break;
      case P_STRICT:
        d.strict = true;
        break;
      case 3:
        once('reqid', 'reqid');
        e.reqid = true;
        break;
      case 4:
        once('spi', 'spi');
        e.spi = true;
        break;
      case 7:
        once('saddr', 'tunnel-src');
        e.saddr = true;
        break;
      case 8:
        once('daddr', 'tunnel-dst');
        e.daddr = true;
        break;
      case 5: {
        once('proto', 'proto');
        const p = c.val.protocol ?? 0;
        if (p !== 50 && p !== 51 && p !== 108) c.fail('policy match: protocol must be ah/esp/ipcomp');
        e.proto = true;
        break;
      }
      case 6:
        once('mode', 'mode');
        if (arg !== 'transport' && arg !== 'tunnel') c.fail(`policy match: invalid mode "${arg}"`);
        e.mode = { tunnel: arg === 'tunnel', invert: c.invert };
        break;
      case 9:
        if (d.elems.length === 4) c.fail('policy match: maximum policy depth reached');
        d.elems.push({});
        break;
    }
  },
  finalCheck(c) {
    const d = c.data;
    if (!d.dir) c.fail('policy match: neither --dir in nor --dir out specified');
    // Elements are only looked at when the policy is "ipsec" (len counts them then).
    let count = d.elems.length - 1;
    if (d.none) {
      if (d.strict) c.fail('policy match: policy none but --strict given');
      if (count !== 0) c.fail('policy match: policy none but policy given');
    } else count++;
    for (let i = 0; i < count; i++) {
      const e = d.elems[i]!;
      if (d.strict && !(e.reqid || e.spi || e.saddr || e.daddr || e.proto || e.mode)) {
        c.fail(`policy match: empty policy element ${i}. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.`);
      }
      // Without --mode the element's mode is "transport" (0).
      const tunnel = e.mode?.tunnel ?? false;
      const inv = e.mode?.invert ?? false;
      if ((e.saddr || e.daddr) && ((tunnel && inv) || (!tunnel && !inv))) {
        c.fail('policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode', 'Add "--mode tunnel" to the same policy element.');
      }
    }
  },
  kernel: {
    check(ctx) {
      if (ctx.data.dir === 'out' && anyOf(ctx.hooks, ['PREROUTING', 'INPUT'])) return 'output policy not valid in PREROUTING and INPUT';
      if (ctx.data.dir === 'in' && anyOf(ctx.hooks, ['POSTROUTING', 'OUTPUT'])) return 'input policy not valid in POSTROUTING and OUTPUT';
      return undefined;
    },
  },
  describe: (d) => `${d.dir === 'out' ? 'outgoing' : 'incoming'} IPsec policy: ${d.none ? 'none' : 'ipsec'}${d.strict ? ' (strict)' : ''}`,
});

/** rateest_get_rate(): a number with an optional unit (bit, kbit, Mibit, Bps, KBps, …); bytes/s by default. */
const RATE_UNITS = ['bit', 'kibit', 'kbit', 'mibit', 'mbit', 'gibit', 'gbit', 'tibit', 'tbit', 'bps', 'kibps', 'kbps', 'mibps', 'mbps', 'gibps', 'gbps', 'tibps', 'tbps'];
function rateOk(s: string): boolean {
  const r = strtod(s);
  if (!r) return false;
  const unit = s.slice(r.end);
  return unit === '' || RATE_UNITS.includes(unit.toLowerCase());
}

interface Rateest {
  name1: boolean;
  rel: boolean;
  bps: boolean;
  pps: boolean;
  mode: boolean;
}

const R = { EST1: 0, EST2: 1, BPS1: 2, PPS1: 3, BPS2: 4, PPS2: 5, DELTA: 6, LT: 7, GT: 8, EQ: 9 } as const;

const rateest = defineExtension<Rateest>({
  kind: 'match',
  name: 'rateest',
  oldApi: true,
  summary: 'Compares the rate measured by a RATEEST estimator with a value or with another estimator.',
  options: [
    { name: 'rateest1', id: R.EST1, hasArg: 1, doc: 'first estimator name (relative mode)' },
    { name: 'rateest', id: R.EST1, hasArg: 1, doc: 'estimator name (absolute mode)' },
    { name: 'rateest2', id: R.EST2, hasArg: 1, doc: 'second estimator name (relative mode)' },
    { name: 'rateest-bps1', id: R.BPS1, hasArg: 0, doc: 'compare bytes/s [value]' },
    { name: 'rateest-pps1', id: R.PPS1, hasArg: 0, doc: 'compare packets/s [value]' },
    { name: 'rateest-bps2', id: R.BPS2, hasArg: 0, doc: 'compare bytes/s [value]' },
    { name: 'rateest-pps2', id: R.PPS2, hasArg: 0, doc: 'compare packets/s [value]' },
    { name: 'rateest-bps', id: R.BPS2, hasArg: 0, doc: 'compare bytes/s with the value that follows' },
    { name: 'rateest-pps', id: R.PPS2, hasArg: 0, doc: 'compare packets/s with the value that follows' },
    { name: 'rateest-delta', id: R.DELTA, hasArg: 0, doc: 'compare the difference of the rates' },
    { name: 'rateest-lt', id: R.LT, hasArg: 0, doc: 'less than' },
    { name: 'rateest-gt', id: R.GT, hasArg: 0, doc: 'greater than' },
    { name: 'rateest-eq', id: R.EQ, hasArg: 0, doc: 'equal' },
  ],
  init: () => ({ name1: false, rel: false, bps: false, pps: false, mode: false }),
  parse(c) {
    const id = c.option.id;
    const d = c.data;
    const once = (what: string): void => {
      if (c.xflags & F(id)) c.fail(`rateest: can't specify ${what} twice`);
      c.xflags |= F(id);
    };
    const noInvert = (what: string): void => {
      if (c.invert) c.fail(`rateest: ${what} can't be inverted`);
    };
    /** The optional value after --rateest-bps/pps: taken unless it looks like an option. */
    const optionalValue = (): string | undefined => {
      const next = c.peekArg();
      if (next === undefined || next[0] === '-' || next[0] === '!') return undefined;
      return c.takeArg();
    };
    switch (id) {
      case R.EST1:
      case R.EST2:
        noInvert('rateest');
        once(id === R.EST1 ? '--rateest1' : '--rateest2');
        if (id === R.EST2) d.rel = true;
        else d.name1 = true;
        // The kernel looks the estimator up when the rule is loaded: a RATEEST rule must have made it.
        c.warn(`The rate estimator "${c.arg ?? ''}" must exist when this rule is loaded — made by a "-j RATEEST --rateest-name ${c.arg ?? ''}" rule loaded before it (in this file or already on the host) — or the kernel refuses the rule.`, 'must-exist-at-load');
        break;
      case R.BPS1:
      case R.BPS2: {
        noInvert('rateest-bps');
        once(id === R.BPS1 ? '--rateest-bps1' : '--rateest-bps2');
        d.bps = true;
        const v = optionalValue();
        if (v !== undefined && !rateOk(v)) c.fail(`rateest: could not parse rate \`${v}'`);
        break;
      }
      case R.PPS1:
      case R.PPS2: {
        noInvert('rateest-pps');
        once(id === R.PPS1 ? '--rateest-pps1' : '--rateest-pps2');
        d.pps = true;
        const v = optionalValue();
        if (v !== undefined && !xtStrtoul(v, 0, 0xffffffff)) c.fail(`rateest: could not parse pps \`${v}'`);
        break;
      }
      case R.DELTA:
        noInvert('rateest-delta');
        once('--rateest-delta');
        break;
      default:
        if (c.xflags & F(id)) c.fail("rateest: can't specify lt/gt/eq twice");
        c.xflags |= F(id);
        d.mode = true;
    }
  },
  kernel: {
    // The estimators must also exist, created by a RATEEST target loaded earlier: not checked here.
    check(ctx) {
      if (!ctx.data.name1) return 'no estimator named: --rateest (or --rateest1) is required';
      if (!ctx.data.bps && !ctx.data.pps) return 'one of --rateest-bps/--rateest-pps is required';
      if (!ctx.data.mode) return 'one of --rateest-lt/--rateest-gt/--rateest-eq is required';
      return undefined;
    },
  },
});

export const MATCHES_CONN: readonly AnyExtension[] = [connbytes, connlabel, connlimit, ipvs, policy, rateest];
