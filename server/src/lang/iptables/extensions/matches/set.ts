/**
 * set match, revision 4 (extensions/libxt_set.c and libxt_set.h, old getopt
 * API; kernel net/netfilter/xt_set.c): membership of the packet's addresses
 * or ports in a named ipset. iptables looks the set up by name while it
 * parses the rule, so the set must exist on the loading host.
 */
import { xtStrtoul } from '../../cnum';
import { defineExtension } from '../../extension';
import { utf8Length } from '../../../utf8';

export type SetCounterOp = 'eq' | 'ne' | 'lt' | 'gt';

export interface SetMatch {
  /** ipset name (at most 31 bytes); must exist when the rules are loaded. */
  setName: string;
  /** "! --match-set": the packet must not be in the set. */
  invert: boolean;
  /** For each dimension of the set's elements, which address/port of the packet to use (1..6 entries). */
  dirs: Array<'src' | 'dst'>;
  /** --return-nomatch: elements stored with "nomatch" make the test fail instead of match. */
  returnNomatch: boolean;
  /** false after "! --update-counters" / "! --update-subcounters". */
  updateCounters: boolean;
  updateSubcounters: boolean;
  /** Conditions on the element's packet and byte counters. */
  packets?: { op: SetCounterOp; value: bigint };
  bytes?: { op: SetCounterOp; value: bigint };
  /** Written with the deprecated --set option. */
  deprecatedSet?: boolean;
}

const ch = (c: string): number => c.charCodeAt(0);
const IPSET_MAXNAMELEN = 32;
const IPSET_DIM_MAX = 6;

function counterText(name: string, c: { op: SetCounterOp; value: bigint } | undefined): string[] {
  if (!c) return [];
  if (c.op === 'ne') return [`! --${name}-eq ${c.value}`];
  return [`--${name}-${c.op} ${c.value}`];
}

