/**
 * recent match, revision 1 (extensions/libxt_recent.c; kernel
 * net/netfilter/xt_recent.c): a named list of recently seen addresses that a
 * rule adds to (--set), tests (--rcheck, --update) or removes from (--remove).
 */
import { defineExtension } from '../../extension';
import { ipv4ToString, ipv6ToString, type Family } from '../../inet';

export type RecentCommand = 'set' | 'rcheck' | 'update' | 'remove';

export interface RecentMatch {
  /** Exactly one command once the rule is complete. */
  command?: RecentCommand;
  /** "!" before the command: the match result is negated. */
  invert: boolean;
  /** Only entries seen within this many seconds count (0 = no limit). */
  seconds: number;
  /** --reap: drop entries older than `seconds` while checking. */
  reap: boolean;
  /** At least this many hits (0 = no requirement). */
  hitCount: number;
  /** --rttl: the packet's TTL must also equal the one stored. */
  rttl: boolean;
  /** List name (/proc/net/xt_recent/NAME), default "DEFAULT". */
  name: string;
  /** Which address is recorded / looked up. */
  side: 'source' | 'dest';
  family: Family;
  /** Mask applied to the address: IPv4 as a number, IPv6 as 8 groups; `hostname` when given as a name (resolved at load time). */
  mask: { v4?: number; v6?: number[]; hostname?: string };
}

const O_SET = 0;
const O_RCHECK = 1;
const O_UPDATE = 2;
const O_REMOVE = 3;
const O_SECONDS = 4;
const O_REAP = 5;
const O_HITCOUNT = 6;
const O_RTTL = 7;
const O_NAME = 8;
const O_RSOURCE = 9;
const O_RDEST = 10;
const O_MASK = 11;
const ANY_OP = [O_SET, O_RCHECK, O_UPDATE, O_REMOVE];
const COMMANDS: Record<number, RecentCommand> = { [O_SET]: 'set', [O_RCHECK]: 'rcheck', [O_UPDATE]: 'update', [O_REMOVE]: 'remove' };

/** XT_RECENT_MAX_NSTAMPS of current kernels (65536 since Linux 6.x; 256 before). */
const MAX_NSTAMPS = 65536;

function maskText(d: RecentMatch): string {
  if (d.mask.hostname) return d.mask.hostname;
  if (d.mask.v6) return ipv6ToString(d.mask.v6);
  return ipv4ToString(d.mask.v4 ?? 0xffffffff);
}

