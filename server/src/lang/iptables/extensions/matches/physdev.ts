/**
 * physdev match (extensions/libxt_physdev.c; kernel
 * net/netfilter/xt_physdev.c): the bridge ports a bridged packet came in on
 * or goes out through. The kernel's checkentry refuses --physdev-out and
 * --physdev-is-out in rules reachable from OUTPUT unless the rule also says
 * (non-inverted) --physdev-is-bridged.
 */
import { utf8Length } from '../../../utf8';
import { defineExtension } from '../../extension';

export interface PhysdevIface {
  /** Bridge port name; a trailing "+" matches any name with that prefix, "" matches any port. */
  name: string;
  invert: boolean;
}

export interface PhysdevMatch {
  /** --physdev-in: the bridge port the packet entered on. */
  in?: PhysdevIface;
  /** --physdev-out: the bridge port it will leave through. */
  out?: PhysdevIface;
  /** --physdev-is-in: entered through a bridge port (inverted: did not). */
  isIn?: { invert: boolean };
  /** --physdev-is-out: will leave through a bridge port. */
  isOut?: { invert: boolean };
  /** --physdev-is-bridged: is being bridged (not routed). */
  isBridged?: { invert: boolean };
}

const O_IN = 0;
const O_OUT = 1;
const O_IS_IN = 2;
const O_IS_OUT = 3;
const O_IS_BRIDGED = 4;
const IFNAMSIZ = 16;

const neg = (b: boolean): string => (b ? '! ' : '');

export const physdev = defineExtension<PhysdevMatch>({
  kind: 'match',
  name: 'physdev',
  summary: 'Matches the bridge ports of bridged packets (needs br_netfilter).',
  options: [
    { name: 'physdev-in', id: O_IN, type: 'string', invert: true, doc: 'bridge port the packet came in on ([+] for wildcard)' },
    { name: 'physdev-out', id: O_OUT, type: 'string', invert: true, doc: 'bridge port the packet goes out on ([+] for wildcard)' },
    { name: 'physdev-is-in', id: O_IS_IN, type: 'none', invert: true, doc: 'arrived on a bridge port' },
    { name: 'physdev-is-out', id: O_IS_OUT, type: 'none', invert: true, doc: 'will leave on a bridge port' },
    { name: 'physdev-is-bridged', id: O_IS_BRIDGED, type: 'none', invert: true, doc: 'is being bridged' },
  ],
  init: () => ({}),
  parse(c) {
    const d = c.data;
    switch (c.option.id) {
      case O_IN:
      case O_OUT: {
        const name = c.arg ?? '';
        // xtables_parse_interface()
        if (utf8Length(name) + 1 > IFNAMSIZ) c.fail(`interface name \`${name}' must be shorter than IFNAMSIZ (${IFNAMSIZ - 1})`);
        if (/[/ ]/.test(name)) c.warn(`Warning: weird character in interface \`${name}' ('/' and ' ' are not allowed by the kernel) — it can never match.`, 'weird-interface');
        const iface: PhysdevIface = { name, invert: c.invert };
        if (c.option.id === O_IN) d.in = iface;
        else d.out = iface;
        break;
      }
      case O_IS_IN:
        d.isIn = { invert: c.invert };
        break;
      case O_IS_OUT:
        d.isOut = { invert: c.invert };
        break;
      case O_IS_BRIDGED:
        d.isBridged = { invert: c.invert };
        break;
    }
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('PHYSDEV: no physdev option specified');
  },
  kernel: {
    check(ctx) {
      const d = ctx.data;
      if ((d.out || d.isOut) && (!d.isBridged || d.isBridged.invert) && ctx.hooks.has('OUTPUT')) {
        return '--physdev-out and --physdev-is-out only work for bridged traffic: in a rule reachable from OUTPUT the kernel refuses them unless the rule also has --physdev-is-bridged.';
      }
      return undefined;
    },
  },
  save(d) {
    const out: string[] = [];
    if (d.isIn) out.push(`${neg(d.isIn.invert)}--physdev-is-in`);
    if (d.in) out.push(`${neg(d.in.invert)}--physdev-in ${d.in.name}`);
    if (d.isOut) out.push(`${neg(d.isOut.invert)}--physdev-is-out`);
    if (d.out) out.push(`${neg(d.out.invert)}--physdev-out ${d.out.name}`);
    if (d.isBridged) out.push(`${neg(d.isBridged.invert)}--physdev-is-bridged`);
    return out.join(' ');
  },
  describe(d) {
    const parts: string[] = [];
    if (d.isIn) parts.push(d.isIn.invert ? 'did not enter through a bridge port' : 'entered through a bridge port');
    if (d.in) parts.push(`bridge in-port ${d.in.invert ? 'not ' : ''}${d.in.name || '(any)'}`);
    if (d.isOut) parts.push(d.isOut.invert ? 'does not leave through a bridge port' : 'leaves through a bridge port');
    if (d.out) parts.push(`bridge out-port ${d.out.invert ? 'not ' : ''}${d.out.name || '(any)'}`);
    if (d.isBridged) parts.push(d.isBridged.invert ? 'not bridged' : 'bridged');
    return parts.join(', ');
  },
});