export const set = defineExtension<SetMatch>({
  kind: 'match',
  name: 'set',
  oldApi: true,
  summary: "Matches when the packet's addresses/ports are (or are not) in a named ipset.",
  options: [
    { name: 'match-set', id: ch('1'), hasArg: 1, invert: true, doc: 'SETNAME FLAGS: set name, then src/dst per dimension, e.g. "blocklist src" or "svc dst,dst"' },
    { name: 'set', id: ch('2'), hasArg: 1, invert: true, doc: 'deprecated name of --match-set' },
    { name: 'return-nomatch', id: ch('3'), hasArg: 0, doc: 'elements added with "nomatch" make the test fail' },
    { name: 'update-counters', id: ch('4'), hasArg: 0, invert: true, doc: '"! --update-counters": do not update the element counters' },
    { name: 'packets-eq', id: ch('5'), hasArg: 1, invert: true, doc: "the element's packet counter equals N" },
    { name: 'packets-lt', id: ch('6'), hasArg: 1, doc: "the element's packet counter is below N" },
    { name: 'packets-gt', id: ch('7'), hasArg: 1, doc: "the element's packet counter is above N" },
    { name: 'bytes-eq', id: ch('8'), hasArg: 1, invert: true, doc: "the element's byte counter equals N" },
    { name: 'bytes-lt', id: ch('9'), hasArg: 1, doc: "the element's byte counter is below N" },
    { name: 'bytes-gt', id: ch('0'), hasArg: 1, doc: "the element's byte counter is above N" },
    { name: 'update-subcounters', id: ch('a'), hasArg: 0, invert: true, doc: '"! --update-subcounters": do not update the counters of member sets' },
  ],
  init: () => ({ setName: '', invert: false, dirs: [], returnNomatch: false, updateCounters: true, updateSubcounters: true }),
  parse(c) {
    const d = c.data;
    const key = String.fromCharCode(c.option.id);
    const fail: (m: string, hint?: string) => never = (m, h) => c.fail(m, h);
    const counter = (which: 'packets' | 'bytes', op: SetCounterOp | 'eq?'): void => {
      if (d[which]) c.fail(`only one of the --${which}-[eq|lt|gt] is allowed`);
      if (op !== 'eq?' && c.invert) c.fail(`--${which}-${op} option cannot be inverted`, `Only --${which}-eq can be negated.`);
      const v = xtStrtoul(c.arg ?? '', 0, 0xffffffffffffffffn);
      if (!v) fail(`Cannot parse ${c.arg ?? ''} as a counter value`);
      d[which] = { op: op === 'eq?' ? (c.invert ? 'ne' : 'eq') : op, value: v.value };
    };
    switch (key) {
      case 'a':
        if (c.invert) d.updateSubcounters = false;
        break;
      case '0':
        counter('bytes', 'gt');
        break;
      case '9':
        counter('bytes', 'lt');
        break;
      case '8':
        counter('bytes', 'eq?');
        break;
      case '7':
        counter('packets', 'gt');
        break;
      case '6':
        counter('packets', 'lt');
        break;
      case '5':
        counter('packets', 'eq?');
        break;
      case '4':
        if (c.invert) d.updateCounters = false;
        break;
      case '3':
        if (c.invert) c.fail('--return-nomatch flag cannot be inverted');
        d.returnNomatch = true;
        break;
      case '2':
      case '1': {
        if (key === '2') {
          d.deprecatedSet = true;
          c.warn('--set option deprecated, please use --match-set', 'deprecated-option');
        }
        if (d.dirs.length) c.fail('--match-set can be specified only once');
        if (c.invert) d.invert = true;
        const next = c.peekArg();
        if (next === undefined || next[0] === '-' || next[0] === '!') {
          c.fail('--match-set requires two args.', 'Give the set name and the direction flags, e.g. "--match-set blocklist src".');
        }
        const name = c.arg ?? '';
        if (utf8Length(name) > IPSET_MAXNAMELEN - 1) {
          c.fail(`setname \`${name}' too long, max ${IPSET_MAXNAMELEN - 1} characters.`);
        }
        c.warn(
          `Set "${name}" must exist when the rules are loaded: iptables looks it up by name while parsing the rule ("Set ${name} doesn't exist." otherwise). Create it with ipset before restoring these rules.`,
          'ipset-must-exist',
        );
        // parse_dirs(): strsep on ","; each field starts with "src" or "dst".
        const fields = c.takeArg().split(',');
        const dirs: Array<'src' | 'dst'> = [];
        for (const f of fields.slice(0, IPSET_DIM_MAX)) {
          if (f.startsWith('src')) dirs.push('src');
          else if (f.startsWith('dst')) dirs.push('dst');
          else c.fail("You must spefify (the comma separated list of) 'src' or 'dst'.", `"${f}" is neither src nor dst.`);
        }
        if (fields.length > IPSET_DIM_MAX) c.fail(`Can't be more src/dst options than ${IPSET_DIM_MAX}.`);
        d.setName = name;
        d.dirs = dirs;
        c.xflags = 1;
        break;
      }
    }
  },
  finalCheck(c) {
    if (!c.xflags) c.fail("You must specify `--match-set' with proper arguments", 'Add "--match-set SETNAME src" (or dst).');
  },
  save(d) {
    const out = [`${d.invert ? '! ' : ''}--match-set ${d.setName} ${d.dirs.join(',')}`];
    if (d.returnNomatch) out.push('--return-nomatch');
    if (!d.updateCounters) out.push('! --update-counters');
    if (!d.updateSubcounters) out.push('! --update-subcounters');
    out.push(...counterText('packets', d.packets), ...counterText('bytes', d.bytes));
    return out.join(' ');
  },
  describe(d) {
    const dims = d.dirs.map((x) => (x === 'src' ? 'source' : 'destination')).join(', ');
    const cond = [d.packets, d.bytes]
      .map((x, i) => (x ? `${i ? 'bytes' : 'packets'} ${({ eq: '=', ne: '≠', lt: '<', gt: '>' } as const)[x.op]} ${x.value}` : ''))
      .filter(Boolean);
    return `${d.invert ? 'not ' : ''}in ipset "${d.setName}" (by ${dims})${cond.length ? `, element counters ${cond.join(', ')}` : ''}`;
  },
});