export const recent = defineExtension<RecentMatch>({
  kind: 'match',
  name: 'recent',
  summary: 'Keeps a named list of recently seen addresses: adds to it, checks it, or removes from it.',
  options: [
    { name: 'set', id: O_SET, type: 'none', invert: true, excl: ANY_OP, doc: "add the packet's address to the list (always matches)" },
    { name: 'rcheck', id: O_RCHECK, type: 'none', invert: true, excl: ANY_OP, doc: 'match if the address is in the list' },
    { name: 'update', id: O_UPDATE, type: 'none', invert: true, excl: ANY_OP, doc: 'like --rcheck, and refresh the last-seen time when it matches' },
    { name: 'remove', id: O_REMOVE, type: 'none', invert: true, excl: ANY_OP, doc: 'match if the address is in the list, and remove it' },
    { name: 'seconds', id: O_SECONDS, type: 'uint32', min: 1, doc: 'with --rcheck/--update: seen within this many seconds' },
    { name: 'reap', id: O_REAP, type: 'none', also: [O_SECONDS], doc: 'purge entries older than --seconds' },
    { name: 'hitcount', id: O_HITCOUNT, type: 'uint32', doc: 'with --rcheck/--update: seen at least this many times' },
    { name: 'rttl', id: O_RTTL, type: 'none', excl: [O_SET, O_REMOVE], doc: 'the TTL must also match the one recorded' },
    { name: 'name', id: O_NAME, type: 'string', size: 200, doc: 'list name (default DEFAULT)' },
    { name: 'rsource', id: O_RSOURCE, type: 'none', doc: 'use the source address (default)' },
    { name: 'rdest', id: O_RDEST, type: 'none', doc: 'use the destination address' },
    { name: 'mask', id: O_MASK, type: 'host', doc: 'netmask applied to the address' },
  ],
  init: (rule) => ({
    invert: false, seconds: 0, reap: false, hitCount: 0, rttl: false, name: 'DEFAULT', side: 'source', family: rule.family,
    mask: rule.family === 'ipv6' ? { v6: [0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff] } : { v4: 0xffffffff },
  }),
  parse(c) {
    const d = c.data;
    const id = c.option.id;
    if (id in COMMANDS) {
      d.command = COMMANDS[id];
      if (c.invert) d.invert = true;
      return;
    }
    switch (id) {
      case O_SECONDS:
        d.seconds = Number(c.val.u ?? 0n);
        break;
      case O_REAP:
        d.reap = true;
        break;
      case O_HITCOUNT:
        d.hitCount = Number(c.val.u ?? 0n);
        break;
      case O_RTTL:
        d.rttl = true;
        break;
      case O_NAME:
        d.name = c.val.str ?? '';
        break;
      case O_RSOURCE:
        d.side = 'source';
        break;
      case O_RDEST:
        d.side = 'dest';
        break;
      case O_MASK: {
        const h = c.val.host;
        if (h?.hostname) d.mask = { hostname: h.hostname };
        else if (h?.v6) d.mask = { v6: h.v6 };
        else d.mask = { v4: h?.v4 ?? 0xffffffff };
        break;
      }
    }
  },
  finalCheck(c) {
    if (!ANY_OP.some((o) => c.xflags & (1 << o))) {
      c.fail("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
    }
  },
  kernel: {
    check(ctx) {
      const d = ctx.data;
      if ((d.command === 'set' || d.command === 'remove') && (d.seconds || d.hitCount || d.rttl || d.reap)) {
        const extra = [d.seconds ? '--seconds' : '', d.hitCount ? '--hitcount' : '', d.reap ? '--reap' : '', d.rttl ? '--rttl' : ''].filter(Boolean).join(', ');
        return `the kernel refuses ${extra} with --${d.command}: they only apply to --rcheck and --update.`;
      }
      if (d.hitCount >= MAX_NSTAMPS) {
        return `the kernel refuses --hitcount ${d.hitCount}: at most ${MAX_NSTAMPS - 1} packets per address are remembered ("hitcount is larger than allowed maximum"; kernels before 6.x allow only 255).`;
      }
      if (d.name === '' || d.name === '.' || d.name === '..' || d.name.includes('/')) {
        return `the kernel refuses the list name "${d.name}": it becomes the file /proc/net/xt_recent/NAME, so it cannot be empty, "." or "..", or contain "/".`;
      }
      return undefined;
    },
  },
  save(d) {
    const out: string[] = [];
    if (d.invert) out.push('!');
    if (d.command) out.push(`--${d.command}`);
    if (d.seconds) out.push(`--seconds ${d.seconds}`);
    if (d.reap) out.push('--reap');
    if (d.hitCount) out.push(`--hitcount ${d.hitCount}`);
    if (d.rttl) out.push('--rttl');
    out.push(`--name ${d.name}`, `--mask ${maskText(d)}`, d.side === 'dest' ? '--rdest' : '--rsource');
    return out.join(' ');
  },
  describe(d) {
    const addr = d.side === 'dest' ? 'destination' : 'source';
    const list = `list "${d.name}"`;
    const cond = [d.seconds ? `within the last ${d.seconds}s` : '', d.hitCount ? `at least ${d.hitCount} times` : '', d.rttl ? 'with the same TTL' : ''].filter(Boolean).join(', ');
    const not = d.invert ? 'not ' : '';
    switch (d.command) {
      case 'set':
        return `adds the ${addr} address to ${list} (${d.invert ? 'never matches' : 'always matches'})`;
      case 'remove':
        return `${not}in ${list} by ${addr} address (removes it)`;
      case 'update':
        return `${not}seen in ${list} by ${addr} address${cond ? ` ${cond}` : ''} (refreshes it)`;
      default:
        return `${not}seen in ${list} by ${addr} address${cond ? ` ${cond}` : ''}`;
    }
  },
});
